import { ZdxConfigError } from '../core/errors.js';

/**
 * Which exporters `startZdxTelemetry()` builds, read from the standard `OTEL_*` variables and validated
 * up front, so that a typo gives one clear startup error instead of a silent fallback.
 */
export interface ExportConfig {
  readonly metricExporters: ReadonlyArray<'otlp' | 'prometheus' | 'console'>;
  readonly metricsProtocol: OtlpProtocol;
  readonly metricIntervalMillis: number;
  readonly metricTimeoutMillis: number;
  readonly prometheusHost: string;
  readonly prometheusPort: number;
  readonly traceExporters: ReadonlyArray<'otlp' | 'console'>;
  readonly tracesProtocol: OtlpProtocol;
  readonly batch: { scheduledDelayMillis?: number; exportTimeoutMillis?: number; maxQueueSize?: number; maxExportBatchSize?: number };
  readonly shutdownTimeoutMillis: number;
  /** Per-export timeout for the OTLP exporters, unless the user set OTEL_EXPORTER_OTLP_*TIMEOUT (they read it). */
  readonly otlpTimeoutMillis: number | undefined;
}

export type OtlpProtocol = 'http/json' | 'http/protobuf';

type Env = Readonly<Record<string, string | undefined>>;

const PROTOCOLS: readonly OtlpProtocol[] = ['http/json', 'http/protobuf'];
const TEMPORALITIES = ['cumulative', 'delta', 'lowmemory'];
const SAMPLERS = [
  'always_on', 'always_off', 'traceidratio',
  'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio',
];

export function exportConfigFromEnv(env: Env = process.env, shutdownTimeoutMillis?: number): ExportConfig {
  const get = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };

  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
    const value = get(name);
    if (value !== undefined && !isHttpUrl(value)) {
      throw new ZdxConfigError(name, `${JSON.stringify(value)} is not an http:// or https:// URL, e.g. http://localhost:4318`);
    }
  }
  const temporality = get('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE');
  if (temporality !== undefined && !TEMPORALITIES.includes(temporality.toLowerCase())) {
    throw new ZdxConfigError('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', `expected one of ${TEMPORALITIES.join(', ')}, got ${JSON.stringify(temporality)}`);
  }
  const sampler = get('OTEL_TRACES_SAMPLER');
  if (sampler !== undefined && !SAMPLERS.includes(sampler.toLowerCase())) {
    throw new ZdxConfigError('OTEL_TRACES_SAMPLER', `expected one of ${SAMPLERS.join(', ')}, got ${JSON.stringify(sampler)}`);
  }
  const samplerArg = get('OTEL_TRACES_SAMPLER_ARG');
  if (samplerArg !== undefined && sampler?.toLowerCase().endsWith('traceidratio')) {
    const ratio = Number(samplerArg);
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new ZdxConfigError('OTEL_TRACES_SAMPLER_ARG', `expected a sampling ratio from 0 to 1, got ${JSON.stringify(samplerArg)}`);
    }
  }

  const metricIntervalMillis = millis(get, 'OTEL_METRIC_EXPORT_INTERVAL', 60_000);
  const shutdown = shutdownTimeoutMillis ?? millis(get, 'ZDX_OTEL_SHUTDOWN_TIMEOUT', 5_000);
  const otlpTimeoutSet = ['OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT']
    .some((name) => get(name) !== undefined);
  return {
    metricExporters: exporterList(get, 'OTEL_METRICS_EXPORTER', ['otlp', 'prometheus', 'console'] as const),
    metricsProtocol: protocol(get, 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL'),
    metricIntervalMillis,
    // The SDK rejects a timeout longer than the interval; the interval is what the user chose, so clamp.
    metricTimeoutMillis: Math.min(millis(get, 'OTEL_METRIC_EXPORT_TIMEOUT', 30_000), metricIntervalMillis),
    prometheusHost: get('OTEL_EXPORTER_PROMETHEUS_HOST') ?? 'localhost',
    prometheusPort: integer(get, 'OTEL_EXPORTER_PROMETHEUS_PORT', 9464, 0, 65_535),
    traceExporters: exporterList(get, 'OTEL_TRACES_EXPORTER', ['otlp', 'console'] as const),
    tracesProtocol: protocol(get, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'),
    batch: {
      scheduledDelayMillis: optionalInteger(get, 'OTEL_BSP_SCHEDULE_DELAY', 0),
      exportTimeoutMillis: optionalInteger(get, 'OTEL_BSP_EXPORT_TIMEOUT', 1),
      maxQueueSize: optionalInteger(get, 'OTEL_BSP_MAX_QUEUE_SIZE', 1),
      maxExportBatchSize: optionalInteger(get, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 1),
    },
    shutdownTimeoutMillis: shutdown,
    // An export still in flight keeps the process alive until it times out (10 s by default), even after a
    // bounded shutdown gave up on it; capping it at the shutdown bound keeps "exit within the bound" true.
    otlpTimeoutMillis: otlpTimeoutSet ? undefined : Math.min(shutdown, 10_000),
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function exporterList<T extends string>(get: (n: string) => string | undefined, name: string, supported: readonly T[]): T[] {
  const raw = get(name);
  // Unset means the specification's default: OTLP.
  const names = raw === undefined ? ['otlp'] : raw.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  if (names.includes('none')) return [];
  for (const n of names) {
    if (!(supported as readonly string[]).includes(n)) {
      throw new ZdxConfigError(name, `${JSON.stringify(n)} is not supported; use ${[...supported, 'none'].join(', ')} (comma-separated)`);
    }
  }
  return [...new Set(names)] as T[];
}

function protocol(get: (n: string) => string | undefined, signalName: string): OtlpProtocol {
  const name = get(signalName) !== undefined ? signalName : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  // zdx-otel's default is http/json (the SDK's own default is http/protobuf); both reach any OTLP/HTTP receiver.
  const value = (get(name) ?? 'http/json').toLowerCase() as OtlpProtocol;
  if (!PROTOCOLS.includes(value)) {
    throw new ZdxConfigError(name, `${JSON.stringify(get(name))} is not supported; use http/json or http/protobuf (OTLP over gRPC is not bundled)`);
  }
  return value;
}

function millis(get: (n: string) => string | undefined, name: string, fallback: number): number {
  return integer(get, name, fallback, 1, 2_147_483_647);
}

function optionalInteger(get: (n: string) => string | undefined, name: string, min: number): number | undefined {
  return get(name) === undefined ? undefined : integer(get, name, 0, min, 2_147_483_647);
}

function integer(get: (n: string) => string | undefined, name: string, fallback: number, min: number, max: number): number {
  const raw = get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ZdxConfigError(name, `expected a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}
