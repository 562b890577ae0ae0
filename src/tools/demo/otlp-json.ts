/**
 * Reads OTLP/HTTP JSON metric payloads (what `@opentelemetry/exporter-metrics-otlp-http` sends) into plain
 * data points. The demo renders its table from these, so what it shows is exactly what was exported.
 */
export interface ExportedPoint {
  readonly metric: string;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  /** Sum or gauge value; for histograms the count. */
  readonly value: number;
  /** Histograms only. */
  readonly histogram?: { readonly bounds: readonly number[]; readonly counts: readonly number[] };
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface DataPoint {
  attributes?: KeyValue[];
  asInt?: string | number;
  asDouble?: number;
  count?: string | number;
  bucketCounts?: Array<string | number>;
  explicitBounds?: number[];
}
interface Metric {
  name: string;
  sum?: { dataPoints?: DataPoint[] };
  gauge?: { dataPoints?: DataPoint[] };
  histogram?: { dataPoints?: DataPoint[] };
}
interface Payload {
  resourceMetrics?: Array<{ scopeMetrics?: Array<{ metrics?: Metric[] }> }>;
}

export function attributesOf(list: readonly KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    if (value?.stringValue !== undefined) out[key] = value.stringValue;
    else if (value?.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value?.doubleValue !== undefined) out[key] = value.doubleValue;
    else if (value?.boolValue !== undefined) out[key] = value.boolValue;
  }
  return out;
}

export function parseOtlpJsonMetrics(payload: unknown): ExportedPoint[] {
  const points: ExportedPoint[] = [];
  for (const rm of (payload as Payload)?.resourceMetrics ?? []) {
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        for (const dp of m.sum?.dataPoints ?? m.gauge?.dataPoints ?? []) {
          points.push({
            metric: m.name,
            attributes: attributesOf(dp.attributes),
            value: Number(dp.asInt ?? dp.asDouble ?? 0),
          });
        }
        for (const dp of m.histogram?.dataPoints ?? []) {
          points.push({
            metric: m.name,
            attributes: attributesOf(dp.attributes),
            value: Number(dp.count ?? 0),
            histogram: { bounds: dp.explicitBounds ?? [], counts: (dp.bucketCounts ?? []).map(Number) },
          });
        }
      }
    }
  }
  return points;
}

/** One span as an OTLP/HTTP JSON trace export carries it (what a Collector receives). */
export interface ExportedSpan {
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  /** 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly durationMs: number;
}

interface Span {
  name?: string;
  kind?: number;
  attributes?: KeyValue[];
  status?: { code?: number };
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
}
interface TracePayload {
  resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: Span[] }> }>;
}

export function parseOtlpJsonSpans(payload: unknown): ExportedSpan[] {
  const spans: ExportedSpan[] = [];
  for (const rs of (payload as TracePayload)?.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        // Nanosecond timestamps exceed 2^53; their difference (the duration) does not, read as BigInt.
        let durationMs = 0;
        try {
          durationMs = Number(BigInt(s.endTimeUnixNano ?? 0) - BigInt(s.startTimeUnixNano ?? 0)) / 1e6;
        } catch {
          /* a malformed time leaves the duration at 0 */
        }
        spans.push({
          name: s.name ?? '',
          kind: s.kind ?? 0,
          attributes: attributesOf(s.attributes),
          statusCode: s.status?.code ?? 0,
          durationMs,
        });
      }
    }
  }
  return spans;
}
