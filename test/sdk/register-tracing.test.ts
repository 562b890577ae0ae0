/**
 * What the register entry traces and propagates: OTEL_PROPAGATORS names the SDK does not bundle get one line
 * (and telemetry goes on), bundled ones none; ZDX_OTEL_TRACING is validated like every other setting.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unbundledPropagatorsMessage } from '../../src/sdk/propagators.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { APPS, exited, runApp } from '../support/run-app.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

let zdx: TestServer;
let other: TestServer;
let receiver: OtlpReceiver;
beforeAll(async () => {
  zdx = await startZdxLikeServer();
  other = await startZdxLikeServer();
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await zdx?.close();
  await other?.close();
  await receiver?.close();
});

async function runRegisterApp(extra: Record<string, string>) {
  const before = receiver.spans().length;
  const run = runApp(['--import', 'zdx-otel/register', `${APPS}register-app.mjs`], {
    ZDX_URL: zdx.url,
    OTHER_URL: other.url,
    ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    ZDX_OTEL_TRACING: 'http',
    ...extra,
  });
  const { code } = await exited(run);
  expect(code).toBe(0);
  expect(run.stdout()).toContain('workload done');
  return { stderr: run.stderr(), spans: receiver.spans().slice(before) };
}

describe('OTEL_PROPAGATORS', () => {
  it('a name the SDK does not bundle: one line naming the variable, the value and what is accepted; telemetry goes on', async () => {
    const { stderr, spans } = await runRegisterApp({ OTEL_PROPAGATORS: 'xray,tracecontext' });
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('OTEL_PROPAGATORS="xray,tracecontext"');
    expect(lines[0]).toContain('"xray" is not bundled');
    expect(lines[0]).toContain('accepted: tracecontext, baggage, b3, b3multi, none');
    expect(lines[0]).toContain('Propagating with tracecontext.');
    expect(spans.filter((s) => s.name === 'GET /v1/devices/{deviceid}')).toHaveLength(4);
  });

  it('jaeger is not in the 3.x SDK: the same line, nothing propagated when it is the only name', async () => {
    const { stderr } = await runRegisterApp({ OTEL_PROPAGATORS: 'jaeger' });
    expect(stderr.trim().split('\n')).toEqual([expect.stringContaining('"jaeger" is not bundled and ignored')]);
    expect(stderr).toContain('No context is propagated.');
  });

  for (const value of ['b3', 'b3multi', 'tracecontext,baggage', 'none']) {
    it(`${value}: bundled, no message`, async () => {
      const { stderr, spans } = await runRegisterApp({ OTEL_PROPAGATORS: value });
      expect(stderr).toBe('');
      expect(spans.filter((s) => s.name === 'GET /v1/users/{userid}')).toHaveLength(2);
    });
  }

  it('checks what the started SDK built, by the header fields its propagator injects', () => {
    expect(
      unbundledPropagatorsMessage(['traceparent', 'tracestate', 'baggage'], {
        OTEL_PROPAGATORS: 'tracecontext,baggage',
      }),
    ).toBeUndefined();
    expect(
      unbundledPropagatorsMessage(['traceparent', 'tracestate'], { OTEL_PROPAGATORS: 'tracecontext,baggage' }),
    ).toContain('"baggage" is not bundled');
    expect(unbundledPropagatorsMessage(['uber-trace-id'], { OTEL_PROPAGATORS: 'jaeger' })).toBeUndefined();
    expect(unbundledPropagatorsMessage([], { OTEL_PROPAGATORS: 'ottrace, xray' })).toContain(
      '"ottrace", "xray" are not bundled',
    );
    expect(unbundledPropagatorsMessage([], {})).toBeUndefined();
  });
});

describe('ZDX_OTEL_TRACING', () => {
  it('an unknown value: one clear message, and the application still runs', async () => {
    const { stderr } = await runRegisterApp({ ZDX_OTEL_TRACING: 'everything' });
    const lines = stderr.trim().split('\n');
    expect(lines[0]).toBe('zdx-otel: invalid ZDX_OTEL_TRACING: expected all, http or zdx, got "everything"');
    expect(lines[1]).toBe('zdx-otel: telemetry is disabled; the application continues.');
  });
});

describe('SERVER spans', () => {
  it("are not made for scrapes of zdx-otel's own Prometheus endpoint", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const before = receiver.spans().length;
    const run = runApp(['--import', 'zdx-otel/register', `${APPS}register-app.mjs`], {
      ZDX_URL: zdx.url,
      OTHER_URL: other.url,
      ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      ZDX_OTEL_TRACING: 'http',
      HOLD: '1',
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
    });
    await run.waitFor('workload done');
    const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(await scrape.text()).toContain('zdx_api_requests_total');
    run.child.kill('SIGTERM');
    await exited(run);
    const spans = receiver.spans().slice(before);
    expect(spans.filter((s) => s.name === 'GET /v1/devices/{deviceid}')).toHaveLength(4);
    expect(spans.filter((s) => s.kind === 2)).toEqual([]);
  });
});
