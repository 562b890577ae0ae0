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

  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs = 120_000,
  ) {}

  put(spanId: string, record: RequestRecord): void {
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

// One registry per process even when the package is loaded twice (as ESM by the app and as CommonJS by
// `--require zdx-otel/register`), so a span processor from one copy finds the records of the other.
const KEY = Symbol.for('zdx-otel.span-registry.v1');
type WithRegistry = typeof globalThis & { [KEY]?: SpanRegistry };

export function sharedSpanRegistry(): SpanRegistry {
  const g = globalThis as WithRegistry;
  return (g[KEY] ??= new SpanRegistry());
}
