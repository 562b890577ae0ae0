/**
 * Proves test/support/backends.ts against the real binaries with the real
 * OpenTelemetry JS SDK (no mocks):
 *   SDK -> OTLP/HTTP protobuf -> VictoriaMetrics -> PromQL
 *   SDK -> OTLP/HTTP JSON     -> VictoriaMetrics (rejected: VM only takes protobuf)
 *   SDK -> PrometheusExporter <- Prometheus scrape -> PromQL, rules, alerts
 * A missing backend makes these tests fail (never skip): run
 * `bash .ci/install-backends.sh` first.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPMetricExporter as OTLPJsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  eventually,
  freeLoopbackPort,
  locateBinary,
  startPrometheus,
  startVictoriaMetrics,
  type Prometheus,
  type Sample,
  type VictoriaMetrics,
} from '../support/backends.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the "service" does: [url.template, status code, duration seconds, how many]. */
const TRAFFIC: Array<[string, number, number, number]> = [
  ['/devices', 200, 0.04, 5],
  ['/devices', 429, 0.003, 2],
  ['/users', 200, 0.2, 3],
  ['/devices/{deviceid}/apps', 503, 1.5, 1],
];

function expectedCounts(traffic = TRAFFIC): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [tpl, code, , n] of traffic) {
    const k = `${tpl} ${code}`;
    out[k] = (out[k] ?? 0) + n;
  }
  return out;
}

function byTemplateAndCode(samples: Sample[]): Record<string, number> {
  return Object.fromEntries(
    samples.map((s) => [`${s.metric.url_template} ${s.metric.http_response_status_code}`, s.value]),
  );
}

/** The real exporter, with every export result kept so tests can assert on it. */
function recording(inner: PushMetricExporter): PushMetricExporter & { results: ExportResult[] } {
  const results: ExportResult[] = [];
  return {
    results,
    export(metrics: ResourceMetrics, cb: (r: ExportResult) => void) {
      inner.export(metrics, (r) => {
        results.push(r);
        cb(r);
      });
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    ...(inner.selectAggregationTemporality
      ? { selectAggregationTemporality: inner.selectAggregationTemporality.bind(inner) }
      : {}),
    ...(inner.selectAggregation ? { selectAggregation: inner.selectAggregation.bind(inner) } : {}),
  };
}

function makeInstruments(provider: MeterProvider) {
  const meter = provider.getMeter('zdx-otel-backends-test', '0.0.0');
  const requests = meter.createCounter('zdx.api.requests', {
    unit: '{request}',
    description: 'ZDX API requests',
  });
  const duration = meter.createHistogram('zdx.api.request.duration', {
    unit: 's',
    description: 'ZDX API request duration',
    advice: { explicitBucketBoundaries: BUCKETS },
  });
  const record = (traffic = TRAFFIC): void => {
    for (const [tpl, code, secs, n] of traffic) {
      const attrs = { 'url.template': tpl, 'http.response.status_code': code };
      for (let i = 0; i < n; i++) {
        requests.add(1, attrs);
        duration.record(secs, attrs);
      }
    }
  };
  return { record };
}

const resource = resourceFromAttributes({
  'service.name': 'zdx-otel-backends-test',
  'service.instance.id': 'test-1',
});

/** Print a backend's output when a test fails: the only clue when a binary misbehaves in CI. */
function dumpLogsOnFailure(name: string, get: () => { logs(): string } | undefined): void {
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') {
      const b = get();
      console.error(`----- ${name} output -----\n${b ? b.logs().slice(-20_000) : '(not started)'}`);
    }
  });
}

describe('backend lookup', () => {
  test('a missing backend is an error that says how to install it (tests fail, not skip)', () => {
    expect(() => locateBinary('victoria-metrics', { cacheDir: '/nonexistent', searchPath: '' })).toThrow(
      /bash \.ci\/install-backends\.sh/,
    );
    expect(() => locateBinary('prometheus', { searchPath: '' })).toThrow(/install-backends/);
    expect(() => locateBinary('alertmanager', { searchPath: '' })).toThrow(/install-backends/);
  });

  test('all backends are installed', () => {
    expect(locateBinary('victoria-metrics')).toMatch(/victoria-metrics$/);
    expect(locateBinary('prometheus')).toMatch(/prometheus$/);
    expect(locateBinary('promtool')).toMatch(/promtool$/);
    // Debian: prometheus-alertmanager; upstream: alertmanager.
    expect(locateBinary('alertmanager')).toMatch(/alertmanager$/);
    expect(locateBinary('amtool')).toMatch(/amtool$/);
  });
});

describe('VictoriaMetrics (OTLP/HTTP)', { timeout: 60_000 }, () => {
  let vm: VictoriaMetrics;

  beforeAll(async () => {
    vm = await startVictoriaMetrics();
    console.info(`[timing] victoria-metrics start-to-ready: ${vm.startupMs.toFixed(0)} ms (${vm.url})`);
  }, 40_000);
  afterAll(async () => {
    await vm?.stop();
  });
  dumpLogsOnFailure('victoria-metrics', () => vm);

  test('listens on loopback only and reports health', async () => {
    expect(vm.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(vm.otlpMetricsUrl).toBe(`${vm.url}/opentelemetry/v1/metrics`);
    const res = await fetch(`${vm.url}/health`, { signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(200);
  });

  test('OTLP protobuf counter + histogram come back with Prometheus names and exact counts', async () => {
    const exporter = recording(new OTLPProtoMetricExporter({ url: vm.otlpMetricsUrl, timeoutMillis: 5_000 }));
    // Exports are driven by forceFlush(); the long interval keeps timer exports out of the way.
    const reader = new PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: 60_000,
      exportTimeoutMillis: 10_000,
    });
    const provider = new MeterProvider({ resource, readers: [reader] });
    try {
      const { record } = makeInstruments(provider);
      record();
      await provider.forceFlush();
      expect(exporter.results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS]);

      const tIngested = performance.now();
      await vm.flush();
      const expected = expectedCounts();
      const q = 'sum by (url_template, http_response_status_code) (zdx_api_requests_total)';
      await eventually(async () => expect(byTemplateAndCode(await vm.query(q))).toEqual(expected), {
        timeoutMs: 10_000,
        intervalMs: 50,
        description: q,
      });
      console.info(
        `[timing] victoria-metrics ingest(+force_flush)-to-queryable: ${(performance.now() - tIngested).toFixed(0)} ms`,
      );

      const counts = await vm.query(
        'sum by (url_template, http_response_status_code) (zdx_api_request_duration_seconds_count)',
      );
      expect(byTemplateAndCode(counts)).toEqual(expected);

      // Buckets arrive with the explicit second-scale boundaries (cumulative, `le` labels).
      const buckets = await vm.query('sum by (le) (zdx_api_request_duration_seconds_bucket{url_template="/devices"})');
      const byLe = Object.fromEntries(buckets.map((s) => [s.metric.le, s.value]));
      expect(byLe['0.005']).toBe(2); // the two 3 ms 429s
      expect(byLe['0.05']).toBe(7); // + the five 40 ms 200s
      expect(byLe['+Inf']).toBe(7);

      const sum = await vm.query('sum(zdx_api_request_duration_seconds_sum{url_template="/users"})');
      expect(sum[0]?.value).toBeCloseTo(0.6, 9);

      // -opentelemetry.usePrometheusNaming: no dotted names, `_total` and `_seconds` suffixes added.
      const names = new Set((await vm.series('{__name__=~"zdx.*"}')).map((l) => l.__name__));
      expect([...names].sort()).toEqual([
        'zdx_api_request_duration_seconds_bucket',
        'zdx_api_request_duration_seconds_count',
        'zdx_api_request_duration_seconds_sum',
        'zdx_api_requests_total',
      ]);
      // VM turns resource attributes into labels too (no job/instance/target_info).
      const one = (await vm.query('zdx_api_requests_total{url_template="/users"}'))[0];
      expect(one?.metric).toMatchObject({ service_name: 'zdx-otel-backends-test', http_response_status_code: '200' });

      // A second (cumulative) export is visible right away too: latencyOffset=0 + force_flush.
      record([['/users', 200, 0.2, 4]]);
      await provider.forceFlush();
      const t2 = performance.now();
      await vm.flush();
      await eventually(
        async () => expect(byTemplateAndCode(await vm.query(q))).toEqual({ ...expected, '/users 200': 7 }),
        { timeoutMs: 10_000, intervalMs: 50, description: 'second export' },
      );
      console.info(`[timing] victoria-metrics 2nd export-to-queryable: ${(performance.now() - t2).toFixed(0)} ms`);
      expect(exporter.results.every((r) => r.code === ExportResultCode.SUCCESS)).toBe(true);
    } finally {
      await provider.shutdown();
    }
  });

  test('query() flushes first, so a just-pushed sample is visible within a second or two', async () => {
    const exporter = recording(new OTLPProtoMetricExporter({ url: vm.otlpMetricsUrl, timeoutMillis: 5_000 }));
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'zdx-otel-autoflush' }),
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })],
    });
    try {
      const probe = provider.getMeter('autoflush').createCounter('zdx.autoflush.probe', { unit: '{probe}' });
      for (const expected of [3, 5]) {
        probe.add(expected === 3 ? 3 : 2);
        await provider.forceFlush();
        const t0 = performance.now();
        // Without the implicit force_flush this takes ~3-10 s (measured); allow 2 s.
        await eventually(
          async () => expect((await vm.query('sum(zdx_autoflush_probe_total)'))[0]?.value).toBe(expected),
          {
            timeoutMs: 2_000,
            intervalMs: 20,
            description: `zdx_autoflush_probe_total == ${expected}`,
          },
        );
        console.info(
          `[timing] victoria-metrics export-to-queryable via query(): ${(performance.now() - t0).toFixed(0)} ms`,
        );
      }
      expect(exporter.results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS, ExportResultCode.SUCCESS]);
    } finally {
      await provider.shutdown();
    }
  });

  test('OTLP/JSON (exporter-metrics-otlp-http) is rejected: VictoriaMetrics only accepts protobuf', async () => {
    // This pins a fact the library's defaults depend on. If a newer VictoriaMetrics
    // accepts JSON, this fails: update the report/defaults, then this expectation.
    const exporter = recording(new OTLPJsonMetricExporter({ url: vm.otlpMetricsUrl, timeoutMillis: 5_000 }));
    const provider = new MeterProvider({
      resource,
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })],
    });
    try {
      provider.getMeter('json-probe').createCounter('zdx.json.probe', { unit: '{probe}' }).add(1);
      await provider.forceFlush();
    } finally {
      await provider.shutdown();
    }
    const first = exporter.results[0];
    expect(first?.code).toBe(ExportResultCode.FAILED);
    // OTLPExporterError { code: 400, data: "...json encoding isn't supported for opentelemetry format. Use protobuf encoding" }
    const err = first?.error as (Error & { code?: number; data?: string }) | undefined;
    expect(err?.code).toBe(400);
    expect(err?.data).toMatch(/json encoding isn't supported/);
    await vm.flush();
    expect(await vm.series('{__name__=~"zdx_json_probe.*"}')).toEqual([]);
  });
});

describe('Prometheus (scraping @opentelemetry/exporter-prometheus)', { timeout: 60_000 }, () => {
  let prom: Prometheus | undefined;
  let exporter: PrometheusExporter;
  let provider: MeterProvider;
  let port: number;
  let scratch: string;

  beforeAll(async () => {
    // The exporter treats port 0 as "default 9464", so pick a free port; retry on a race.
    for (let attempt = 1; ; attempt++) {
      port = await freeLoopbackPort();
      exporter = new PrometheusExporter({ host: '127.0.0.1', port, preventServerStart: true });
      try {
        await exporter.startServer();
        break;
      } catch (err) {
        await exporter.shutdown().catch(() => undefined);
        if (attempt >= 3) throw err;
      }
    }
    provider = new MeterProvider({ resource, readers: [exporter] });
    makeInstruments(provider).record();

    scratch = await mkdtemp(path.join(tmpdir(), 'zdx-backends-test-'));
    const rules = path.join(scratch, 'rules.yml');
    await writeFile(
      rules,
      [
        'groups:',
        '  - name: zdx-test',
        '    rules:',
        '      - record: url_template:zdx_api_requests:sum',
        '        expr: sum by (url_template) (zdx_api_requests_total)',
        '      - alert: ZdxTestRateLimited',
        '        expr: sum by (url_template) (zdx_api_requests_total{http_response_status_code="429"}) > 0',
        '        labels: { severity: warning }',
        '        annotations: { summary: "{{ $labels.url_template }} was rate limited" }',
        '',
      ].join('\n'),
    );
    prom = await startPrometheus({
      scrapeTargets: [{ job: 'zdx-otel-test', targets: [`127.0.0.1:${port}`] }],
      ruleFiles: [rules],
      scrapeInterval: '1s',
      evaluationInterval: '1s',
    });
    console.info(`[timing] prometheus start-to-ready: ${prom.startupMs.toFixed(0)} ms (${prom.url})`);
  }, 40_000);

  afterAll(async () => {
    await prom?.stop();
    await provider?.shutdown();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });
  dumpLogsOnFailure('prometheus', () => prom);

  test('scrapes the JS exporter and returns the exact counts', async () => {
    const p = prom!;
    expect(p.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const t0 = performance.now();
    const targets = await p.waitForTargetsUp();
    expect(targets.map((t) => t.scrapeUrl)).toEqual([`http://127.0.0.1:${port}/metrics`]);
    const q = 'sum by (url_template, http_response_status_code) (zdx_api_requests_total{job="zdx-otel-test"})';
    await eventually(async () => expect(byTemplateAndCode(await p.query(q))).toEqual(expectedCounts()), {
      timeoutMs: 10_000,
      intervalMs: 100,
      description: q,
    });
    console.info(`[timing] prometheus ready-to-first-scraped-data: ${(performance.now() - t0).toFixed(0)} ms`);
    // The JS exporter adds `_total` but no unit suffix: the histogram is zdx_api_request_duration_*.
    const count = await p.query('sum(zdx_api_request_duration_count)');
    expect(count[0]?.value).toBe(11);
  });

  test('loads rule files and reports alerts and rules', async () => {
    const p = prom!;
    const alerts = await eventually(
      async () => {
        const a = (await p.alerts()).filter((x) => x.labels.alertname === 'ZdxTestRateLimited');
        expect(a.map((x) => x.state)).toEqual(['firing']);
        return a;
      },
      { timeoutMs: 15_000, intervalMs: 200, description: 'ZdxTestRateLimited firing' },
    );
    expect(alerts[0]?.labels).toMatchObject({ url_template: '/devices', severity: 'warning' });
    expect(alerts[0]?.annotations.summary).toBe('/devices was rate limited');

    const groups = await p.rules();
    expect(groups.map((g) => g.name)).toEqual(['zdx-test']);
    expect(groups[0]?.rules.map((r) => [r.type, r.name, r.health])).toEqual([
      ['recording', 'url_template:zdx_api_requests:sum', 'ok'],
      ['alerting', 'ZdxTestRateLimited', 'ok'],
    ]);
    const recorded = await eventually(async () => {
      const r = await p.query('url_template:zdx_api_requests:sum{url_template="/devices"}');
      expect(r).toHaveLength(1);
      return r;
    });
    expect(recorded[0]?.value).toBe(7);
  });

  test('stop() kills the process and removes its temp dir', async () => {
    const p = prom!;
    const { pid, dir } = p;
    expect(pid).toBeTypeOf('number');
    await p.stop();
    prom = undefined;
    expect(() => process.kill(pid!, 0)).toThrow(/ESRCH/);
    expect(existsSync(dir)).toBe(false);
    await p.stop(); // idempotent
  });
});
