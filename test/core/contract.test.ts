// The telemetry contract (src/core/contract.ts) is the one source of names and closed value sets. These tests
// keep everything that restates it honest: the stable semconv names, and docs/telemetry.md's tables.
import { readFileSync } from 'node:fs';
import * as semconv from '@opentelemetry/semantic-conventions';
import { describe, expect, it } from 'vitest';
import * as contract from '../../src/core/contract.js';

const docs = readFileSync(new URL('../../docs/telemetry.md', import.meta.url), 'utf8');
const rows = docs.split('\n').filter((line) => line.startsWith('|'));

/** The rows of the metric attribute tables (attribute | values [| when]) whose first cell is `attribute`. */
function rowsFor(attribute: string): string[] {
  // The span attribute table has four columns (attribute | type | example | notes): examples, not value sets.
  return rows.filter((row) => row.split('|').length <= 5 && row.split('|')[1]?.trim() === `\`${attribute}\``);
}

/** Backticked tokens in a cell that look like label values (no wildcards, braces or header syntax). */
function valuesIn(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((v) => /^[A-Za-z0-9_]+$/.test(v));
}

describe('stable semconv names', () => {
  const stable = [
    'ATTR_ERROR_TYPE',
    'ATTR_HTTP_REQUEST_METHOD',
    'ATTR_HTTP_RESPONSE_STATUS_CODE',
    'ATTR_SERVER_ADDRESS',
    'ATTR_SERVER_PORT',
    'ATTR_URL_FULL',
    'ATTR_URL_PATH',
    'ATTR_URL_QUERY',
    'ERROR_TYPE_VALUE_OTHER',
  ] as const;
  it.each(stable)('%s is spelled as @opentelemetry/semantic-conventions spells it', (name) => {
    // biome-ignore lint/performance/noDynamicNamespaceImportAccess: the test compares the two modules export by export name
    expect(contract[name]).toBe(semconv[name]);
  });
});

describe('docs/telemetry.md follows the contract', () => {
  it.each(contract.METRICS.map((m) => [m.name, m] as const))(
    '%s: its Prometheus names are in the names table',
    (name, metric) => {
      const row = rows.find((r) => r.split('|')[1]?.trim() === `\`${name}\``);
      expect(row, `a row for ${name} in "Prometheus names"`).toBeDefined();
      for (const series of metric.prometheus) {
        // The histogram row lists the bucket name in full and the _sum/_count suffixes.
        const shown = row!.includes(`\`${series}\``) || row!.includes(`\`_${series.split('_').at(-1)}\``);
        expect(shown, `${series} in the row for ${name}`).toBe(true);
      }
    },
  );

  it.each(contract.METRICS.map((m) => [m.name, m] as const))(
    '%s: its unit and instrument are documented',
    (name, metric) => {
      const heading = docs.split('\n### ').find((section) => section.split('\n')[0]!.includes(`\`${name}\``));
      expect(heading, `a section for ${name}`).toBeDefined();
      expect(heading).toMatch(new RegExp(`${metric.instrument}`, 'i'));
      expect(heading).toContain(`unit \`${metric.unit}\``);
    },
  );

  it('every request-metric attribute has a row in the zdx.api.requests table, and only those', () => {
    const section = docs.split('\n### ').find((s) => s.startsWith('`zdx.api.requests`'))!;
    const documented = section
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => /^\| `([^`]+)`/.exec(l)![1]);
    expect(documented.sort()).toEqual([...contract.REQUEST_METRIC_ATTRIBUTES].sort());
  });

  it('every rate-limit gauge attribute has a row in the gauges table, and only those', () => {
    const section = docs.split('\n### ').find((s) => s.startsWith('`zdx.api.rate_limit.remaining`'))!;
    const documented = section
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => /^\| `([^`]+)`/.exec(l)![1]);
    expect(documented.sort()).toEqual([...contract.RATE_LIMIT_METRIC_ATTRIBUTES].sort());
  });

  it.each(Object.entries(contract.ATTRIBUTE_VALUES))(
    '%s: the documented values are exactly the closed set',
    (attribute, values) => {
      const found = rowsFor(attribute);
      expect(found.length, `a row for ${attribute}`).toBeGreaterThan(0);
      for (const row of found) {
        const cell = row.split('|')[2]!;
        expect(new Set(valuesIn(cell))).toEqual(new Set(values));
      }
    },
  );
});
