import { createHash, createPublicKey, verify } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../src/tools/simulator/index.js';
import { manualClock, start, T0 } from '../support/simulator.js';

function tokenRequest(s: RunningSimulator, body: unknown, contentType = 'application/json') {
  return fetch(`${s.url}/v1/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const get = (s: RunningSimulator, path: string, token?: string) =>
  fetch(`${s.url}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

describe('token endpoint', () => {
  test('plain secret: {token, token_type: Bearer, expires_in: 3600}; the token is a JWT whose exp is iat + 3600', async () => {
    const s = await start({ clock: manualClock() });
    const res = await tokenRequest(s, { key_id: s.credentials.keyId, key_secret: s.credentials.secret });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; token_type: string; expires_in: number };
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(3600);
    const claims = JSON.parse(Buffer.from(body.token.split('.')[1]!, 'base64url').toString()) as {
      iat: number;
      exp: number;
      sub: string;
    };
    expect(claims.iat).toBe(T0 / 1000);
    expect(claims.exp).toBe(T0 / 1000 + 3600);
    expect(claims.sub).toBe(s.credentials.keyId);
    expect((await get(s, '/v1/oauth/validate', body.token)).status).toBe(200);
  });

  test('the token verifies against the key served at /v1/oauth/jwks', async () => {
    const s = await start();
    const token = s.issueToken();
    const jwks = (await (await get(s, '/v1/oauth/jwks')).json()) as {
      keys: Array<{ kty: string; crv: string; x: string }>;
    };
    expect(jwks.keys).toHaveLength(1);
    const key = createPublicKey({ key: jwks.keys[0]!, format: 'jwk' });
    const [head, payload, signature] = token.split('.') as [string, string, string];
    expect(verify(null, Buffer.from(`${head}.${payload}`), key, Buffer.from(signature, 'base64url'))).toBe(true);
  });

  test('hashed secret sha256(secret:timestamp) is accepted within 15 minutes of server time and refused outside', async () => {
    const clock = manualClock();
    const s = await start({ clock });
    const { keyId, secret } = s.credentials;
    const nowS = T0 / 1000;
    const hashed = (ts: number) => ({ key_id: keyId, key_secret: sha256(`${secret}:${ts}`), timestamp: ts });
    expect((await tokenRequest(s, hashed(nowS))).status).toBe(200);
    expect((await tokenRequest(s, hashed(nowS - 14 * 60))).status).toBe(200);
    expect((await tokenRequest(s, hashed(nowS - 15 * 60))).status).toBe(200); // exactly on the edge
    const stale = await tokenRequest(s, hashed(nowS - 15 * 60 - 1));
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { code: string; message: string }).message).toMatch(/within 900 s/);
    expect((await tokenRequest(s, hashed(nowS + 16 * 60))).status).toBe(401);
    // A timestamp sent as a string (some clients do) works the same.
    expect((await tokenRequest(s, { ...hashed(nowS), timestamp: String(nowS) })).status).toBe(200);
    // The hash must be of this timestamp, and with a timestamp the plain secret is not enough.
    expect((await tokenRequest(s, { ...hashed(nowS), timestamp: nowS - 1 })).status).toBe(401);
    expect((await tokenRequest(s, { key_id: keyId, key_secret: secret, timestamp: nowS })).status).toBe(401);
    // Time moves: a request that was fresh becomes stale.
    clock.advance(16 * 60_000);
    expect((await tokenRequest(s, hashed(nowS))).status).toBe(401);
  });

  test('wrong secret or unknown key → 401 UNAUTHORIZED; disabled key → 403 FORBIDDEN', async () => {
    const s = await start({ apiKeys: { good: { secret: 'g' }, off: { secret: 'o', disabled: true } } });
    const wrong = await tokenRequest(s, { key_id: 'good', key_secret: 'nope' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ code: 'UNAUTHORIZED', message: 'invalid key_id or key_secret' });
    expect((await tokenRequest(s, { key_id: 'ghost', key_secret: 'g' })).status).toBe(401);
    const disabled = await tokenRequest(s, { key_id: 'off', key_secret: 'o' });
    expect(disabled.status).toBe(403);
    expect(((await disabled.json()) as { code: string }).code).toBe('FORBIDDEN');
    // Knowing a disabled key's id without its secret reveals nothing.
    expect((await tokenRequest(s, { key_id: 'off', key_secret: 'x' })).status).toBe(401);
  });

  test('malformed token requests: 400 VALIDATION_ERROR naming the field, 415 for a non-JSON media type', async () => {
    const s = await start();
    const missing = await tokenRequest(s, { key_secret: 'x' });
    expect(missing.status).toBe(400);
    const body = (await missing.json()) as { code: string; details: string[] };
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(body.details.join()).toMatch(/key_id/);
    expect((await tokenRequest(s, '{"key_id":')).status).toBe(400);
    expect((await tokenRequest(s, [1, 2])).status).toBe(400);
    expect((await tokenRequest(s, { key_id: 'k', key_secret: 's', timestamp: 'soon' })).status).toBe(400);
    expect((await tokenRequest(s, 'key_id=a&key_secret=b', 'application/x-www-form-urlencoded')).status).toBe(415);
  });
});

describe('bearer checks', () => {
  test('missing, malformed or foreign token → 401 with WWW-Authenticate: Bearer', async () => {
    const s = await start();
    const missing = await get(s, '/v1/devices');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(await missing.json()).toEqual({ code: 'UNAUTHORIZED', message: 'missing bearer token' });
    expect((await get(s, '/v1/devices', 'not-a-jwt')).status).toBe(401);
    const basic = await fetch(`${s.url}/v1/devices`, { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect(basic.status).toBe(401);
    const other = await startSimulator();
    try {
      // Same key id and format, different signing key.
      expect((await get(s, '/v1/devices', other.issueToken())).status).toBe(401);
    } finally {
      await other.close();
    }
    // A tampered payload (longer expiry) breaks the signature.
    const [h, p, sig] = s.issueToken().split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { exp: number };
    const forged = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 10_000 })).toString('base64url');
    expect((await get(s, '/v1/devices', `${h}.${forged}.${sig}`)).status).toBe(401);
  });

  test('token lifetime: valid until iat + ttl, 401 "expired" from then on (injected clock)', async () => {
    const clock = manualClock();
    const s = await start({ clock });
    const token = s.issueToken();
    expect((await get(s, '/v1/apps', token)).status).toBe(200);
    clock.advance(3600_000 - 1);
    expect((await get(s, '/v1/apps', token)).status).toBe(200);
    clock.advance(1);
    const expired = await get(s, '/v1/apps', token);
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { message: string }).message).toMatch(/expired/);
    // A fresh token works again.
    expect((await get(s, '/v1/apps', s.issueToken())).status).toBe(200);
  });

  test('tokenTtlSeconds shortens the lifetime and is reported as expires_in', async () => {
    const clock = manualClock();
    const s = await start({ clock, tokenTtlSeconds: 60 });
    const res = await tokenRequest(s, { key_id: s.credentials.keyId, key_secret: s.credentials.secret });
    const { token, expires_in } = (await res.json()) as { token: string; expires_in: number };
    expect(expires_in).toBe(60);
    clock.advance(59_999);
    expect((await get(s, '/v1/apps', token)).status).toBe(200);
    clock.advance(1);
    expect((await get(s, '/v1/apps', token)).status).toBe(401);
  });

  test('a token of a disabled key → 403; a key without the scope of the endpoint group → 403', async () => {
    const s = await start({
      apiKeys: { off: { secret: 'o', disabled: true }, devicesOnly: { secret: 'd', scopes: ['devices'] } },
    });
    const disabled = await get(s, '/v1/apps', s.issueToken('off'));
    expect(disabled.status).toBe(403);
    expect(((await disabled.json()) as { code: string; message: string }).message).toMatch(/disabled/);
    const scoped = s.issueToken('devicesOnly');
    expect((await get(s, '/v1/devices', scoped)).status).toBe(200);
    const denied = await get(s, '/v1/alerts/ongoing', scoped);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({
      code: 'FORBIDDEN',
      message: "the API key's role has no access to alerts endpoints",
    });
  });

  test('tokens work on the OneAPI prefix too; auth: false serves without a token', async () => {
    const s = await start();
    expect((await get(s, '/zdx/v1/apps', s.issueToken())).status).toBe(200);
    expect((await get(s, '/zdx/v1/apps')).status).toBe(401);
    const open = await startSimulator({ auth: false });
    try {
      expect((await get(open, '/v1/apps')).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});
