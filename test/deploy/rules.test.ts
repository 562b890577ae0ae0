/**
 * deploy/ rules and alerts, tested like a monitoring mixin:
 *   - `promtool check rules` on the generated rule files (and the PrometheusRule's groups),
 *   - `promtool test rules` on the hand-written unit tests in deploy/prometheus/tests,
 *   - the minimum-traffic guards are what keeps the "idle endpoint" tests quiet (rendered without them, they fail),
 *   - a shortened-window config (deploy/examples/fast.json) fires within two minutes,
 *   - every alert follows the style guide and links to its runbook section.
 * promtool comes from Debian's `prometheus` package; a missing promtool fails these tests (never skips):
 *   apt-get install -y --no-install-recommends prometheus
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, describe, expect, test } from 'vitest';
import { ZDX_STATUS_CODES } from '../../src/core/catalog/status.js';
import { ALERT_NAMES, alertGroups, runbookAnchor, type AlertingRule } from '../../deploy/src/alerts.ts';
import { DEFAULT_CONFIG, durationSeconds, resolveConfig, type ZdxDeployOptions } from '../../deploy/src/config.ts';
import { OUTPUTS, renderAll } from '../../deploy/src/render.ts';
import { recordingRuleGroups, ruleWindows } from '../../deploy/src/rules.ts';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const PROM = path.join(DEPLOY, 'prometheus');
const TESTS = path.join(PROM, 'tests');
const testFiles = readdirSync(TESTS)
  .filter((f) => f.endsWith('.test.yml'))
  .sort()
  .map((f) => path.join(TESTS, f));

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'zdx-deploy-'));
  scratch.push(dir);
  return dir;
}

function promtool(...args: string[]): { status: number; output: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8', timeout: 120_000 });
  if (run.error) {
    throw new Error(
      `promtool could not run (${run.error.message}). Install Debian's prometheus package: ` +
        'apt-get install -y --no-install-recommends prometheus',
    );
  }
  return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
}

/** Renders `options` into a scratch copy of deploy/prometheus (rules, alerts, unit tests). */
function renderScratch(options: ZdxDeployOptions): string {
  const dir = tempDir();
  for (const [file, text] of renderAll(resolveConfig(options), ZDX_STATUS_CODES)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  cpSync(TESTS, path.join(dir, 'prometheus', 'tests'), { recursive: true });
  return dir;
}

describe('promtool', () => {
  test('is installed (Debian prometheus package)', () => {
    const { status, output } = promtool('--version');
    expect(status).toBe(0);
    expect(output).toMatch(/promtool, version \d+\.\d+/);
  });

  test('check rules accepts the generated rule and alert files, lint included', () => {
    const files = [path.join(PROM, 'zdx-api.rules.yml'), path.join(PROM, 'zdx-api.alerts.yml')];
    const { status, output } = promtool('check', 'rules', '--lint=all', '--lint-fatal', ...files);
    expect(output).toContain('SUCCESS');
    expect(status, output).toBe(0);
  });

  test('check rules accepts the groups of the Kubernetes PrometheusRule', () => {
    const rule = parseYaml(readFileSync(path.join(DEPLOY, OUTPUTS.k8sRule), 'utf8')) as { spec: unknown };
    const file = path.join(tempDir(), 'prometheusrule-spec.yml');
    writeFileSync(file, stringify(rule.spec));
    const { status, output } = promtool('check', 'rules', '--lint=all', '--lint-fatal', file);
    expect(status, output).toBe(0);
  });

  test('test rules passes every unit test in deploy/prometheus/tests', () => {
    expect(testFiles.length).toBeGreaterThanOrEqual(5);
    const { status, output } = promtool('test', 'rules', ...testFiles);
    expect(status, output).toBe(0);
    expect(output.match(/SUCCESS/g)?.length, output).toBe(testFiles.length);
  });
});

interface UnitTestFile {
  tests: Array<{
    name?: string;
    alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }>;
  }>;
}

describe('unit test coverage', () => {
  const files = testFiles.map((f) => parseYaml(readFileSync(f, 'utf8')) as UnitTestFile);
  const alertTests = files.flatMap((f) => f.tests.flatMap((t) => t.alert_rule_test ?? []));

  test.each(ALERT_NAMES)('%s has a case that fires and a case that stays quiet', (name) => {
    const cases = alertTests.filter((t) => t.alertname === name);
    expect(
      cases.some((t) => (t.exp_alerts ?? []).length > 0),
      `${name} never expected to fire`,
    ).toBe(true);
    expect(
      cases.some((t) => (t.exp_alerts ?? []).length === 0),
      `${name} never expected to stay quiet`,
    ).toBe(true);
  });

  test('the scenarios of the issue are all there', () => {
    const names = files.flatMap((f) => f.tests.map((t) => t.name ?? '')).join('\n');
    for (const scenario of [
      /busy endpoint failing/,
      /idle endpoint with one failure/,
      /low-traffic endpoint/,
      /zero traffic/,
      /recovery/,
      /429 storm/,
      /401/,
      /403/,
      /no zdx-otel series|telemetry stops/,
    ]) {
      expect(names).toMatch(scenario);
    }
  });

  test('the minimum-traffic guards are what keeps the idle-endpoint cases quiet', () => {
    // Only the low-traffic cases: other cases also compare descriptions, which quote the thresholds.
    const idle = /idle endpoint with one failure|low-traffic endpoint failing|occasional 429/;
    const pick = (dir: string): string[] =>
      testFiles.flatMap((f) => {
        const doc = parseYaml(readFileSync(f, 'utf8')) as UnitTestFile & Record<string, unknown>;
        const tests = doc.tests.filter((t) => idle.test(t.name ?? ''));
        if (tests.length === 0) return [];
        const out = path.join(dir, 'prometheus', 'tests', path.basename(f));
        writeFileSync(out, stringify({ ...doc, tests }));
        return [out];
      });
    const guarded = renderScratch({});
    const withGuards = promtool('test', 'rules', ...pick(guarded));
    expect(withGuards.status, withGuards.output).toBe(0);

    const unguarded = renderScratch({
      burnRateMinRequests: 0,
      serverErrors: { minEvents: 0 },
      rateLimited: { endpoint: { minEvents: 0 }, overall: { minEvents: 0 } },
    });
    const files = pick(unguarded);
    expect(files).toHaveLength(2);
    const withoutGuards = promtool('test', 'rules', ...files);
    expect(withoutGuards.status).not.toBe(0);
    for (const alert of [
      'ZdxApiErrorBudgetBurn',
      'ZdxApiEndpointServerErrors',
      'ZdxApiEndpointRateLimited',
      'ZdxApiRateLimited',
    ]) {
      expect(withoutGuards.output).toContain(`alertname: ${alert}`);
    }
  });
});

describe('shortened windows for end-to-end tests (deploy/examples/fast.json)', () => {
  const fast = JSON.parse(readFileSync(path.join(DEPLOY, 'examples', 'fast.json'), 'utf8')) as ZdxDeployOptions;
  const config = resolveConfig(fast);

  test('every window and for: is at most a few minutes', () => {
    for (const w of ruleWindows(config)) expect(durationSeconds(w)).toBeLessThanOrEqual(300);
    for (const g of alertGroups(config)) {
      for (const r of g.rules) expect(durationSeconds(r.for ?? '0s')).toBeLessThanOrEqual(60);
    }
  });

  test('renders rules promtool accepts, and a failing busy endpoint fires within two minutes', () => {
    const dir = renderScratch(fast);
    const prom = path.join(dir, 'prometheus');
    expect(
      promtool('check', 'rules', path.join(prom, 'zdx-api.rules.yml'), path.join(prom, 'zdx-api.alerts.yml')).status,
    ).toBe(0);
    const series = (code: string, cls: string, extra = ''): string =>
      `zdx_api_requests_total{job="demo",http_request_method="GET",url_template="/v1/devices/{deviceid}",server_address="api.zdxcloud.net",http_response_status_code="${code}",zdx_status_class="${cls}"${extra}}`;
    const unit = {
      rule_files: ['zdx-api.rules.yml', 'zdx-api.alerts.yml'],
      evaluation_interval: '5s',
      tests: [
        {
          // An SDK exporting every 5 s: 2 requests per export, half 503, half 429 on top.
          interval: '5s',
          input_series: [
            { series: series('200', '2xx'), values: '0+2x40' },
            { series: series('503', '5xx', ',error_type="503"'), values: '0+2x40' },
            { series: series('429', '4xx', ',error_type="429"'), values: '0+2x40' },
          ],
          promql_expr_test: [
            {
              expr: 'count by (alertname, severity) (ALERTS{alertstate="firing"})',
              eval_time: '2m',
              exp_samples: [
                { labels: '{alertname="ZdxApiErrorBudgetBurn",severity="critical"}', value: 1 },
                { labels: '{alertname="ZdxApiErrorBudgetBurn",severity="warning"}', value: 1 },
                { labels: '{alertname="ZdxApiEndpointServerErrors",severity="warning"}', value: 1 },
                { labels: '{alertname="ZdxApiEndpointRateLimited",severity="warning"}', value: 1 },
                { labels: '{alertname="ZdxApiRateLimited",severity="warning"}', value: 1 },
                { labels: '{alertname="ZdxApiRateLimited",severity="critical"}', value: 1 },
              ],
            },
          ],
        },
      ],
    };
    const file = path.join(prom, 'fast.test.yml');
    writeFileSync(file, stringify(unit));
    const { status, output } = promtool('test', 'rules', file);
    expect(status, output).toBe(0);
  });
});

describe('alerts follow the style guide', () => {
  const alertsYaml = parseYaml(readFileSync(path.join(PROM, 'zdx-api.alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: AlertingRule[] }>;
  };
  const alerts = alertsYaml.groups.flatMap((g) => g.rules);
  const runbook = readFileSync(path.join(DEPLOY, 'runbook.md'), 'utf8');
  // GitHub's heading anchors: lower case, spaces to dashes, punctuation dropped.
  const anchors = new Set(
    [...runbook.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      (m[1] ?? '')
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );

  test('exactly the documented alert names', () => {
    expect([...new Set(alerts.map((a) => a.alert))].sort()).toEqual([...ALERT_NAMES].sort());
  });

  test.each(alerts.map((a, i) => [`${a.alert} #${i}`, a] as const))('%s', (_, a) => {
    expect(a.alert).toMatch(/^ZdxApi[A-Z][A-Za-z]+$/);
    expect(['critical', 'warning', 'info']).toContain(a.labels.severity);
    expect(a.annotations.summary).toMatch(/^[A-Za-z].*\.$/);
    expect(a.annotations.summary).not.toContain('{{');
    expect(a.annotations.description.length).toBeGreaterThan(20);
    const url = new URL(a.annotations.runbook_url);
    expect(url.href.startsWith(`${DEFAULT_CONFIG.runbookUrl}#`)).toBe(true);
    expect(anchors.has(url.hash.slice(1)), `no runbook section for ${url.hash}`).toBe(true);
    expect(url.hash.slice(1)).toBe(runbookAnchor(a.alert as (typeof ALERT_NAMES)[number]));
  });

  test('the runbook has a section with meaning, impact, diagnosis and mitigation for every alert, and no others', () => {
    const sections = [...runbook.matchAll(/^## (ZdxApi\w+)$/gm)].map((m) => m[1]);
    expect(sections.sort()).toEqual([...ALERT_NAMES].sort());
    for (const name of ALERT_NAMES) {
      const body = runbook.split(`## ${name}\n`)[1]?.split(/^## /m)[0] ?? '';
      for (const part of ['**Meaning.**', '**Impact.**', '**Diagnosis.**', '**Mitigation.**']) {
        expect(body, `${name} lacks ${part}`).toContain(part);
      }
    }
  });
});

describe('generator options', () => {
  test('a partial config merges over the defaults; arrays and label maps are replaced', () => {
    const c = resolveConfig({
      objective: 0.995,
      rateLimited: { overall: { ratio: 0.1 } },
      alertLabels: { team: 'it' },
    });
    expect(c.objective).toBe(0.995);
    expect(c.rateLimited.overall).toEqual({ ...DEFAULT_CONFIG.rateLimited.overall, ratio: 0.1 });
    expect(c.rateLimited.endpoint).toEqual(DEFAULT_CONFIG.rateLimited.endpoint);
    expect(c.burnRates).toEqual(DEFAULT_CONFIG.burnRates);
    expect(resolveConfig({ k8s: { ruleLabels: { release: 'kps' } } }).k8s.ruleLabels).toEqual({ release: 'kps' });
  });

  test.each([
    [{ objective: 1 }, /objective/],
    [{ rateWindow: '5 minutes' }, /rateWindow/],
    [{ nope: 1 } as ZdxDeployOptions, /nope: unknown option/],
    [{ selector: '{job="x"}' }, /without braces/],
    [{ groupLabels: ['url_template'] }, /always kept/],
    [{ groupLabels: ['zdx_tenant'] }, /always kept/],
    [{ budget: { windows: ['window'] } } as unknown as ZdxDeployOptions, /budget.windows: window is not one of/],
    [{ budget: { usedRatio: 1 } }, /budget.usedRatio/],
    [{ budget: { trendWindow: '15 min' } }, /budget.trendWindow/],
    [{ burnRates: [{ severity: 'critical', long: '5m', short: '1h', factor: 2, for: '1m' }] }, /short window longer/],
    [{ burnRates: [{ severity: 'critical', long: '1h', short: '5m', factor: 200, for: '1m' }] }, /can never fire/],
    [{ errorStatusClasses: ['6xx'] }, /not a zdx_status_class/],
    [{ runbookUrl: 'runbook.md' }, /absolute URL/],
    [{ alertLabels: { severity: 'x' } }, /severity is set per alert/],
    [{ rateLimited: 'often' } as unknown as ZdxDeployOptions, /expected an object/],
  ] as Array<[ZdxDeployOptions, RegExp]>)('rejects %j', (options, message) => {
    expect(() => resolveConfig(options)).toThrow(message);
  });

  test('durations parse like Prometheus 2.42', () => {
    expect(durationSeconds('90s')).toBe(90);
    expect(durationSeconds('1h30m')).toBe(5400);
    expect(durationSeconds('3d')).toBe(259200);
    expect(durationSeconds('500ms')).toBe(0.5);
    expect(() => durationSeconds('1.5h')).toThrow();
    expect(() => durationSeconds('')).toThrow();
  });

  test('selector and group labels reach every raw selector and aggregation', () => {
    const c = resolveConfig({ selector: 'job="billing"', groupLabels: ['job'], alertLabels: { team: 'it' } });
    const rules = recordingRuleGroups(c).flatMap((g) => g.rules);
    for (const r of rules) {
      expect(r.record.startsWith('job_url_template:') || r.record.startsWith('job_server_address:')).toBe(true);
      if (/(?<![\w:])zdx_api_(requests_total|rate_limit_remaining|rate_limit_limit)(?![\w:])/.test(r.expr)) {
        expect(r.expr).toMatch(/zdx_api_(requests_total|rate_limit_remaining|rate_limit_limit)\{job="billing"/);
        expect(r.expr).toMatch(
          /(sum|min|max) by \(job, (url_template|server_address)(, zdx_rate_limit_window)?, zdx_tenant\)/,
        );
      }
    }
    const alerts = alertGroups(c).flatMap((g) => g.rules);
    for (const a of alerts) expect(a.labels.team).toBe('it');
    const absent = alerts.find((a) => a.alert === 'ZdxApiTelemetryAbsent');
    expect(absent?.expr).toBe('absent_over_time(zdx_api_requests_total{job="billing"}[15m])');
    const dir = renderScratch({ selector: 'job="billing"', groupLabels: ['job'] });
    const prom = path.join(dir, 'prometheus');
    const check = promtool(
      'check',
      'rules',
      path.join(prom, 'zdx-api.rules.yml'),
      path.join(prom, 'zdx-api.alerts.yml'),
    );
    expect(check.status, check.output).toBe(0);
  });
});
