/**
 * A real web service (Fastify) under `node --import zdx-otel/register`, called with a W3C traceparent: its
 * traces stay whole (the caller's parent -> the SERVER span -> tagged ZDX CLIENT spans), with and without
 * @opentelemetry/auto-instrumentations-node installed, and never with two spans for one call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { APPS, exited, runApp } from '../support/run-app.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';
const SERVER = 2;
const CLIENT = 3;
const AUTO_REGISTER = '@opentelemetry/auto-instrumentations-node/register';
// auto-instrumentations-node's register exports spans itself: JSON for the test receiver, quickly, and no
// cloud resource detectors probing metadata servers.
const AUTO_REGISTER_ENV = {
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_BSP_SCHEDULE_DELAY: '100',
  OTEL_NODE_RESOURCE_DETECTORS: 'env',
};

let zdx: TestServer;
let other: TestServer;
beforeAll(async () => {
  zdx = await startZdxLikeServer();
  other = await startZdxLikeServer();
});
afterAll(async () => {
  await zdx?.close();
  await other?.close();
});

/**
 * Starts the service with `args` before the app, calls it once with a traceparent, stops it with SIGTERM (or,
 * with `kill`, waits for a batch export and kills it: auto-instrumentations-node's register keeps a process
 * alive on SIGTERM).
 */
async function callService(
  receiver: OtlpReceiver,
  env: Record<string, string>,
  args = ['--import', 'zdx-otel/register'],
  kill = false,
) {
  const run = runApp([...args, `${APPS}fastify-app.mjs`], {
    ZDX_URL: zdx.url,
    OTHER_URL: other.url,
    ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: 'fastify-service',
    ...env,
  });
  await run.waitFor('listening');
  const url = /listening (\S+)/.exec(run.stdout())![1];
  const response = await fetch(`${url}/devices/42`, { headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` } });
  expect(await response.json()).toEqual({ fetch: 200, http: 200, other: 200 });
  if (kill) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    run.child.kill('SIGKILL');
    await exited(run);
    return run;
  }
  run.child.kill('SIGTERM');
  const { signal } = await exited(run);
  expect(signal).toBe('SIGTERM');
  return run;
}

const zdxClientSpans = (spans: ReceivedSpan[]) =>
  spans.filter((s) => s.kind === CLIENT && s.attributes['url.template'] !== undefined);

function expectOneTrace(spans: ReceivedSpan[]) {
  const servers = spans.filter((s) => s.kind === SERVER);
  expect(servers).toHaveLength(1);
  const server = servers[0]!;
  expect(server.traceId).toBe(TRACE_ID);
  expect(server.parentSpanId).toBe(CALLER_SPAN);
  expect(server.attributes['http.route'] ?? server.attributes['url.path']).toMatch(/^\/devices\//);

  const zdxSpans = zdxClientSpans(spans);
  expect(zdxSpans.map((s) => s.name).sort()).toEqual(['GET /v1/devices/{deviceid}', 'GET /v1/users/{userid}']);
  for (const span of zdxSpans) {
    expect(span.traceId).toBe(TRACE_ID);
    expect(span.parentSpanId).toBe(server.spanId);
    expect(span.attributes['zdx.status_class']).toBe('2xx');
  }
  // The fetch call's rate-limit headers reach its span.
  expect(
    zdxSpans.find((s) => s.name === 'GET /v1/devices/{deviceid}')?.attributes['zdx.rate_limit.limit'],
  ).toBeDefined();
  return server;
}

describe('a Fastify service under node --import zdx-otel/register', () => {
  it("keeps the caller's trace: parent -> SERVER span -> tagged ZDX CLIENT spans, one span per call", async () => {
    const receiver = await startOtlpReceiver();
    try {
      const run = await callService(receiver, { ZDX_OTEL_TRACING: 'http' });
      expect(run.stderr()).toBe('');
      const spans = receiver.spans();
      const server = expectOneTrace(spans);
      // Non-ZDX calls are traced as in any OpenTelemetry set-up, in the same trace, untagged.
      const others = spans.filter((s) => s.kind === CLIENT && s.attributes['url.template'] === undefined);
      expect(others).toHaveLength(1);
      expect(others[0]!.parentSpanId).toBe(server.spanId);
      expect(spans.filter((s) => s.kind === CLIENT)).toHaveLength(3);
    } finally {
      await receiver.close();
    }
  });

  it('with ZDX_OTEL_TRACING=zdx traces only the ZDX calls', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const run = await callService(receiver, { ZDX_OTEL_TRACING: 'zdx' });
      expect(run.stderr()).toBe('');
      const spans = receiver.spans();
      expect(spans.filter((s) => s.kind === SERVER)).toHaveLength(0);
      expect(
        zdxClientSpans(spans)
          .map((s) => s.name)
          .sort(),
      ).toEqual(['GET /v1/devices/{deviceid}', 'GET /v1/users/{userid}']);
      expect(spans).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  });

  it('with @opentelemetry/auto-instrumentations-node installed keeps its spans too, without duplicates', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const run = await callService(receiver, {});
      expect(run.stderr()).toBe('');
      const spans = receiver.spans();
      expectOneTrace(spans);
      // Exactly one span per outgoing call: zdx-otel's http and undici instrumentations, not a second copy.
      const httpScopes = ['@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-undici'];
      expect(spans.filter((s) => s.kind === CLIENT && httpScopes.includes(s.scope ?? ''))).toHaveLength(3);
      // auto-instrumentations-node's own instrumentations ran too (Fastify's listen() resolves its host).
      expect(spans.some((s) => s.scope === '@opentelemetry/instrumentation-dns')).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it('honours OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS as auto-instrumentations-node does', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const run = await callService(receiver, {
        OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,dns,net',
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'dns',
      });
      expect(run.stderr()).toBe('');
      const scopes = new Set(receiver.spans().map((s) => s.scope));
      expect(scopes.has('@opentelemetry/instrumentation-http')).toBe(true);
      expect(scopes.has('@opentelemetry/instrumentation-undici')).toBe(false);
      expect(scopes.has('@opentelemetry/instrumentation-dns')).toBe(false);
      expect(zdxClientSpans(receiver.spans()).map((s) => s.name)).toEqual(['GET /v1/users/{userid}']);
    } finally {
      await receiver.close();
    }
  });

  it('after @opentelemetry/auto-instrumentations-node/register says in one line that another SDK runs, and starts nothing', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const run = await callService(
        receiver,
        AUTO_REGISTER_ENV,
        ['--import', AUTO_REGISTER, '--import', 'zdx-otel/register'],
        true,
      );
      const lines = run
        .stderr()
        .split('\n')
        .filter((line) => line.startsWith('zdx-otel'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /another OpenTelemetry SDK is already registered .*TracerProvider.* use zdx-otel\/register alone/,
      );
      // Nothing of zdx-otel's started: the other SDK's spans arrive untouched, none tagged.
      expect(receiver.spans().length).toBeGreaterThan(0);
      expect(zdxClientSpans(receiver.spans())).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });

  it('before @opentelemetry/auto-instrumentations-node/register says in one line that a second SDK started', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const run = await callService(
        receiver,
        AUTO_REGISTER_ENV,
        ['--import', 'zdx-otel/register', '--import', AUTO_REGISTER],
        true,
      );
      const lines = run
        .stderr()
        .split('\n')
        .filter((line) => line.startsWith('zdx-otel'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/another OpenTelemetry SDK started after zdx-otel .* remove it/);
    } finally {
      await receiver.close();
    }
  });
});
