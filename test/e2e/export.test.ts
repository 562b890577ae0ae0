import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  freeLoopbackPort,
  startPrometheus,
  startVictoriaMetrics,
  type Sample,
} from '../support/backends.js';
import { APPS, exited, runApp } from '../support/run-app.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

// The register-app workload, as (url_template, status) -> count, and its total.
const EXPECTED: Array<[string, string, number]> = [
  ['/v1/oauth/token', '200', 1],
  ['/v1/devices/{deviceid}', '200', 3],
  ['/v1/devices/{deviceid}', '429', 1],
  ['/v1/users/{userid}', '503', 2],
  ['/v1/apps', '404', 1],
];
const TOTAL = EXPECTED.reduce((n, [, , c]) => n + c, 0);

let zdx: TestServer;
beforeAll(async () => {
  zdx = await startZdxLikeServer();
});
afterAll(async () => {
  await zdx.close();
});

const baseEnv = () => ({
  ZDX_URL: zdx.url,
  ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
  OTEL_SERVICE_NAME: 'e2e-app',
  OTEL_TRACES_EXPORTER: 'none',
});
const byKey = (samples: Sample[]) =>
  new Map(samples.map((s) => [`${s.metric.url_template} ${s.metric.http_response_status_code}`, s.value]));

function expectExactCounts(samples: Sample[]) {
  const counts = byKey(samples);
  for (const [template, code, n] of EXPECTED) expect(counts.get(`${template} ${code}`), `${template} ${code}`).toBe(n);
  expect(counts.size).toBe(EXPECTED.length);
}

describe('OTLP/HTTP protobuf into VictoriaMetrics (a real OTLP-receiving TSDB)', () => {
  it('holds exactly the counts and durations the application sent, under Prometheus names', async () => {
    const vm = await startVictoriaMetrics();
    try {
      const run = runApp(['--import', 'zdx-otel/register', `${APPS}register-app.mjs`], {
        ...baseEnv(),
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: vm.otlpMetricsUrl,
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf',
      });
      expect((await exited(run)).code).toBe(0);
      expect(run.stderr()).toBe('');
      expectExactCounts(
        await vm.query(
          'sum by (url_template, http_response_status_code) (zdx_api_requests_total{service_name="e2e-app"})',
        ),
      );
      expectExactCounts(
        await vm.query('sum by (url_template, http_response_status_code) (zdx_api_request_duration_seconds_count)'),
      );
      const inf = await vm.query('sum(zdx_api_request_duration_seconds_bucket{le="+Inf"})');
      expect(inf[0]?.value).toBe(TOTAL);
      const buckets = await vm.query('count(count by (le) (zdx_api_request_duration_seconds_bucket))');
      expect(buckets[0]?.value).toBe(12); // 11 boundaries + Inf
      const classes = await vm.query('sum by (zdx_status_class, error_type) (zdx_api_requests_total)');
      expect(classes.find((s) => s.metric.zdx_status_class === '5xx')?.metric.error_type).toBe('503');
      const remaining = await vm.query('zdx_api_rate_limit_remaining{zdx_rate_limit_window="minute"}');
      expect(remaining[0]?.value).toBe(7);
    } finally {
      await vm.stop();
    }
  });
});

describe('the Prometheus pull endpoint, scraped by real Prometheus', () => {
  it('serves the same names and counts as the OTLP path', async () => {
    const port = await freeLoopbackPort();
    const run = runApp(['--import', 'zdx-otel/register', `${APPS}register-app.mjs`], {
      ...baseEnv(),
      HOLD: '1',
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
    });
    const prometheus = await startPrometheus({ scrapeTargets: [{ job: 'e2e-app', targets: [`127.0.0.1:${port}`] }] });
    try {
      await run.waitFor('workload done');
      await prometheus.waitForTargetsUp(30_000);
      await eventually(
        async () => {
          expectExactCounts(
            await prometheus.query(
              'sum by (url_template, http_response_status_code) (zdx_api_requests_total{job="e2e-app"})',
            ),
          );
          expectExactCounts(
            await prometheus.query(
              'sum by (url_template, http_response_status_code) (zdx_api_request_duration_seconds_count)',
            ),
          );
        },
        { timeoutMs: 30_000, description: 'scraped counts' },
      );
      const names = await prometheus.api<string[]>('/api/v1/label/__name__/values');
      expect(names).toEqual(
        expect.arrayContaining([
          'zdx_api_requests_total',
          'zdx_api_request_duration_seconds_bucket',
          'zdx_api_rate_limit_remaining',
        ]),
      );
      expect(names.filter((n) => n.startsWith('zdx_api_request_duration_') && !n.includes('seconds'))).toEqual([]);
    } finally {
      run.child.kill('SIGTERM');
      await exited(run);
      await prometheus.stop();
    }
  });
});

// Collector outages (down, hung, slow, 500, 429, resets) under steady load: test/e2e/faults.test.ts.
