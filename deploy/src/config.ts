/*
 * The `_config` of the zdx-otel monitoring mixin: every threshold, window, `for:` duration, selector and link
 * that the rules, alerts and dashboard are rendered from. `resolveConfig()` merges a user's partial options
 * (e.g. from the JSON file given to `generate.ts --config`) over `DEFAULT_CONFIG` and validates the result, so
 * a typo fails at generation time instead of producing rules that promtool or Prometheus rejects later.
 *
 * Only erasable TypeScript syntax is used here (no enums, namespaces or parameter properties) so that Node runs
 * the file directly with type stripping.
 */

/** Alert severities, as in the monitoring-mixins style guide: `critical` pages, `warning` makes a ticket. */
export type Severity = 'critical' | 'warning' | 'info';

/** One multi-window burn-rate alert: fires when both windows burn the budget `factor` times too fast. */
export interface BurnRateWindow {
  severity: Severity;
  /** Long window; decides how much budget must have been spent (factor × window / SLO period). */
  long: string;
  /** Short window; makes the alert resolve soon after the errors stop. Usually long / 12. */
  short: string;
  /** Burn-rate factor: 1 spends exactly the budget over the SLO period. */
  factor: number;
  for: string;
}

/** A ratio alert that needs both a share of requests and an absolute count, so one odd request cannot fire it. */
export interface RatioAlertConfig {
  /** Ratio (0..1) above which the alert condition is true. */
  ratio: number;
  /** The condition also needs at least this many events (429s, requests) in the window. */
  minEvents: number;
  for: string;
}

/** Count alert over a window, for 401/403: any sustained stream of them means broken credentials or entitlement. */
export interface CountAlertConfig {
  window: string;
  /** Fires when at least this many responses arrived in `window`. */
  minEvents: number;
  for: string;
  severity: Severity;
}

export interface ZdxDeployConfig {
  /**
   * Label matchers ANDed into every selector of a zdx-otel metric in the rules and alerts, like a mixin's
   * `selector`, e.g. `job="billing"` or `service_name=~"billing|reports"`. Empty: every series (the default).
   */
  selector: string;
  /**
   * Labels kept by every aggregation in addition to `url_template` / `server_address`, e.g. `["job"]` to get one
   * alert per service, or `["cluster", "namespace"]`. They must exist on the series (resource labels differ per
   * export path: `job`/`instance` via Collector or Prometheus, `service_name` via VictoriaMetrics).
   */
  groupLabels: string[];
  /** `interval:` of the rule groups; empty uses Prometheus' global `evaluation_interval`. */
  ruleInterval: string;
  /** Availability objective of the ZDX API as this client sees it: share of requests without a server-side failure. */
  objective: number;
  /** SLO period the burn-rate factors are relative to; only used in descriptions and the dashboard. */
  sloPeriod: string;
  /** `zdx_status_class` values that spend the error budget: 5xx answers and requests that got no response. */
  errorStatusClasses: string[];
  /** Short rate window of the ratio alerts (429, 5xx); at least 4x the export/scrape interval. */
  rateWindow: string;
  /** Multi-window multi-burn-rate alerts (SRE workbook): 14.4x 1h/5m and 6x 6h/30m page, 3x 1d/2h and 1x 3d/6h ticket. */
  burnRates: BurnRateWindow[];
  /** Minimum requests in a burn-rate alert's long window; below it a handful of failures is not a burn. */
  burnRateMinRequests: number;
  rateLimited: {
    /** Per endpoint (`url_template`), over `rateWindow`, warning. `minEvents` counts 429 responses. */
    endpoint: RatioAlertConfig;
    /** Per ZDX host (`server_address`), over `rateWindow`, warning. */
    overall: RatioAlertConfig;
    /** Per ZDX host over `window` and still over `rateWindow`, critical: back-off is not working. */
    sustained: RatioAlertConfig & { window: string };
  };
  /** Share of 5xx responses per endpoint over `rateWindow`; `minEvents` counts requests (the minimum-traffic guard). */
  serverErrors: RatioAlertConfig;
  /**
   * The rate-limit budget before it is spent, from `zdx_api_rate_limit_remaining` / `_limit`. Replicas of a
   * service (and other services using the same API key) share one budget, so the rules take the lowest
   * remaining and the highest limit across them.
   */
  budget: {
    /** `zdx_rate_limit_window` values the budget alerts watch (`hour`, `day`; also `minute`). */
    windows: BudgetWindow[];
    /** `ZdxApiRateLimitBudgetLow` fires when at least this share of a window's budget is used. */
    usedRatio: number;
    /** Range over which the consumption rate is measured for the exhaustion forecast. */
    trendWindow: string;
    /**
     * `ZdxApiRateLimitBudgetExhaustion` fires when the consumption rate over `trendWindow` would spend more
     * than `exhaustionFactor` times the window's whole budget within one window length.
     */
    exhaustionFactor: number;
    lowFor: string;
    exhaustionFor: string;
    severity: Severity;
  };
  /** 401 Unauthorized per endpoint: expired or unrefreshed token, wrong key secret, clock skew. */
  unauthorized: CountAlertConfig;
  /** 403 Forbidden per endpoint: disabled API key, role without the scope, missing SKU. */
  forbidden: CountAlertConfig;
  /** No zdx-otel request series at all for `window`. */
  absent: { window: string; for: string; severity: Severity };
  /** Base URL of deploy/runbook.md; each alert links to `<runbookUrl>#<alertname in lower case>`. */
  runbookUrl: string;
  /** Extra labels put on every alert, e.g. `{ "team": "it-ops" }` for Alertmanager routing. */
  alertLabels: Record<string, string>;
  dashboard: {
    uid: string;
    title: string;
    tags: string[];
    /** Resource label that identifies a service on your export path (`job` via Collector/Prometheus, `service_name` on VictoriaMetrics). */
    serviceLabel: string;
    /** Default of the data-source variable: a data-source name or uid; empty picks Grafana's default Prometheus. */
    datasource: string;
    refresh: string;
    from: string;
  };
  k8s: {
    /** Labels on the PrometheusRule so the Prometheus Operator's `ruleSelector` picks it up (e.g. `release`). */
    ruleLabels: Record<string, string>;
    /** Labels on the dashboard ConfigMap for Grafana's dashboard sidecar. */
    dashboardLabels: Record<string, string>;
    /** Annotations on the dashboard ConfigMap (e.g. the sidecar's folder annotation). */
    dashboardAnnotations: Record<string, string>;
  };
}

/** Rate-limit windows with a known length (`window`, the unsuffixed `RateLimit-*` headers, has none). */
export type BudgetWindow = 'minute' | 'hour' | 'day';

/** Length of each ZDX rate-limit window: the longest a window's reset can be away. */
export const BUDGET_WINDOW_LENGTH: Readonly<Record<BudgetWindow, string>> = { minute: '1m', hour: '1h', day: '1d' };

/** A user's options: any subset, nested objects merged key by key, arrays replaced whole. */
export type ZdxDeployOptions = DeepPartial<ZdxDeployConfig>;
type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

export const DEFAULT_CONFIG: ZdxDeployConfig = {
  selector: '',
  groupLabels: [],
  ruleInterval: '',
  objective: 0.99,
  sloPeriod: '30d',
  errorStatusClasses: ['5xx', 'error'],
  // The SDK pushes every 60 s by default; 5m is the shortest window that still holds 4 points.
  rateWindow: '5m',
  // SRE workbook "Alerting on SLOs", recommended parameters for a 30-day SLO; `for:` as in kubernetes-mixin.
  burnRates: [
    { severity: 'critical', long: '1h', short: '5m', factor: 14.4, for: '2m' },
    { severity: 'critical', long: '6h', short: '30m', factor: 6, for: '15m' },
    { severity: 'warning', long: '1d', short: '2h', factor: 3, for: '1h' },
    { severity: 'warning', long: '3d', short: '6h', factor: 1, for: '3h' },
  ],
  burnRateMinRequests: 20,
  rateLimited: {
    endpoint: { ratio: 0.05, minEvents: 5, for: '5m' },
    overall: { ratio: 0.05, minEvents: 10, for: '5m' },
    // 60 429s in an hour is one a minute: a client that honours Retry-After does not keep that up.
    sustained: { window: '1h', ratio: 0.05, minEvents: 60, for: '15m' },
  },
  serverErrors: { ratio: 0.05, minEvents: 20, for: '10m' },
  // The hour and day budgets take long to recover; second and minute windows reset before anyone can act.
  budget: {
    windows: ['hour', 'day'],
    usedRatio: 0.9,
    trendWindow: '15m',
    exhaustionFactor: 1,
    lowFor: '5m',
    exhaustionFor: '10m',
    severity: 'warning',
  },
  // Tokens live 3600 s, so one 401 an hour per endpoint is a normal refresh; three in 10 minutes is not.
  unauthorized: { window: '10m', minEvents: 3, for: '5m', severity: 'critical' },
  // A 403 does not heal by retrying (disabled key, role scope, SKU), so the first one counts.
  forbidden: { window: '10m', minEvents: 1, for: '5m', severity: 'critical' },
  absent: { window: '15m', for: '5m', severity: 'warning' },
  // Placeholder host (RFC 2606 `.example`): set `runbookUrl` to where your copy of deploy/runbook.md is served.
  runbookUrl: 'https://zdx-otel.example/deploy/runbook.md',
  alertLabels: {},
  dashboard: {
    uid: 'zdx-api',
    title: 'ZDX API client',
    tags: ['zdx', 'zdx-otel', 'opentelemetry'],
    serviceLabel: 'job',
    datasource: '',
    refresh: '1m',
    from: 'now-6h',
  },
  k8s: {
    ruleLabels: { 'app.kubernetes.io/name': 'zdx-otel', 'app.kubernetes.io/component': 'alerting' },
    dashboardLabels: { grafana_dashboard: '1' },
    dashboardAnnotations: { grafana_folder: 'ZDX' },
  },
};

/** Merges `options` over `DEFAULT_CONFIG` (objects key by key, arrays replaced) and validates the result. */
export function resolveConfig(options: ZdxDeployOptions = {}): ZdxDeployConfig {
  const merged = merge(structuredClone(DEFAULT_CONFIG), options, '') as ZdxDeployConfig;
  validate(merged);
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge(base: unknown, override: unknown, path: string): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) {
    if (isPlainObject(base) !== isPlainObject(override) || Array.isArray(base) !== Array.isArray(override)) {
      throw new Error(`config ${path || '(root)'}: expected ${describe(base)}, got ${describe(override)}`);
    }
    return override;
  }
  // Free-form maps (labels, annotations) are replaced whole, so a user can remove a default label.
  if (FREE_FORM_MAPS.has(path)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const childPath = path ? `${path}.${key}` : key;
    if (!(key in base)) throw new Error(`config ${childPath}: unknown option`);
    out[key] = merge(base[key], value, childPath);
  }
  return out;
}

const FREE_FORM_MAPS = new Set(['alertLabels', 'k8s.ruleLabels', 'k8s.dashboardLabels', 'k8s.dashboardAnnotations']);

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
// Prometheus duration syntax of 2.42: units from largest to smallest, each at most once (e.g. 1h30m).
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Seconds in a Prometheus duration such as `5m`, `1h30m` or `3d`; throws on anything promtool would reject. */
export function durationSeconds(duration: string): number {
  const match = DURATION.exec(duration);
  if (!match || duration === '') throw new Error(`invalid Prometheus duration ${JSON.stringify(duration)}`);
  const units = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
  let seconds = 0;
  units.forEach((unit, i) => {
    const n = match[i + 1];
    if (n !== undefined) seconds += Number(n) * (UNIT_SECONDS[unit] ?? 0);
  });
  return seconds;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SEVERITIES: readonly string[] = ['critical', 'warning', 'info'];
const STATUS_CLASSES: readonly string[] = ['1xx', '2xx', '3xx', '4xx', '5xx', 'unknown', 'error'];

function validate(c: ZdxDeployConfig): void {
  const fail = (message: string): never => {
    throw new Error(`config ${message}`);
  };
  const window = (name: string, value: string, allowZero = false): void => {
    let seconds: number;
    try {
      seconds = durationSeconds(value);
    } catch (error) {
      fail(`${name}: ${(error as Error).message}`);
      return;
    }
    if (!allowZero && seconds <= 0) fail(`${name}: must be longer than 0s`);
  };
  const ratio = (name: string, value: number, open = false): void => {
    if (!(typeof value === 'number' && value > 0 && (open ? value < 1 : value <= 1))) {
      fail(`${name}: must be a number in (0, 1${open ? ')' : ']'}, got ${String(value)}`);
    }
  };
  const count = (name: string, value: number): void => {
    if (!(Number.isFinite(value) && value >= 0)) fail(`${name}: must be a number >= 0, got ${String(value)}`);
  };
  const severity = (name: string, value: string): void => {
    if (!SEVERITIES.includes(value)) fail(`${name}: must be one of ${SEVERITIES.join(', ')}, got ${value}`);
  };

  if (typeof c.selector !== 'string') fail('selector: must be a string of label matchers');
  if (/[{}]/.test(c.selector)) fail('selector: give the matchers without braces, e.g. job="billing"');
  for (const label of c.groupLabels) {
    if (!LABEL_NAME.test(label)) fail(`groupLabels: ${JSON.stringify(label)} is not a label name`);
    if (['url_template', 'server_address', 'zdx_tenant', 'le'].includes(label))
      fail(`groupLabels: ${label} is always kept`);
  }
  if (c.ruleInterval !== '') window('ruleInterval', c.ruleInterval);
  ratio('objective', c.objective, true);
  window('sloPeriod', c.sloPeriod);
  if (c.errorStatusClasses.length === 0) fail('errorStatusClasses: needs at least one class');
  for (const cls of c.errorStatusClasses) {
    if (!STATUS_CLASSES.includes(cls)) fail(`errorStatusClasses: ${cls} is not a zdx_status_class value`);
  }
  window('rateWindow', c.rateWindow);
  if (c.burnRates.length === 0) fail('burnRates: needs at least one window pair');
  c.burnRates.forEach((b, i) => {
    window(`burnRates[${i}].long`, b.long);
    window(`burnRates[${i}].short`, b.short);
    window(`burnRates[${i}].for`, b.for, true);
    severity(`burnRates[${i}].severity`, b.severity);
    if (!(b.factor > 0)) fail(`burnRates[${i}].factor: must be > 0`);
    if (durationSeconds(b.short) > durationSeconds(b.long)) fail(`burnRates[${i}]: short window longer than long`);
    if (b.factor * (1 - c.objective) >= 1) {
      fail(`burnRates[${i}]: factor ${b.factor} x budget ${round(1 - c.objective)} >= 1 can never fire`);
    }
  });
  count('burnRateMinRequests', c.burnRateMinRequests);
  for (const [name, r] of Object.entries({
    'rateLimited.endpoint': c.rateLimited.endpoint,
    'rateLimited.overall': c.rateLimited.overall,
    'rateLimited.sustained': c.rateLimited.sustained,
    serverErrors: c.serverErrors,
  })) {
    ratio(`${name}.ratio`, r.ratio);
    count(`${name}.minEvents`, r.minEvents);
    window(`${name}.for`, r.for, true);
  }
  window('rateLimited.sustained.window', c.rateLimited.sustained.window);
  const b = c.budget;
  if (b.windows.length === 0) fail('budget.windows: needs at least one window');
  for (const w of b.windows) {
    if (!(w in BUDGET_WINDOW_LENGTH))
      fail(`budget.windows: ${String(w)} is not one of ${Object.keys(BUDGET_WINDOW_LENGTH).join(', ')}`);
  }
  ratio('budget.usedRatio', b.usedRatio, true);
  window('budget.trendWindow', b.trendWindow);
  if (!(typeof b.exhaustionFactor === 'number' && b.exhaustionFactor > 0)) fail('budget.exhaustionFactor: must be > 0');
  window('budget.lowFor', b.lowFor, true);
  window('budget.exhaustionFor', b.exhaustionFor, true);
  severity('budget.severity', b.severity);
  for (const [name, a] of Object.entries({ unauthorized: c.unauthorized, forbidden: c.forbidden })) {
    window(`${name}.window`, a.window);
    window(`${name}.for`, a.for, true);
    count(`${name}.minEvents`, a.minEvents);
    if (a.minEvents <= 0) fail(`${name}.minEvents: must be > 0`);
    severity(`${name}.severity`, a.severity);
  }
  window('absent.window', c.absent.window);
  window('absent.for', c.absent.for, true);
  severity('absent.severity', c.absent.severity);
  if (!/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(c.runbookUrl) || c.runbookUrl.includes('#')) {
    fail('runbookUrl: must be an absolute URL without a #fragment');
  }
  for (const key of Object.keys(c.alertLabels)) {
    if (!LABEL_NAME.test(key)) fail(`alertLabels: ${JSON.stringify(key)} is not a label name`);
    if (key === 'severity') fail('alertLabels: severity is set per alert');
  }
  if (!LABEL_NAME.test(c.dashboard.serviceLabel)) fail('dashboard.serviceLabel: not a label name');
  if (!/^[a-zA-Z0-9_-]{1,40}$/.test(c.dashboard.uid)) fail('dashboard.uid: 1-40 of [a-zA-Z0-9_-]');
}

/** Rounds away binary noise (1 - 0.99 = 0.010000000000000009) for display. */
export function round(value: number): number {
  return Number(value.toPrecision(12));
}

/** `0.99` → `"99%"`, `0.9995` → `"99.95%"`. */
export function percent(value: number): string {
  return `${round(value * 100)}%`;
}
