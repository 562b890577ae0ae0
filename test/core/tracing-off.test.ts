import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, CLIENTS } from '../support/clients.js';
import { setupOtel, total, type OtelHarness } from '../support/otel.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import { APPS, exited, runApp } from '../support/run-app.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

let zdx: TestServer;

beforeAll(async () => {
  zdx = await startZdxLikeServer();
});
afterAll(async () => {
  await zdx.close();
});

describe('with tracing off', () => {
  it('every client call is counted and timed without any tracer provider', async () => {
    // No tracer provider and no http/undici instrumentation at all: only ZdxInstrumentation and metrics.
    const otel: OtelHarness = setupOtel({ zdx: { extraHosts: [zdx.hostPort] }, tracing: false });
    try {
      for (const client of CLIENTS) {
        for (const status of [200, 401, 403, 429, 500])
          await call(client, `${zdx.url}/zdx/v1/alerts/ongoing?status=${status}`);
      }
      const points = await otel.points('zdx.api.requests');
      expect(total(points, { 'url.template': '/v1/alerts/ongoing' })).toBe(CLIENTS.length * 5);
      for (const status of [401, 403, 429, 500]) {
        expect(total(points, { 'http.response.status_code': status, 'error.type': String(status) })).toBe(
          CLIENTS.length,
        );
      }
      const durations = await otel.points('zdx.api.request.duration');
      expect(total(durations, { 'url.template': '/v1/alerts/ongoing' })).toBe(CLIENTS.length * 5);
      expect(durations.every((p) => (p.sum ?? 0) > 0)).toBe(true);
    } finally {
      await otel.shutdown();
    }
  });

  // OTEL_TRACES_EXPORTER=none must start no span machinery at all (README: "also skips the http/undici
  // instrumentations"). Zero exported spans alone would prove nothing (no exporter, no spans), so the app
  // reports whether node:http is wrapped, and the ZDX-like server counts the traceparent headers an
  // instrumentation injects. The control run (tracing on) shows the same checks do see both.
  for (const tracing of [false, true]) {
    it(`zdx-otel/register with OTEL_TRACES_EXPORTER=${tracing ? 'otlp (control)' : 'none'}: ${tracing ? 'spans and traceparent' : 'no span, no traceparent, exact counts'}`, async () => {
      const receiver = await startOtlpReceiver();
      try {
        zdx.traced = 0;
        zdx.requests = 0;
        const run = runApp(['--import', 'zdx-otel/register', `${APPS}exit-app.mjs`], {
          ZDX_URL: zdx.url,
          ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
          RUN_MS: '300',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_TRACES_EXPORTER: tracing ? 'otlp' : 'none',
        });
        expect((await exited(run)).code).toBe(0);
        const sent = Number(/sent (\d+)/.exec(run.stdout())![1]);
        expect(sent).toBeGreaterThan(0);
        expect(receiver.latest('zdx.api.requests').reduce((n, p) => n + p.value, 0)).toBe(sent);
        expect(run.stdout()).toContain(`http patched ${tracing}`);
        if (tracing) {
          expect(zdx.traced).toBe(sent);
          expect(receiver.spans().length).toBeGreaterThanOrEqual(sent);
        } else {
          expect(zdx.traced).toBe(0);
          expect(receiver.spans()).toHaveLength(0);
        }
      } finally {
        await receiver.close();
      }
    });
  }
});
