import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedSpanRegistry } from '../../src/core/span-registry.js';
import { call, CLIENTS } from '../support/clients.js';
import { setupOtel, total, type OtelHarness } from '../support/otel.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

let zdx: TestServer;
let otel: OtelHarness;

beforeAll(async () => {
  zdx = await startZdxLikeServer();
  // Tracing on with the http/undici instrumentations, but only ZdxInstrumentation from zdx-otel: a service
  // that wants the metrics and leaves its spans as they are.
  otel = setupOtel({ zdx: { extraHosts: [zdx.hostPort] }, spanProcessor: false });
});
afterAll(async () => {
  await otel.shutdown();
  await zdx.close();
});

describe('tracing on without ZdxSpanProcessor', () => {
  it('every request is counted, and no request record is kept for spans nobody enriches', async () => {
    const n = 60;
    for (let i = 0; i < n; i++) await call(CLIENTS[i % CLIENTS.length]!, `${zdx.url}/v1/devices/${i}`);
    expect(total(await otel.points('zdx.api.requests'), { 'url.template': '/v1/devices/{deviceid}' })).toBe(n);
    // Every request had a recording CLIENT span: without the guard each would have left its record behind.
    const spans = otel.spans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(spans).toHaveLength(n);
    expect(spans.every((s) => s.attributes['zdx.status_class'] === undefined)).toBe(true);
    expect(sharedSpanRegistry().size).toBe(0);
  });
});
