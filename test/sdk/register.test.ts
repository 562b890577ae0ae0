import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { APPS, exited, runApp } from '../support/run-app.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

const SECRET = 'sEcReT-7f3a9c';
let zdx: TestServer;
let other: TestServer;
let receiver: OtlpReceiver;

beforeAll(async () => {
  zdx = await startZdxLikeServer();
  other = await startZdxLikeServer();
});
afterAll(async () => {
  await zdx.close();
  await other.close();
});

async function withReceiver<T>(fn: (r: OtlpReceiver) => Promise<T>): Promise<T> {
  receiver = await startOtlpReceiver();
  try {
    return await fn(receiver);
  } finally {
    await receiver.close();
  }
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ZDX_URL: zdx.url,
    OTHER_URL: other.url,
    PLANTED_SECRET: SECRET,
    ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: 'register-test',
    ...extra,
  };
}

const count = (r: OtlpReceiver, match: Record<string, unknown>) =>
  r
    .latest('zdx.api.requests')
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((n, p) => n + p.value, 0);

function expectWorkloadTelemetry(r: OtlpReceiver, withToken: boolean) {
  expect(count(r, { 'url.template': '/v1/devices/{deviceid}', 'http.response.status_code': 200 })).toBe(3);
  expect(
    count(r, {
      'url.template': '/v1/devices/{deviceid}',
      'http.response.status_code': 429,
      'zdx.status_class': '4xx',
      'error.type': '429',
    }),
  ).toBe(1);
  expect(
    count(r, { 'url.template': '/v1/users/{userid}', 'http.response.status_code': 503, 'zdx.status_class': '5xx' }),
  ).toBe(2);
  expect(count(r, { 'url.template': '/v1/apps', 'http.response.status_code': 404 })).toBe(1);
  expect(count(r, { 'url.template': '/v1/oauth/token' })).toBe(withToken ? 1 : 0);
  // The call to the other host is not a ZDX call: no point for it.
  expect(count(r, {})).toBe(withToken ? 8 : 7);
  const histogram = r.latest('zdx.api.request.duration');
  expect(histogram.reduce((n, p) => n + p.value, 0)).toBe(withToken ? 8 : 7);
}

describe('node --import zdx-otel/register (ESM application)', () => {
  it('exports exact metrics and named spans over OTLP/JSON on normal exit, and nothing secret', () =>
    withReceiver(async (r) => {
      const run = runApp(['--import', 'zdx-otel/register', `${APPS}register-app.mjs`], env());
      const { code } = await exited(run);
      expect(run.stderr()).toBe('');
      expect(code).toBe(0);
      expectWorkloadTelemetry(r, true);
      const names = r
        .spans()
        .filter((s) => s.kind === 3)
        .map((s) => s.name)
        .sort();
      expect(names).toEqual([
        'GET', // the call to the other host keeps the instrumentation's own name
        'GET /v1/apps',
        'GET /v1/devices/{deviceid}',
        'GET /v1/devices/{deviceid}',
        'GET /v1/devices/{deviceid}',
        'GET /v1/devices/{deviceid}',
        'GET /v1/users/{userid}',
        'GET /v1/users/{userid}',
        'POST /v1/oauth/token',
      ]);
      const limited = r.spans().find((s) => s.attributes['http.response.status_code'] === 429);
      expect(limited?.attributes['zdx.retry_after']).toBe(3);
      expect(limited?.status?.code).toBe(2);
      expect(r.latest('zdx.api.rate_limit.remaining').length).toBeGreaterThan(0);
      const everything = r.bodies.join('\n');
      expect(everything).toContain('register-test');
      expect(everything).not.toContain(SECRET);
    }));
});

describe('node --require zdx-otel/register (CommonJS application)', () => {
  it('exports the same metrics and spans', () =>
    withReceiver(async (r) => {
      const run = runApp(['--require', 'zdx-otel/register', `${APPS}register-app.cjs`], env());
      const { code } = await exited(run);
      expect(run.stderr()).toBe('');
      expect(code).toBe(0);
      expectWorkloadTelemetry(r, false);
      expect(r.spans().filter((s) => s.name === 'GET /v1/users/{userid}')).toHaveLength(2);
    }));
});

describe('shutdown', () => {
  it('SIGTERM flushes the counts of completed requests, then the process ends by the signal', () =>
    withReceiver(async (r) => {
      const run = runApp(['--import', 'zdx-otel/register', `${APPS}register-app.mjs`], env({ HOLD: '1' }));
      await run.waitFor('workload done');
      run.child.kill('SIGTERM');
      const { signal } = await exited(run);
      expect(signal).toBe('SIGTERM');
      expectWorkloadTelemetry(r, true);
    }));

  it('SIGINT likewise', () =>
    withReceiver(async (r) => {
      const run = runApp(['--import', 'zdx-otel/register', `${APPS}register-app.mjs`], env({ HOLD: '1' }));
      await run.waitFor('workload done');
      run.child.kill('SIGINT');
      const { signal } = await exited(run);
      expect(signal).toBe('SIGINT');
      expect(count(r, {})).toBe(8);
    }));

  it('a Collector that never answers does not hold the exit longer than the shutdown timeout', () =>
    withReceiver(async (r) => {
      r.mode = 'hang';
      const started = Date.now();
      const run = runApp(
        ['--import', 'zdx-otel/register', `${APPS}register-app.mjs`],
        env({ ZDX_OTEL_SHUTDOWN_TIMEOUT: '1500' }),
      );
      const { code } = await exited(run);
      expect(code).toBe(0);
      // Generous: process start-up and the workload come on top of the 1.5 s bound; without the bound the
      // exporter's own 10 s timeout would hold the process.
      expect(Date.now() - started).toBeLessThan(8_000);
    }));
});

describe('export options', () => {
  it('delta temporality when OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE asks for it (cumulative otherwise)', () =>
    withReceiver(async (r) => {
      const run = runApp(
        ['--import', 'zdx-otel/register', `${APPS}register-app.mjs`],
        env({ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta' }),
      );
      expect((await exited(run)).code).toBe(0);
      const sums = r.bodies.flatMap((b) =>
        [...b.matchAll(/"name":"zdx\.api\.requests".*?"aggregationTemporality":(\d)/g)].map((m) => m[1]),
      );
      expect(sums.length).toBeGreaterThan(0);
      expect(new Set(sums)).toEqual(new Set(['1'])); // AGGREGATION_TEMPORALITY_DELTA
      expectWorkloadTelemetry(r, true);
    }));

  it('the Prometheus pull endpoint does not keep a finished application alive', () =>
    withReceiver(async () => {
      const run = runApp(
        ['--import', 'zdx-otel/register', `${APPS}register-app.mjs`],
        env({
          OTEL_METRICS_EXPORTER: 'prometheus',
          OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
          OTEL_EXPORTER_PROMETHEUS_PORT: '0',
          OTEL_TRACES_EXPORTER: 'none',
        }),
      );
      const { code } = await exited(run, 15_000);
      expect(code).toBe(0);
      expect(run.stderr()).toBe('');
    }));
});

describe('bad configuration', () => {
  it('an occupied Prometheus port: one clear message, other exporters keep working', () =>
    withReceiver(async (r) => {
      const busy = await startZdxLikeServer();
      try {
        const run = runApp(
          ['--import', 'zdx-otel/register', `${APPS}register-app.mjs`],
          env({
            OTEL_METRICS_EXPORTER: 'otlp,prometheus',
            OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
            OTEL_EXPORTER_PROMETHEUS_PORT: String(busy.port),
          }),
        );
        expect((await exited(run)).code).toBe(0);
        expect(run.stderr()).toContain(`cannot listen on 127.0.0.1:${busy.port} (EADDRINUSE)`);
        expect(run.stderr()).toContain('OTEL_EXPORTER_PROMETHEUS_PORT');
        expect(count(r, {})).toBe(8);
      } finally {
        await busy.close();
      }
    }));

  const cases: Array<[string, string, string]> = [
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', 'http/json or http/protobuf'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url', 'http://'],
    ['OTEL_METRIC_EXPORT_INTERVAL', '-5', 'whole number'],
    ['OTEL_METRICS_EXPORTER', 'otlp,statsd', 'otlp, prometheus, console'],
    ['ZDX_OTEL_EXTRA_HOSTS', 'http://exa mple.com', 'ZDX_OTEL_EXTRA_HOSTS'],
    ['ZDX_OTEL_MAX_UNKNOWN_TEMPLATES', 'lots', 'whole number'],
    ['OTEL_TRACES_SAMPLER', 'sometimes', 'parentbased_traceidratio'],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', 'abc', 'whole number'],
    ['OTEL_METRICS_EXPORTER', ',,', 'names no exporter'],
    ['OTEL_METRIC_EXPORT_INTERVAL', '0x10', 'whole number'],
  ];
  for (const [name, value, hint] of cases) {
    it(`${name}=${value}: one clear message, and the application still runs`, () =>
      withReceiver(async () => {
        const run = runApp(['--import', 'zdx-otel/register', `${APPS}register-app.mjs`], env({ [name]: value }));
        const { code } = await exited(run);
        expect(code).toBe(0);
        expect(run.stdout()).toContain('workload done');
        const lines = run.stderr().trim().split('\n');
        expect(lines[0]).toContain(`invalid ${name}`);
        expect(lines[0]).toContain(hint);
        expect(lines[1]).toBe('zdx-otel: telemetry is disabled; the application continues.');
        expect(lines).toHaveLength(2);
      }));
  }
});

describe('OTEL_SDK_DISABLED', () => {
  it('"TRUE" disables quietly: nothing exported, nothing printed', () =>
    withReceiver(async (r) => {
      const run = runApp(
        ['--import', 'zdx-otel/register', `${APPS}register-app.mjs`],
        env({ OTEL_SDK_DISABLED: 'TRUE' }),
      );
      expect((await exited(run)).code).toBe(0);
      expect(run.stderr()).toBe('');
      expect(r.bodies).toHaveLength(0);
    }));
  it('"1" is not "true": telemetry stays on, with one line saying why', () =>
    withReceiver(async (r) => {
      const run = runApp(['--import', 'zdx-otel/register', `${APPS}register-app.mjs`], env({ OTEL_SDK_DISABLED: '1' }));
      expect((await exited(run)).code).toBe(0);
      const lines = run.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('OTEL_SDK_DISABLED="1" is neither true nor false');
      expect(count(r, {})).toBe(8);
    }));
});

describe('applications that build their own NodeSDK', () => {
  for (const file of ['sdk-app.mjs', 'sdk-app.cjs']) {
    it(`${file}: import/require('zdx-otel') adds the ZDX pieces`, () =>
      withReceiver(async (r) => {
        const run = runApp([`${APPS}${file}`], env());
        const { code } = await exited(run);
        expect(run.stderr()).toBe('');
        expect(code).toBe(0);
        expectWorkloadTelemetry(r, true);
        expect(r.spans().filter((s) => s.name === 'GET /v1/devices/{deviceid}').length).toBe(4);
        expect(r.bodies.join('\n')).not.toContain(SECRET);
      }));
  }
});
