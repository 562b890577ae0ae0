/*
 * The demo's span view: of the ZDX client spans the workload exported, the latest one per status class
 * (2xx, 4xx, 429, 5xx, connection failures), printed attribute by attribute as a Collector receives them.
 */
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_URL_TEMPLATE,
  ATTR_ZDX_STATUS_CLASS,
} from '../../core/contract.js';
import type { ExportedSpan } from './otlp-json.js';

/** The order classes are shown in; 429 is split from the other 4xx because it is the one to back off on. */
export const SPAN_CLASSES = ['2xx', '4xx', '429', '5xx', 'error'] as const;
export type SpanClass = (typeof SPAN_CLASSES)[number] | 'other';

const KIND = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUS = ['unset', 'ok', 'error'];
// Shown first, in this order; then every `zdx.*` attribute, sorted. Nothing else (url.full etc.) is needed here.
const LEADING = [
  ATTR_URL_TEMPLATE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_ERROR_TYPE,
];

export function spanClass(span: ExportedSpan): SpanClass {
  if (span.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] === 429) return '429';
  const cls = span.attributes[ATTR_ZDX_STATUS_CLASS];
  return (SPAN_CLASSES as readonly unknown[]).includes(cls) ? (cls as SpanClass) : 'other';
}

/** Keeps the latest ZDX span per status class. */
export class SpanSamples {
  private readonly latest = new Map<SpanClass, ExportedSpan>();
  received = 0;

  add(span: ExportedSpan): void {
    // Only spans zdx-otel enriched carry a template and a status class; others (e.g. the exporter's own) are skipped.
    if (span.attributes[ATTR_URL_TEMPLATE] === undefined || span.attributes[ATTR_ZDX_STATUS_CLASS] === undefined)
      return;
    this.received++;
    this.latest.set(spanClass(span), span);
  }

  /** One span per class seen so far, in `SPAN_CLASSES` order. */
  samples(): Array<{ cls: SpanClass; span: ExportedSpan }> {
    return [...SPAN_CLASSES, 'other' as const].flatMap((cls) => {
      const span = this.latest.get(cls);
      return span === undefined ? [] : [{ cls, span }];
    });
  }
}

/** The span view as text. */
export function renderSpans(samples: ReturnType<SpanSamples['samples']>): string {
  if (samples.length === 0) return 'no ZDX spans exported yet';
  const blocks = samples.map(({ cls, span }) => {
    const keys = [
      ...LEADING.filter((k) => span.attributes[k] !== undefined),
      ...Object.keys(span.attributes)
        .filter((k) => k.startsWith('zdx.'))
        .sort(),
    ];
    const width = Math.max(...keys.map((k) => k.length));
    const head =
      `[${cls}] span "${span.name}"  kind=${KIND[span.kind] ?? span.kind}  status=${STATUS[span.statusCode] ?? span.statusCode}` +
      `  duration=${Math.round(span.durationMs)} ms`;
    return [head, ...keys.map((k) => `    ${k.padEnd(width)}  ${JSON.stringify(span.attributes[k])}`)].join('\n');
  });
  return blocks.join('\n\n');
}
