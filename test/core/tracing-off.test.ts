import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, CLIENTS } from '../support/clients.js';
import { setupOtel, total, type OtelHarness } from '../support/otel.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

let zdx: TestServer;
let otel: OtelHarness;

beforeAll(async () => {
  zdx = await startZdxLikeServer();
  // No tracer provider and no http/undici instrumentation at all: only ZdxInstrumentation and metrics.
  otel = setupOtel({ zdx: { extraHosts: [zdx.hostPort] }, tracing: false });
});
afterAll(async () => {
  await otel.shutdown();
  await zdx.close();
});

describe('with tracing off', () => {
  it('every client call is counted and timed', async () => {
    for (const client of CLIENTS) {
      for (const status of [200, 401, 403, 429, 500]) await call(client, `${zdx.url}/zdx/v1/alerts/ongoing?status=${status}`);
    }
    const points = await otel.points('zdx.api.requests');
    expect(total(points, { 'url.template': '/v1/alerts/ongoing' })).toBe(CLIENTS.length * 5);
    for (const status of [401, 403, 429, 500]) {
      expect(total(points, { 'http.response.status_code': status, 'error.type': String(status) })).toBe(CLIENTS.length);
    }
    expect(otel.spans()).toHaveLength(0);
    const durations = await otel.points('zdx.api.request.duration');
    expect(total(durations, { 'url.template': '/v1/alerts/ongoing' })).toBe(CLIENTS.length * 5);
    expect(durations.every((p) => (p.sum ?? 0) > 0)).toBe(true);
  });
});
