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
  readonly batch: {
    scheduledDelayMillis?: number;
    exportTimeoutMillis?: number;
    maxQueueSize?: number;
    maxExportBatchSize?: number;
  };
  readonly shutdownTimeoutMillis: number;
  /** Per-export timeout of the OTLP metric exporter, retries included (see `otlpTimeout`). */
  readonly metricsOtlpTimeoutMillis: number;
  /** Per-export timeout of the OTLP span exporter, retries included. */
  readonly tracesOtlpTimeoutMillis: number;
}

export type OtlpProtocol = 'http/json' | 'http/protobuf';

type Env = Readonly<Record<string, string | undefined>>;

const PROTOCOLS: readonly OtlpProtocol[] = ['http/json', 'http/protobuf'];
const TEMPORALITIES = ['cumulative', 'delta', 'lowmemory'];
const COMPRESSIONS = ['gzip', 'none'];
const LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'];
const PROPAGATORS = ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger', 'xray', 'ottrace', 'none'];
/** Plain decimal digits: `Number()` would also take `0x10`, `1e2`, `0b1` and ` 5 `. */
const WHOLE = /^\d+$/;
const DECIMAL = /^\d+(\.\d+)?$/;
const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

export function exportConfigFromEnv(env: Env = process.env, shutdownTimeoutMillis?: number): ExportConfig {
  const get = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };

  for (const name of [
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  ]) {
    const value = get(name);
    // The value is never echoed: endpoints carry user:password or a token in the query often enough.
    if (value !== undefined && !isHttpUrl(value)) {
      throw new ZdxConfigError(
        name,
        'expected an http:// or https:// URL such as http://localhost:4318 ' +
          '(the value is not shown, as it may hold credentials)',
      );
    }
  }
  for (const name of [
    'OTEL_EXPORTER_OTLP_HEADERS',
    'OTEL_EXPORTER_OTLP_METRICS_HEADERS',
    'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  ]) {
    const bad = badKeyValueEntry(get(name));
    if (bad !== undefined) {
      throw new ZdxConfigError(
        name,
        `entry ${bad} is not key=value; expected e.g. "api-key=...,x-tenant=..." (values are not shown)`,
      );
    }
  }
  const badAttribute = badKeyValueEntry(get('OTEL_RESOURCE_ATTRIBUTES'));
  if (badAttribute !== undefined) {
    throw new ZdxConfigError(
      'OTEL_RESOURCE_ATTRIBUTES',
      `entry ${badAttribute} is not key=value; expected e.g. "deployment.environment=prod,team=it"`,
    );
  }
  for (const name of [
    'OTEL_EXPORTER_OTLP_COMPRESSION',
    'OTEL_EXPORTER_OTLP_METRICS_COMPRESSION',
    'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION',
  ]) {
    oneOf(get, name, COMPRESSIONS);
  }
  oneOf(get, 'OTEL_LOG_LEVEL', LOG_LEVELS);
  const propagators = get('OTEL_PROPAGATORS');
  for (const p of propagators === undefined ? [] : propagators.split(',').map((s) => s.trim().toLowerCase())) {
    if (!PROPAGATORS.includes(p)) {
      throw new ZdxConfigError(
        'OTEL_PROPAGATORS',
        `${JSON.stringify(p)} is not supported; use ${PROPAGATORS.join(', ')} (comma-separated)`,
      );
    }
  }
  const prometheusHost = get('OTEL_EXPORTER_PROMETHEUS_HOST');
  if (prometheusHost !== undefined && !/^[\w.:[\]-]+$/.test(prometheusHost)) {
    throw new ZdxConfigError(
      'OTEL_EXPORTER_PROMETHEUS_HOST',
      `expected a host name or IP address such as 0.0.0.0, got ${JSON.stringify(prometheusHost)}`,
    );
  }
  oneOf(get, 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', TEMPORALITIES);
  oneOf(get, 'OTEL_TRACES_SAMPLER', SAMPLERS);
  const samplerArg = get('OTEL_TRACES_SAMPLER_ARG');
  if (samplerArg !== undefined) {
    // Checked whatever the sampler: only the ratio samplers read it, but junk is junk either way.
    const ratio = DECIMAL.test(samplerArg) ? Number(samplerArg) : NaN;
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new ZdxConfigError(
        'OTEL_TRACES_SAMPLER_ARG',
        `expected a sampling ratio from 0 to 1, got ${JSON.stringify(samplerArg)}`,
      );
    }
  }

  const metricIntervalMillis = millis(get, 'OTEL_METRIC_EXPORT_INTERVAL', 60_000);
  if (
    shutdownTimeoutMillis !== undefined &&
    !(Number.isInteger(shutdownTimeoutMillis) && shutdownTimeoutMillis >= 1 && shutdownTimeoutMillis <= 2_147_483_647)
  ) {
    throw new ZdxConfigError(
      'shutdownTimeoutMillis',
      `expected a whole number of milliseconds from 1 to 2147483647, got ${String(shutdownTimeoutMillis)}`,
    );
  }
  const shutdown = shutdownTimeoutMillis ?? millis(get, 'ZDX_OTEL_SHUTDOWN_TIMEOUT', 5_000);
  const otlpTimeout = millis(get, 'OTEL_EXPORTER_OTLP_TIMEOUT', 10_000);
  const metricsOtlpTimeout = millis(get, 'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', otlpTimeout);
  const tracesOtlpTimeout = millis(get, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', otlpTimeout);
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
    // The OTLP exporter's retry timers (backoff, Retry-After) are not unref'd: they keep the process alive for
    // up to this timeout after each export starts. Below half the interval, one export's retries end before the
    // next export starts, so the event loop can drain and 'beforeExit' fires; below half the shutdown bound, the
    // last export plus the final flush fit in the bound. Hence the cap, whatever the variables say.
    metricsOtlpTimeoutMillis: cappedTimeout(metricsOtlpTimeout, shutdown, metricIntervalMillis),
    tracesOtlpTimeoutMillis: cappedTimeout(tracesOtlpTimeout, shutdown),
  };
}

function cappedTimeout(requested: number, shutdown: number, interval = Infinity): number {
  return Math.max(1, Math.min(requested, Math.floor(shutdown / 2), Math.floor(interval / 2)));
}

/** The 1-based index of the first entry of a `k=v,k=v` list that has no key or no `=` (empty entries are skipped). */
function badKeyValueEntry(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const index = raw.split(',').findIndex((entry) => entry.trim() !== '' && !/^\s*[^=\s][^=]*=/.test(entry));
  return index === -1 ? undefined : index + 1;
}

function oneOf(get: (n: string) => string | undefined, name: string, allowed: readonly string[]): string | undefined {
  const value = get(name)?.toLowerCase();
  if (value !== undefined && !allowed.includes(value)) {
    throw new ZdxConfigError(name, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(get(name))}`);
  }
  return value;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function exporterList<T extends string>(
  get: (n: string) => string | undefined,
  name: string,
  supported: readonly T[],
): T[] {
  const raw = get(name);
  // Unset means the specification's default: OTLP.
  const names =
    raw === undefined
      ? ['otlp']
      : raw
          .split(',')
          .map((s) => s.trim().toLowerCase())
          .filter((s) => s !== '');
  // ",," names no exporter at all: turning the signal off takes an explicit "none".
  if (names.length === 0) {
    throw new ZdxConfigError(name, `names no exporter; use ${[...supported, 'none'].join(', ')} (comma-separated)`);
  }
  if (names.includes('none')) {
    if (names.length > 1)
      throw new ZdxConfigError(name, `"none" cannot be combined with other exporters, got ${JSON.stringify(raw)}`);
    return [];
  }
  for (const n of names) {
    if (!(supported as readonly string[]).includes(n)) {
      throw new ZdxConfigError(
        name,
        `${JSON.stringify(n)} is not supported; use ${[...supported, 'none'].join(', ')} (comma-separated)`,
      );
    }
  }
  return [...new Set(names)] as T[];
}

function protocol(get: (n: string) => string | undefined, signalName: string): OtlpProtocol {
  const name = get(signalName) !== undefined ? signalName : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  // zdx-otel's default is http/json (the SDK's own default is http/protobuf); both reach any OTLP/HTTP receiver.
  const value = (get(name) ?? 'http/json').toLowerCase() as OtlpProtocol;
  if (!PROTOCOLS.includes(value)) {
    throw new ZdxConfigError(
      name,
      `${JSON.stringify(get(name))} is not supported; use http/json or http/protobuf (OTLP over gRPC is not bundled)`,
    );
  }
  return value;
}

function millis(get: (n: string) => string | undefined, name: string, fallback: number): number {
  return integer(get, name, fallback, 1, 2_147_483_647);
}

function optionalInteger(get: (n: string) => string | undefined, name: string, min: number): number | undefined {
  return get(name) === undefined ? undefined : integer(get, name, 0, min, 2_147_483_647);
}

function integer(
  get: (n: string) => string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = get(name);
  if (raw === undefined) return fallback;
  const n = WHOLE.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ZdxConfigError(name, `expected a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/**
 * `OTEL_SDK_DISABLED` as the specification reads it: only `true` (any case) disables; unset, empty and `false`
 * keep telemetry on; any other value (`1`, `yes`) also keeps it on, with a warning saying so.
 */
export function sdkDisabled(env: Env = process.env): { disabled: boolean; warning?: string } {
  const value = env.OTEL_SDK_DISABLED?.trim() ?? '';
  if (/^true$/i.test(value)) return { disabled: true };
  if (value === '' || /^false$/i.test(value)) return { disabled: false };
  return {
    disabled: false,
    warning:
      `zdx-otel: OTEL_SDK_DISABLED=${JSON.stringify(value)} is neither true nor false; as the OpenTelemetry ` +
      'specification requires, only "true" disables, so telemetry stays on. Set OTEL_SDK_DISABLED=true to turn it off.',
  };
}
