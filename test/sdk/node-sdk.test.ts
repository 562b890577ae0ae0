// The NodeSDK assembly zdx-otel starts (instead of @opentelemetry/sdk-node's): the same reading of the
// standard variables the start-up leaves to the SDK.
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeSDK, type NodeSdkOptions } from '../../src/sdk/node-sdk.js';

let sdk: NodeSDK | undefined;
afterEach(async () => {
  await sdk?.shutdown();
  sdk = undefined;
  for (const api of [trace, context, propagation, metrics]) api.disable();
});

function start(env: Record<string, string>, options: NodeSdkOptions = {}) {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor({ exporter });
  sdk = new NodeSDK({ spanProcessors: [processor], ...options }, env);
  sdk.start();
  // Detected resources can have asynchronous attributes: the processor exports once they have settled.
  return {
    spans: async () => {
      await processor.forceFlush();
      return exporter.getFinishedSpans();
    },
  };
}

function injected(): Record<string, string> {
  const carrier: Record<string, string> = {};
  const span = trace.getTracer('t').startSpan('s');
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  span.end();
  return carrier;
}

describe('NodeSDK (zdx-otel start-up)', () => {
  it('propagates W3C trace context and baggage by default', () => {
    start({});
    expect(Object.keys(injected())).toEqual(['traceparent']);
  });

  it('takes OTEL_PROPAGATORS: b3multi writes the B3 headers, none writes nothing', async () => {
    start({ OTEL_PROPAGATORS: 'b3multi' });
    expect(Object.keys(injected()).sort()).toEqual(['x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']);
    await sdk?.shutdown();
    for (const api of [trace, context, propagation, metrics]) api.disable();
    start({ OTEL_PROPAGATORS: 'none' });
    expect(injected()).toEqual({});
  });

  it('takes OTEL_TRACES_SAMPLER and its ratio', async () => {
    const exported = start({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    trace.getTracer('t').startSpan('dropped').end();
    expect(await exported.spans()).toHaveLength(0);
  });

  it('builds the resource with the env detector (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES); serviceName wins', async () => {
    // The resource detectors read process.env itself.
    process.env.OTEL_SERVICE_NAME = 'from-env';
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment.name=test';
    try {
      const fromEnv = start({});
      trace.getTracer('t').startSpan('s').end();
      expect((await fromEnv.spans())[0]?.resource.attributes).toMatchObject({
        'service.name': 'from-env',
        'deployment.environment.name': 'test',
      });
      const named = restart({}, { serviceName: 'from-option' });
      trace.getTracer('t').startSpan('s').end();
      expect((await named.spans())[0]?.resource.attributes['service.name']).toBe('from-option');
      const none = restart({ OTEL_NODE_RESOURCE_DETECTORS: 'none' });
      trace.getTracer('t').startSpan('s').end();
      expect((await none.spans())[0]?.resource.attributes['deployment.environment.name']).toBeUndefined();
    } finally {
      delete process.env.OTEL_SERVICE_NAME;
      delete process.env.OTEL_RESOURCE_ATTRIBUTES;
    }
  });

  it('registers no tracer provider without span processors, and nothing at all with OTEL_SDK_DISABLED', () => {
    start({}, { spanProcessors: [] });
    expect(trace.getTracer('t').startSpan('s').isRecording()).toBe(false);
    restart({ OTEL_SDK_DISABLED: 'true' });
    expect(trace.getTracer('t').startSpan('s').isRecording()).toBe(false);
  });
});

function restart(env: Record<string, string>, options: NodeSdkOptions = {}) {
  void sdk?.shutdown();
  for (const api of [trace, context, propagation, metrics]) api.disable();
  return start(env, options);
}
