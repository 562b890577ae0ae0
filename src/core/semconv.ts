/*
 * Attribute and metric names used by zdx-otel. Stable HTTP semconv names come from
 * @opentelemetry/semantic-conventions; `url.template` is still incubating there, so (as that package's
 * README advises) it is copied here instead of importing the unstable entry point. The `zdx.*` names are
 * this library's own namespace; docs/telemetry.md documents each one.
 */
export {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ERROR_TYPE_VALUE_OTHER,
} from '@opentelemetry/semantic-conventions';

/** Incubating in semconv (HTTP client spans and metrics, opt-in): the low-cardinality path template. */
export const ATTR_URL_TEMPLATE = 'url.template';

export const ATTR_ZDX_STATUS_CLASS = 'zdx.status_class';
export const ATTR_ZDX_STATUS_TEXT = 'zdx.status_text';
export const ATTR_ZDX_STATUS_DESCRIPTION = 'zdx.status_description';
export const ATTR_ZDX_RETRYABLE = 'zdx.retryable';
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
/** The rate-limit window of a `zdx.api.rate_limit.remaining` point: `second`..`day`, or `window` for `RateLimit-*`. */
export const ATTR_ZDX_RATE_LIMIT_WINDOW = 'zdx.rate_limit.window';

export const METER_NAME = 'zdx-otel';
export const METRIC_ZDX_API_REQUESTS = 'zdx.api.requests';
export const METRIC_ZDX_API_REQUEST_DURATION = 'zdx.api.request.duration';
export const METRIC_ZDX_API_RATE_LIMIT_REMAINING = 'zdx.api.rate_limit.remaining';
