// Figures for docs/reliability.md: when ZDX_RELIABILITY_OUT names a directory (scripts/reliability-report.mjs
// sets it), tests append what they measured there, one JSON object a line per section. Otherwise a no-op.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export function recordFigure(section: string, row: Record<string, unknown>): void {
  const dir = process.env.ZDX_RELIABILITY_OUT;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, `${section}.jsonl`), `${JSON.stringify(row)}\n`);
}
