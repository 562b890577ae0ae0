import {
  METRIC_ZDX_API_RATE_LIMIT_REMAINING,
  METRIC_ZDX_API_REQUEST_DURATION,
  METRIC_ZDX_API_REQUESTS,
} from '../../core/contract.js';
import type { ExportedPoint } from './otlp-json.js';

export interface EndpointRow {
  readonly template: string;
  requests: number;
  ok2xx: number;
  client4xx: number;
  throttled429: number;
  server5xx: number;
  failed: number;
  /** Seconds, from the histogram buckets; undefined before any observation. */
  p95?: number;
}

export interface DemoSummary {
  readonly rows: EndpointRow[];
  readonly total: EndpointRow;
  /** Rate-limit window -> requests remaining, as last reported. */
  readonly remaining: ReadonlyMap<string, number>;
}

/** Folds exported points into one row per endpoint template (the demo's table). */
export function summarize(points: readonly ExportedPoint[]): DemoSummary {
  const rows = new Map<string, EndpointRow>();
  const buckets = new Map<string, { bounds: readonly number[]; counts: number[] }>();
  const remaining = new Map<string, number>();
  const row = (template: string) => {
    let r = rows.get(template);
    if (!r)
      rows.set(
        template,
        (r = { template, requests: 0, ok2xx: 0, client4xx: 0, throttled429: 0, server5xx: 0, failed: 0 }),
      );
    return r;
  };
  for (const p of points) {
    const template = String(p.attributes['url.template'] ?? '');
    if (p.metric === METRIC_ZDX_API_REQUESTS) {
      const r = row(template);
      r.requests += p.value;
      const cls = p.attributes['zdx.status_class'];
      if (p.attributes['http.response.status_code'] === 429) r.throttled429 += p.value;
      else if (cls === '2xx') r.ok2xx += p.value;
      else if (cls === '4xx') r.client4xx += p.value;
      else if (cls === '5xx') r.server5xx += p.value;
      else if (cls === 'error') r.failed += p.value;
    } else if (p.metric.startsWith(METRIC_ZDX_API_REQUEST_DURATION) && p.histogram) {
      const b = buckets.get(template);
      if (!b) buckets.set(template, { bounds: p.histogram.bounds, counts: [...p.histogram.counts] });
      else
        p.histogram.counts.forEach((c, i) => {
          b.counts[i] = (b.counts[i] ?? 0) + c;
        });
    } else if (p.metric === METRIC_ZDX_API_RATE_LIMIT_REMAINING) {
      remaining.set(String(p.attributes['zdx.rate_limit.window']), p.value);
    }
  }
  for (const [template, b] of buckets) {
    const p95 = quantile(0.95, b.bounds, b.counts);
    if (p95 !== undefined) row(template).p95 = p95;
  }
  const sorted = [...rows.values()].sort((a, b) => b.requests - a.requests || a.template.localeCompare(b.template));
  const total: EndpointRow = {
    template: 'all endpoints',
    requests: 0,
    ok2xx: 0,
    client4xx: 0,
    throttled429: 0,
    server5xx: 0,
    failed: 0,
  };
  const all = { bounds: [] as readonly number[], counts: [] as number[] };
  for (const r of sorted) {
    total.requests += r.requests;
    total.ok2xx += r.ok2xx;
    total.client4xx += r.client4xx;
    total.throttled429 += r.throttled429;
    total.server5xx += r.server5xx;
    total.failed += r.failed;
  }
  for (const b of buckets.values()) {
    all.bounds = b.bounds;
    b.counts.forEach((c, i) => {
      all.counts[i] = (all.counts[i] ?? 0) + c;
    });
  }
  const p95 = quantile(0.95, all.bounds, all.counts);
  if (p95 !== undefined) total.p95 = p95;
  return { rows: sorted, total, remaining };
}

/** Prometheus-style histogram_quantile: linear interpolation inside the bucket that holds the rank. */
export function quantile(q: number, bounds: readonly number[], counts: readonly number[]): number | undefined {
  const n = counts.reduce((a, b) => a + b, 0);
  if (n === 0) return undefined;
  const rank = q * n;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (seen + c >= rank && c > 0) {
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      // The +Inf bucket has no upper bound: report its lower bound, as Prometheus does.
      if (i >= bounds.length) return lower;
      return lower + (bounds[i]! - lower) * ((rank - seen) / c);
    }
    seen += c;
  }
  return bounds.at(-1);
}
