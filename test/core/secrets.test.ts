import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, CLIENTS } from '../support/clients.js';
import { setupOtel, type OtelHarness } from '../support/otel.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

// Values that must never appear in anything exported: each is planted where a ZDX client really puts
// secrets or personal data (headers, token bodies, PII query parameters, URL credentials).
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
};

let zdx: TestServer;
let otel: OtelHarness;

beforeAll(async () => {
  zdx = await startZdxLikeServer();
  otel = setupOtel({ zdx: { extraHosts: [zdx.hostPort] } });
});
afterAll(async () => {
  await otel.shutdown();
  await zdx.close();
});

describe('nothing sensitive reaches exported spans or metrics', () => {
  it('through every client, in headers, token bodies, PII query values and URL credentials', async () => {
    const headers = { authorization: `Bearer ${PLANTED.bearer}`, 'x-partner-id': PLANTED.partner, 'content-type': 'application/json' };
    for (const client of CLIENTS) {
      await call(client, `${zdx.url}/v1/oauth/token`, {
        method: 'POST', headers, body: JSON.stringify({ key_id: 'k1', key_secret: PLANTED.keySecret, timestamp: 1 }),
      });
      await call(client, `${zdx.url}/v1/devices?emails=${encodeURIComponent(PLANTED.email)}&userids=${PLANTED.userIds}&mac_address=${PLANTED.mac}&private_ipv4=${PLANTED.ip}&from=1&to=2`, { headers });
      await call(client, `${zdx.url}/zdx/v1/users?q=${PLANTED.query}&search=${PLANTED.query}&offset=abc`, { headers });
      await call(client, `${zdx.url}/v1/inventory/software?user_ids=${PLANTED.userIds}&device_ids=${PLANTED.deviceIds}&deviceids=${PLANTED.deviceIds}`, { headers });
      await call(client, `${zdx.url}/v1/devices/1?key_secret=${PLANTED.keySecret}&access_token=${PLANTED.bearer}&status=401`, { headers });
      await call(client, `${zdx.url}/v1/unknown/${encodeURIComponent(PLANTED.email)}/x`, { headers });
    }
    // URL credentials (node:http and axios accept them; fetch refuses URLs with credentials by design).
    await call('node:http', `http://user:${PLANTED.password}@${zdx.hostPort}/v1/apps`);
    await call('axios', `http://user:${PLANTED.password}@${zdx.hostPort}/v1/apps`);

    const exported = await otel.dump();
    // The test really exported the calls (so a silent no-op could not pass it)...
    expect(exported).toContain('/v1/oauth/token');
    expect(exported).toContain('REDACTED');
    expect(exported).toContain('from=1');
    // ...and none of the planted values.
    for (const [where, value] of Object.entries(PLANTED)) {
      expect(exported, where).not.toContain(value);
      expect(exported, where).not.toContain(encodeURIComponent(value));
    }
    const spans = otel.spans().filter((s) => s.attributes['url.template'] !== undefined);
    expect(spans.length).toBeGreaterThanOrEqual(CLIENTS.length * 6 + 2);
  });
});
