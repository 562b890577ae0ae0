/*
 * Alerting rules (the mixin's `prometheusAlerts`). Each alert has a `severity` label, a static `summary`, a
 * `description` with the labels and value templated in, and a `runbook_url` pointing at its anchor in
 * deploy/runbook.md. Alerts on ratios carry a minimum-event guard so that one failed request on an idle endpoint
 * cannot fire them; everything is read from the recording rules except the 401/403 counts and the absence check.
 */
import {
  BUDGET_WINDOW_LENGTH,
  durationSeconds,
  percent,
  round,
  type Severity,
  type ZdxDeployConfig,
} from './config.ts';
import { LABELS, METRICS, raw, series, sumBy } from './promql.ts';
import {
  budgetLabels,
  budgetRecord,
  budgetWindowMatcher,
  budgetWindowSeconds,
  levelLabels,
  ratioRecord,
  rateRecord,
  type RuleGroup,
} from './rules.ts';

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string; runbook_url: string };
}

/** Every alert name, in the order of deploy/runbook.md. */
export const ALERT_NAMES = [
  'ZdxApiErrorBudgetBurn',
  'ZdxApiEndpointServerErrors',
  'ZdxApiEndpointRateLimited',
  'ZdxApiRateLimited',
  'ZdxApiRateLimitBudgetLow',
  'ZdxApiRateLimitBudgetExhaustion',
  'ZdxApiAuthenticationFailures',
  'ZdxApiAccessForbidden',
  'ZdxApiTelemetryAbsent',
] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

/** The runbook anchor of an alert: GitHub's slug of the `## <AlertName>` heading. */
export function runbookAnchor(alert: AlertName): string {
  return alert.toLowerCase();
}

function alertRule(
  config: ZdxDeployConfig,
  alert: AlertName,
  severity: Severity,
  expr: string,
  forDuration: string,
  summary: string,
  description: string,
  extraLabels: Record<string, string> = {},
): AlertingRule {
  return {
    alert,
    expr,
    // `for: 0s` is Prometheus' default; leaving it out keeps the YAML shorter for fast test configs.
    ...(durationSeconds(forDuration) > 0 ? { for: forDuration } : {}),
    labels: { severity, ...extraLabels, ...config.alertLabels },
    annotations: {
      summary,
      description,
      runbook_url: `${config.runbookUrl}#${runbookAnchor(alert)}`,
    },
  };
}

/** ` (tenant acme)` when the alert has a tenant, nothing otherwise: tenant-less alerts read as before. */
const TENANT = `{{ with $labels.${LABELS.tenant} }} (tenant {{ . }}){{ end }}`;

const CLASS_WORDS: Record<string, string> = { error: 'no response', unknown: 'invalid status' };

/** `['5xx', 'error']` → `5xx or no response`. */
export function classWords(classes: readonly string[]): string {
  return classes.map((c) => CLASS_WORDS[c] ?? c).join(' or ');
}

/** `* 300 >= 20`: a per-second rate turned into "at least N events in the window". */
function atLeast(rateExpr: string, window: string, events: number): string {
  return `${rateExpr} * ${durationSeconds(window)} >= ${events}`;
}

function errorBudgetBurn(config: ZdxDeployConfig): AlertingRule[] {
  const budget = round(1 - config.objective);
  return config.burnRates.map((b) => {
    const threshold = `(${b.factor} * (1 - ${config.objective}))`;
    const expr = [
      `${ratioRecord(config, 'server_address', 'errors', b.long)} > ${threshold}`,
      `and`,
      `${ratioRecord(config, 'server_address', 'errors', b.short)} > ${threshold}`,
      `and`,
      atLeast(rateRecord(config, 'server_address', 'requests', b.long), b.long, config.burnRateMinRequests),
    ].join('\n');
    const spent = round((b.factor * durationSeconds(b.long)) / durationSeconds(config.sloPeriod));
    return alertRule(
      config,
      'ZdxApiErrorBudgetBurn',
      b.severity,
      expr,
      b.for,
      'ZDX API calls are burning the error budget too fast.',
      `{{ $value | humanizePercentage }} of requests to {{ $labels.server_address }}${TENANT} failed ` +
        `(${classWords(config.errorStatusClasses)}) over the last ${b.long} and still fail over the last ${b.short}: ` +
        `${b.factor}x the ${percent(budget)} error budget of the ${percent(config.objective)} objective ` +
        `(${percent(spent)} of the ${config.sloPeriod} budget gone in ${b.long}).`,
      { long: b.long, short: b.short },
    );
  });
}

function endpointServerErrors(config: ZdxDeployConfig): AlertingRule {
  const c = config.serverErrors;
  const w = config.rateWindow;
  const expr = [
    `${ratioRecord(config, 'url_template', '5xx', w)} > ${c.ratio}`,
    `and`,
    atLeast(rateRecord(config, 'url_template', 'requests', w), w, c.minEvents),
  ].join('\n');
  return alertRule(
    config,
    'ZdxApiEndpointServerErrors',
    'warning',
    expr,
    c.for,
    'A ZDX API endpoint answers with 5xx server errors.',
    `{{ $value | humanizePercentage }} of requests to {{ $labels.url_template }}${TENANT} got a 5xx response over the last ${w} ` +
      `(threshold ${percent(c.ratio)}, at least ${c.minEvents} requests).`,
  );
}

function endpointRateLimited(config: ZdxDeployConfig): AlertingRule {
  const c = config.rateLimited.endpoint;
  const w = config.rateWindow;
  const expr = [
    `${ratioRecord(config, 'url_template', '429', w)} > ${c.ratio}`,
    `and`,
    atLeast(rateRecord(config, 'url_template', '429', w), w, c.minEvents),
  ].join('\n');
  return alertRule(
    config,
    'ZdxApiEndpointRateLimited',
    'warning',
    expr,
    c.for,
    'A ZDX API endpoint is rate limited (429 Too Many Requests).',
    `{{ $value | humanizePercentage }} of requests to {{ $labels.url_template }}${TENANT} got 429 Too Many Requests ` +
      `over the last ${w} (threshold ${percent(c.ratio)}, at least ${c.minEvents} 429s).`,
  );
}

function rateLimited(config: ZdxDeployConfig): AlertingRule[] {
  const o = config.rateLimited.overall;
  const s = config.rateLimited.sustained;
  const w = config.rateWindow;
  const warning = alertRule(
    config,
    'ZdxApiRateLimited',
    'warning',
    [
      `${ratioRecord(config, 'server_address', '429', w)} > ${o.ratio}`,
      `and`,
      atLeast(rateRecord(config, 'server_address', '429', w), w, o.minEvents),
    ].join('\n'),
    o.for,
    'The ZDX API rate limit is being hit (429 Too Many Requests).',
    `{{ $value | humanizePercentage }} of requests to {{ $labels.server_address }}${TENANT} got 429 Too Many Requests ` +
      `over the last ${w} (threshold ${percent(o.ratio)}, at least ${o.minEvents} 429s).`,
  );
  const critical = alertRule(
    config,
    'ZdxApiRateLimited',
    'critical',
    [
      `${ratioRecord(config, 'server_address', '429', s.window)} > ${s.ratio}`,
      `and`,
      `${ratioRecord(config, 'server_address', '429', w)} > ${s.ratio}`,
      `and`,
      atLeast(rateRecord(config, 'server_address', '429', s.window), s.window, s.minEvents),
    ].join('\n'),
    s.for,
    'The ZDX API rate limit has been hit for a long time (429 Too Many Requests).',
    `{{ $value | humanizePercentage }} of requests to {{ $labels.server_address }}${TENANT} got 429 Too Many Requests ` +
      `over the last ${s.window} and still do over the last ${w}: the client is not backing off.`,
  );
  return [warning, critical];
}

/*
 * Responses with one status code per endpoint in a window, counting series that are new within the window too.
 * The library creates a series on its first such response, so the series' first sample already holds that
 * response and increase() cannot see it; for 401/403, where one or two responses matter, those would be lost.
 * `X unless X offset W` is exactly the series that did not exist W ago; for them the current value is the count.
 */
function statusCount(config: ZdxDeployConfig, code: string, window: string): string {
  const x = raw(config, METRICS.requests, `${LABELS.code}="${code}"`);
  const fresh = `(${x} unless ${x} offset ${window})`;
  const by = [...config.groupLabels, LABELS.host, LABELS.template, LABELS.tenant];
  return sumBy(by, `\n    increase(${x}[${window}])\n  unless\n    ${fresh}\n  or\n    ${fresh}\n`);
}

function authFailures(config: ZdxDeployConfig): AlertingRule[] {
  const u = config.unauthorized;
  const f = config.forbidden;
  return [
    alertRule(
      config,
      'ZdxApiAuthenticationFailures',
      u.severity,
      `${statusCount(config, '401', u.window)} >= ${u.minEvents}`,
      u.for,
      'The ZDX API rejects the credentials (401 Unauthorized).',
      `{{ printf "%.0f" $value }} requests to {{ $labels.url_template }} on {{ $labels.server_address }}${TENANT} got ` +
        `401 Unauthorized in the last ${u.window}: the token expired and was not renewed, or the key or clock is wrong.`,
    ),
    alertRule(
      config,
      'ZdxApiAccessForbidden',
      f.severity,
      `${statusCount(config, '403', f.window)} >= ${f.minEvents}`,
      f.for,
      'The ZDX API refuses access (403 Forbidden).',
      `{{ printf "%.0f" $value }} requests to {{ $labels.url_template }} on {{ $labels.server_address }}${TENANT} got ` +
        `403 Forbidden in the last ${f.window}: the API key is disabled, its role lacks the scope, or a SKU is missing.`,
    ),
  ];
}

/*
 * The rate-limit budget before it is spent (hour and day windows by default). Both alerts need the host to be
 * called right now: the gauges keep the value of the last response, and once calls stop the window resets
 * unseen, so an old "2 left" must not keep an alert firing.
 */
function stillCalled(config: ZdxDeployConfig): string {
  const on = budgetLabels(config).filter((l) => l !== LABELS.window);
  return `and on (${on.join(', ')})\n${rateRecord(config, 'server_address', 'requests', config.rateWindow)} > 0`;
}

function budgetLow(config: ZdxDeployConfig): AlertingRule {
  const b = config.budget;
  return alertRule(
    config,
    'ZdxApiRateLimitBudgetLow',
    b.severity,
    `${budgetRecord(config, 'usedRatio')}{${budgetWindowMatcher(config)}} >= ${b.usedRatio}\n${stillCalled(config)}`,
    b.lowFor,
    'Little of the ZDX API rate-limit budget is left.',
    `{{ $value | humanizePercentage }} of the {{ $labels.${LABELS.window} }} rate-limit budget of ` +
      `{{ $labels.server_address }}${TENANT} is used (threshold ${percent(b.usedRatio)}, lowest remaining across ` +
      `the replicas that report it): calls get 429 once it is gone, until the window resets.`,
  );
}

function budgetExhaustion(config: ZdxDeployConfig): AlertingRule {
  const b = config.budget;
  const rate = budgetRecord(config, 'usedRate');
  const limit = budgetRecord(config, 'limit');
  // One comparison per window: the window length is the horizon (the reset is at most that far away).
  const perWindow = b.windows.map((w) => {
    const m = `{${LABELS.window}="${w}"}`;
    return `  ${rate}${m} * ${budgetWindowSeconds(w)}\n  > ${b.exhaustionFactor} * ${limit}${m}`;
  });
  const expr = [
    budgetRecord(config, 'exhaustion'),
    `and`,
    perWindow.length === 1 ? `(\n${perWindow[0]}\n)` : `(\n${perWindow.join('\n  or\n')}\n)`,
    stillCalled(config),
  ].join('\n');
  const lengths = b.windows.map((w) => `${w}: ${BUDGET_WINDOW_LENGTH[w]}`).join(', ');
  return alertRule(
    config,
    'ZdxApiRateLimitBudgetExhaustion',
    b.severity,
    expr,
    b.exhaustionFor,
    'The ZDX API rate-limit budget will run out before its window resets.',
    `At the pace of the last ${b.trendWindow}, the {{ $labels.${LABELS.window} }} rate-limit budget of ` +
      `{{ $labels.server_address }}${TENANT} is gone in {{ $value | humanizeDuration }}: the calls would use ` +
      `more than ${b.exhaustionFactor === 1 ? 'the whole' : `${b.exhaustionFactor}x the`} budget within one window ` +
      `(${lengths}), so they get 429 before it resets.`,
  );
}

function telemetryAbsent(config: ZdxDeployConfig): AlertingRule {
  const a = config.absent;
  const selector = raw(config, METRICS.requests);
  return alertRule(
    config,
    'ZdxApiTelemetryAbsent',
    a.severity,
    `absent_over_time(${selector}[${a.window}])`,
    a.for,
    'zdx-otel request metrics are missing.',
    `No ${series(METRICS.requests, config.selector)} series for ${a.window}: the service stopped calling ZDX, ` +
      `or its telemetry pipeline (SDK export, Collector, remote write) is broken.`,
  );
}

/** The alerting-rule group. */
export function alertGroups(config: ZdxDeployConfig): RuleGroup<AlertingRule>[] {
  return [
    {
      name: 'zdx-api.alerts',
      ...(config.ruleInterval ? { interval: config.ruleInterval } : {}),
      rules: [
        ...errorBudgetBurn(config),
        endpointServerErrors(config),
        endpointRateLimited(config),
        ...rateLimited(config),
        budgetLow(config),
        budgetExhaustion(config),
        ...authFailures(config),
        telemetryAbsent(config),
      ],
    },
  ];
}

/** Labels an alert of each name carries from its expression (for docs and tests). */
export function alertLevelLabels(config: ZdxDeployConfig): Record<AlertName, string[]> {
  const endpoint = levelLabels(config, 'url_template');
  const host = levelLabels(config, 'server_address');
  const both = [...config.groupLabels, LABELS.host, LABELS.template, LABELS.tenant];
  const budget = budgetLabels(config);
  return {
    ZdxApiErrorBudgetBurn: host,
    ZdxApiEndpointServerErrors: endpoint,
    ZdxApiEndpointRateLimited: endpoint,
    ZdxApiRateLimited: host,
    ZdxApiRateLimitBudgetLow: budget,
    ZdxApiRateLimitBudgetExhaustion: budget,
    ZdxApiAuthenticationFailures: both,
    ZdxApiAccessForbidden: both,
    ZdxApiTelemetryAbsent: [],
  };
}
