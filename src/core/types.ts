import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

/**
 * Options shared by every part of zdx-otel: `ZdxInstrumentation`, `ZdxSpanProcessor`, `zdxViews()` and
 * `startZdxTelemetry()`. Each part reads the options it needs and ignores the rest, so one object can be
 * passed to all of them. Every option also has a `ZDX_OTEL_*` environment variable (see README).
 */
export interface ZdxOtelOptions extends InstrumentationConfig {
  /**
   * Hosts or base URLs to treat as the ZDX API in addition to the built-in ZDX and OneAPI hosts:
   * proxies, private gateways, a local simulator. Accepted forms:
   * `host`, `host:port`, `http(s)://host[:port]` and `http(s)://host[:port]/base/path`
   * (the base path is removed before the endpoint template is looked up).
   * Env: `ZDX_OTEL_EXTRA_HOSTS` (comma-separated).
   */
  extraHosts?: readonly string[];
  /**
   * How many distinct templates may be made up for paths on ZDX hosts that match no known endpoint, before
   * further unknown paths share the single overflow template `/{other}`. Default 50.
   * Env: `ZDX_OTEL_MAX_UNKNOWN_TEMPLATES`.
   */
  maxUnknownTemplates?: number;
  /**
   * Query keys whose values are replaced by `REDACTED` in `url.full` and `url.query`, in addition to the
   * built-in list (credentials, OpenTelemetry's default sensitive keys, ZDX's PII keys, person and device keys;
   * see docs/security.md). Case-insensitive, and matched in any percent-encoding.
   * Env: `ZDX_OTEL_REDACTED_QUERY_KEYS` (comma-separated).
   */
  redactedQueryKeys?: readonly string[];
  /**
   * Bucket boundaries, in seconds, of `zdx.api.request.duration`. Default
   * `[0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60]`. Env: `ZDX_OTEL_DURATION_BUCKETS`.
   */
  durationBuckets?: readonly number[];
  /**
   * Upper bound on the number of attribute sets (series) per zdx-otel metric stream, for the life of the
   * process and whatever the temporality; beyond it new sets are folded into one `otel.metric.overflow=true`
   * series (rate-limit gauges: not tracked). Default 2000. Env: `ZDX_OTEL_CARDINALITY_LIMIT`.
   */
  cardinalityLimit?: number;
  /**
   * How many distinct tenant names (set with `withZdxTenant()`) are recorded before further names share
   * `_OTHER`. Default 20. Env: `ZDX_OTEL_MAX_TENANTS`.
   */
  maxTenants?: number;
}

/** The class of a ZDX response: the status range, or `unknown` (invalid code) / `error` (no response at all). */
export type ZdxStatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'unknown' | 'error';

/** What the ZDX status-code table (or HTTP, for codes ZDX does not list) says about one status code. */
export interface ZdxStatusInfo {
  /** The code, or undefined when no response came. */
  readonly code: number | undefined;
  readonly statusClass: ZdxStatusClass;
  /** ZDX's status text ("Too Many Requests"), or the HTTP reason phrase for codes ZDX does not list. */
  readonly text: string;
  /** ZDX's description, or a sentence saying ZDX does not document the code. */
  readonly description: string;
  /** Whether repeating the same request later can succeed (408, 429, 500, 502, 503, 504). */
  readonly retryable: boolean;
  /** Whether the code is one of the 30 in ZDX's "Understanding Error Codes" table. */
  readonly documented: boolean;
}

/** One rate-limit window reported by the `X-Ratelimit-*-{Second,Minute,Hour,Day}` header family. */
export type ZdxRateLimitWindow = 'second' | 'minute' | 'hour' | 'day';

/**
 * Rate-limit facts read from one response's headers. Absent fields were not sent or could not be read. Every
 * count and the reset are whole, non-negative safe integers; `retryAfterSeconds` may have a fraction.
 */
export interface ZdxRateLimitFacts {
  /** `RateLimit-Limit` (or `X-Ratelimit-Limit` when it is absent): request ceiling of the current window. */
  limit?: number;
  /** `RateLimit-Remaining` (or `X-Ratelimit-Remaining` when it is absent): requests left in the current window. */
  remaining?: number;
  /**
   * `RateLimit-Reset` (or `X-Ratelimit-Reset` when it is absent): when the window resets, as whole UTC epoch
   * seconds. Values below 1e9 are deltas from the response time (rounded up), 1e9 to 1e10 epochs, larger ones
   * are dropped.
   */
  resetEpochSeconds?: number;
  /** `X-Ratelimit-Limit-<Window>` / `X-Ratelimit-Remaining-<Window>`. */
  windows?: Partial<Record<ZdxRateLimitWindow, { limit?: number; remaining?: number }>>;
  /** `Retry-After`, converted to seconds from now (an HTTP date is turned into a delay; `13s` is 13). */
  retryAfterSeconds?: number;
}
