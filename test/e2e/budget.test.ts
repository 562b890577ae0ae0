/**
 * The budget alerts act before the 429s, in real Prometheus: the demo's workload (under --import
 * zdx-otel/register, pull endpoint) calls the simulator with a small hour budget (scenarios/hour-budget.json:
 * 150 per hour, nothing else throttled), Debian's Prometheus scrapes it every second and evaluates the shipped
 * rules rendered with deploy/examples/fast.json. We watch Prometheus' alerts API from the start and record when
 * each alert first goes pending and firing, and when the first 429 shows up in the data: a budget alert must
 * fire before any 429 alert is even pending (and before the first 429 is scraped).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardExpressions } from '../../deploy/src/lint.ts';
import { OUTPUTS } from '../../deploy/src/render.ts';
import { loadScenario, startSimulator, type RunningSimulator } from '../../src/tools/simulator/index.js';
import { freeLoopbackPort, startPrometheus, type PromAlert, type Prometheus } from '../support/backends.js';
import { exited, ROOT, type AppRun } from '../support/run-app.js';
import { renderFast, startDemoWorkload, writeRuleFiles } from '../support/deploy-pipeline.js';

const BUDGET = /^ZdxApiRateLimitBudget(Low|Exhaustion)$/;
const RATE_LIMITED = /^ZdxApi(Endpoint)?RateLimited$/;

let dir: string;
let simulator: RunningSimulator;
let workload: AppRun;
let prometheus: Prometheus;
let dashboard: Parameters<typeof dashboardExpressions>[0];

/**
 * First time (ms since the workload started) each alert (by its labels) was seen pending / firing, and when
 * Prometheus says it became active; and when the first 429 was scraped.
 */
const firstSeen = new Map<string, { pending?: number; firing?: number; activeAt?: number; alert: PromAlert }>();
let first429: number | undefined;
let t0 = 0;

beforeAll(async () => {
  const files = renderFast();
  dir = mkdtempSync(path.join(tmpdir(), 'zdx-budget-e2e-'));
  const ruleFiles = writeRuleFiles(dir, files);
  dashboard = JSON.parse(files.get(OUTPUTS.dashboard)!);

  simulator = await startSimulator({ scenario: loadScenario(`${ROOT}scenarios/hour-budget.json`) });
  const port = await freeLoopbackPort();
  prometheus = await startPrometheus({
    scrapeTargets: [{ job: 'zdx-demo', targets: [`127.0.0.1:${port}`] }],
    ruleFiles,
    scrapeInterval: '1s',
    evaluationInterval: '5s',
  });
  t0 = Date.now();
  // 150 per hour at 3 per second: the hour budget is gone after about 50 s.
  workload = startDemoWorkload(simulator, port, 150_000, 3);

  // Watch until a 429 alert fires (or give up after two and a half minutes; the assertions then say what is missing).
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    const now = Date.now() - t0;
    for (const alert of await prometheus.alerts()) {
      const key = JSON.stringify(Object.entries(alert.labels).sort());
      const seen = firstSeen.get(key) ?? { alert };
      seen.pending ??= now;
      if (alert.state === 'firing') seen.firing ??= now;
      const activeAt = alert.activeAt ? Date.parse(alert.activeAt) - t0 : undefined;
      if (activeAt !== undefined && (seen.activeAt === undefined || activeAt < seen.activeAt)) seen.activeAt = activeAt;
      firstSeen.set(key, seen);
    }
    if (first429 === undefined) {
      const hits = await prometheus.query('sum(zdx_api_requests_total{http_response_status_code="429"})');
      if (hits.length > 0 && hits[0]!.value > 0) first429 = now;
    }
    if (
      [...firstSeen.values()].some((s) => RATE_LIMITED.test(s.alert.labels.alertname ?? '') && s.firing !== undefined)
    )
      break;
    await new Promise((r) => setTimeout(r, 500));
  }
}, 200_000);

afterAll(async () => {
  workload?.child.kill('SIGTERM');
  if (workload) await exited(workload).catch(() => undefined);
  await prometheus?.stop();
  await simulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function earliest(pattern: RegExp, field: 'pending' | 'firing' | 'activeAt'): number {
  const times = [...firstSeen.values()]
    .filter((s) => pattern.test(s.alert.labels.alertname ?? ''))
    .map((s) => s[field] ?? Infinity);
  return Math.min(Infinity, ...times);
}

describe('rate-limit budget alerts in real Prometheus', () => {
  it('a budget alert fires before any 429 alert is pending, and before the first 429 is scraped', () => {
    const report = [...firstSeen.values()].map((s) => ({
      alert: `${s.alert.labels.alertname} ${s.alert.labels.zdx_rate_limit_window ?? ''}`.trim(),
      pending: s.pending,
      firing: s.firing,
      activeAt: s.activeAt,
    }));
    const budgetFiring = earliest(BUDGET, 'firing');
    const rateLimitedPending = Math.min(earliest(RATE_LIMITED, 'pending'), earliest(RATE_LIMITED, 'activeAt'));
    // Both must have happened: the workload does exhaust the hour budget and gets 429s.
    expect(budgetFiring, JSON.stringify(report)).toBeLessThan(Infinity);
    expect(rateLimitedPending, JSON.stringify(report)).toBeLessThan(Infinity);
    expect(first429, JSON.stringify(report)).toBeDefined();
    expect(budgetFiring, JSON.stringify({ report, first429 })).toBeLessThan(rateLimitedPending);
    expect(budgetFiring, JSON.stringify({ report, first429 })).toBeLessThan(first429!);
    // For the record (vitest prints it with --reporter=verbose): ms after the workload started.
    console.info(
      `budget alert firing at ${budgetFiring} ms, first 429 scraped at ${first429} ms, first 429 alert pending at ${rateLimitedPending} ms`,
      report,
    );
  });

  it('the budget alerts name the host and the hour window, with summary, description and runbook link', () => {
    const host = new URL(simulator.url).hostname;
    const budget = [...firstSeen.values()]
      .filter((s) => BUDGET.test(s.alert.labels.alertname ?? ''))
      .map((s) => s.alert);
    expect(budget.length).toBeGreaterThan(0);
    const hour = budget.filter((a) => a.labels.zdx_rate_limit_window === 'hour');
    expect(hour.length, JSON.stringify(budget.map((a) => a.labels))).toBeGreaterThan(0);
    for (const alert of budget) {
      expect(alert.labels.server_address).toBe(host);
      expect(alert.labels.severity).toBe('warning');
      // The workload names no tenant: the label stays absent, not empty.
      expect(alert.labels).not.toHaveProperty('zdx_tenant');
      expect(alert.labels).not.toHaveProperty('instance');
      expect(alert.annotations.summary).toMatch(/budget/);
      expect(alert.annotations.description).toContain(`budget of ${host}`);
      expect(alert.annotations.description).not.toContain('tenant');
      expect(alert.annotations.runbook_url).toMatch(/runbook\.md#zdxapiratelimitbudget(low|exhaustion)$/);
    }
  });

  it('the dashboard shows the budget left per window and the time until it is exhausted', async () => {
    const expressions = dashboardExpressions(dashboard);
    const left = expressions.find((e) => e.where.includes('"Budget left per window"'))!;
    const shares = await prometheus.query(left.expr);
    const hour = shares.find((s) => s.metric.zdx_rate_limit_window === 'hour');
    expect(hour, JSON.stringify(shares)).toBeDefined();
    // By now the hour budget is (nearly) gone.
    expect(hour!.value).toBeLessThan(0.2);
    const until = expressions.find((e) => e.where.includes('"Time until the budget is exhausted"'))!;
    const day = (await prometheus.query(until.expr)).find((s) => s.metric.zdx_rate_limit_window === 'day');
    // The day budget (tier 1: 10000) is still being spent at about 3 per second: hours, not seconds, are left.
    expect(day, until.expr).toBeDefined();
    expect(day!.value).toBeGreaterThan(60);
    expect(day!.value).toBeLessThan(86_400);
  });
});
