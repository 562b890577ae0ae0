/**
 * deploy/ generated files and the Grafana dashboard:
 *   - regenerating with the default options reproduces every committed file byte for byte,
 *   - the generator CLI writes a custom config and its --check mode flags a stale file,
 *   - the dashboard has the panels and variables the issue asks for, valid layout and query ids, and value
 *     mappings with ZDX's description of every status code in the catalog.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ZDX_STATUS_CODES } from '../../src/core/catalog/status.js';
import { resolveConfig } from '../../deploy/src/config.ts';
import { statusMappingText } from '../../deploy/src/dashboard.ts';
import { OUTPUTS, renderAll } from '../../deploy/src/render.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEPLOY = path.join(ROOT, 'deploy');
const rendered = renderAll(resolveConfig(), ZDX_STATUS_CODES);

interface Panel {
  type: string;
  title: string;
  description?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Array<{ refId?: string; expr?: string; datasource?: { uid?: string } }>;
  fieldConfig?: {
    defaults?: unknown;
    overrides?: Array<{ matcher: { id: string; options: unknown }; properties: Array<{ id: string; value: unknown }> }>;
  };
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: {
    list: Array<{
      name: string;
      type: string;
      query?: unknown;
      includeAll?: boolean;
      allValue?: string;
      multi?: boolean;
      current?: unknown;
    }>;
  };
}

const dashboard = JSON.parse(readFileSync(path.join(DEPLOY, OUTPUTS.dashboard), 'utf8')) as Dashboard;

describe('generated files are up to date', () => {
  test.each([...rendered.keys()])('%s matches a fresh render', (file) => {
    const committed = readFileSync(path.join(DEPLOY, file), 'utf8');
    // On a difference: run `node deploy/src/generate.ts` and commit the result.
    expect(committed).toBe(rendered.get(file));
  });
});

describe('generator CLI (node deploy/src/generate.ts)', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'zdx-generate-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  // The CLI takes the status catalog from the built package, as users of the published package would.
  beforeAll(() => {
    if (!existsSync(path.join(ROOT, 'dist', 'esm', 'index.js'))) {
      const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
      expect(build.status, build.stderr).toBe(0);
    }
  }, 300_000);

  function generate(...args: string[]): { status: number; output: string } {
    const run = spawnSync(process.execPath, ['deploy/src/generate.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
    return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
  }

  test('--check passes on the committed files', () => {
    const { status, output } = generate('--check');
    expect(status, output).toBe(0);
  });

  test('--config/--out render a user config, and --check notices a stale file', () => {
    const options = path.join(scratch, 'options.json');
    writeFileSync(
      options,
      JSON.stringify({ objective: 0.995, dashboard: { title: 'ZDX (billing)' }, selector: 'job="billing"' }),
    );
    const out = path.join(scratch, 'out');
    const written = generate('--config', options, '--out', out);
    expect(written.status, written.output).toBe(0);
    const dash = JSON.parse(readFileSync(path.join(out, OUTPUTS.dashboard), 'utf8')) as Dashboard;
    expect(dash.title).toBe('ZDX (billing)');
    expect(readFileSync(path.join(out, OUTPUTS.alerts), 'utf8')).toContain('(1 - 0.995)');
    expect(generate('--config', options, '--out', out, '--check').status).toBe(0);

    writeFileSync(path.join(out, OUTPUTS.rules), '# edited by hand\n');
    const stale = generate('--config', options, '--out', out, '--check');
    expect(stale.status).toBe(1);
    expect(stale.output).toContain(OUTPUTS.rules);
  });

  test('a bad option is reported, not rendered', () => {
    const options = path.join(scratch, 'bad.json');
    writeFileSync(
      options,
      JSON.stringify({ burnRates: [{ severity: 'page', long: '1h', short: '5m', factor: 14.4, for: '2m' }] }),
    );
    const { status, output } = generate('--config', options, '--out', path.join(scratch, 'bad'));
    expect(status).toBe(2);
    expect(output).toMatch(/burnRates\[0\]\.severity/);
  });
});

describe('dashboard', () => {
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  const byTitle = (title: string): Panel => {
    const panel = panels.find((p) => p.title === title);
    if (!panel) throw new Error(`no panel "${title}"`);
    return panel;
  };

  test('identity and schema', () => {
    expect(dashboard.uid).toBe('zdx-api');
    expect(dashboard.title).toBe('ZDX API client');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
  });

  test('variables: data source, service, ZDX host, tenant and endpoint, multi-select with an All of .*', () => {
    const vars = dashboard.templating.list;
    expect(vars.map((v) => v.name)).toEqual(['datasource', 'service', 'host', 'tenant', 'endpoint']);
    expect(vars[0]).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const v of vars.slice(1))
      expect(v).toMatchObject({ type: 'query', includeAll: true, multi: true, allValue: '.*' });
    expect(String(vars[1]?.query)).toContain(', job)');
    expect(String(vars[2]?.query)).toContain(', server_address)');
    expect(String(vars[3]?.query)).toContain(', zdx_tenant)');
    // "All" by default: `.*` also matches series without the label, so the dashboard works without tenants.
    expect(vars[3]?.current).toMatchObject({ value: ['$__all'] });
    expect(String(vars[4]?.query)).toContain(', url_template)');
  });

  test.each([
    ['Requests per second by endpoint', 'timeseries'],
    ['2xx by endpoint', 'timeseries'],
    ['4xx (except 429) by endpoint', 'timeseries'],
    ['429 by endpoint', 'timeseries'],
    ['5xx by endpoint', 'timeseries'],
    ['429 and 5xx ratio by endpoint', 'timeseries'],
    ['Top failing endpoints', 'table'],
    ['Status codes', 'table'],
    ['Latency p50 / p95 / p99', 'timeseries'],
    ['Rate-limit remaining', 'timeseries'],
    ['Error-budget burn rate', 'timeseries'],
    ['Error budget left (30d)', 'stat'],
    ['Budget left per window', 'timeseries'],
    ['Time until the budget is exhausted', 'timeseries'],
    ['429 by tenant', 'timeseries'],
    ['Budget by tenant', 'table'],
  ])('has panel "%s" (%s)', (title, type) => {
    expect(byTitle(title).type).toBe(type);
  });

  test('every panel queries the data-source variable and filters by service, host, tenant and endpoint', () => {
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        expect(t.datasource?.uid, p.title).toBe('${datasource}');
        expect(t.expr, p.title).toMatch(/job=~"\$service"/);
        expect(t.expr, p.title).toMatch(/server_address=~"\$host"/);
        expect(t.expr, p.title).toMatch(/zdx_tenant=~"\$tenant"/);
        // The rate-limit gauges have no endpoint label.
        if (!/zdx_api_rate_limit_(remaining|limit)/.test(t.expr ?? ''))
          expect(t.expr, p.title).toMatch(/url_template=~"\$endpoint"/);
      }
    }
  });

  test('refIds are set and unique within each panel', () => {
    for (const p of panels) {
      const ids = (p.targets ?? []).map((t) => t.refId);
      expect(
        ids.every((id) => typeof id === 'string' && id !== ''),
        p.title,
      ).toBe(true);
      expect(new Set(ids).size, p.title).toBe(ids.length);
    }
  });

  test('the layout fits a 24-column grid without overlaps', () => {
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          const key = `${i},${j}`;
          expect(cells.has(key), `${p.title} overlaps at ${key}`).toBe(false);
          cells.add(key);
        }
      }
    }
  });

  test('status codes are mapped to ZDX text and description, from the catalog, for every code in the catalog', () => {
    const status = byTitle('Status codes');
    const override = status.fieldConfig?.overrides?.find((o) => o.matcher.options === 'Status');
    const mappings = override?.properties.find((p) => p.id === 'mappings')?.value as Array<{
      type: string;
      options: Record<string, { text: string; color: string }> & { match?: string };
    }>;
    const valueMap = mappings.find((m) => m.type === 'value');
    // One mapping per catalog entry, nothing stale left over from an older catalog.
    expect(ZDX_STATUS_CODES.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(valueMap?.options ?? {}).sort()).toEqual(ZDX_STATUS_CODES.map((e) => String(e.code)).sort());
    for (const entry of ZDX_STATUS_CODES) {
      const mapped = valueMap?.options[String(entry.code)];
      expect(mapped, `code ${entry.code}`).toBeDefined();
      expect(mapped?.text).toBe(statusMappingText(entry));
      expect(mapped?.text).toContain(entry.text);
      // Every line of ZDX's description is there (multi-line ones, like 403, are joined with spaces).
      for (const line of entry.description.split('\n')) expect(mapped?.text).toContain(line.trim());
    }
    expect(valueMap?.options['429']?.text).toMatch(/^429 Too Many Requests: .*rate limit or device threshold/);
    expect(valueMap?.options['403']?.text).toContain('A required SKU subscription is missing.');
    // No response: the code label is absent, the cell empty.
    expect(mappings.some((m) => m.type === 'special' && m.options.match === 'empty')).toBe(true);
  });

  test('the error-budget panels use the configured objective', () => {
    expect(byTitle('Error budget left (30d)').targets?.[0]?.expr).toContain('/ (1 - 0.99)');
    const burn = byTitle('Error-budget burn rate');
    const windows = burn.targets?.map((t) => [...new Set([...(t.expr ?? '').matchAll(/\[(\w+)\]/g)].map((m) => m[1]))]);
    expect(windows).toEqual([['5m'], ['30m'], ['1h'], ['6h']]);
  });
});
