import * as diagch from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { context, SpanKind, trace, type Span } from '@opentelemetry/api';
import { ERROR_TYPE_PATTERN, ERROR_TYPE_VALUE_OTHER, HTTP_METHODS } from './contract.js';
import { RateLimitHeaderValues, rateLimitHeaderSlotOf, rateLimitHeaderSlotOfBytes } from './ratelimit.js';
import type { TemplateRouter } from './route/template.js';
import { zdxTenantOf, type TenantBudget } from './tenant.js';
import { sharedUndiciHandover, type SpanRegistry } from './span-registry.js';
import { internalError } from './internal-errors.js';
import type { RequestRecord } from './internal-types.js';

/** Receives each ZDX attempt: once when its final status is known (not at all if none came), once when it is over. */
export interface ObserverSink {
  /** `budgets`: the response's rate-limit budgets (see `RateLimitHeaderValues.counts`), valid during the call. */
  onResponse(record: RequestRecord, budgets: Float64Array | undefined): void;
  onEnd(record: RequestRecord): void;
}

// Shapes of the diagnostics-channel payloads, reduced to what is read here.
interface HttpClientRequest {
  host?: string;
  path?: string;
  method?: string;
  getHeader?(name: string): unknown;
  res?: HttpIncomingMessage | null;
  on(event: 'close', fn: (this: HttpClientRequest) => void): unknown;
}
interface HttpIncomingMessage {
  statusCode?: number;
  rawHeaders?: string[];
  complete?: boolean;
  errored?: unknown;
  req?: object;
}
interface UndiciRequest {
  origin?: unknown;
  path?: string;
  method?: string;
}
interface UndiciResponse {
  statusCode: number;
  headers: Buffer[];
}

const KNOWN_METHODS = new Set(HTTP_METHODS.filter((m) => m !== '_OTHER'));
const MAX_CACHED_ORIGINS = 256;
// The key `suppressTracing()` of @opentelemetry/core sets (its createContextKey is Symbol.for(description)),
// read directly so any copy of @opentelemetry/core is recognised.
const SUPPRESS_TRACING_KEY = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/**
 * Watches outgoing HTTP through Node's diagnostics channels (node:http `http.client.*` and undici
 * `undici:*`, which also carries global fetch), without patching any module. Only requests to ZDX hosts
 * get a record; everything else costs one host lookup. State is kept on the request object, never in async
 * context, because undici runs response callbacks in the context of whoever opened the pooled socket.
 *
 * An attempt is counted as soon as its status is known (`sink.onResponse`), whether or not the application
 * ever reads the body; it is over (`sink.onEnd`, the duration) at whatever comes first of body end, close,
 * abort or error. Requests made under a suppressed-tracing context (the OpenTelemetry exporters' own) are
 * the telemetry pipeline's traffic, never ZDX traffic, and are not observed.
 */
export class RequestObserver {
  private readonly subscriptions: Array<[string, (message: unknown) => void]> = [];
  // The record lives on the request object under this observer's own symbol: a property load, where a WeakMap
  // costs a hash-table insert per request (and rehashing, as entries only leave at GC). Like a WeakMap entry,
  // it goes when the request does; a symbol is invisible to JSON, Object.keys and for-in.
  private readonly recordKey = Symbol('zdx-otel.request-record');
  private readonly origins = new Map<string, { hostname: string; port: number | undefined } | null>();
  private readonly handover = sharedUndiciHandover();
  /** The rate-limit header values of the response being read (filled and taken within one handler call). */
  private readonly rateLimitValues = new RateLimitHeaderValues();
  /** Whether this Node publishes `http.client.request.created` (then `request.start` is not needed). */
  private httpCreatedSeen = false;
  // One listener function for every request (`this` is the request), instead of new closures per request:
  // the record is found on the request.
  private readonly onRequestClose: (this: HttpClientRequest) => void;

  constructor(
    private readonly router: TemplateRouter,
    private readonly registry: SpanRegistry,
    private readonly sink: ObserverSink,
    private readonly tenants: TenantBudget,
  ) {
    const recordOf = (request: object) => this.recordOf(request);
    const end = (record: RequestRecord) => this.end(record);
    this.onRequestClose = function onRequestClose() {
      try {
        const record = recordOf(this);
        if (!record || record.ended) return;
        if (record.statusCode === undefined) {
          // A request destroyed before any response (axios/got timeouts do this) emits neither an error nor
          // a response; its close is the only signal left.
          record.errorType ??= 'AbortError';
        } else {
          // The request closes right after its response ends (same tick with keep-alive), when the socket
          // goes for a response the application never read (which itself may never emit anything), and when
          // the body fails: an incomplete response failed.
          const response = this.res;
          if (response && !response.complete) record.errorType ??= errorType(response.errored) ?? 'AbortError';
        }
        end(record);
      } catch (error) {
        internalError('request close', error);
      }
    };
  }

  subscribe(): void {
    if (this.subscriptions.length > 0) return;
    this.on('http.client.request.created', (m: { request: HttpClientRequest }) => {
      if (!this.httpCreatedSeen) {
        this.httpCreatedSeen = true;
        this.off('http.client.request.start');
      }
      this.onHttpStart(m.request);
    });
    // Node lines without `request.created` publish only `request.start` (at the end of the request body);
    // once `created` is seen this one is dropped, so each request costs one publish.
    this.on('http.client.request.start', (m: { request: HttpClientRequest }) => {
      if (!this.httpCreatedSeen) this.onHttpStart(m.request);
    });
    this.on('http.client.response.finish', (m: { request: object; response: HttpIncomingMessage }) =>
      this.onHttpResponse(m.request, m.response),
    );
    this.on('http.client.request.error', (m: { request: object; error: unknown }) => this.fail(m.request, m.error));
    this.on('undici:request:create', (m: { request: UndiciRequest }) => this.onUndiciCreate(m.request));
    this.on('undici:request:headers', (m: { request: UndiciRequest; response: UndiciResponse }) =>
      this.onUndiciHeaders(m.request, m.response),
    );
    this.on('undici:request:trailers', (m: { request: object }) => this.finish(m.request));
    this.on('undici:request:error', (m: { request: UndiciRequest; error: unknown }) => this.fail(m.request, m.error));
    this.handover.attach();
  }

  unsubscribe(): void {
    if (this.subscriptions.length === 0) return;
    for (const [name, fn] of this.subscriptions) diagch.unsubscribe(name, fn);
    this.subscriptions.length = 0;
    this.handover.detach();
  }

  private off(name: string): void {
    const i = this.subscriptions.findIndex(([n]) => n === name);
    if (i === -1) return;
    diagch.unsubscribe(name, this.subscriptions[i]![1]);
    this.subscriptions.splice(i, 1);
  }

  // Every handler runs inside the publisher's call stack (often the user's `http.request()` call), so
  // nothing may escape: a bug here must cost a data point, never the application's request.
  private on<M>(name: string, handler: (message: M) => void): void {
    const fn = (message: unknown) => {
      try {
        handler(message as M);
      } catch (error) {
        internalError(name, error);
      }
    };
    diagch.subscribe(name, fn);
    // Keeping the reference also keeps the channel alive (nodejs/node#42170).
    this.subscriptions.push([name, fn]);
  }

  private start(
    request: object,
    hostname: string,
    port: number | undefined,
    path: string,
    method: string | undefined,
  ): RequestRecord | undefined {
    const template = this.router.route(hostname, port, path);
    if (template === undefined) return undefined;
    // Read synchronously at request start: both channels publish it in the caller's own context.
    const ctx = context.active();
    if (ctx.getValue(SUPPRESS_TRACING_KEY) === true) return undefined;
    const upper = method === undefined ? 'GET' : method.toUpperCase();
    const record: RequestRecord = {
      method: KNOWN_METHODS.has(upper) ? upper : '_OTHER',
      template,
      serverAddress: hostname.toLowerCase(),
      tenant: this.tenants.admit(zdxTenantOf(ctx)),
      startedAt: performance.now(),
      statusCode: undefined,
      rateLimit: undefined,
      errorType: undefined,
      counted: false,
      ended: false,
      series: undefined,
    };
    (request as Record<symbol, RequestRecord>)[this.recordKey] = record;
    return record;
  }

  private onHttpStart(request: HttpClientRequest): void {
    if (typeof request.host !== 'string' || typeof request.path !== 'string') return;
    const record = this.start(
      request,
      request.host,
      portOfHostHeader(request.getHeader?.('host')),
      request.path,
      request.method,
    );
    if (!record) return;
    // instrumentation-http creates the request inside its client span's context, and `request.created`
    // is published from the constructor: the active span is this request's own, whatever the propagator.
    if (this.registry.consumers > 0) {
      const active = trace.getActiveSpan() as (Span & { kind?: unknown }) | undefined;
      if (active?.isRecording() && active.kind === SpanKind.CLIENT)
        this.registry.put(active.spanContext().spanId, record);
    }
    request.on('close', this.onRequestClose);
  }

  private onHttpResponse(request: object, response: HttpIncomingMessage): void {
    const record = this.recordOf(request);
    if (!record) return;
    // rawHeaders, not headers: Node builds the `headers` object lazily; a first-character test rejects most
    // names without comparing them.
    const raw = response.rawHeaders;
    const values = this.rateLimitValues;
    if (raw) {
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const name = raw[i]!;
        const first = name.charCodeAt(0);
        if (first !== 0x72 && first !== 0x52 && first !== 0x78 && first !== 0x58) continue;
        const slot = rateLimitHeaderSlotOf(name);
        if (slot !== -1) values.set(slot, raw[i + 1]!);
      }
    }
    this.respond(record, response.statusCode);
    // No listener on the response: the request's close (see onRequestClose) ends it in every case, and the
    // application's own 'error'/'end' semantics stay untouched.
  }

  private onUndiciCreate(request: UndiciRequest): void {
    let record: RequestRecord | undefined;
    if (typeof request.path === 'string') {
      const origin = this.origin(request.origin);
      if (origin) record = this.start(request, origin.hostname, origin.port, request.path, request.method);
    }
    // Every request opens the hand-over, so a span of a non-ZDX request is never paired with a ZDX record.
    this.handover.open(request, record);
  }

  private onUndiciHeaders(request: UndiciRequest, response: UndiciResponse): void {
    const record = this.recordOf(request);
    if (!record) return;
    const headers = response.headers;
    const values = this.rateLimitValues;
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = headers[i];
      // Cheap first-byte test ('r'/'R' or 'x'/'X'), then the name's bytes: only matching values are decoded.
      const first = name?.[0];
      if (first !== 0x72 && first !== 0x52 && first !== 0x78 && first !== 0x58) continue;
      const slot = rateLimitHeaderSlotOfBytes(name!);
      if (slot !== -1) values.setBytes(slot, headers[i + 1]!);
    }
    this.respond(record, response.statusCode);
  }

  /** Call right after the response's rate-limit headers went into `rateLimitValues` (none is the usual case). */
  private respond(record: RequestRecord, statusCode: number | undefined): void {
    const values = this.rateLimitValues;
    try {
      // Each attempt is counted once, at its first response event: a second publish for the same request must
      // not count it twice.
      if (record.counted) return;
      record.statusCode = statusCode;
      record.counted = true;
      let budgets: Float64Array | undefined;
      if (values.filled) {
        budgets = values.counts();
        // The facts object is only for a span to carry (a ZdxSpanProcessor exists); the metrics read the budgets.
        if (this.registry.consumers > 0) record.rateLimit = values.facts(Date.now());
      }
      this.sink.onResponse(record, budgets);
    } finally {
      // In every case, so the values never outlive this response.
      values.clear();
    }
  }

  private recordOf(request: object): RequestRecord | undefined {
    return (request as Record<symbol, RequestRecord | undefined>)[this.recordKey];
  }

  private fail(request: object, error: unknown): void {
    const record = this.recordOf(request);
    if (!record || record.ended) return;
    // A reason that is not an error object is an abort with a reason: undici publishes the string
    // "Response object has been garbage collected" when a fetch body nobody read is collected.
    record.errorType ??=
      errorType(error) ?? (typeof error === 'object' && error !== null ? ERROR_TYPE_VALUE_OTHER : 'AbortError');
    this.end(record);
  }

  private finish(request: object): void {
    const record = this.recordOf(request);
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
  // Digits read back from the end: no substring, no Number() per request.
  let port = 0;
  let scale = 1;
  let i = value.length - 1;
  for (; i >= 0; i--) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    port += (c - 0x30) * scale;
    scale *= 10;
  }
  if (i < 0 || value.charCodeAt(i) !== 0x3a || scale === 1 || scale > 100_000) return undefined;
  return port > 0 && port < 65536 ? port : undefined;
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
