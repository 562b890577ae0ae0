/**
 * Tenants through the whole pipeline: one service calls ZDX for two tenants it names with withZdxTenant(), under
 * --import zdx-otel/register with the pull endpoint; Debian's Prometheus scrapes it and evaluates the shipped
 * rules (deploy/examples/fast.json). The recorded series and the budget alerts carry `zdx_tenant`, one per tenant,
 * and the dashboard's tenant variable lists both and filters by them. (Without tenants nothing changes: the
 * promtool tests without the label and test/e2e/budget.test.ts show that.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardExpressions, substituteGrafana } from '../../deploy/src/lint.ts';
import { OUTPUTS } from '../../deploy/src/render.ts';
import { loadScenario, startSimulator, type RunningSimulator } from '../../src/tools/simulator/index.js';
import { eventually, freeLoopbackPort, startPrometheus, type Prometheus } from '../support/backends.js';
import { APPS, exited, ROOT, runApp, type AppRun } from '../support/run-app.js';
import { renderFast, writeRuleFiles } from '../support/deploy-pipeline.js';

let dir: string;
let simulator: RunningSimulator;
let app: AppRun;
let prometheus: Prometheus;
let dashboard: { templating: { list: Array<{ name: string; query?: unknown }> } } & Parameters<
  typeof dashboardExpressions
>[0];

beforeAll(async () => {
  const files = renderFast();
  dir = mkdtempSync(path.join(tmpdir(), 'zdx-tenants-e2e-'));
  const ruleFiles = writeRuleFiles(dir, files);
  dashboard = JSON.parse(files.get(OUTPUTS.dashboard)!);
  // 150 requests per hour; both tenants use the simulator's one (unauthenticated) caller budget here.
  simulator = await startSimulator({ scenario: loadScenario(`${ROOT}scenarios/hour-budget.json`), auth: false });
  const port = await freeLoopbackPort();
  app = runApp(['--import', 'zdx-otel/register', `${APPS}tenants-app.mjs`], {
    ZDX_URL: simulator.url,
    DURATION_MS: '120000',
    RATE: '3',
    ZDX_OTEL_EXTRA_HOSTS: new URL(simulator.url).host,
    OTEL_SERVICE_NAME: 'zdx-msp',
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_METRICS_EXPORTER: 'prometheus',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
  });
  prometheus = await startPrometheus({
    scrapeTargets: [{ job: 'zdx-msp', targets: [`127.0.0.1:${port}`] }],
    ruleFiles,
    scrapeInterval: '1s',
    evaluationInterval: '5s',
  });
  await prometheus.waitForTargetsUp(60_000);
});

afterAll(async () => {
  app?.child.kill('SIGTERM');
  if (app) await exited(app).catch(() => undefined);
  await prometheus?.stop();
  await simulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tenants in real Prometheus', () => {
  it('the budget alert fires once per tenant, naming the tenant', async () => {
    const alerts = await eventually(
      async () => {
        const firing = (await prometheus.alerts()).filter(
          (a) =>
            a.state === 'firing' &&
            a.labels.alertname === 'ZdxApiRateLimitBudgetExhaustion' &&
            a.labels.zdx_rate_limit_window === 'hour',
        );
        expect(firing.map((a) => a.labels.zdx_tenant).sort()).toEqual(['acme', 'globex']);
        return firing;
      },
      { timeoutMs: 90_000, intervalMs: 1000, description: 'a budget alert per tenant' },
    );
    for (const a of alerts) expect(a.annotations.description).toContain(`(tenant ${a.labels.zdx_tenant})`);
  });

  it('recorded rates, ratios and budgets are per tenant', async () => {
    for (const record of [
      'server_address:zdx_api_requests:rate1m',
      'url_template:zdx_api_requests_429_per_requests:ratio_rate1m',
      'server_address:zdx_api_rate_limit_used:ratio{zdx_rate_limit_window="hour"}',
    ]) {
      const tenants = (await prometheus.query(record)).map((s) => s.metric.zdx_tenant).sort();
      expect(tenants, record).toEqual(['acme', 'globex']);
    }
  });

  it('the dashboard lists the tenants, and choosing one filters the panels to it', async () => {
    const variable = dashboard.templating.list.find((v) => v.name === 'tenant')!;
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(String(variable.query))!;
    const values = (await prometheus.query(`group by (${m[2]}) (${substituteGrafana(m[1]!)})`))
      .map((s) => s.metric.zdx_tenant)
      .sort();
    expect(values).toEqual(['acme', 'globex']);
    const perTenant = dashboardExpressions(dashboard).find((e) => e.where.includes('"Budget by tenant" C'))!;
    // substituteGrafana made every variable `.*`; pick one tenant as Grafana would.
    const acmeOnly = perTenant.expr.replaceAll('zdx_tenant=~".*"', 'zdx_tenant=~"acme"');
    expect(acmeOnly).not.toBe(perTenant.expr);
    // One row per tenant and window (second ... day, and the unsuffixed one).
    expect(new Set((await prometheus.query(perTenant.expr)).map((s) => s.metric.zdx_tenant))).toEqual(
      new Set(['acme', 'globex']),
    );
    expect(new Set((await prometheus.query(acmeOnly)).map((s) => s.metric.zdx_tenant))).toEqual(new Set(['acme']));
  });
});
