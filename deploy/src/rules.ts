/*
 * Recording rules (the mixin's `prometheusRules`): request, error and 429 rates and ratios per endpoint
 * (`url_template`) and per ZDX host (`server_address`) over every window the alerts and dashboard use, and the
 * rate-limit budget per host and window.
 *
 * Every aggregation keeps `zdx_tenant`: a service that names its tenants (`withZdxTenant`) gets one series per
 * tenant, and without tenants `by (..., zdx_tenant)` yields exactly the series it did without the label. The
 * record names leave it out (it is kept like a group label that is always there), so they stay stable.
 *
 * Names follow Prometheus' `level:metric:operations` convention. Numerator and denominator are aggregated
 * separately and then divided (never averaged ratios). Ratios treat a missing error series as zero errors,
 * because the library only creates a series once the first such response arrives: without the fill a healthy
 * endpoint would have no ratio at all instead of 0.
 */
import { BUDGET_WINDOW_LENGTH, durationSeconds, type ZdxDeployConfig } from './config.ts';
import { LABELS, METRICS, oneOf, raw, sumBy } from './promql.ts';

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface RuleGroup<R> {
  name: string;
  interval?: string;
  rules: R[];
}

/** The aggregation levels the rules are recorded at. */
export type Level = 'url_template' | 'server_address';

/** Counters and ratios recorded per level and window. */
export type Family = 'requests' | 'errors' | '429' | '5xx';

/** Labels kept at a level: the user's group labels, the level label, and the tenant (empty when not set). */
export function levelLabels(config: ZdxDeployConfig, level: Level): string[] {
  return [...config.groupLabels, level, LABELS.tenant];
}

/** The level part of a record name: group labels and level label (the tenant is implied, see above). */
function levelPrefix(config: ZdxDeployConfig, level: Level): string {
  return [...config.groupLabels, level].join('_');
}

/** Name of a recorded per-second rate, e.g. `url_template:zdx_api_requests_429:rate5m`. */
export function rateRecord(config: ZdxDeployConfig, level: Level, family: Family, window: string): string {
  const metric = family === 'requests' ? 'zdx_api_requests' : `zdx_api_requests_${family}`;
  return `${levelPrefix(config, level)}:${metric}:rate${window}`;
}

/** Name of a recorded ratio, e.g. `server_address:zdx_api_requests_errors_per_requests:ratio_rate1h`. */
export function ratioRecord(
  config: ZdxDeployConfig,
  level: Level,
  family: Exclude<Family, 'requests'>,
  window: string,
): string {
  return `${levelPrefix(config, level)}:zdx_api_requests_${family}_per_requests:ratio_rate${window}`;
}

/** Every window the alerts need, shortest first, without duplicates. */
export function ruleWindows(config: ZdxDeployConfig): string[] {
  const windows = new Map<number, string>();
  const add = (w: string): void => {
    const seconds = durationSeconds(w);
    if (!windows.has(seconds)) windows.set(seconds, w);
  };
  add(config.rateWindow);
  for (const b of config.burnRates) {
    add(b.short);
    add(b.long);
  }
  add(config.rateLimited.sustained.window);
  return [...windows.entries()].sort((a, b) => a[0] - b[0]).map(([, w]) => w);
}

/** The matcher that selects a family's responses. */
export function familyMatcher(config: ZdxDeployConfig, family: Family): string {
  switch (family) {
    case 'requests':
      return '';
    case 'errors':
      return oneOf(LABELS.statusClass, config.errorStatusClasses);
    case '429':
      return `${LABELS.code}="429"`;
    case '5xx':
      return `${LABELS.statusClass}="5xx"`;
  }
}

function rateRule(config: ZdxDeployConfig, level: Level, family: Family, window: string): RecordingRule {
  return {
    record: rateRecord(config, level, family, window),
    expr: sumBy(
      levelLabels(config, level),
      `rate(${raw(config, METRICS.requests, familyMatcher(config, family))}[${window}])`,
    ),
  };
}

function ratioRule(
  config: ZdxDeployConfig,
  level: Level,
  family: Exclude<Family, 'requests'>,
  window: string,
): RecordingRule {
  const part = rateRecord(config, level, family, window);
  const total = rateRecord(config, level, 'requests', window);
  return {
    record: ratioRecord(config, level, family, window),
    expr: `(${part} or 0 * ${total})\n/\n${total}`,
  };
}

/** Labels of the budget series: one budget per ZDX host, window and tenant (and group labels). */
export function budgetLabels(config: ZdxDeployConfig): string[] {
  return [...config.groupLabels, LABELS.host, LABELS.window, LABELS.tenant];
}

/** Names of the budget records. */
export function budgetRecord(
  config: ZdxDeployConfig,
  what: 'remaining' | 'limit' | 'usedRatio' | 'used' | 'usedRate' | 'exhaustion',
): string {
  const p = levelPrefix(config, 'server_address');
  const t = config.budget.trendWindow;
  return {
    remaining: `${p}:zdx_api_rate_limit_remaining:min`,
    limit: `${p}:zdx_api_rate_limit_limit:max`,
    usedRatio: `${p}:zdx_api_rate_limit_used:ratio`,
    used: `${p}:zdx_api_rate_limit_used:requests`,
    usedRate: `${p}:zdx_api_rate_limit_used:rate${t}`,
    exhaustion: `${p}:zdx_api_rate_limit_exhaustion_seconds:rate${t}`,
  }[what];
}

/** `zdx_rate_limit_window` matcher for the windows the budget alerts watch. */
export function budgetWindowMatcher(config: ZdxDeployConfig): string {
  return oneOf(LABELS.window, config.budget.windows);
}

/**
 * The budget as the API key sees it. Replicas of a service (and other services with the same key) share one
 * budget, and each reports what ZDX said in its own last response: the lowest remaining is the most recent
 * (remaining only falls within a window), and the highest limit guards against a replica that has not yet seen
 * a raised limit. `limit - remaining` counts the requests used in the current window; it drops back at each
 * window reset, so `rate()` reads it like a counter and the consumption rate survives the resets (a gauge
 * slope, as `deriv()`/`predict_linear()` take it, would turn positive for a whole trend window after each).
 */
function budgetRules(config: ZdxDeployConfig): RecordingRule[] {
  const by = budgetLabels(config);
  const remaining = budgetRecord(config, 'remaining');
  const limit = budgetRecord(config, 'limit');
  const used = budgetRecord(config, 'used');
  const usedRate = budgetRecord(config, 'usedRate');
  const windows = budgetWindowMatcher(config);
  return [
    { record: remaining, expr: `min by (${by.join(', ')}) (${raw(config, METRICS.rateLimitRemaining)})` },
    { record: limit, expr: `max by (${by.join(', ')}) (${raw(config, METRICS.rateLimitLimit)})` },
    { record: budgetRecord(config, 'usedRatio'), expr: `1 - ${remaining} / (${limit} > 0)` },
    { record: used, expr: `clamp_min(${limit} - ${remaining}, 0)` },
    { record: usedRate, expr: `rate(${used}{${windows}}[${config.budget.trendWindow}])` },
    // Seconds until the remaining budget is gone at that rate; no series while nothing is being used.
    { record: budgetRecord(config, 'exhaustion'), expr: `${remaining} / (${usedRate} > 0)` },
  ];
}

/** Window length in seconds per budget window (the longest its reset can be away). */
export function budgetWindowSeconds(window: keyof typeof BUDGET_WINDOW_LENGTH): number {
  return durationSeconds(BUDGET_WINDOW_LENGTH[window]);
}

/** The recording-rule groups, in evaluation order (rates before the ratios that read them). */
export function recordingRuleGroups(config: ZdxDeployConfig): RuleGroup<RecordingRule>[] {
  const windows = ruleWindows(config);
  const group = (name: string, level: Level, extra: (w: string) => RecordingRule[]): RuleGroup<RecordingRule> => {
    const rules: RecordingRule[] = [];
    for (const w of windows) {
      for (const family of ['requests', 'errors', '429'] as const) rules.push(rateRule(config, level, family, w));
      rules.push(...extra(w).filter((r) => r.record.includes(':rate')));
      rules.push(ratioRule(config, level, 'errors', w), ratioRule(config, level, '429', w));
      rules.push(...extra(w).filter((r) => r.record.includes(':ratio_rate')));
    }
    return { name, ...(config.ruleInterval ? { interval: config.ruleInterval } : {}), rules };
  };
  return [
    // The 5xx-only series feed the per-endpoint 5xx alert, which looks at the short window only.
    group('zdx-api.rules.url_template', 'url_template', (w) =>
      w === config.rateWindow
        ? [rateRule(config, 'url_template', '5xx', w), ratioRule(config, 'url_template', '5xx', w)]
        : [],
    ),
    group('zdx-api.rules.server_address', 'server_address', () => []),
    {
      name: 'zdx-api.rules.rate_limit',
      ...(config.ruleInterval ? { interval: config.ruleInterval } : {}),
      rules: budgetRules(config),
    },
  ];
}
