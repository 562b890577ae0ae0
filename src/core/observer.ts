import * as diagch from 'node:diagnostics_channel';
import { errorMonitor } from 'node:events';
import { performance } from 'node:perf_hooks';
import { trace } from '@opentelemetry/api';
import { ERROR_TYPE_PATTERN, ERROR_TYPE_VALUE_OTHER, HTTP_METHODS } from './contract.js';
import { isRateLimitHeader, parseRateLimitHeaders } from './ratelimit.js';
import type { TemplateRouter } from './route/template.js';
import { activeZdxTenant, type TenantBudget } from './tenant.js';
import type { SpanRegistry } from './span-registry.js';
import { internalError } from './internal-errors.js';
import type { RequestRecord } from './internal-types.js';

/** Receives each ZDX attempt twice: when its response headers arrive, and once when it is over. */
export interface ObserverSink {
  onResponse(record: RequestRecord): void;
  onEnd(record: RequestRecord): void;
}

// Shapes of the diagnostics-channel payloads, reduced to what is read here.
interface HttpClientRequest {
  host?: string;
  path?: string;
  method?: string;
  getHeader?(name: string): unknown;
  once(event: 'close', fn: () => void): unknown;
}
interface HttpIncomingMessage {
  statusCode?: number;
  headers: Record<string, string | string[] | undefined>;
  complete?: boolean;
  errored?: unknown;
  once(event: 'end' | 'close', fn: () => void): unknown;
  once(event: typeof errorMonitor, fn: (error: unknown) => void): unknown;
}
interface UndiciRequest {
  origin?: unknown;
  path?: string;
  method?: string;
  headers?: unknown;
}
interface UndiciResponse {
  statusCode: number;
  headers: Buffer[];
}

const KNOWN_METHODS = new Set(HTTP_METHODS.filter((m) => m !== '_OTHER'));
const MAX_CACHED_ORIGINS = 256;

/**
 * Watches outgoing HTTP through Node's diagnostics channels (node:http `http.client.*` and undici
 * `undici:*`, which also carries global fetch), without patching any module. Only requests to ZDX hosts
 * get a record; everything else costs one host lookup. State is keyed by the request object, never by
 * async context, because undici runs response callbacks in the context of whoever opened the pooled socket.
 */
export class RequestObserver {
  private readonly subscriptions: Array<[string, (message: unknown) => void]> = [];
  private readonly records = new WeakMap<object, RequestRecord>();
  private readonly origins = new Map<string, { hostname: string; port: number | undefined } | null>();

  constructor(
    private readonly router: TemplateRouter,
    private readonly registry: SpanRegistry,
    private readonly sink: ObserverSink,
    private readonly tenants: TenantBudget,
  ) {}

  subscribe(): void {
    if (this.subscriptions.length > 0) return;
    this.on('http.client.request.start', (m: { request: HttpClientRequest }) => this.onHttpStart(m.request));
    this.on('http.client.response.finish', (m: { request: object; response: HttpIncomingMessage }) =>
      this.onHttpResponse(m.request, m.response));
    this.on('http.client.request.error', (m: { request: object; error: unknown }) => this.fail(m.request, m.error));
    this.on('undici:request:create', (m: { request: UndiciRequest }) => this.onUndiciCreate(m.request));
    this.on('undici:client:sendHeaders', (m: { request: UndiciRequest; headers: unknown }) =>
      this.resolveSpan(m.request, m.headers));
    this.on('undici:request:headers', (m: { request: UndiciRequest; response: UndiciResponse }) =>
      this.onUndiciHeaders(m.request, m.response));
    this.on('undici:request:trailers', (m: { request: object }) => this.finish(m.request));
    this.on('undici:request:error', (m: { request: UndiciRequest; error: unknown }) => {
      this.resolveSpan(m.request, m.request.headers);
      this.fail(m.request, m.error);
    });
  }

  unsubscribe(): void {
    for (const [name, fn] of this.subscriptions) diagch.unsubscribe(name, fn);
    this.subscriptions.length = 0;
  }

  // Every handler runs inside the publisher's call stack (often the user's `http.request()` call), so
  // nothing may escape: a bug here must cost a data point, never the application's request.
  private on<M>(name: string, handler: (message: M) => void): void {
    const fn = guarded(name, (message: unknown) => handler(message as M));
    diagch.subscribe(name, fn);
    // Keeping the reference also keeps the channel alive (nodejs/node#42170).
    this.subscriptions.push([name, fn]);
  }

  private start(request: object, hostname: string, port: number | undefined, path: string, method: string | undefined): RequestRecord | undefined {
    const template = this.router.route(hostname, port, path);
    if (template === undefined) return undefined;
    const upper = (method ?? 'GET').toUpperCase();
    const record: RequestRecord = {
      method: KNOWN_METHODS.has(upper) ? upper : '_OTHER',
      template,
      serverAddress: hostname.toLowerCase(),
      // Read synchronously at request start: both channels publish it in the caller's own context.
      tenant: this.tenants.admit(activeZdxTenant()),
      startedAt: performance.now(),
      spanId: undefined,
      statusCode: undefined,
      rateLimit: undefined,
      errorType: undefined,
      ended: false,
    };
    this.records.set(request, record);
    return record;
  }

  private onHttpStart(request: HttpClientRequest): void {
    if (typeof request.host !== 'string' || typeof request.path !== 'string') return;
    const record = this.start(request, request.host, portOfHostHeader(request.getHeader?.('host')), request.path, request.method);
    if (!record) return;
    // instrumentation-http creates the request inside its client span's context and injects traceparent
    // first; prefer the header (it names exactly this request's span) and fall back to the active span.
    const injected = request.getHeader?.('traceparent');
    const active = trace.getActiveSpan();
    const spanId = injected !== undefined
      ? spanIdOfTraceparent(injected)
      : active?.isRecording() ? active.spanContext().spanId : undefined;
    record.spanId = spanId ?? null;
    if (spanId) this.registry.put(spanId, record);
    // A request destroyed before any response (axios/got timeouts do this) emits neither an error nor a
    // response; its close is the only signal left.
    request.once('close', guarded('request close', () => {
      if (!record.ended && record.statusCode === undefined) {
        record.errorType ??= 'AbortError';
        this.end(record);
      }
    }));
  }

  private onHttpResponse(request: object, response: HttpIncomingMessage): void {
    const record = this.records.get(request);
    if (!record) return;
    this.respond(record, response.statusCode, (name) => firstValue(response.headers[name]));
    response.once('end', guarded('response end', () => this.finish(request)));
    // errorMonitor observes without handling: the application's own 'error' semantics stay unchanged.
    response.once(errorMonitor, guarded('response error', (error: unknown) => this.fail(request, error)));
    response.once('close', guarded('response close', () => {
      if (record.ended) return;
      if (!response.complete) record.errorType ??= errorType(response.errored) ?? 'AbortError';
      this.end(record);
    }));
  }

  private onUndiciCreate(request: UndiciRequest): void {
    if (typeof request.path !== 'string') return;
    const origin = this.origin(request.origin);
    if (!origin) return;
    const record = this.start(request, origin.hostname, origin.port, request.path, request.method);
    if (record) this.resolveSpan(request, request.headers);
  }

  private onUndiciHeaders(request: UndiciRequest, response: UndiciResponse): void {
    const record = this.records.get(request);
    if (!record) return;
    this.resolveSpan(request, request.headers);
    const headers = response.headers;
    let picked: Record<string, string> | undefined;
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = headers[i];
      // Cheap first-byte test ('r'/'R' or 'x'/'X') so that most headers are never decoded.
      const first = name?.[0];
      if (first !== 0x72 && first !== 0x52 && first !== 0x78 && first !== 0x58) continue;
      const lower = name!.toString('latin1').toLowerCase();
      if (isRateLimitHeader(lower)) (picked ??= {})[lower] ??= headers[i + 1]!.toString('latin1');
    }
    this.respond(record, response.statusCode, (name) => picked?.[name]);
  }

  private respond(record: RequestRecord, statusCode: number | undefined, header: (name: string) => string | undefined): void {
    record.statusCode = statusCode;
    record.rateLimit = parseRateLimitHeaders(header, Date.now());
    this.sink.onResponse(record);
  }

  /** Finds undici's span through the traceparent header instrumentation-undici injected into the request. */
  private resolveSpan(request: object, headers: unknown): void {
    const record = this.records.get(request);
    if (!record || record.spanId !== undefined) return;
    const spanId = spanIdOfTraceparent(traceparentOf(headers));
    if (spanId === undefined) return; // not injected (yet): instrumentation-undici may run after us
    record.spanId = spanId;
    if (spanId !== null) this.registry.put(spanId, record);
  }

  private fail(request: object, error: unknown): void {
    const record = this.records.get(request);
    if (!record || record.ended) return;
    record.errorType ??= errorType(error) ?? ERROR_TYPE_VALUE_OTHER;
    this.end(record);
  }

  private finish(request: object): void {
    const record = this.records.get(request);
    if (record && !record.ended) this.end(record);
  }

  private end(record: RequestRecord): void {
    record.ended = true;
    this.sink.onEnd(record);
  }

  private origin(origin: unknown): { hostname: string; port: number | undefined } | null {
    const key = typeof origin === 'string' ? origin : origin instanceof URL ? origin.origin : undefined;
    if (key === undefined) return null;
    let parsed = this.origins.get(key);
    if (parsed === undefined) {
      parsed = parseOrigin(key);
      // Origins are few (one per connection pool); the cap only guards against pathological callers.
      if (this.origins.size >= MAX_CACHED_ORIGINS) this.origins.clear();
      this.origins.set(key, parsed);
    }
    return parsed;
  }
}

/** Event listeners run inside the application's streams: like channel handlers, they must never throw. */
function guarded<A extends unknown[]>(where: string, fn: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      fn(...args);
    } catch (error) {
      internalError(where, error);
    }
  };
}

function parseOrigin(origin: string): { hostname: string; port: number | undefined } | null {
  try {
    const url = new URL(origin);
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    return { hostname, port: url.port === '' ? undefined : Number(url.port) };
  } catch {
    return null;
  }
}

/** Port from a Host header value (`host`, `host:port`, `[v6]:port`); undefined means the scheme's default. */
export function portOfHostHeader(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const colon = value.lastIndexOf(':');
  if (colon === -1 || value.indexOf(']', colon) !== -1) return undefined;
  const port = Number(value.slice(colon + 1));
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function traceparentOf(headers: unknown): unknown {
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name: unknown = headers[i];
      if (typeof name === 'string' && name.length === 11 && name.toLowerCase() === 'traceparent') return headers[i + 1];
    }
    return undefined;
  }
  if (typeof headers === 'string') return /(?:^|\n)traceparent:\s*([^\r\n]*)/i.exec(headers)?.[1];
  return undefined;
}

/**
 * The parent-id field of a W3C traceparent (`00-<trace id>-<span id>-<flags>`); null when the sampled flag
 * is off (such a span never reaches a span processor, so there is nothing to hand over), undefined when the
 * value is not a traceparent.
 */
export function spanIdOfTraceparent(value: unknown): string | null | undefined {
  const header = Array.isArray(value) ? value[0] : value;
  if (typeof header !== 'string' || header.length < 55 || header[2] !== '-' || header[35] !== '-' || header[52] !== '-') {
    return undefined;
  }
  const flags = Number.parseInt(header.slice(53, 55), 16);
  return (flags & 1) === 1 ? header.slice(36, 52) : null;
}

/**
 * A low-cardinality `error.type` for a failed attempt: the error code (`ECONNREFUSED`, `UND_ERR_SOCKET`),
 * else the error class name; both aborts (fetch's AbortError, node:http's ABORT_ERR) read `AbortError`.
 * Anything free-form is refused so a message can never become a metric label.
 */
export function errorType(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { code, name } = error as { code?: unknown; name?: unknown };
  return normalizeErrorType(code, name);
}

export function normalizeErrorType(code: unknown, name: unknown): string {
  if (name === 'AbortError' || code === 'ABORT_ERR' || code === 'AbortError') return 'AbortError';
  if (typeof code === 'string' && ERROR_TYPE_PATTERN.test(code)) return code;
  if (typeof name === 'string' && name !== 'Error' && ERROR_TYPE_PATTERN.test(name)) return name;
  return ERROR_TYPE_VALUE_OTHER;
}
