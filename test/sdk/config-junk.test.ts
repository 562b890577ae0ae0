// Every variable zdx-otel/register reads, fed junk: each value is either accepted because it is valid, or
// refused with one line naming the variable (or, for OTEL_SDK_DISABLED, accepted as the spec says with one
// line saying so). The count of junk accepted silently must be 0. The check is the one register runs at start.
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/core/config.js';
import { ZdxConfigError } from '../../src/core/errors.js';
import { exportConfigFromEnv, sdkDisabled } from '../../src/sdk/export-config.js';
import { recordFigure } from '../support/figures.js';

type Env = Record<string, string>;
type Outcome = { outcome: 'accepted' | 'rejected' | 'warned'; line?: string };

/** What zdx-otel/register does with `env` before it starts anything. */
function startupCheck(env: Env): Outcome {
  const disabled = sdkDisabled(env);
  try {
    resolveOptions({}, env);
    exportConfigFromEnv(env);
  } catch (error) {
    if (error instanceof ZdxConfigError) return { outcome: 'rejected', line: error.message };
    throw error;
  }
  return disabled.warning ? { outcome: 'warned', line: disabled.warning } : { outcome: 'accepted' };
}

const SECRET = 'Pw-4d9e1c';
const NUMBER_JUNK = [
  'abc',
  '-5',
  '0x10',
  '1e2',
  '1.5',
  '10ms',
  'Infinity',
  'NaN',
  '+5',
  '0b1',
  '5 5',
  '99999999999',
  '٣',
];
const MILLIS_VALID = ['1', '250', '5000', '2147483647', ' 60000 '];
const ENUM_JUNK = [',,', 'foo', 'otlp;prometheus', 'o t l p', '*'];
const URL_JUNK = [
  'localhost:4318',
  'collector',
  'ftp://collector:4318',
  'http//collector',
  'http://',
  'not a url',
  `http://admin:${SECRET}@coll ector:4318`,
  `user:${SECRET}@collector:4318`,
  `collector:4318/?token=${SECRET}`,
  `grpc://admin:${SECRET}@collector:4317`,
  `https://[bad/?api_key=${SECRET}`,
];
const URL_VALID = [
  'http://localhost:4318',
  'https://otel.example.com',
  'http://127.0.0.1:4318/custom/path',
  `https://u:${SECRET}@otel.example.com`,
];
const KV_JUNK = ['novalue', '=v', `Authorization Bearer ${SECRET}`, 'a=1,b', ' =x'];
const KV_VALID = ['a=1', 'a=1,b=2', `api-key=${SECRET}`, 'a=1,,b=2', 'k=v=w'];

// variable -> [valid values, junk values]
const TABLE: Record<string, [string[], string[]]> = {
  OTEL_SERVICE_NAME: [['device-sync', 'any text at all', ''], []],
  OTEL_RESOURCE_ATTRIBUTES: [KV_VALID, KV_JUNK],
  OTEL_SDK_DISABLED: [
    ['false', 'FALSE', ''],
    ['1', 'yes', 'on', 'ture', '0'],
  ],
  OTEL_METRICS_EXPORTER: [
    ['otlp', 'prometheus', 'console', 'none', 'otlp,prometheus', 'OTLP', 'otlp,,console'],
    [...ENUM_JUNK, 'none,otlp', 'statsd'],
  ],
  OTEL_TRACES_EXPORTER: [
    ['otlp', 'console', 'none'],
    [...ENUM_JUNK, 'jaeger', 'zipkin'],
  ],
  OTEL_EXPORTER_OTLP_ENDPOINT: [URL_VALID, URL_JUNK],
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: [URL_VALID, URL_JUNK],
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: [URL_VALID, URL_JUNK],
  OTEL_EXPORTER_OTLP_PROTOCOL: [
    ['http/json', 'http/protobuf', 'HTTP/JSON'],
    ['grpc', 'http', 'json', ',,'],
  ],
  OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: [['http/protobuf'], ['grpc', 'proto']],
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: [['http/json'], ['grpc', 'thrift']],
  OTEL_EXPORTER_OTLP_HEADERS: [KV_VALID, KV_JUNK],
  OTEL_EXPORTER_OTLP_METRICS_HEADERS: [KV_VALID, KV_JUNK],
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: [KV_VALID, KV_JUNK],
  OTEL_EXPORTER_OTLP_COMPRESSION: [
    ['gzip', 'none', 'GZIP'],
    ['zip', 'brotli', 'true'],
  ],
  OTEL_EXPORTER_OTLP_TIMEOUT: [MILLIS_VALID, [...NUMBER_JUNK, '0']],
  OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: [MILLIS_VALID, [...NUMBER_JUNK, '0']],
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: [MILLIS_VALID, [...NUMBER_JUNK, '0']],
  OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: [
    ['cumulative', 'delta', 'lowmemory', 'Delta'],
    ['sometimes', 'cumulative,delta', '1'],
  ],
  OTEL_METRIC_EXPORT_INTERVAL: [MILLIS_VALID, [...NUMBER_JUNK, '0']],
  OTEL_METRIC_EXPORT_TIMEOUT: [MILLIS_VALID, [...NUMBER_JUNK, '0']],
  OTEL_EXPORTER_PROMETHEUS_HOST: [
    ['localhost', '0.0.0.0', '127.0.0.1', '::', 'metrics.internal'],
    ['exa mple', 'http://host', 'host/path'],
  ],
  OTEL_EXPORTER_PROMETHEUS_PORT: [
    ['0', '9464', '65535'],
    [...NUMBER_JUNK, '65536'],
  ],
  OTEL_TRACES_SAMPLER: [
    ['always_on', 'parentbased_traceidratio', 'ALWAYS_OFF'],
    ['sometimes', 'ratio', '0.5'],
  ],
  OTEL_TRACES_SAMPLER_ARG: [
    ['0', '0.25', '1'],
    ['abc', '1.5', '-0.1', '1e-1', '0x1', '50%'],
  ],
  OTEL_PROPAGATORS: [
    ['tracecontext', 'tracecontext,baggage', 'b3', 'none'],
    ['w3c', 'tracecontext;baggage', ',,'],
  ],
  OTEL_BSP_SCHEDULE_DELAY: [['0', '5000'], NUMBER_JUNK],
  OTEL_BSP_EXPORT_TIMEOUT: [['30000'], [...NUMBER_JUNK, '0']],
  OTEL_BSP_MAX_QUEUE_SIZE: [['2048'], [...NUMBER_JUNK, '0']],
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: [['512'], [...NUMBER_JUNK, '0']],
  OTEL_LOG_LEVEL: [
    ['error', 'WARN', 'debug', 'none', 'all'],
    ['loud', '3', 'warning'],
  ],
  ZDX_OTEL_EXTRA_HOSTS: [
    ['zdx-proxy.internal:8443', 'a.example.com,b.example.com', 'https://gw.example.com/zdx'],
    [',,', 'http://exa mple.com', `ftp://u:${SECRET}@host`],
  ],
  ZDX_OTEL_MAX_UNKNOWN_TEMPLATES: [
    ['0', '50', '10000'],
    [...NUMBER_JUNK, '10001'],
  ],
  ZDX_OTEL_REDACTED_QUERY_KEYS: [
    ['tenant', 'tenant,account'],
    [',,', 'a b', 'k=v'],
  ],
  ZDX_OTEL_DURATION_BUCKETS: [
    ['0.1,1,10', '5'],
    ['abc', '0x10', '1e2', '1,0.5', '-1,1', ',,', '0'],
  ],
  ZDX_OTEL_CARDINALITY_LIMIT: [
    ['1', '2000'],
    [...NUMBER_JUNK, '0'],
  ],
  ZDX_OTEL_SHUTDOWN_TIMEOUT: [
    ['1', '5000'],
    [...NUMBER_JUNK, '0'],
  ],
};

// A valid ratio sampler, so OTEL_TRACES_SAMPLER_ARG values are read in context.
const base = (name: string): Env =>
  name === 'OTEL_TRACES_SAMPLER_ARG' ? { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio' } : {};

describe('junk values for every variable zdx-otel/register reads', () => {
  const silentlyAccepted: string[] = [];
  for (const [name, [valid, junk]] of Object.entries(TABLE)) {
    it(`${name}: ${valid.length} valid values accepted, ${junk.length} junk values refused with one line naming it`, () => {
      for (const value of valid) {
        expect(startupCheck({ ...base(name), [name]: value }), `${name}=${JSON.stringify(value)}`).toEqual({
          outcome: 'accepted',
        });
      }
      let rejected = 0;
      let warned = 0;
      for (const value of junk) {
        const result = startupCheck({ ...base(name), [name]: value });
        if (result.outcome === 'accepted') silentlyAccepted.push(`${name}=${JSON.stringify(value)}`);
        expect(result.outcome, `${name}=${JSON.stringify(value)} was accepted silently`).not.toBe('accepted');
        expect(result.line).toContain(name);
        expect(result.line).not.toContain('\n');
        expect(result.line).not.toContain(SECRET);
        if (result.outcome === 'rejected') rejected++;
        else warned++;
      }
      recordFigure('config-junk', {
        variable: name,
        valid: valid.length,
        junk: junk.length,
        rejected,
        warned,
        silentlyAccepted: junk.length - rejected - warned,
      });
    });
  }
  it('no junk value was accepted silently', () => expect(silentlyAccepted).toEqual([]));
});

describe('the cases the issue names', () => {
  it('OTEL_EXPORTER_OTLP_TIMEOUT=abc is refused instead of dropping the cap', () => {
    expect(startupCheck({ OTEL_EXPORTER_OTLP_TIMEOUT: 'abc' }).line).toContain(
      'invalid OTEL_EXPORTER_OTLP_TIMEOUT: expected a whole number',
    );
    // and a valid one is still capped below the shutdown bound
    expect(exportConfigFromEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: '30000' }).metricsOtlpTimeoutMillis).toBe(2500);
  });
  it('OTEL_METRICS_EXPORTER=",," is refused; only "none" turns metrics off', () => {
    expect(startupCheck({ OTEL_METRICS_EXPORTER: ',,' }).line).toContain(
      'invalid OTEL_METRICS_EXPORTER: names no exporter',
    );
    expect(exportConfigFromEnv({ OTEL_METRICS_EXPORTER: 'none' }).metricExporters).toEqual([]);
  });
  it('OTEL_SDK_DISABLED: only "true" (any case) disables; other values keep telemetry on and say so', () => {
    expect(sdkDisabled({ OTEL_SDK_DISABLED: 'TRUE' })).toEqual({ disabled: true });
    expect(sdkDisabled({ OTEL_SDK_DISABLED: 'false' })).toEqual({ disabled: false });
    const one = sdkDisabled({ OTEL_SDK_DISABLED: '1' });
    expect(one.disabled).toBe(false);
    expect(one.warning).toContain('OTEL_SDK_DISABLED="1" is neither true nor false');
  });
  it('0x10 and 1e2 are not whole numbers', () => {
    for (const name of [
      'OTEL_METRIC_EXPORT_INTERVAL',
      'ZDX_OTEL_MAX_UNKNOWN_TEMPLATES',
      'ZDX_OTEL_CARDINALITY_LIMIT',
    ]) {
      for (const value of ['0x10', '1e2'])
        expect(startupCheck({ [name]: value }).outcome, `${name}=${value}`).toBe('rejected');
    }
  });
});
