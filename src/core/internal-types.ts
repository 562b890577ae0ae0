import type { ZdxRateLimitFacts } from './types.js';

/**
 * What the diagnostics-channel observer knows about one ZDX HTTP attempt. Created once at request start
 * (host match and templating happen there, once), filled in as headers and the end arrive, then handed to
 * the metric recorder and, through the span registry, to `ZdxSpanProcessor`.
 */
export interface RequestRecord {
  /** Normalised method: a known HTTP method in upper case, or `_OTHER`. */
  readonly method: string;
  readonly template: string;
  readonly serverAddress: string;
  /** The tenant the service named with `withZdxTenant()`, after the tenant cap; undefined when none. */
  readonly tenant: string | undefined;
  /** `performance.now()` at request start. */
  readonly startedAt: number;
  statusCode: number | undefined;
  rateLimit: ZdxRateLimitFacts | undefined;
  /** Set when the attempt failed (no response, or the body did not arrive): error code or name. */
  errorType: string | undefined;
  /** Set once the attempt has been counted (when its status is known, or when it failed without one). */
  counted: boolean;
  /** Set once the attempt is over (body end, close, abort or error), so that a second end signal is ignored. */
  ended: boolean;
  /** The metric recorder's cached attribute sets for this (method, template, server, tenant); its own business. */
  series: unknown;
}
