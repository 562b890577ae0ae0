import { SpanKind, SpanStatusCode, type AttributeValue, type Attributes, type SpanStatus } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { classifyStatus, statusMessage } from './catalog/status.js';
import { resolveOptions } from './config.js';
import { compileRedactor } from './route/redact.js';
import { TemplateRouter } from './route/template.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_TEMPLATE,
  ATTR_ZDX_RATE_LIMIT_LIMIT,
  ATTR_ZDX_RATE_LIMIT_REMAINING,
  ATTR_ZDX_RATE_LIMIT_RESET,
  ATTR_ZDX_RATE_LIMIT_WINDOW_PREFIX,
  ATTR_ZDX_RETRY_AFTER,
  ATTR_ZDX_RETRYABLE,
  ATTR_ZDX_STATUS_CLASS,
  ATTR_ZDX_STATUS_DESCRIPTION,
  ATTR_ZDX_STATUS_TEXT,
  ATTR_ZDX_TENANT,
} from './contract.js';
import { internalError } from './internal-errors.js';
import { normalizeErrorType } from './observer.js';
import { sharedSpanRegistry, sharedUndiciHandover } from './span-registry.js';
import type { ZdxOtelOptions, ZdxRateLimitFacts, ZdxRateLimitWindow } from './types.js';

const WINDOW_KEYS: Record<ZdxRateLimitWindow, readonly [limit: string, remaining: string]> = {
  second: [`${ATTR_ZDX_RATE_LIMIT_WINDOW_PREFIX}second.limit`, `${ATTR_ZDX_RATE_LIMIT_WINDOW_PREFIX}second.remaining`],
  minute: [`${ATTR_ZDX_RATE_LIMIT_WINDOW_PREFIX}minute.limit`, `${ATTR_ZDX_RATE_LIMIT_WINDOW_PREFIX}minute.remaining`],
  hour: [`${ATTR_ZDX_RATE_LIMIT_WINDOW_PREFIX}hour.limit`, `${ATTR_ZDX_RATE_LIMIT_WINDOW_PREFIX}hour.remaining`],
  day: [`${ATTR_ZDX_RATE_LIMIT_WINDOW_PREFIX}day.limit`, `${ATTR_ZDX_RATE_LIMIT_WINDOW_PREFIX}day.remaining`],
};

interface StatusAttributes {
  readonly attributes: Attributes;
  readonly status: SpanStatus | undefined;
}

const MAX_CACHED_STATUSES = 1000;

// Captured header attributes (only present if a user turned header capture on) that carry credentials.
const SECRET_HEADER_ATTRIBUTE =
  /^http\.(?:request|response)\.header\.(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-partner-id|.*token.*|.*secret.*)$/;
const REQUEST_HEADER_PREFIX = 'http.request.header.';
const RESPONSE_HEADER_PREFIX = 'http.response.header.';

/**
 * Completes the CLIENT spans that `@opentelemetry/instrumentation-http` and `-undici` make for ZDX calls,
 * at their default configuration: names them `{METHOD} {url.template}`, adds the ZDX status meaning,
 * retryability and rate-limit facts, sets ERROR status for 4xx/5xx, and redacts `url.full` / `url.query`.
 * It works in `onEnding`, while the span can still be changed, so put it FIRST in `spanProcessors`,
 * before the processor that exports. SERVER spans and spans to other hosts are left alone.
 */
export class ZdxSpanProcessor implements SpanProcessor {
  private readonly router: TemplateRouter;
  private readonly redactor: ReturnType<typeof compileRedactor>;
  private readonly registry = sharedSpanRegistry();
  private readonly handover = sharedUndiciHandover();
  /** The status-derived attributes (and ERROR status) per status code, built once each. */
  private readonly byStatus = new Map<number, StatusAttributes>();
  private shutDown = false;

  constructor(options: ZdxOtelOptions = {}) {
    const resolved = resolveOptions(options);
    this.router = new TemplateRouter({
      extraHosts: resolved.extraHosts,
      maxUnknownTemplates: resolved.maxUnknownTemplates,
    });
    this.redactor = compileRedactor(resolved.redactedQueryKeys);
    this.registry.consumers++;
  }

  onStart(span: Span): void {
    if (span.kind !== SpanKind.CLIENT) return;
    try {
      // instrumentation-undici starts its span inside the same channel publish in which the observer made
      // the request's record: that is where the two are paired (no header involved).
      this.handover.started(span);
    } catch (error) {
      internalError('ZdxSpanProcessor.onStart', error);
    }
  }

  onEnding(span: Span): void {
    if (span.kind !== SpanKind.CLIENT) return;
    try {
      this.enrich(span);
    } catch (error) {
      // A span missing some ZDX attributes is better than an exception inside the caller's span.end().
      internalError('ZdxSpanProcessor.onEnding', error);
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    if (!this.shutDown) {
      this.shutDown = true;
      this.registry.consumers--;
    }
    return Promise.resolve();
  }

  private enrich(span: Span): void {
    const attributes = span.attributes;
    // Records are only made for ZDX requests: with none waiting (every span of a service that is not calling ZDX
    // right now) there is no span id to read and nothing to look up.
    const record = this.registry.size > 0 ? this.registry.take(span.spanContext().spanId) : undefined;
    // Without a record (a span made by some other instrumentation, or one started while zdx-otel's observer
    // was not subscribed) the span's own attributes still give host, path and status; only the rate-limit
    // headers and the tenant are then unknown.
    const template = record?.template ?? this.templateOf(attributes);
    if (template === undefined) return;

    const method = record?.method ?? stringAttribute(attributes[ATTR_HTTP_REQUEST_METHOD]) ?? '_OTHER';
    const statusCode = record?.statusCode ?? numberAttribute(attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]);
    // Redaction reads (and scans) the attributes first, while the object still has only the instrumentation's
    // own: the dozen added below take it past V8's limit for fast properties, after which every read and the
    // scan for captured headers cost several times more.
    this.redact(span, attributes);

    span.updateName(`${method === '_OTHER' ? 'HTTP' : method} ${template}`);
    span.setAttribute(ATTR_URL_TEMPLATE, template);
    const status = this.statusAttributes(statusCode);
    span.setAttributes(status.attributes);
    if (status.status) {
      span.setStatus(status.status);
    } else if (statusCode === undefined) {
      // The instrumentations disagree on failures (http: the class name, often just "Error"; undici: the
      // code); use the code, as the metrics do. The span may end before the observer saw the error, so the
      // recorded exception is the fallback.
      const failure = record?.errorType ?? exceptionType(span);
      if (failure !== undefined) span.setAttribute(ATTR_ERROR_TYPE, failure);
    }
    if (record?.tenant !== undefined) span.setAttribute(ATTR_ZDX_TENANT, record.tenant);
    if (record?.rateLimit) setRateLimitAttributes(span, record.rateLimit);
  }

  private statusAttributes(statusCode: number | undefined): StatusAttributes {
    const key = statusCode ?? -1;
    let made = this.byStatus.get(key);
    if (made === undefined) {
      const status = classifyStatus(statusCode);
      const attributes: Attributes = {
        [ATTR_ZDX_STATUS_CLASS]: status.statusClass,
        [ATTR_ZDX_STATUS_TEXT]: status.text,
        [ATTR_ZDX_STATUS_DESCRIPTION]: status.description,
        [ATTR_ZDX_RETRYABLE]: status.retryable,
      };
      const error = statusCode !== undefined && statusCode >= 400;
      if (error) attributes[ATTR_ERROR_TYPE] = String(statusCode);
      made = {
        attributes: Object.freeze(attributes),
        status: error ? Object.freeze({ code: SpanStatusCode.ERROR, message: statusMessage(status) }) : undefined,
      };
      // Codes come from responses (any integer a server sends): keep the cache small whatever arrives.
      if (this.byStatus.size < MAX_CACHED_STATUSES) this.byStatus.set(key, made);
    }
    return made;
  }

  private templateOf(attributes: Attributes): string | undefined {
    const host = stringAttribute(attributes[ATTR_SERVER_ADDRESS]);
    // The host first: a span of any other service is let go before its URL is read or cut.
    if (host === undefined || !this.router.mayRoute(host)) return undefined;
    const url = stringAttribute(attributes[ATTR_URL_FULL]);
    if (url === undefined) return undefined;
    const port = numberAttribute(attributes[ATTR_SERVER_PORT]);
    return this.router.route(host, port, pathOfUrl(url));
  }

  private redact(span: Span, attributes: Attributes): void {
    // Written back only when redaction changed something: most ZDX URLs carry nothing to redact.
    const full = stringAttribute(attributes[ATTR_URL_FULL]);
    if (full !== undefined) setIfChanged(span, ATTR_URL_FULL, full, this.redactor.full(full));
    const query = stringAttribute(attributes[ATTR_URL_QUERY]);
    if (query !== undefined) setIfChanged(span, ATTR_URL_QUERY, query, this.redactor.query(query));
    const path = stringAttribute(attributes[ATTR_URL_PATH]);
    if (path !== undefined) setIfChanged(span, ATTR_URL_PATH, path, this.redactor.path(path));
    for (const key in attributes) {
      // Captured headers only exist when a user turned header capture on: test the length (the shortest is
      // `http.request.header.` and a name, longer than most keys a span has), then the two prefixes (which
      // `http.request.method_original` and `http.response.status_code` fail), and only then the pattern.
      if (
        key.length > REQUEST_HEADER_PREFIX.length &&
        (key.startsWith(REQUEST_HEADER_PREFIX) || key.startsWith(RESPONSE_HEADER_PREFIX)) &&
        SECRET_HEADER_ATTRIBUTE.test(key)
      )
        span.setAttribute(key, ['REDACTED']);
    }
  }
}

function setIfChanged(span: Span, key: string, before: string, after: string): void {
  if (after !== before) span.setAttribute(key, after);
}

function setRateLimitAttributes(span: Span, facts: ZdxRateLimitFacts): void {
  if (facts.limit !== undefined) span.setAttribute(ATTR_ZDX_RATE_LIMIT_LIMIT, facts.limit);
  if (facts.remaining !== undefined) span.setAttribute(ATTR_ZDX_RATE_LIMIT_REMAINING, facts.remaining);
  if (facts.resetEpochSeconds !== undefined) span.setAttribute(ATTR_ZDX_RATE_LIMIT_RESET, facts.resetEpochSeconds);
  if (facts.retryAfterSeconds !== undefined) span.setAttribute(ATTR_ZDX_RETRY_AFTER, facts.retryAfterSeconds);
  if (!facts.windows) return;
  // for-in, not Object.keys: no array per span.
  for (const window in facts.windows) {
    const values = facts.windows[window as ZdxRateLimitWindow];
    const keys = WINDOW_KEYS[window as ZdxRateLimitWindow];
    if (values?.limit !== undefined) span.setAttribute(keys[0], values.limit);
    if (values?.remaining !== undefined) span.setAttribute(keys[1], values.remaining);
  }
}

function exceptionType(span: Span): string | undefined {
  for (let i = span.events.length - 1; i >= 0; i--) {
    const event = span.events[i]!;
    if (event.name === 'exception') return normalizeErrorType(event.attributes?.['exception.type'], undefined);
  }
  return undefined;
}

/** The path (with query) of an absolute URL, found by string search: no URL object per span. */
function pathOfUrl(url: string): string {
  const scheme = url.indexOf('://');
  const slash = url.indexOf('/', scheme === -1 ? 0 : scheme + 3);
  return slash === -1 ? '/' : url.slice(slash);
}

function stringAttribute(value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function numberAttribute(value: AttributeValue | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
