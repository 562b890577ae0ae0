/**
 * A client that speaks ZDX the way the official SDKs do, run under `node --import zdx-otel/register` against the
 * simulator: the OneAPI flow (ZIdentity token from /oauth2/v1/token, then /zdx/v1/... data calls) and the
 * legacy flow (/v1/oauth/token, then /v1/...). The exported spans and metrics must name every call by its
 * template, class its status, and count exactly what the simulator answered, template by template.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../src/tools/simulator/index.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { APPS, exited, runApp } from '../support/run-app.js';

let simulator: RunningSimulator;

beforeAll(async () => {
  simulator = await startSimulator({
    seed: 5,
    scenario: {
      // Budgets far above this client's dozen calls: every answer carries rate-limit headers, none is a budget 429.
      rateLimit: { perSecond: 1000, perMinute: 1000 },
      endpoints: {
        'GET /v1/users/{userid}': { errors: { 503: 1 } },
        'GET /v1/alerts/ongoing': { errors: { 429: 1 } },
      },
    },
  });
});
afterAll(async () => {
  await simulator.close();
});

const CLOUDPATH = '/v1/devices/{deviceid}/apps/{appid}/cloudpath-probes/{probeid}/cloudpath';
/** Template → [status, calls] of the data calls both flows make. */
const DATA_CALLS: ReadonlyArray<[template: string, status: number, calls: number]> = [
  ['/v1/devices', 200, 1],
  ['/v1/devices/{deviceid}', 200, 2],
  ['/v1/devices/{deviceid}/apps', 200, 1],
  ['/v1/devices/{deviceid}/apps/{appid}/cloudpath-probes', 200, 1],
  [CLOUDPATH, 200, 1],
  ['/v1/apps', 200, 1],
  ['/v1/apps/{appid}', 404, 1],
  ['/v1/users/{userid}', 503, 1],
  ['/v1/alerts/ongoing', 429, 1],
];

async function runFlow(flow: 'oneapi' | 'legacy', extraHosts: string) {
  const receiver = await startOtlpReceiver();
  try {
    const before = simulator.stats().byEndpoint;
    const run = runApp(['--import', 'zdx-otel/register', `${APPS}zdx-flow-client.mjs`], {
      ZDX_URL: simulator.url,
      ZDX_FLOW: flow,
      ZDX_CLIENT_ID: simulator.credentials.keyId,
      ZDX_CLIENT_SECRET: simulator.credentials.secret,
      ZDX_OTEL_EXTRA_HOSTS: extraHosts,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: `zdx-${flow}-client`,
    });
    const { code } = await exited(run, 30_000);
    expect(run.stderr()).toBe('');
    expect(code).toBe(0);
    const after = simulator.stats().byEndpoint;
    // What the simulator answered during this run, per `METHOD template`.
    const served = new Map<string, number>();
    for (const [key, outcomes] of Object.entries(after)) {
      const total = Object.entries(outcomes).reduce((n, [status, c]) => n + c - (before[key]?.[status] ?? 0), 0);
      if (total > 0) served.set(key, total);
    }
    return { calls: JSON.parse(run.stdout().trim().split('\n').at(-1)!) as Array<[string, number]>, served, receiver };
  } catch (err) {
    await receiver.close();
    throw err;
  }
}

const zdxSpans = (r: OtlpReceiver): ReceivedSpan[] =>
  r.spans().filter((s) => s.kind === 3 && s.attributes['url.template'] !== undefined);
const requests = (r: OtlpReceiver, template: string, status?: number) =>
  r
    .latest('zdx.api.requests')
    .filter(
      (p) =>
        p.attributes['url.template'] === template &&
        (status === undefined || p.attributes['http.response.status_code'] === status),
    )
    .reduce((n, p) => n + p.value, 0);

function expectDataCalls(r: OtlpReceiver, served: Map<string, number>) {
  for (const [template, status, calls] of DATA_CALLS) {
    // Exact per template and status, and equal to what the simulator counted on its side.
    expect(requests(r, template), template).toBe(calls);
    expect(requests(r, template, status), `${template} ${status}`).toBe(calls);
    expect(served.get(`GET ${template}`), template).toBe(calls);
    const spans = zdxSpans(r).filter((s) => s.attributes['url.template'] === template);
    expect(
      spans.map((s) => s.name),
      template,
    ).toEqual(Array(calls).fill(`GET ${template}`));
    for (const s of spans) {
      const cls = `${String(status)[0]}xx`;
      expect(s.attributes, template).toMatchObject({
        'http.request.method': 'GET',
        'http.response.status_code': status,
        'zdx.status_class': cls,
        'zdx.status_text': expect.any(String),
        'zdx.status_description': expect.any(String),
        'zdx.retryable': status === 429 || status === 503,
        'zdx.rate_limit.limit': 1000,
      });
      expect(s.status?.code ?? 0, template).toBe(status >= 400 ? 2 : 0);
    }
  }
  const limited = zdxSpans(r).find((s) => s.attributes['http.response.status_code'] === 429)!;
  expect(limited.attributes['zdx.retry_after']).toBe(1);
  const unavailable = zdxSpans(r).find((s) => s.attributes['http.response.status_code'] === 503)!;
  expect(unavailable.attributes['zdx.retry_after']).toBe(1);
}

describe('a ZDX client under --import zdx-otel/register, against the simulator', () => {
  it('OneAPI flow: ZIdentity token, then /zdx/v1 calls, each span and count under its template', async () => {
    // As on the real cloud, the token comes from an identity host that is not a ZDX gateway: only /zdx/... here is ZDX.
    const { calls, served, receiver } = await runFlow('oneapi', `${simulator.url}/zdx`);
    try {
      expect(calls[0]).toEqual(['POST /oauth2/v1/token', 200]);
      expect(calls.slice(1).every(([call]) => call.startsWith('GET /zdx/v1/'))).toBe(true);
      expect(served.get('POST /oauth2/v1/token')).toBe(1);
      expectDataCalls(receiver, served);
      // The doubled slash the Go SDK sends was answered, and is counted under the clean template.
      expect(calls.find(([call]) => call.includes('//cloudpath'))?.[1]).toBe(200);
      // The token call is not a ZDX call: no ZDX span, no ZDX metric point.
      expect(zdxSpans(receiver).some((s) => String(s.attributes['url.template']).includes('oauth'))).toBe(false);
      expect(
        receiver.latest('zdx.api.requests').some((p) => String(p.attributes['url.template']).includes('oauth')),
      ).toBe(false);
      const total = DATA_CALLS.reduce((n, [, , c]) => n + c, 0);
      expect(zdxSpans(receiver)).toHaveLength(total);
      expect(receiver.latest('zdx.api.requests').reduce((n, p) => n + p.value, 0)).toBe(total);
      expect(receiver.bodies.join('\n')).not.toContain(simulator.credentials.secret);
    } finally {
      await receiver.close();
    }
  });

  it('legacy flow: /v1/oauth/token, then /v1 calls, the token call counted under its own template', async () => {
    const { calls, served, receiver } = await runFlow('legacy', new URL(simulator.url).host);
    try {
      expect(calls[0]).toEqual(['POST /v1/oauth/token', 200]);
      expect(calls.slice(1).every(([call]) => call.startsWith('GET /v1/'))).toBe(true);
      expectDataCalls(receiver, served);
      expect(requests(receiver, '/v1/oauth/token', 200)).toBe(1);
      expect(served.get('POST /v1/oauth/token')).toBe(1);
      const token = zdxSpans(receiver).filter((s) => s.attributes['url.template'] === '/v1/oauth/token');
      expect(token.map((s) => [s.name, s.attributes['zdx.status_class']])).toEqual([['POST /v1/oauth/token', '2xx']]);
      const total = DATA_CALLS.reduce((n, [, , c]) => n + c, 0) + 1;
      expect(zdxSpans(receiver)).toHaveLength(total);
      expect(receiver.latest('zdx.api.requests').reduce((n, p) => n + p.value, 0)).toBe(total);
      expect(receiver.bodies.join('\n')).not.toContain(simulator.credentials.secret);
    } finally {
      await receiver.close();
    }
  });
});
