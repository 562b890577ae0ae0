import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedSpanRegistry } from '../../src/core/span-registry.js';
import { call, type ClientName } from '../support/clients.js';
import { setupOtel, total, type OtelHarness } from '../support/otel.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

let zdx: TestServer;
let otel: OtelHarness;

beforeAll(async () => {
  zdx = await startZdxLikeServer();
  otel = setupOtel({
    zdx: { extraHosts: [zdx.hostPort] },
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) }),
  });
});
afterAll(async () => {
  await otel.shutdown();
  await zdx.close();
});

describe('at 1% trace sampling', () => {
  it('every request is still counted, with its code', async () => {
    const n = 400;
    for (let i = 0; i < n; i++) {
      const client: ClientName = (['fetch', 'node:http', 'axios', 'undici'] as const)[i % 4]!;
      await call(client, `${zdx.url}/v1/devices/${i}?status=${i % 10 === 0 ? 429 : 200}`);
    }
    const points = await otel.points('zdx.api.requests');
    expect(total(points, { 'url.template': '/v1/devices/{deviceid}' })).toBe(n);
    expect(total(points, { 'http.response.status_code': 429 })).toBe(n / 10);
    const histogram = await otel.points('zdx.api.request.duration');
    expect(total(histogram, { 'url.template': '/v1/devices/{deviceid}' })).toBe(n);
    // Sampling really happened: far fewer spans than requests.
    expect(otel.spans().length).toBeLessThan(n / 4);
    // No request record is kept waiting for a span that will never reach the span processor.
    expect(sharedSpanRegistry().size).toBe(0);
  });
});
