import * as diagch from 'node:diagnostics_channel';
import type { AttributeValue, SpanContext } from '@opentelemetry/api';
import type { RequestRecord } from './internal-types.js';

/**
 * Hands request records from the observer (diagnostics channels) to `ZdxSpanProcessor` (span end), keyed by
 * the span id of the CLIENT span the HTTP instrumentation made for the request.
 *
 * Records are taken out when the span ends. Spans that never reach a processor (unsampled, tracing off,
 * processor not installed) would leave their record behind, so the map is bounded twice: records older
 * than `ttlMs` are dropped, and past `maxEntries` the oldest go first. Records are put in (nearly) start
 * order, so both evictions only look at the front of the Map instead of scanning it.
 */
export class SpanRegistry {
  private readonly records = new Map<string, RequestRecord>();
  /**
   * ZdxSpanProcessors alive in the process (each counts itself in and out). Without one nothing would ever
   * take a record: tracing on with only ZdxInstrumentation installed must not fill the map to its bound and
   * then pay an eviction per request.
   */
  consumers = 0;

  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs = 120_000,
  ) {}

  put(spanId: string, record: RequestRecord): void {
    if (this.consumers === 0) return;
    this.evict(record.startedAt);
    this.records.set(spanId, record);
  }

  take(spanId: string): RequestRecord | undefined {
    const record = this.records.get(spanId);
    if (record) this.records.delete(spanId);
    return record;
  }

  get size(): number {
    return this.records.size;
  }

  private evict(now: number): void {
    for (const [spanId, record] of this.records) {
      if (this.records.size < this.maxEntries && now - record.startedAt < this.ttlMs) return;
      this.records.delete(spanId);
    }
  }
}

/** The part of an SDK span the hand-over reads (a `ReadableSpan` at `onStart`). */
export interface StartedSpan {
  spanContext(): SpanContext;
  readonly attributes: Readonly<Record<string, AttributeValue | undefined>>;
  readonly instrumentationScope: { readonly name: string };
}

const UNDICI_SCOPE = '@opentelemetry/instrumentation-undici';
const CREATE_CHANNEL = 'undici:request:create';

/**
 * Pairs an undici (and fetch) request with the CLIENT span instrumentation-undici starts for it, without
 * reading any header, so it holds under every propagator and under none. Everything happens synchronously
 * inside one publish of `undici:request:create`, whose subscribers run in subscription order:
 *   - the observer's handler makes the record and `open`s the publish;
 *   - instrumentation-undici's handler starts the span: `ZdxSpanProcessor.onStart` calls `started`;
 *   - the `tail` handler, subscribed after the observer's and moved behind instrumentation-undici's, closes it.
 * If the observer subscribed first, the span starts while the publish is open: it belongs to the open
 * request. If instrumentation-undici subscribed first, the span starts before the observer's handler: it
 * waits in `pending` for the tail, which runs after both. Unsampled requests start no span (the SDK calls no
 * processor for them), which is why each publish is bracketed instead of spans and requests being counted.
 *
 * The bracket needs the tail to run after instrumentation-undici's handler. Until that is seen once
 * (`confirmed`: a span paired inside the open window before the tail ran, or a span that started before the
 * observer's handler, which the tail always follows), the tail does not close: the open window lasts to the
 * end of the synchronous run (one microtask), and the tail is moved behind every handler subscribed since.
 * As a last check, a span is only paired with a request whose method and path it carries.
 */
export class UndiciSpanHandover {
  private openRequest: object | undefined;
  private openRecord: RequestRecord | undefined;
  private pairedInOpen = false;
  private pending: StartedSpan | undefined;
  private confirmed = false;
  private closeScheduled = false;
  private subscribers = 0;
  private readonly tail = (message: unknown): void => {
    try {
      this.close((message as { request: object }).request);
    } catch {
      // Never into undici's publish; the worst case is a span without its rate-limit attributes.
    }
  };
  private readonly closeLater = (): void => {
    this.closeScheduled = false;
    if (this.confirmed) return;
    this.openRequest = undefined;
    this.openRecord = undefined;
    this.pending = undefined;
  };

  constructor(private readonly registry: SpanRegistry) {}

  /** Called by the observer for every undici request, ZDX or not (`record` undefined), at its creation. */
  open(request: object, record: RequestRecord | undefined): void {
    // Without a ZdxSpanProcessor in the process there are no spans to pair.
    if (this.registry.consumers === 0) return;
    if (!this.confirmed) {
      const span = this.pending;
      if (span) {
        // Unconfirmed, a span only waits when it started in this very publish before this handler: so
        // instrumentation-undici runs before the observer, and before the tail subscribed after it.
        this.pending = undefined;
        this.confirmed = true;
        if (record) this.pair(span, request, record);
        record = undefined;
      } else if (!this.closeScheduled) {
        this.closeScheduled = true;
        queueMicrotask(this.closeLater);
      }
    }
    this.openRequest = request;
    this.openRecord = record;
    this.pairedInOpen = false;
  }

  /** Called by `ZdxSpanProcessor.onStart` for every CLIENT span. */
  started(span: StartedSpan): void {
    if (span.instrumentationScope.name !== UNDICI_SCOPE) return;
    const request = this.openRequest;
    if (request === undefined) {
      this.pending = span;
      return;
    }
    const record = this.openRecord;
    this.openRecord = undefined;
    this.pairedInOpen = true;
    if (!this.confirmed) this.moveTailLast();
    if (record) this.pair(span, request, record);
  }

  private close(request: object): void {
    if (!this.confirmed) {
      // A span paired in this publish's open window before the tail ran: instrumentation-undici's handler
      // runs between the observer's and the tail. Otherwise the order is still unknown: keep the window open.
      if (!this.pairedInOpen || this.openRequest !== request) return;
      this.confirmed = true;
    }
    const span = this.pending;
    const record = this.openRequest === request ? this.openRecord : undefined;
    this.pending = undefined;
    this.openRequest = undefined;
    this.openRecord = undefined;
    if (span && record) this.pair(span, request, record);
  }

  private pair(span: StartedSpan, request: object, record: RequestRecord): void {
    const { method, path } = request as { method?: unknown; path?: unknown };
    const spanMethod = span.attributes['http.request.method_original'];
    const spanPath = span.attributes['url.path'];
    if (spanMethod !== undefined && spanMethod !== method) return;
    if (typeof spanPath === 'string' && typeof path === 'string' && !path.startsWith(spanPath)) return;
    this.registry.put(span.spanContext().spanId, record);
  }

  /** Subscribes the tail handler (the observer subscribes first), and moves it last on the next turn. */
  attach(): void {
    if (this.subscribers++ === 0) diagch.subscribe(CREATE_CHANNEL, this.tail);
    else this.moveTailLast();
    // Instrumentations are usually constructed together: by then instrumentation-undici is subscribed too.
    setImmediate(() => this.moveTailLast()).unref();
  }

  detach(): void {
    if (this.subscribers === 0) return;
    if (--this.subscribers === 0) diagch.unsubscribe(CREATE_CHANNEL, this.tail);
  }

  /** Unsubscribing and subscribing again puts the tail behind every handler subscribed since. */
  private moveTailLast(): void {
    if (this.subscribers === 0) return;
    diagch.unsubscribe(CREATE_CHANNEL, this.tail);
    diagch.subscribe(CREATE_CHANNEL, this.tail);
  }
}

// One registry per process even when the package is loaded twice (as ESM by the app and as CommonJS by
// `--require zdx-otel/register`), so a span processor from one copy finds the records of the other.
// The version in the key changes with the shape of what it holds (v2: `consumers` on the registry), so a
// copy of another version in the same process keeps to its own pair instead of misreading this one.
const KEY = Symbol.for('zdx-otel.span-registry.v2');
const HANDOVER_KEY = Symbol.for('zdx-otel.undici-span-handover.v2');
type WithRegistry = typeof globalThis & { [KEY]?: SpanRegistry; [HANDOVER_KEY]?: UndiciSpanHandover };

export function sharedSpanRegistry(): SpanRegistry {
  const g = globalThis as WithRegistry;
  return (g[KEY] ??= new SpanRegistry());
}

export function sharedUndiciHandover(): UndiciSpanHandover {
  const g = globalThis as WithRegistry;
  return (g[HANDOVER_KEY] ??= new UndiciSpanHandover(sharedSpanRegistry()));
}
