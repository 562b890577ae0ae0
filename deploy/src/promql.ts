/*
 * Small PromQL building blocks shared by the rules, alerts and dashboard, so that every expression spells the
 * metric contract (names in `METRICS`, labels in `LABELS`, both derived from the library's src/core/contract.ts) the same way and the user's selector is applied
 * everywhere it should be.
 */
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_URL_TEMPLATE,
  ATTR_ZDX_RATE_LIMIT_WINDOW,
  ATTR_ZDX_STATUS_CLASS,
  ATTR_ZDX_TENANT,
  METRIC_ZDX_API_RATE_LIMIT_LIMIT,
  METRIC_ZDX_API_RATE_LIMIT_REMAINING,
  METRIC_ZDX_API_REQUEST_DURATION,
  METRIC_ZDX_API_REQUESTS,
  METRICS as CONTRACT_METRICS,
  prometheusLabel,
} from '../../src/core/contract.ts';
import type { ZdxDeployConfig } from './config.ts';

/** Prometheus names of the zdx-otel instruments (meter `zdx-otel`), identical on every supported export path. */
export const METRICS = {
  requests: prom(METRIC_ZDX_API_REQUESTS, 0),
  durationBucket: prom(METRIC_ZDX_API_REQUEST_DURATION, 0),
  durationSum: prom(METRIC_ZDX_API_REQUEST_DURATION, 1),
  durationCount: prom(METRIC_ZDX_API_REQUEST_DURATION, 2),
  rateLimitRemaining: prom(METRIC_ZDX_API_RATE_LIMIT_REMAINING, 0),
  rateLimitLimit: prom(METRIC_ZDX_API_RATE_LIMIT_LIMIT, 0),
} as const;

/** Datapoint labels the library sets (resource labels such as `job` come from the export path). */
export const LABELS = {
  method: prometheusLabel(ATTR_HTTP_REQUEST_METHOD),
  template: prometheusLabel(ATTR_URL_TEMPLATE),
  host: prometheusLabel(ATTR_SERVER_ADDRESS),
  code: prometheusLabel(ATTR_HTTP_RESPONSE_STATUS_CODE),
  statusClass: prometheusLabel(ATTR_ZDX_STATUS_CLASS),
  errorType: prometheusLabel(ATTR_ERROR_TYPE),
  window: prometheusLabel(ATTR_ZDX_RATE_LIMIT_WINDOW),
  tenant: prometheusLabel(ATTR_ZDX_TENANT),
} as const;

function prom(name: string, index: number): string {
  const definition = CONTRACT_METRICS.find((m) => m.name === name);
  const series = definition?.prometheus[index];
  if (series === undefined) throw new Error(`the telemetry contract has no Prometheus series ${index} for ${name}`);
  return series;
}

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
