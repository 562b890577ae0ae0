import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { ZdxConfigError, ZdxInstrumentation, ZdxSpanProcessor, zdxOtel, zdxViews } from '../../src/index.js';

const realEnv = process.env;
afterEach(() => {
  process.env = realEnv;
});

/** Replaces process.env with a copy that counts reads of ZDX_OTEL_* variables. */
function countingEnv(values: Record<string, string>): { reads: () => number } {
  let reads = 0;
  process.env = new Proxy(
    { ...realEnv, ...values },
    {
      get(target, key) {
        if (typeof key === 'string' && key.startsWith('ZDX_OTEL_')) reads++;
        return target[key as string];
      },
    },
  );
  return { reads: () => reads };
}

describe('zdxOtel(options): wire once', () => {
  it('returns the instrumentation, the span processor and the Views, to spread into an SDK', () => {
    const zdx = zdxOtel({ durationBuckets: [0.5, 5], cardinalityLimit: 77 });
    expect(zdx.instrumentations).toHaveLength(1);
    expect(zdx.instrumentations[0]).toBeInstanceOf(ZdxInstrumentation);
    expect(zdx.spanProcessors).toHaveLength(1);
    expect(zdx.spanProcessors[0]).toBeInstanceOf(ZdxSpanProcessor);
    expect(JSON.stringify(zdx.views)).toBe(
      JSON.stringify(zdxViews({ durationBuckets: [0.5, 5], cardinalityLimit: 77 })),
    );
    zdx.instrumentations[0]?.disable();
  });

  it('reads the environment once for all three parts (building them one by one reads it three times)', () => {
    const once = countingEnv({ ZDX_OTEL_EXTRA_HOSTS: 'gw.example.net' });
    zdxOtel().instrumentations[0]?.disable();
    const oneByOne = once.reads();

    const each = countingEnv({ ZDX_OTEL_EXTRA_HOSTS: 'gw.example.net' });
    new ZdxInstrumentation().disable();
    new ZdxSpanProcessor();
    zdxViews();
    expect(oneByOne).toBeGreaterThan(0);
    expect(each.reads()).toBe(3 * oneByOne);
  });

  it('gives every part the same resolution: a host from the environment is ZDX for the span processor too', () => {
    countingEnv({ ZDX_OTEL_EXTRA_HOSTS: 'gw.example.net' });
    const zdx = zdxOtel();
    zdx.instrumentations[0]?.disable();
    process.env = realEnv; // changed after wiring: the parts keep what they were built with
    const exporter = new InMemorySpanExporter();
    const tracer = new TracerProvider({
      spanProcessors: [...zdx.spanProcessors, new SimpleSpanProcessor({ exporter })],
    }).getTracer('t');
    tracer
      .startSpan('GET', {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': 'GET',
          'server.address': 'gw.example.net',
          'server.port': 443,
          'url.full': 'https://gw.example.net/v1/devices/9',
          'http.response.status_code': 200,
        },
      })
      .end();
    expect(exporter.getFinishedSpans()[0]?.name).toBe('GET /v1/devices/{deviceid}');
  });

  it('validates before building anything, naming the option or variable', () => {
    expect(() => zdxOtel({ cardinalityLimit: 0 })).toThrow(ZdxConfigError);
    expect(() => zdxOtel({ cardinalityLimit: 0 })).toThrow(/cardinalityLimit/);
    countingEnv({ ZDX_OTEL_DURATION_BUCKETS: '5,1' });
    expect(() => zdxOtel()).toThrow(/ZDX_OTEL_DURATION_BUCKETS/);
  });
});
