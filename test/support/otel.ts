// In-process OpenTelemetry for tests: the real SDK (TracerProvider, MeterProvider, in-memory exporters),
// the real http and undici instrumentations, and zdx-otel's own pieces, wired the way a user wires them.
import { createRequire } from 'node:module';
import { syncBuiltinESMExports } from 'node:module';
import {
  context,
  DiagLogLevel,
  diag,
  metrics,
  propagation,
  trace,
  type Attributes,
  type TextMapPropagator,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type Sampler,
} from '@opentelemetry/sdk-trace';
import { ZdxInstrumentation, ZdxSpanProcessor, zdxViews, type ZdxOtelOptions } from '../../src/index.js';

/** A metric reader that only collects on demand (cumulative): tests read what the SDK holds. */
export class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface Point {
  name: string;
  attributes: Attributes;
  /** Sum for counters, last value for gauges, count for histograms. */
  value: number;
  sum?: number;
}

export interface OtelHarness {
  spans(): ReadableSpan[];
  points(name?: string): Promise<Point[]>;
  /** Everything exported so far as one string, for searching planted secrets. */
  dump(): Promise<string>;
  shutdown(): Promise<void>;
}

export interface OtelOptions {
  zdx?: ZdxOtelOptions;
  sampler?: Sampler;
  tracing?: boolean;
  /** Header names the http and undici instrumentations capture as span attributes (off by default, as in the SDK). */
  captureHeaders?: { request?: string[]; response?: string[] };
  /** The global propagator; W3C trace context by default, null for none at all. */
  propagator?: TextMapPropagator | null;
  /** Whether ZdxSpanProcessor is in the span processor chain (default true). */
  spanProcessor?: boolean;
  /** Which subscribes to the diagnostics channels first: zdx-otel (default) or the http/undici instrumentations. */
  order?: 'zdx-first' | 'instrumentations-first';
}

export function setupOtel(options: OtelOptions = {}): OtelHarness {
  const exporter = new InMemorySpanExporter();
  const tracing = options.tracing !== false;
  const tracerProvider = new TracerProvider({
    sampler: options.sampler ?? new AlwaysOnSampler(),
    spanProcessors: [
      ...(options.spanProcessor === false ? [] : [new ZdxSpanProcessor(options.zdx)]),
      new SimpleSpanProcessor({ exporter }),
    ],
  });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader], views: zdxViews(options.zdx) });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  if (options.propagator !== null)
    propagation.setGlobalPropagator(options.propagator ?? new W3CTraceContextPropagator());
  if (tracing) trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);

  const captured = options.captureHeaders;
  const headerLists = { requestHeaders: captured?.request ?? [], responseHeaders: captured?.response ?? [] };
  const httpHeaders = captured ? { headersToSpanAttributes: { client: headerLists } } : {};
  const undiciHeaders = captured ? { headersToSpanAttributes: headerLists } : {};
  // Instrumentations subscribe to the channels when constructed, so construction order is subscription order.
  const generic = () =>
    tracing
      ? // Client side only, as zdx-otel/register does: the test servers live in this process too.
        [
          new HttpInstrumentation({ disableIncomingRequestInstrumentation: true, ...httpHeaders }),
          new UndiciInstrumentation(undiciHeaders),
        ]
      : [];
  const instrumentations =
    options.order === 'instrumentations-first'
      ? [...generic(), new ZdxInstrumentation(options.zdx)]
      : [new ZdxInstrumentation(options.zdx), ...generic()];
  const unregister = registerInstrumentations({
    instrumentations,
    ...(tracing ? { tracerProvider } : {}),
    meterProvider,
  });
  // Patch the http/https builtins now (the require hook fires on require) and publish the patched functions
  // to ESM importers, as zdx-otel/register does for applications.
  const require = createRequire(import.meta.url);
  require('node:http');
  require('node:https');
  syncBuiltinESMExports();

  const collect = async (): Promise<ResourceMetrics> => (await reader.collect()).resourceMetrics;
  return {
    spans: () => exporter.getFinishedSpans(),
    async points(name) {
      const out: Point[] = [];
      for (const scope of (await collect()).scopeMetrics) {
        for (const metric of scope.metrics) {
          if (name !== undefined && metric.descriptor.name !== name) continue;
          for (const dp of metric.dataPoints) {
            if (metric.dataPointType === DataPointType.HISTOGRAM) {
              const h = dp.value as { count: number; sum?: number };
              out.push({
                name: metric.descriptor.name,
                attributes: dp.attributes,
                value: h.count,
                ...(h.sum !== undefined ? { sum: h.sum } : {}),
              });
            } else {
              out.push({ name: metric.descriptor.name, attributes: dp.attributes, value: dp.value as number });
            }
          }
        }
      }
      return out;
    },
    async dump() {
      return JSON.stringify({
        spans: exporter.getFinishedSpans().map((s) => ({
          name: s.name,
          attributes: s.attributes,
          status: s.status,
          events: s.events,
          links: s.links,
        })),
        metrics: (await collect()).scopeMetrics,
      });
    },
    async shutdown() {
      unregister();
      for (const i of instrumentations) i.disable();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      disableOtelGlobals();
    },
  };
}

/** Unregisters the global tracer and meter providers, propagator and context manager, for the next set-up. */
export function disableOtelGlobals(): void {
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
}

/** Sum of metric values whose attributes contain all of `match`. */
export function total(points: Point[], match: Attributes): number {
  return points
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((n, p) => n + p.value, 0);
}

/** Sends OpenTelemetry's diag warnings into `warnings` (and nothing else anywhere). */
export function captureDiagWarnings(warnings: string[]): void {
  const ignore = () => {};
  diag.setLogger(
    {
      error: ignore,
      info: ignore,
      debug: ignore,
      verbose: ignore,
      warn: (message: string) => void warnings.push(message),
    },
    DiagLogLevel.WARN,
  );
}
