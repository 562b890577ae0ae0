/**
 * Every PromQL expression shipped in deploy/ (recording rules, alerts, the PrometheusRule, the dashboard's
 * queries and variables, the runbook's examples) is parsed and checked against the zdx-otel metric contract:
 * only metric names the library emits or the rules record, only their label names, only label values the
 * library produces. Grafana macros and variables are substituted first.
 *
 * Two parsers: @prometheus-io/lezer-promql walks the syntax tree (names, labels, syntax errors), and promtool
 * (Prometheus 2.42 in CI) re-parses the dashboard and runbook expressions with the real Go parser, which also
 * catches type errors and syntax newer than the Prometheus that CI has.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, describe, expect, test } from 'vitest';
import { ZDX_STATUS_CODES } from '../../src/core/catalog/status.js';
import { resolveConfig } from '../../deploy/src/config.ts';
import {
  analyzePromql,
  contractProblems,
  dashboardExpressions,
  markdownExpressions,
  recordedNames,
  ruleExpressions,
  substituteGrafana,
  type ContractOptions,
  type Expression,
} from '../../deploy/src/lint.ts';
import { OUTPUTS, renderAll } from '../../deploy/src/render.ts';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const read = (file: string): string => readFileSync(path.join(DEPLOY, file), 'utf8');

// Resource labels the export paths add: job/instance (Collector, Prometheus). Core queries never group by them
// except where a user's selector/serviceLabel asks for it.
const RESOURCE_LABELS = ['job', 'instance'];

function contractFor(rulesYaml: string): ContractOptions {
  return { recorded: recordedNames(rulesYaml), resourceLabels: RESOURCE_LABELS };
}

const rulesYaml = read(OUTPUTS.rules);
const contract = contractFor(rulesYaml);
const ruleExprs = [
  ...ruleExpressions(OUTPUTS.rules, rulesYaml),
  ...ruleExpressions(OUTPUTS.alerts, read(OUTPUTS.alerts)),
  ...ruleExpressions(OUTPUTS.k8sRule, read(OUTPUTS.k8sRule)),
];
const dashboardExprs = dashboardExpressions(JSON.parse(read(OUTPUTS.dashboard)));
const runbookExprs = markdownExpressions('runbook.md', read('runbook.md'));

describe('every expression parses and stays inside the metric contract', () => {
  test('there is something to check', () => {
    expect(ruleExprs.length).toBeGreaterThan(150);
    expect(dashboardExprs.length).toBeGreaterThan(25);
    expect(runbookExprs.length).toBeGreaterThan(10);
  });

  test.each(ruleExprs.map((e) => [e.where, e] as const))('rule %s', (_, e) => {
    expect(contractProblems(e, contract)).toEqual([]);
  });

  test.each(dashboardExprs.map((e) => [e.where, e] as const))('%s', (_, e) => {
    expect(e.expr).not.toContain('$');
    expect(contractProblems(e, contract)).toEqual([]);
  });

  test.each(runbookExprs.map((e, i) => [`${e.where} #${i}`, e] as const))('%s', (_, e) => {
    // The runbook may also point at the Collector's own metrics.
    expect(contractProblems(e, { ...contract, foreignMetrics: (m) => m.startsWith('otelcol_') })).toEqual([]);
  });

  test('the raw zdx-otel metrics are all used somewhere in the dashboard', () => {
    const used = new Set(dashboardExprs.flatMap((e) => analyzePromql(e.expr).selectors.map((s) => s.metric)));
    for (const metric of [
      'zdx_api_requests_total',
      'zdx_api_request_duration_seconds_bucket',
      'zdx_api_rate_limit_remaining',
      'zdx_api_rate_limit_limit',
    ]) {
      expect(used.has(metric), metric).toBe(true);
    }
  });

  test('a rendered custom config stays inside the contract too', () => {
    const files = renderAll(
      resolveConfig({ selector: 'job="billing"', groupLabels: ['job'], errorStatusClasses: ['5xx'] }),
      ZDX_STATUS_CODES,
    );
    const rules = files.get(OUTPUTS.rules) ?? '';
    const exprs = [...ruleExpressions('rules', rules), ...ruleExpressions('alerts', files.get(OUTPUTS.alerts) ?? '')];
    expect(exprs.flatMap((e) => contractProblems(e, contractFor(rules)))).toEqual([]);
  });
});

describe('promtool re-parses the dashboard and runbook expressions', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'zdx-promql-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test('as recording rules, promtool check rules accepts all of them', () => {
    const all: Expression[] = [...dashboardExprs, ...runbookExprs];
    const file = path.join(scratch, 'exprs.yml');
    writeFileSync(
      file,
      stringify({
        groups: [{ name: 'lint', rules: all.map((e, i) => ({ record: `zdx_lint:expr:${i}`, expr: e.expr })) }],
      }),
    );
    const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    if (run.error)
      throw new Error(
        `promtool could not run (${run.error.message}): apt-get install -y --no-install-recommends prometheus`,
      );
    const output = `${run.stdout}${run.stderr}`;
    // On failure promtool names the rule; map `zdx_lint:expr:N` back to where the expression came from.
    const explained = output.replace(/zdx_lint:expr:(\d+)/g, (m, i: string) => `${m} (${all[Number(i)]?.where})`);
    expect(run.status, explained).toBe(0);
    expect(output).toContain(`SUCCESS: ${all.length} rules found`);
  });
});

describe('the checker catches what it should', () => {
  const check = (expr: string): string[] => contractProblems({ where: 'case', expr }, contract);

  test.each([
    ['rate(zdx_api_requests[5m])', /metric zdx_api_requests is neither/],
    ['rate(zdx_api_request_duration_bucket[5m])', /metric zdx_api_request_duration_bucket is neither/],
    ['sum by (endpoint) (rate(zdx_api_requests_total[5m]))', /grouping label endpoint/],
    ['rate(zdx_api_requests_total{status_code="429"}[5m])', /label status_code is not a label/],
    [
      'zdx_api_rate_limit_remaining{url_template="/v1/users"}',
      /label url_template is not a label of zdx_api_rate_limit_remaining/,
    ],
    ['rate(zdx_api_requests_total{zdx_status_class=~"5xx|timeout"}[5m])', /"timeout" is not a value/],
    ['rate(zdx_api_requests_total{http_request_method="FETCH"}[5m])', /"FETCH" is not a value/],
    ['rate(zdx_api_requests_total{http_response_status_code="4xx"}[5m])', /not a status code/],
    ['zdx_api_rate_limit_remaining{zdx_rate_limit_window="week"}', /"week" is not a value/],
    ['sum by (url_template (rate(zdx_api_requests_total[5m]))', /syntax error/],
    ['rate(zdx_api_requests_total[$__rate_interval])', /syntax error/],
    ['url_template:zdx_api_requests:rate7m', /neither emitted by zdx-otel nor recorded/],
    ['zdx_api_rate_limit_ceiling', /metric zdx_api_rate_limit_ceiling is neither/],
    ['zdx_api_rate_limit_limit{zdx_rate_limit_window="week"}', /"week" is not a value/],
    [
      'zdx_api_rate_limit_limit{url_template="/v1/users"}',
      /label url_template is not a label of zdx_api_rate_limit_limit/,
    ],
    ['min by (server_address, zdx_customer) (zdx_api_rate_limit_remaining)', /grouping label zdx_customer/],
    ['rate(zdx_api_requests_total{zdx_tenants="acme"}[5m])', /label zdx_tenants is not a label/],
  ])('%s', (expr, problem) => {
    expect(check(expr).join('\n')).toMatch(problem);
  });

  test.each([
    'max by (server_address, zdx_rate_limit_window, zdx_tenant) (zdx_api_rate_limit_limit{zdx_rate_limit_window=~"hour|day"})',
    'zdx_api_rate_limit_remaining{zdx_tenant="acme"} / zdx_api_rate_limit_limit{zdx_tenant="acme"}',
    'sum by (server_address, zdx_tenant) (rate(zdx_api_requests_total{zdx_tenant=~"acme|globex"}[5m]))',
  ])('accepts the limit gauge and the tenant label: %s', (expr) => {
    expect(check(expr)).toEqual([]);
  });

  test('Grafana macros and variables are substituted before parsing', () => {
    const expr = substituteGrafana(
      'sum(rate(zdx_api_requests_total{job=~"$service", url_template=~"${endpoint}"}[$__rate_interval]))',
    );
    expect(expr).toBe('sum(rate(zdx_api_requests_total{job=~".*", url_template=~".*"}[5m]))');
    expect(check(expr)).toEqual([]);
  });

  test('the tree walk finds metric, matcher and grouping labels', () => {
    const use = analyzePromql(
      'sum by (le) (rate(zdx_api_request_duration_seconds_bucket{server_address="x"}[5m])) / on (le) group_left zdx_api_requests_total',
    );
    expect(use.errors).toEqual([]);
    expect(use.selectors.map((s) => s.metric)).toEqual([
      'zdx_api_request_duration_seconds_bucket',
      'zdx_api_requests_total',
    ]);
    expect(use.selectors[0]?.matchers).toEqual([{ label: 'server_address', op: '=', value: 'x' }]);
    expect(use.groupingLabels).toEqual(['le', 'le']);
    expect(use.functions).toEqual(['rate']);
  });
});
