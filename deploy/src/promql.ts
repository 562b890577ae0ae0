/*
 * Small PromQL building blocks shared by the rules, alerts and dashboard, so that every expression spells the
 * metric contract (names in `METRICS`, labels in `LABELS`) the same way and the user's selector is applied
 * everywhere it should be.
 */
import type { ZdxDeployConfig } from './config.ts';

/** Prometheus names of the zdx-otel instruments (meter `zdx-otel`), identical on every supported export path. */
export const METRICS = {
  requests: 'zdx_api_requests_total',
  durationBucket: 'zdx_api_request_duration_seconds_bucket',
  durationSum: 'zdx_api_request_duration_seconds_sum',
  durationCount: 'zdx_api_request_duration_seconds_count',
  rateLimitRemaining: 'zdx_api_rate_limit_remaining',
} as const;

/** Datapoint labels the library sets (resource labels such as `job` come from the export path). */
export const LABELS = {
  method: 'http_request_method',
  template: 'url_template',
  host: 'server_address',
  code: 'http_response_status_code',
  statusClass: 'zdx_status_class',
  errorType: 'error_type',
  window: 'zdx_rate_limit_window',
} as const;

/** `metric{m1, m2}` with empty matchers dropped; just `metric` when none are left. */
export function series(metric: string, ...matchers: string[]): string {
  const kept = matchers.map((m) => m.trim()).filter((m) => m !== '');
  return kept.length === 0 ? metric : `${metric}{${kept.join(', ')}}`;
}

/** A raw zdx-otel metric with the configured selector applied. */
export function raw(config: ZdxDeployConfig, metric: string, ...matchers: string[]): string {
  return series(metric, config.selector, ...matchers);
}

/** `sum by (a, b) (expr)`, or `sum(expr)` when there is nothing to group by. */
export function sumBy(labels: readonly string[], expr: string): string {
  return labels.length === 0 ? `sum(${expr})` : `sum by (${labels.join(', ')}) (${expr})`;
}

/** Regex alternation matcher value for a fixed set of label values, e.g. `5xx|error`. */
export function alternation(values: readonly string[]): string {
  return values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

/** Matcher for `values`: `=` for one value (Prometheus keeps it as a label on absent()), `=~` for several. */
export function oneOf(label: string, values: readonly string[]): string {
  return values.length === 1 ? `${label}="${values[0]}"` : `${label}=~"${alternation(values)}"`;
}
