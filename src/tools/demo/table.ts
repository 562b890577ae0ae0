import type { DemoSummary, EndpointRow } from './summary.js';

const HEADERS = ['endpoint template', 'requests', '2xx', '4xx', '429', '5xx', 'failed', 'p95 ms'];

function cells(r: EndpointRow): string[] {
  return [
    r.template,
    String(r.requests),
    String(r.ok2xx),
    String(r.client4xx),
    String(r.throttled429),
    String(r.server5xx),
    String(r.failed),
    r.p95 === undefined ? '-' : String(Math.round(r.p95 * 1000)),
  ];
}

/** The demo's table as text: one row per endpoint template, a total, and the rate-limit budget left. */
export function renderTable(summary: DemoSummary): string {
  const body = summary.rows.map(cells);
  const total = cells(summary.total);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...body.map((c) => c[i]!.length), total[i]!.length));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const windows = ['second', 'minute', 'hour', 'day', 'window'].filter((w) => summary.remaining.has(w));
  const budget =
    windows.length === 0
      ? 'rate limit remaining: not reported yet'
      : `rate limit remaining: ${windows.map((w) => `${summary.remaining.get(w)}/${w === 'window' ? 'window' : w}`).join(', ')}`;
  return [line(HEADERS), rule, ...body.map(line), rule, line(total), '', budget].join('\n');
}
