import { describe, expect, it } from 'vitest';
import { resolveOptions, DEFAULT_DURATION_BUCKETS } from '../../src/core/config.js';
import { ZdxConfigError } from '../../src/core/errors.js';
import { exportConfigFromEnv } from '../../src/sdk/export-config.js';
import { ZdxInstrumentation, ZdxSpanProcessor, zdxViews } from '../../src/index.js';

function configError(fn: () => unknown): ZdxConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ZdxConfigError);
    return error as ZdxConfigError;
  }
  throw new Error('expected a ZdxConfigError');
}

describe('resolveOptions', () => {
  it('applies defaults', () => {
    const r = resolveOptions({}, {});
    expect(r).toMatchObject({ extraHosts: [], maxUnknownTemplates: 50, cardinalityLimit: 2000, redactedQueryKeys: [] });
    expect(r.durationBuckets).toEqual(DEFAULT_DURATION_BUCKETS);
    expect(Math.max(...r.durationBuckets)).toBe(60);
  });
  it('reads ZDX_OTEL_* variables, and explicit options win over them', () => {
    const env = {
      ZDX_OTEL_EXTRA_HOSTS: 'zdx-proxy.internal:8443, http://127.0.0.1:9000/zdx-sim',
      ZDX_OTEL_MAX_UNKNOWN_TEMPLATES: '7',
      ZDX_OTEL_REDACTED_QUERY_KEYS: 'tenant,account',
      ZDX_OTEL_DURATION_BUCKETS: '0.1,1,10',
      ZDX_OTEL_CARDINALITY_LIMIT: '300',
    };
    expect(resolveOptions({}, env)).toMatchObject({
      extraHosts: ['zdx-proxy.internal:8443', 'http://127.0.0.1:9000/zdx-sim'],
      maxUnknownTemplates: 7,
      redactedQueryKeys: ['tenant', 'account'],
      durationBuckets: [0.1, 1, 10],
      cardinalityLimit: 300,
    });
    expect(resolveOptions({ maxUnknownTemplates: 3, extraHosts: [] }, env)).toMatchObject({
      maxUnknownTemplates: 3,
      extraHosts: [],
    });
  });
  it.each([
    [{ maxUnknownTemplates: -1 }, {}, 'maxUnknownTemplates'],
    [{}, { ZDX_OTEL_MAX_UNKNOWN_TEMPLATES: '2.5' }, 'ZDX_OTEL_MAX_UNKNOWN_TEMPLATES'],
    [{ cardinalityLimit: 0 }, {}, 'cardinalityLimit'],
    [{ durationBuckets: [1, 0.5] }, {}, 'durationBuckets'],
    [{}, { ZDX_OTEL_DURATION_BUCKETS: '0.1,abc' }, 'ZDX_OTEL_DURATION_BUCKETS'],
    [{ extraHosts: ['http://bad host'] }, {}, 'extraHosts'],
    [{}, { ZDX_OTEL_EXTRA_HOSTS: 'ftp://files.example.com' }, 'ZDX_OTEL_EXTRA_HOSTS'],
    [{ redactedQueryKeys: [''] }, {}, 'redactedQueryKeys'],
  ])('rejects %j / %j, naming %s', (options, env, name) => {
    const error = configError(() => resolveOptions(options as never, env));
    expect(error.option).toBe(name);
    expect(error.message).toMatch(new RegExp(`^zdx-otel: invalid ${name}: .+`));
  });
  it('is what every public constructor validates with, at construction', () => {
    expect(configError(() => new ZdxInstrumentation({ maxUnknownTemplates: 1e9 })).option).toBe('maxUnknownTemplates');
    expect(configError(() => new ZdxSpanProcessor({ extraHosts: ['a b'] })).option).toBe('extraHosts');
    expect(configError(() => zdxViews({ cardinalityLimit: -5 })).option).toBe('cardinalityLimit');
  });
});

describe('zdxViews', () => {
  it('selects only zdx-otel instruments and allows exactly the documented attributes on the gauges', () => {
    const views = zdxViews({ durationBuckets: [0.5, 5], cardinalityLimit: 123 });
    expect(views.map((v) => v.instrumentName)).toEqual([
      'zdx.api.requests',
      'zdx.api.request.duration',
      'zdx.api.rate_limit.remaining',
      'zdx.api.rate_limit.limit',
    ]);
    for (const v of views) {
      expect(v.meterName).toBe('zdx-otel');
      expect(v.aggregationCardinalityLimit).toBe(123);
    }
    // The request instruments' attribute sets are built by ZdxInstrumentation from the contract (checked in
    // cardinality.test.ts): no processor runs on every request.
    expect(views[0]!.attributesProcessors).toBeUndefined();
    expect(views[1]!.attributesProcessors).toBeUndefined();
    const allowed = views[2]!.attributesProcessors![0]!.process({
      'server.address': 'api.zdxcloud.net',
      'zdx.rate_limit.window': 'second',
      'zdx.tenant': 'acme',
      'url.full': 'x',
      'user.id': 'y',
    });
    expect(Object.keys(allowed).sort()).toEqual(['server.address', 'zdx.rate_limit.window', 'zdx.tenant']);
    expect(views[1]!.aggregation).toMatchObject({ options: { boundaries: [0.5, 5] } });
  });
});

describe('exportConfigFromEnv', () => {
  it('defaults: OTLP over http/json for metrics and traces, 60 s interval', () => {
    expect(exportConfigFromEnv({})).toMatchObject({
      metricExporters: ['otlp'],
      metricsProtocol: 'http/json',
      metricIntervalMillis: 60_000,
      metricTimeoutMillis: 30_000,
      traceExporters: ['otlp'],
      tracesProtocol: 'http/json',
      prometheusPort: 9464,
      shutdownTimeoutMillis: 5000,
      metricsOtlpTimeoutMillis: 2500,
      tracesOtlpTimeoutMillis: 2500,
    });
    // A longer OTLP timeout is capped at half the shutdown bound and half the interval, a shorter one kept.
    expect(exportConfigFromEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: '20000' }).tracesOtlpTimeoutMillis).toBe(2500);
    expect(
      exportConfigFromEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: '800', OTEL_METRIC_EXPORT_INTERVAL: '1000' }),
    ).toMatchObject({ metricsOtlpTimeoutMillis: 500, tracesOtlpTimeoutMillis: 800 });
  });
  it('honours the standard variables, signal-specific over general', () => {
    const c = exportConfigFromEnv({
      OTEL_METRICS_EXPORTER: 'otlp,prometheus',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      OTEL_METRIC_EXPORT_TIMEOUT: '5000',
      OTEL_EXPORTER_PROMETHEUS_PORT: '0',
    });
    expect(c).toMatchObject({
      metricExporters: ['otlp', 'prometheus'],
      traceExporters: [],
      metricsProtocol: 'http/protobuf',
      tracesProtocol: 'http/json',
      metricIntervalMillis: 1000,
      metricTimeoutMillis: 1000,
      prometheusPort: 0,
    });
  });
  it.each([
    ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'grpc'],
    ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', 'localhost:4318'],
    ['OTEL_METRIC_EXPORT_TIMEOUT', '0'],
    ['OTEL_TRACES_EXPORTER', 'jaeger'],
    ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', 'sometimes'],
    ['OTEL_EXPORTER_PROMETHEUS_PORT', '70000'],
    ['OTEL_BSP_MAX_QUEUE_SIZE', '-1'],
    ['ZDX_OTEL_SHUTDOWN_TIMEOUT', 'soon'],
  ])('rejects %s=%s with a message naming it', (name, value) => {
    const error = configError(() => exportConfigFromEnv({ [name]: value, OTEL_TRACES_SAMPLER: 'traceidratio' }));
    expect(error.option).toBe(name);
  });
  it('checks the shutdownTimeoutMillis option like its variable', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
      expect(configError(() => exportConfigFromEnv({}, bad)).option).toBe('shutdownTimeoutMillis');
    }
    expect(exportConfigFromEnv({}, 1000)).toMatchObject({ shutdownTimeoutMillis: 1000, metricsOtlpTimeoutMillis: 500 });
  });
  it('checks the sampler ratio', () => {
    expect(
      configError(() =>
        exportConfigFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '5' }),
      ).option,
    ).toBe('OTEL_TRACES_SAMPLER_ARG');
    expect(
      exportConfigFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' })
        .traceExporters,
    ).toEqual(['otlp']);
  });
});
