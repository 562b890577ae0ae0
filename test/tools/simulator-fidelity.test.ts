// What real ZDX clients need from the simulator: the OneAPI (ZIdentity) token flow, the response shapes the
// official SDKs parse, Retry-After on retryable faults, documented filters, the Go SDK's doubled slash, and data
// that could be real (hop latencies in order, scores that drift rather than jump, one geo key).
import { describe, expect, test } from 'vitest';
import type { RunningSimulator } from '../../src/tools/simulator/index.js';
import { manualClock, start } from '../support/simulator.js';

const FORM = 'application/x-www-form-urlencoded';

async function token(s: RunningSimulator, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.url}/oauth2/v1/token`, {
    method: 'POST',
    headers: { 'content-type': FORM, ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function getJson(s: RunningSimulator, path: string, bearer?: string) {
  const res = await fetch(`${s.url}${path}`, {
    headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: the tests read fields of many response shapes
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as any) };
}

describe('OneAPI token endpoint (POST /oauth2/v1/token)', () => {
  test('client_credentials gives a bearer token that OneAPI paths accept and the direct host does not', async () => {
    const s = await start();
    const { keyId, secret } = s.credentials;
    const issued = await token(s, {
      grant_type: 'client_credentials',
      client_id: keyId,
      client_secret: secret,
      audience: 'https://api.zscaler.com',
    });
    expect(issued.status).toBe(200);
    expect(issued.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    expect(issued.headers.get('cache-control')).toBe('no-store');
    const bearer = issued.body.access_token as string;
    expect((await getJson(s, '/zdx/v1/devices?limit=1', bearer)).status).toBe(200);
    // The direct host does not know ZIdentity tokens.
    const direct = await getJson(s, '/v1/devices?limit=1', bearer);
    expect(direct.status).toBe(401);
    expect(direct.body.message).toContain('OneAPI');
    // Client credentials as HTTP Basic work too (RFC 6749 §2.3.1), and the audience is optional.
    const basic = await token(
      s,
      { grant_type: 'client_credentials' },
      { authorization: `Basic ${Buffer.from(`${keyId}:${secret}`).toString('base64')}` },
    );
    expect(basic.status).toBe(200);
    expect((await getJson(s, '/zdx/v1/apps', basic.body.access_token as string)).status).toBe(200);
    expect(s.stats().byEndpoint['POST /oauth2/v1/token']).toEqual({ 200: 2 });
  });

  test('bad credentials, grants and requests get OAuth 2.0 errors', async () => {
    const s = await start({ apiKeys: { good: { secret: 's3cret' }, off: { secret: 'x', disabled: true } } });
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ grant_type: 'client_credentials', client_id: 'good', client_secret: 'wrong' }, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 's3cret' }, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials', client_id: 'good' }, 401, 'invalid_client'],
      [{ grant_type: 'password', client_id: 'good', client_secret: 's3cret' }, 400, 'unsupported_grant_type'],
      [{ client_id: 'good', client_secret: 's3cret' }, 400, 'invalid_request'],
      [
        {
          grant_type: 'client_credentials',
          client_id: 'good',
          client_secret: 's3cret',
          audience: 'https://evil.example',
        },
        400,
        'invalid_request',
      ],
      [{ grant_type: 'client_credentials', client_id: 'off', client_secret: 'x' }, 400, 'unauthorized_client'],
    ];
    for (const [form, status, error] of cases) {
      const answer = await token(s, form);
      expect([answer.status, answer.body.error], JSON.stringify(form)).toEqual([status, error]);
      expect(answer.body.error_description).toEqual(expect.any(String));
      expect(JSON.stringify(answer.body)).not.toContain('s3cret');
    }
    const json = await fetch(`${s.url}/oauth2/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'good', client_secret: 's3cret' }),
    });
    expect([json.status, ((await json.json()) as { error: string }).error]).toEqual([400, 'invalid_request']);
    const get = await fetch(`${s.url}/oauth2/v1/token`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    await get.arrayBuffer();
  });

  test('the legacy flow is unchanged: /v1/oauth/token answers `token`, valid on both path forms', async () => {
    const s = await start();
    const res = await fetch(`${s.url}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key_id: s.credentials.keyId, key_secret: s.credentials.secret }),
    });
    const body = (await res.json()) as { token: string; token_type: string };
    expect(body.token_type).toBe('Bearer');
    expect((await getJson(s, '/v1/devices?limit=1', body.token)).status).toBe(200);
    expect((await getJson(s, '/zdx/v1/devices?limit=1', body.token)).status).toBe(200);
  });
});

describe('response shapes the official SDKs parse', () => {
  async function drill(s: RunningSimulator) {
    const bearer = s.issueToken();
    const device = (await getJson(s, '/v1/devices?limit=1', bearer)).body.devices[0].id as number;
    const app = (await getJson(s, `/v1/devices/${device}/apps`, bearer)).body[0].id as number;
    const probe = (await getJson(s, `/v1/devices/${device}/apps/${app}/cloudpath-probes`, bearer)).body[0].id as number;
    return { bearer, device, app, probe };
  }

  test('cloudpath answers [{timestamp, cloudpath: [legs with hops]}], hop latencies min <= avg <= max', async () => {
    const clock = manualClock();
    const s = await start({ clock });
    const { bearer, device, app, probe } = await drill(s);
    const body = (await getJson(s, `/v1/devices/${device}/apps/${app}/cloudpath-probes/${probe}/cloudpath`, bearer))
      .body;
    expect(Array.isArray(body)).toBe(true);
    expect(body.length).toBeGreaterThan(0);
    let hops = 0;
    for (const sample of body) {
      expect(sample.timestamp).toEqual(expect.any(Number));
      // Both SDKs read `cloudpath` as a list; the Python SDK fails with KeyError(0) on an object.
      expect(Array.isArray(sample.cloudpath)).toBe(true);
      for (const leg of sample.cloudpath) {
        expect(leg).toMatchObject({ src: expect.any(String), dst: expect.any(String), num_hops: leg.hops.length });
        for (const h of leg.hops) {
          hops++;
          for (const k of ['latency_min', 'latency_avg', 'latency_max', 'pkt_sent', 'pkt_rcvd'])
            expect(Number.isInteger(h[k]), k).toBe(true);
          expect(h.latency_min).toBeLessThanOrEqual(h.latency_avg);
          expect(h.latency_avg).toBeLessThanOrEqual(h.latency_max);
        }
      }
    }
    expect(hops).toBeGreaterThan(10);

    // The deep-trace cloudpath has the same shape once the trace collects data.
    const created = await fetch(`${s.url}/zdx/v1/devices/${device}/deeptraces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ session_name: 'shape', session_length_minutes: 15, app_id: app }),
    });
    const trace = (await created.json()) as { trace_id: string; trace_details: Record<string, unknown> };
    // The Go SDK's TraceDetails reads ids as strings.
    expect(trace.trace_details).toMatchObject({
      device_id: String(device),
      app_id: String(app),
      session_length_minutes: 15,
    });
    clock.advance(20 * 60_000);
    const dt = (await getJson(s, `/v1/devices/${device}/deeptraces/${trace.trace_id}/cloudpath`, bearer)).body;
    expect(dt.length).toBeGreaterThan(0);
    expect(Array.isArray(dt[0].cloudpath)).toBe(true);
    expect(Array.isArray(dt[0].cloudpath[0].hops)).toBe(true);
  });

  test('numbers where the SDK models read numbers; one geo key (`state`) everywhere', async () => {
    const s = await start();
    const { bearer, device } = await drill(s);
    const detail = (await getJson(s, `/v1/devices/${device}`, bearer)).body;
    expect(Number.isInteger(detail.hardware.tot_mem)).toBe(true);
    expect(Number.isInteger(detail.hardware.disk_size)).toBe(true);
    const alerts = (await getJson(s, '/v1/alerts/ongoing', bearer)).body.alerts;
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) expect(Number.isSafeInteger(a.id)).toBe(true);
    expect((await getJson(s, `/v1/alerts/${alerts[0].id}`, bearer)).status).toBe(200);
    const health = (await getJson(s, `/v1/devices/${device}/health-metrics`, bearer)).body;
    expect(Array.isArray(health[0].instances[0].metrics)).toBe(true);

    const geos: Array<Record<string, unknown>> = [];
    const collect = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(collect);
      else if (v !== null && typeof v === 'object') {
        if ('city' in v) geos.push(v as Record<string, unknown>);
        Object.values(v).forEach(collect);
      }
    };
    collect((await getJson(s, '/v1/apps', bearer)).body);
    collect((await getJson(s, '/v1/users?limit=20', bearer)).body);
    expect(geos.length).toBeGreaterThan(20);
    for (const g of geos) {
      expect(g).toHaveProperty('state');
      expect(g).not.toHaveProperty('region');
    }
  });
});

describe('retryable faults carry Retry-After', () => {
  test.each([503, 504])('an injected %i says how long to wait, in seconds', async (status) => {
    const s = await start({
      auth: false,
      scenario: { rateLimit: { enabled: true }, tier: 4, errors: { [status]: 1 } },
    });
    const res = await getJson(s, '/v1/devices');
    expect(res.status).toBe(status);
    expect(res.headers.get('retry-after')).toBe('1');
    // The epoch reset is still there, as on every rate-limited answer; a delay-reader now has Retry-After first.
    expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThan(1e9);
  });
});

describe('documented filters and stable answers', () => {
  test('loc, dept and geo give the same answer as no filter on /apps and its drill-downs', async () => {
    const s = await start({ clock: manualClock() });
    const bearer = s.issueToken();
    const filters = ['loc=58000', 'dept=40000&dept=40017', 'geo=city.0', 'loc=58000,58023&dept=40000&geo=country.0'];
    for (const path of [
      '/v1/apps',
      '/zdx/v1/apps/1',
      '/v1/apps/1/score',
      '/v1/apps/1/metrics',
      '/v1/apps/1/metrics?metric_name=dns',
    ]) {
      const plain = await getJson(s, path, bearer);
      expect(plain.status, path).toBe(200);
      for (const f of filters) {
        const filtered = await getJson(s, `${path}${path.includes('?') ? '&' : '?'}${f}`, bearer);
        expect(filtered.status, `${path} ${f}`).toBe(200);
        expect(filtered.body, `${path} ${f}`).toEqual(plain.body);
      }
    }
  });

  test('scores do not jump from one second to the next, and drift slowly over the day', async () => {
    const clock = manualClock();
    const s = await start({ clock });
    // A fresh token per call: the clock runs past the token lifetime.
    const scores = async () =>
      ((await getJson(s, '/v1/apps', s.issueToken())).body as Array<{ score: number }>).map((a) => a.score);
    const first = await scores();
    clock.advance(1000);
    expect(await scores()).toEqual(first);
    let previous = first;
    let changed = 0;
    for (let i = 0; i < 48; i++) {
      clock.advance(5 * 60_000);
      const next = await scores();
      next.forEach((v, k) => expect(Math.abs(v - previous[k]!)).toBeLessThanOrEqual(6));
      if (next.some((v, k) => v !== previous[k])) changed++;
      previous = next;
    }
    expect(changed).toBeGreaterThan(10);
    const series = (await getJson(s, '/v1/apps/1/score', s.issueToken())).body[0].datapoints as Array<{
      value: number;
    }>;
    for (let i = 1; i < series.length; i++) expect(Math.abs(series[i]!.value - series[i - 1]!.value)).toBeLessThan(12);
  });

  test("the Go SDK's doubled slash reaches the same endpoint as the clean path", async () => {
    const s = await start({ clock: manualClock() });
    const bearer = s.issueToken();
    const device = (await getJson(s, '/v1/devices?limit=1', bearer)).body.devices[0].id as number;
    const app = (await getJson(s, `/v1/devices/${device}/apps`, bearer)).body[0].id as number;
    const probe = (await getJson(s, `/v1/devices/${device}/apps/${app}/cloudpath-probes`, bearer)).body[0].id as number;
    const clean = await getJson(s, `/zdx/v1/devices/${device}/apps/${app}/cloudpath-probes/${probe}/cloudpath`, bearer);
    const doubled = await getJson(
      s,
      `/zdx/v1/devices/${device}/apps/${app}/cloudpath-probes/${probe}//cloudpath`,
      bearer,
    );
    expect(doubled.status).toBe(200);
    expect(doubled.body).toEqual(clean.body);
    expect(
      s.stats().byEndpoint['GET /v1/devices/{deviceid}/apps/{appid}/cloudpath-probes/{probeid}/cloudpath'],
    ).toEqual({ 200: 2 });
  });
});
