/*
 * The part of `@opentelemetry/sdk-node`'s NodeSDK that zdx-otel's start-up uses, assembled from the SDK's own
 * packages, with the same constructor options and the same environment handling for what the caller leaves
 * open (OTEL_LOG_LEVEL, OTEL_NODE_RESOURCE_DETECTORS, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
 * OTEL_PROPAGATORS, OTEL_TRACES_SAMPLER(_ARG), span limits). It starts no logs pipeline.
 *
 * Why not NodeSDK itself: sdk-node depends on every exporter it can build, the gRPC ones included, and
 * @grpc/proto-loader brings protobufjs with an install script. As a dependency of zdx-otel that made every
 * `npm install` warn about install scripts and `pnpm add` fail. Everything imported here installs without one,
 * on the 2.x and the 3.x line.
 */
import {
  type ContextManager,
  context,
  DiagConsoleLogger,
  DiagLogLevel,
  diag,
  metrics,
  propagation,
  type TextMapPropagator,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  type Resource,
  type ResourceDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from '@opentelemetry/resources';
import { type IMetricReader, MeterProvider, type ViewOptions } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  type SpanLimits,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** NodeSDK's options that zdx-otel's start-up can use; same names and meaning as in sdk-node. */
export interface NodeSdkOptions {
  serviceName?: string;
  resource?: Resource;
  autoDetectResources?: boolean;
  resourceDetectors?: ResourceDetector[];
  instrumentations?: (Instrumentation | Instrumentation[])[];
  metricReaders?: IMetricReader[];
  views?: ViewOptions[];
  /** No tracer provider is registered when this is empty. */
  spanProcessors?: SpanProcessor[];
  sampler?: Sampler;
  spanLimits?: SpanLimits;
  /** `null`: register none. Default: from OTEL_PROPAGATORS, else W3C trace context and baggage. */
  textMapPropagator?: TextMapPropagator | null;
  /** `null`: register none. Default: AsyncLocalStorage. */
  contextManager?: ContextManager | null;
  /** Logs are not zdx-otel's business: no logs pipeline is started (an empty list says so explicitly). */
  logRecordProcessors?: [];
}

type Env = Readonly<Record<string, string | undefined>>;

export class NodeSDK {
  private tracerProvider: TracerProvider | undefined;
  private meterProvider: MeterProvider | undefined;

  constructor(
    private readonly options: NodeSdkOptions = {},
    private readonly env: Env = process.env,
  ) {}

  start(): void {
    const env = this.env;
    if (/^true$/i.test(env.OTEL_SDK_DISABLED?.trim() ?? '')) return;
    const logLevel = diagLogLevel(env.OTEL_LOG_LEVEL);
    if (logLevel !== undefined) diag.setLogger(new DiagConsoleLogger(), { logLevel });

    const { options } = this;
    if (options.contextManager !== null) {
      context.setGlobalContextManager((options.contextManager ?? new AsyncLocalStorageContextManager()).enable());
    }
    const propagator = options.textMapPropagator === undefined ? propagatorFromEnv(env) : options.textMapPropagator;
    if (propagator !== null) propagation.setGlobalPropagator(propagator);

    let resource = options.resource ?? defaultResource();
    if (options.autoDetectResources !== false) {
      resource = resource.merge(detectResources({ detectors: options.resourceDetectors ?? detectorsFromEnv(env) }));
    }
    if (options.serviceName !== undefined) {
      resource = resource.merge(resourceFromAttributes({ 'service.name': options.serviceName }));
    }

    if (options.metricReaders?.length) {
      this.meterProvider = new MeterProvider({ resource, views: options.views ?? [], readers: options.metricReaders });
      metrics.setGlobalMeterProvider(this.meterProvider);
    }
    if (options.spanProcessors?.length) {
      const sampler = options.sampler ?? samplerFromEnv(env);
      this.tracerProvider = new TracerProvider({
        resource,
        spanProcessors: options.spanProcessors,
        spanLimits: { ...spanLimitsFromEnv(env), ...options.spanLimits },
        ...(sampler ? { sampler } : {}),
      });
      trace.setGlobalTracerProvider(this.tracerProvider);
    }
    registerInstrumentations({
      instrumentations: options.instrumentations?.flat() ?? [],
      ...(this.tracerProvider ? { tracerProvider: this.tracerProvider } : {}),
      ...(this.meterProvider ? { meterProvider: this.meterProvider } : {}),
    });
  }

  async shutdown(): Promise<void> {
    await Promise.all([this.tracerProvider?.shutdown(), this.meterProvider?.shutdown()]);
  }
}

function list(value: string | undefined): string[] | undefined {
  const items = value
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items?.length ? [...new Set(items)] : undefined;
}

function diagLogLevel(value: string | undefined): DiagLogLevel | undefined {
  const name = value?.trim().toUpperCase();
  return name && name in DiagLogLevel && Number.isNaN(Number(name))
    ? DiagLogLevel[name as keyof typeof DiagLogLevel]
    : undefined;
}

const DETECTORS: Record<string, ResourceDetector> = {
  env: envDetector,
  host: hostDetector,
  os: osDetector,
  process: processDetector,
  serviceinstance: serviceInstanceIdDetector,
};

function detectorsFromEnv(env: Env): ResourceDetector[] {
  const names = list(env.OTEL_NODE_RESOURCE_DETECTORS) ?? ['all'];
  if (names.includes('none')) return [];
  if (names.includes('all')) return Object.values(DETECTORS);
  return names.flatMap((name) => {
    const detector = DETECTORS[name];
    if (!detector)
      diag.warn(`Resource detector "${name}" requested through OTEL_NODE_RESOURCE_DETECTORS is unavailable.`);
    return detector ? [detector] : [];
  });
}

const PROPAGATORS: Record<string, () => TextMapPropagator> = {
  tracecontext: () => new W3CTraceContextPropagator(),
  baggage: () => new W3CBaggagePropagator(),
  b3: () => new B3Propagator(),
  b3multi: () => new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
};

/** OTEL_PROPAGATORS as NodeSDK reads it; unknown names are skipped with a diag warning, as there. */
function propagatorFromEnv(env: Env): TextMapPropagator | null {
  const names = list(env.OTEL_PROPAGATORS) ?? ['tracecontext', 'baggage'];
  if (names.includes('none')) return null;
  const propagators = names.flatMap((name) => {
    const make = PROPAGATORS[name];
    if (!make) diag.warn(`Propagator "${name}" requested through environment variable is unavailable.`);
    return make ? [make()] : [];
  });
  if (propagators.length === 0) return null;
  return propagators.length === 1 ? propagators[0]! : new CompositePropagator({ propagators });
}

/** OTEL_TRACES_SAMPLER(_ARG); export-config.ts has already rejected names and ratios that are not valid. */
function samplerFromEnv(env: Env): Sampler | undefined {
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  const ratio = () => {
    const arg = env.OTEL_TRACES_SAMPLER_ARG?.trim();
    const n = arg ? Number(arg) : Number.NaN;
    return n >= 0 && n <= 1 ? n : 1;
  };
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      return undefined; // the SDK default, parentbased_always_on
  }
}

function spanLimitsFromEnv(env: Env): SpanLimits {
  const number = (...names: string[]) => {
    for (const name of names) {
      const raw = env[name]?.trim();
      if (raw && Number.isFinite(Number(raw))) return Number(raw);
    }
    return undefined;
  };
  const limits: SpanLimits = {
    attributeCountLimit: number('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'),
    attributeValueLengthLimit: number('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
    eventCountLimit: number('OTEL_SPAN_EVENT_COUNT_LIMIT'),
    linkCountLimit: number('OTEL_SPAN_LINK_COUNT_LIMIT'),
    attributePerEventCountLimit: number(
      'OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT',
      'OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT',
    ),
    attributePerLinkCountLimit: number('OTEL_LINK_ATTRIBUTE_COUNT_LIMIT', 'OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT'),
  };
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
}
