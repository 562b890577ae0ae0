/*
 * The telemetry contract of zdx-otel, in one place: every attribute and metric name, unit, description and
 * closed value set that zdx-otel emits. The instrumentation, the span processor and the Views take their names
 * from here; docs/telemetry.md's tables and the deploy kit (rules, alerts, dashboard, PromQL linter) are
 * generated from or checked against it, so a change here that is not carried everywhere fails a test.
 *
 * The stable HTTP semconv names are spelled out instead of imported from @opentelemetry/semantic-conventions:
 * the core then loads no extra module, and the deploy generator can read this file as it is. A test checks
 * each against the semconv package. `url.template` is still incubating there (its README advises copying such
 * names). The `zdx.*` names are this library's own namespace.
 *
 * Plain data only (no imports, no TypeScript-only runtime syntax): Node runs this file directly for the
 * deploy generator.
 */

export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_URL_FULL = 'url.full';
export const ATTR_URL_PATH = 'url.path';
export const ATTR_URL_QUERY = 'url.query';
export const ERROR_TYPE_VALUE_OTHER = '_OTHER';
/** Set (true) on the one series that collects everything past the cardinality limit, as the SDK does. */
export const ATTR_OTEL_METRIC_OVERFLOW = 'otel.metric.overflow';

/** Incubating in semconv (HTTP client spans and metrics, opt-in): the low-cardinality path template. */
export const ATTR_URL_TEMPLATE = 'url.template';

export const ATTR_ZDX_STATUS_CLASS = 'zdx.status_class';
export const ATTR_ZDX_STATUS_TEXT = 'zdx.status_text';
export const ATTR_ZDX_STATUS_DESCRIPTION = 'zdx.status_description';
export const ATTR_ZDX_RETRYABLE = 'zdx.retryable';
/** The tenant name the service gave the call (never derived from a credential); absent unless set. */
export const ATTR_ZDX_TENANT = 'zdx.tenant';
/** `RateLimit-Limit` (requests). */
export const ATTR_ZDX_RATE_LIMIT_LIMIT = 'zdx.rate_limit.limit';
/** `RateLimit-Remaining` (requests). */
export const ATTR_ZDX_RATE_LIMIT_REMAINING = 'zdx.rate_limit.remaining';
/** `RateLimit-Reset` (UTC epoch seconds). */
export const ATTR_ZDX_RATE_LIMIT_RESET = 'zdx.rate_limit.reset';
/** `X-Ratelimit-{Limit,Remaining}-<Window>`: `zdx.rate_limit.<window>.limit` / `.remaining` (requests). */
export const ATTR_ZDX_RATE_LIMIT_WINDOW_PREFIX = 'zdx.rate_limit.';
/** `Retry-After`, as seconds from the response (an HTTP date is converted). */
export const ATTR_ZDX_RETRY_AFTER = 'zdx.retry_after';
/** The rate-limit window of a `zdx.api.rate_limit.*` point: `second`..`day`, or `window` for the unsuffixed headers. */
export const ATTR_ZDX_RATE_LIMIT_WINDOW = 'zdx.rate_limit.window';

export const METER_NAME = 'zdx-otel';
export const METRIC_ZDX_API_REQUESTS = 'zdx.api.requests';
export const METRIC_ZDX_API_REQUEST_DURATION = 'zdx.api.request.duration';
export const METRIC_ZDX_API_RATE_LIMIT_REMAINING = 'zdx.api.rate_limit.remaining';
export const METRIC_ZDX_API_RATE_LIMIT_LIMIT = 'zdx.api.rate_limit.limit';

// ---- closed value sets -------------------------------------------------------------------------------------

/** `http.request.method` values: the methods recorded as they are; anything else becomes `_OTHER`. */
export const HTTP_METHODS: readonly string[] = Object.freeze([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'TRACE',
  'CONNECT',
  'QUERY',
  '_OTHER',
]);

/** `zdx.status_class` values: the status range, `unknown` for an invalid code, `error` when no response came. */
export const STATUS_CLASSES: readonly string[] = Object.freeze(['1xx', '2xx', '3xx', '4xx', '5xx', 'unknown', 'error']);

/**
 * `zdx.rate_limit.window` values: the `X-Ratelimit-*-{Second,Minute,Hour,Day}` families, and `window` for the
 * unsuffixed headers (`RateLimit-*`, or `X-Ratelimit-Limit`/`-Remaining` when `RateLimit-*` is absent).
 */
export const RATE_LIMIT_WINDOWS: readonly string[] = Object.freeze(['second', 'minute', 'hour', 'day', 'window']);

/**
 * `error.type`: the status code as a string for responses >= 400, otherwise a code or class name matching this
 * pattern (`ECONNREFUSED`, `UND_ERR_SOCKET`, `AbortError`, ...), otherwise `_OTHER`. Never free text.
 */
export const ERROR_TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

// ---- metrics -----------------------------------------------------------------------------------------------

/** The attributes of `zdx.api.requests` and `zdx.api.request.duration`, and nothing else. */
export const REQUEST_METRIC_ATTRIBUTES: readonly string[] = Object.freeze([
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_URL_TEMPLATE,
  ATTR_SERVER_ADDRESS,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_ZDX_STATUS_CLASS,
  ATTR_ERROR_TYPE,
  ATTR_ZDX_TENANT,
]);

/** The attributes of the rate-limit gauges. */
export const RATE_LIMIT_METRIC_ATTRIBUTES: readonly string[] = Object.freeze([
  ATTR_SERVER_ADDRESS,
  ATTR_ZDX_RATE_LIMIT_WINDOW,
  ATTR_ZDX_TENANT,
]);

export interface MetricDefinition {
  readonly name: string;
  readonly instrument: 'counter' | 'histogram' | 'gauge';
  readonly unit: string;
  readonly description: string;
  readonly attributes: readonly string[];
  /** The Prometheus series names it becomes on every supported export path. */
  readonly prometheus: readonly string[];
}

export const METRICS: readonly MetricDefinition[] = Object.freeze([
  {
    name: METRIC_ZDX_API_REQUESTS,
    instrument: 'counter',
    unit: '{request}',
    description: 'HTTP attempts to the ZDX API that got a response or failed.',
    attributes: REQUEST_METRIC_ATTRIBUTES,
    prometheus: ['zdx_api_requests_total'],
  },
  {
    name: METRIC_ZDX_API_REQUEST_DURATION,
    instrument: 'histogram',
    unit: 's',
    description:
      'Duration of HTTP attempts to the ZDX API, from request start to the end of the response body or the error.',
    attributes: REQUEST_METRIC_ATTRIBUTES,
    prometheus: [
      'zdx_api_request_duration_seconds_bucket',
      'zdx_api_request_duration_seconds_sum',
      'zdx_api_request_duration_seconds_count',
    ],
  },
  {
    name: METRIC_ZDX_API_RATE_LIMIT_REMAINING,
    instrument: 'gauge',
    unit: '{request}',
    description: 'Requests left in the ZDX rate-limit window, as last reported by the API.',
    attributes: RATE_LIMIT_METRIC_ATTRIBUTES,
    prometheus: ['zdx_api_rate_limit_remaining'],
  },
  {
    name: METRIC_ZDX_API_RATE_LIMIT_LIMIT,
    instrument: 'gauge',
    unit: '{request}',
    description: 'Request ceiling of the ZDX rate-limit window, as last reported by the API.',
    attributes: RATE_LIMIT_METRIC_ATTRIBUTES,
    prometheus: ['zdx_api_rate_limit_limit'],
  },
]);

/** The Prometheus label name of an attribute (dots and other invalid characters become underscores). */
export function prometheusLabel(attribute: string): string {
  return attribute.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Closed value sets per attribute: PromQL matchers and docs may name only these values. */
export const ATTRIBUTE_VALUES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  [ATTR_HTTP_REQUEST_METHOD]: HTTP_METHODS,
  [ATTR_ZDX_STATUS_CLASS]: STATUS_CLASSES,
  [ATTR_ZDX_RATE_LIMIT_WINDOW]: RATE_LIMIT_WINDOWS,
});
