import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, CLIENTS } from '../support/clients.js';
import { setupOtel, type OtelHarness } from '../support/otel.js';
import { startZdxLikeServer, TOKEN_SESSION_COOKIE, type TestServer } from '../support/zdx-server.js';

// Values that must never appear in anything exported: each is planted where a ZDX client really puts
// secrets or personal data (headers, token bodies, PII query parameters, URL credentials), and where an
// application might put them by mistake (a token behind `;`, encoded or doubly encoded, a user name or an
// address in an unknown path or under a key ZDX does not use).
const PLANTED = {
  bearer: 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.planted-jwt-signature',
  keySecret: 'key-secret-5c1f0e',
  email: 'alice.planted@example.com',
  query: 'alice-planted-name',
  userIds: '990011,990012',
  deviceIds: '770033',
  mac: 'aa-bb-cc-dd-ee-ff',
  ip: '10.20.30.40',
  password: 'pw-planted-8812',
  partner: 'partner-planted-51',
  cookie: 'cookie-planted-77',
  semicolonToken: 'semicolon-token-planted-31',
  doubleEncoded: 'double-encoded-planted-62',
  userName: 'jsmithplanted',
  otherKeyIp: '172.16.99.7',
  otherKeyMac: '00:1a:2b:3c:4d:5e',
  // Sent by the server, in the token response's Set-Cookie header.
  responseCookie: TOKEN_SESSION_COOKIE,
};

// Captured on purpose, to prove that header capture is on and its attributes are exported.
const VISIBLE_HEADER = 'visible-tag-93';

let zdx: TestServer;
let otel: OtelHarness;

beforeAll(async () => {
  zdx = await startZdxLikeServer();
  // Header capture on (users turn it on): the partner id, the authorization and both cookies would be recorded
  // as span attributes if the span processor did not replace them.
  otel = setupOtel({
    zdx: { extraHosts: [zdx.hostPort] },
    captureHeaders: {
      request: ['authorization', 'x-partner-id', 'cookie', 'x-request-tag'],
      response: ['set-cookie', 'content-type'],
    },
  });
});
afterAll(async () => {
  await otel.shutdown();
  await zdx.close();
});

describe('nothing sensitive reaches exported spans or metrics', () => {
  it('through every client, in headers, token bodies, query values in any encoding, paths and URL credentials', async () => {
    const headers = {
      authorization: `Bearer ${PLANTED.bearer}`,
      'x-partner-id': PLANTED.partner,
      cookie: `session=${PLANTED.cookie}`,
      'x-request-tag': VISIBLE_HEADER,
      'content-type': 'application/json',
    };
    for (const client of CLIENTS) {
      await call(client, `${zdx.url}/v1/oauth/token`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ key_id: 'k1', key_secret: PLANTED.keySecret, timestamp: 1 }),
      });
      await call(
        client,
        `${zdx.url}/v1/devices?emails=${encodeURIComponent(PLANTED.email)}&userids=${PLANTED.userIds}&mac_address=${PLANTED.mac}&private_ipv4=${PLANTED.ip}&from=1&to=2`,
        { headers },
      );
      await call(client, `${zdx.url}/zdx/v1/users?q=${PLANTED.query}&search=${PLANTED.query}&offset=abc`, { headers });
      await call(
        client,
        `${zdx.url}/v1/inventory/software?user_ids=${PLANTED.userIds}&device_ids=${PLANTED.deviceIds}&deviceids=${PLANTED.deviceIds}`,
        { headers },
      );
      await call(
        client,
        `${zdx.url}/v1/devices/1?key_secret=${PLANTED.keySecret}&access_token=${PLANTED.bearer}&status=401`,
        { headers },
      );
      await call(client, `${zdx.url}/v1/unknown/${encodeURIComponent(PLANTED.email)}/x`, { headers });
      // node:http, axios and got send `;` as it is, and instrumentation-http records it as `%3B`.
      await call(client, `${zdx.url}/v1/apps?a=1;token=${PLANTED.semicolonToken}&from=1`, { headers });
      await call(client, `${zdx.url}/v1/apps?a=1%253Btoken%253D${PLANTED.doubleEncoded}&from=1`, { headers });
      await call(client, `${zdx.url}/v1/customthing/${PLANTED.userName}/profile`, { headers });
      await call(client, `${zdx.url}/v1/apps?client=${PLANTED.otherKeyIp}&device_info=${PLANTED.otherKeyMac}&from=1`, {
        headers,
      });
    }
    // URL credentials (node:http and axios accept them; fetch refuses URLs with credentials by design).
    await call('node:http', `http://user:${PLANTED.password}@${zdx.hostPort}/v1/apps`);
    await call('axios', `http://user:${PLANTED.password}@${zdx.hostPort}/v1/apps`);

    const exported = await otel.dump();
    // The test really exported the calls, with the captured headers (so a silent no-op could not pass it)...
    expect(exported).toContain('/v1/oauth/token');
    expect(exported).toContain('/v1/{id}/{id}/profile');
    expect(exported).toContain('REDACTED');
    expect(exported).toContain('from=1');
    expect(exported).toContain(VISIBLE_HEADER);
    expect(exported).toContain('http.request.header.x-partner-id');
    expect(exported).toContain('http.response.header.content-type');
    expect(exported).toContain('http.response.header.set-cookie');
    // ...and none of the planted values, in any encoding.
    for (const [where, value] of Object.entries(PLANTED)) {
      expect(exported, where).not.toContain(value);
      expect(exported, where).not.toContain(encodeURIComponent(value));
      expect(exported, where).not.toContain(encodeURIComponent(encodeURIComponent(value)));
    }
    const spans = otel.spans().filter((s) => s.attributes['url.template'] !== undefined);
    expect(spans.length).toBeGreaterThanOrEqual(CLIENTS.length * 10 + 2);
  });
});
