/**
 * The shipped rules and dashboard against real data: the demo's workload (under --import zdx-otel/register,
 * pull endpoint) calls the simulator in a 429-heavy scenario, Debian's Prometheus scrapes it and evaluates
 * the generated rules rendered with deploy/examples/fast.json (windows shortened by the generator's options),
 * and the 429 alert must reach `firing`; every dashboard query must return series for the endpoints called.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardExpressions } from '../../deploy/src/lint.ts';
import { OUTPUTS } from '../../deploy/src/render.ts';
import { loadScenario, startSimulator, type RunningSimulator } from '../../src/tools/simulator/index.js';
import { eventually, freeLoopbackPort, startPrometheus, type Prometheus } from '../support/backends.js';
import { exited, ROOT, type AppRun } from '../support/run-app.js';
import { renderFast, startDemoWorkload, writeRuleFiles } from '../support/deploy-pipeline.js';

let dir: string;
let simulator: RunningSimulator;
let workload: AppRun;
let prometheus: Prometheus;
let dashboard: Parameters<typeof dashboardExpressions>[0];

beforeAll(async () => {
  const files = renderFast();
  dir = mkdtempSync(path.join(tmpdir(), 'zdx-deploy-e2e-'));
  const ruleFiles = writeRuleFiles(dir, files);
  dashboard = JSON.parse(files.get(OUTPUTS.dashboard)!);

  simulator = await startSimulator({ scenario: loadScenario(`${ROOT}scenarios/rate-limit-storm.json`) });
  const port = await freeLoopbackPort();
  workload = startDemoWorkload(simulator, port, 240_000, 6);
  prometheus = await startPrometheus({
    scrapeTargets: [{ job: 'zdx-demo', targets: [`127.0.0.1:${port}`] }],
    ruleFiles,
    scrapeInterval: '1s',
    evaluationInterval: '5s',
  });
  await prometheus.waitForTargetsUp(60_000);
});

afterAll(async () => {
  workload?.child.kill('SIGTERM');
  if (workload) await exited(workload).catch(() => undefined);
  await prometheus?.stop();
  await simulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('shipped rules and dashboard in real Prometheus', () => {
  it('the 429 alert reaches firing for the rate-limited endpoints', async () => {
    const firing = await eventually(
      async () => {
        const alerts = (await prometheus.alerts()).filter(
          (a) => a.state === 'firing' && /RateLimited/.test(a.labels.alertname ?? ''),
        );
        if (alerts.length === 0) throw new Error('no 429 alert firing yet');
        return alerts;
      },
      { timeoutMs: 150_000, intervalMs: 2000, description: '429 alert firing' },
    );
    const names = new Set(firing.map((a) => a.labels.alertname));
    expect(names.has('ZdxApiEndpointRateLimited') || names.has('ZdxApiRateLimited')).toBe(true);
    for (const alert of firing) {
      expect(alert.labels.severity).toMatch(/^(warning|critical)$/);
      expect(alert.annotations.runbook_url).toContain('runbook.md#');
      expect(alert.annotations.summary).toBeTruthy();
    }
    const endpointAlert = firing.find((a) => a.labels.alertname === 'ZdxApiEndpointRateLimited');
    if (endpointAlert) expect(endpointAlert.labels.url_template).toMatch(/^\/v1\//);
  });

  it('every dashboard query evaluates, and the per-endpoint panels show the endpoints the workload called', async () => {
    const called = new Set(
      Object.keys(simulator.stats().byEndpoint)
        .map((k) => k.split(' ')[1])
        .filter((t) => t?.startsWith('/v1/')),
    );
    expect(called.size).toBeGreaterThan(3);
    const expressions = dashboardExpressions(dashboard);
    expect(expressions.length).toBeGreaterThan(15);
    let nonEmpty = 0;
    for (const { where, expr } of expressions) {
      // 30d windows (error budget) are fine: Prometheus evaluates them over the data it has.
      const result = await prometheus.query(expr).catch((error: Error) => {
        throw new Error(`${where}: ${error.message}\n${expr}`);
      });
      if (result.length > 0) nonEmpty++;
    }
    // Panels for classes this scenario may not produce (e.g. no-response errors) can be empty; most are not.
    expect(nonEmpty).toBeGreaterThan(expressions.length / 2);
    const byEndpoint = expressions.find((e) => e.where.includes('"Requests per second by endpoint"'))!;
    await eventually(
      async () => {
        const shown = new Set((await prometheus.query(byEndpoint.expr)).map((s) => s.metric.url_template));
        for (const template of called)
          if (!shown.has(template)) throw new Error(`${template} missing from ${[...shown].join(', ')}`);
      },
      { timeoutMs: 30_000, intervalMs: 1000, description: 'every called endpoint on the dashboard' },
    );
  });
});
