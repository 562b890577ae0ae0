import { createRequire } from 'node:module';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZdxInstrumentation, ZdxSpanProcessor, zdxViews } from '../../src/index.js';
import { call } from '../support/clients.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { disableOtelGlobals, TestReader } from '../support/otel.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

// The issue as reported: ZDX_OTEL_EXTRA_HOSTS=127.0.0.1 with the Collector on 127.0.0.1. Real OTLP/HTTP
// exporters send metrics and spans to a loopback receiver on a host zdx-otel treats as ZDX.
let zdx: TestServer;
let receiver: OtlpReceiver;
let meterProvider: MeterProvider;
let tracerProvider: TracerProvider;
let reader: TestReader;
let unregister: () => void;

beforeAll(async () => {
  zdx = await startZdxLikeServer();
  receiver = await startOtlpReceiver();
  const options = { extraHosts: ['127.0.0.1'] };
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  reader = new TestReader();
  meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${receiver.url}/v1/metrics` }),
        exportIntervalMillis: 60_000,
      }),
      reader,
    ],
    views: zdxViews(options),
  });
  tracerProvider = new TracerProvider({
    spanProcessors: [
      new ZdxSpanProcessor(options),
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` }),
        scheduledDelayMillis: 10,
      }),
    ],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  trace.setGlobalTracerProvider(tracerProvider);
  unregister = registerInstrumentations({
    instrumentations: [
      new ZdxInstrumentation(options),
      new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
      new UndiciInstrumentation(),
    ],
    meterProvider,
    tracerProvider,
  });
  createRequire(import.meta.url)('node:http');
});
afterAll(async () => {
  unregister();
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
  disableOtelGlobals();
  await receiver.close();
  await zdx.close();
});

describe('the telemetry pipeline’s own requests', () => {
  it('are never counted as ZDX calls, even to a host in extraHosts', async () => {
    for (const client of ['fetch', 'node:http', 'undici'] as const) await call(client, `${zdx.url}/v1/devices/1`);
    // Several real exports of spans and metrics, each an HTTP POST to 127.0.0.1.
    for (let i = 0; i < 3; i++) {
      await tracerProvider.forceFlush();
      await meterProvider.forceFlush();
    }
    expect(receiver.points().length).toBeGreaterThan(0);
    expect(receiver.spans().length).toBeGreaterThan(0);

    const { resourceMetrics } = await reader.collect();
    const points = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .filter((m) => m.descriptor.name === 'zdx.api.requests')
      .flatMap((m) => m.dataPoints as Array<{ attributes: Record<string, unknown>; value: unknown }>);
    const templates = points.map((p) => p.attributes['url.template']);
    expect(templates).toEqual(['/v1/devices/{deviceid}']);
    expect(points.reduce((n, p) => n + (p.value as number), 0)).toBe(3);
  });
});
