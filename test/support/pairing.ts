// The pairing of a request with its CLIENT span, checked under every kind of propagator and in both orders
// of subscription (zdx-otel before or after the http/undici instrumentations). Rate-limit attributes only
// reach a span through that pairing (the span's own attributes do not carry response headers), so they are
// what is checked; `remaining` is chosen per request, so a span paired with another request's record shows.
import http from 'node:http';
import { propagation, type TextMapPropagator, type TextMapSetter, type Context } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { SamplingDecision, type Sampler } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedSpanRegistry } from '../../src/core/span-registry.js';
import { call, CLIENTS, type ClientName } from './clients.js';
import { setupOtel, type OtelHarness } from './otel.js';
import { startZdxLikeServer, type TestServer } from './zdx-server.js';

/** A propagator that writes a header of its own and no `traceparent`, as jaeger's or xray's would. */
class CustomHeaderPropagator implements TextMapPropagator {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    setter.set(carrier, 'x-custom-trace', String(ctx === undefined ? 0 : 1));
  }
  extract(ctx: Context): Context {
    return ctx;
  }
  fields(): string[] {
    return ['x-custom-trace'];
  }
}

const PROPAGATORS: ReadonlyArray<[string, TextMapPropagator | null]> = [
  ['W3C trace context', new W3CTraceContextPropagator()],
  ['b3 (single header)', new B3Propagator()],
  ['b3multi', new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER })],
  ['a custom header', new CustomHeaderPropagator()],
  ['no propagator at all', null],
];

/** Samples exactly the requests whose URL says `sampled=1`, so sampled and unsampled requests interleave. */
const byUrl: Sampler = {
  shouldSample: (_ctx, _traceId, _name, _kind, attributes) => ({
    decision: String(attributes['url.full'] ?? '').includes('sampled=0')
      ? SamplingDecision.NOT_RECORD
      : SamplingDecision.RECORD_AND_SAMPLED,
  }),
  toString: () => 'byUrl',
};

export function pairingSuite(order: 'zdx-first' | 'instrumentations-first'): void {
  let zdx: TestServer;
  let otel: OtelHarness;
  let remaining = 100;

  beforeAll(async () => {
    zdx = await startZdxLikeServer();
    otel = setupOtel({ zdx: { extraHosts: [zdx.hostPort] }, sampler: byUrl, order });
  });
  afterAll(async () => {
    await otel.shutdown();
    await zdx.close();
  });

  const spanWith = (marker: string) => otel.spans().filter((s) => String(s.attributes['url.full']).endsWith(marker));

  async function checkOne(client: ClientName | 'node:http POST', label: string): Promise<void> {
    const n = remaining++;
    const marker = `&m=${label.replace(/\W/g, '')}-${client.replace(/\W/g, '')}-${n}`;
    const url = `${zdx.url}/v1/devices/${n}?status=429&ratelimit=1&remaining=${n}${marker}`;
    if (client === 'node:http POST') await call('node:http', url, { method: 'POST', body: JSON.stringify({ n }) });
    else await call(client, url);
    const spans = spanWith(marker);
    expect(spans, `${client}: one span`).toHaveLength(1);
    expect(spans[0]!.attributes['zdx.rate_limit.remaining'], `${client} under ${label}`).toBe(n);
    expect(spans[0]!.attributes['zdx.rate_limit.minute.remaining'], `${client} under ${label}`).toBe(7);
  }

  for (const [label, propagator] of PROPAGATORS) {
    describe(`under ${label}`, () => {
      beforeAll(() => {
        propagation.disable();
        if (propagator) propagation.setGlobalPropagator(propagator);
      });

      it('rate-limit attributes arrive on the span of every client, GET and POST with a body', async () => {
        for (const client of [...CLIENTS, 'node:http POST'] as const) await checkOne(client, label);
      });

      it('parallel keep-alive requests, sampled and not, each get their own record', async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 3 });
        const clients: ClientName[] = ['fetch', 'undici', 'node:http', 'axios'];
        const jobs = Array.from({ length: 60 }, (_, i) => {
          const n = remaining++;
          const sampled = i % 3 === 0 ? 0 : 1;
          const marker = `&m=par-${n}`;
          const client = clients[i % clients.length]!;
          return call(
            client,
            `${zdx.url}/v1/devices/${n}?remaining=${n}&delay=${(i * 7) % 20}&sampled=${sampled}${marker}`,
            { agent },
          ).then(() => ({ n, sampled, marker }));
        });
        const results = await Promise.all(jobs);
        agent.destroy();
        for (const { n, sampled, marker } of results) {
          const spans = spanWith(marker);
          expect(spans).toHaveLength(sampled);
          if (sampled) expect(spans[0]!.attributes['zdx.rate_limit.remaining'], marker).toBe(n);
        }
        expect(sharedSpanRegistry().size).toBe(0);
      });
    });
  }

  it('keeps no record for requests whose span is never sampled', async () => {
    propagation.disable();
    for (let i = 0; i < 20; i++)
      await call(i % 2 ? 'fetch' : 'node:http', `${zdx.url}/v1/devices/${i}?sampled=0&m=uns-${i}`);
    expect(sharedSpanRegistry().size).toBe(0);
  });
}
