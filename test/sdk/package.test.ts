import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../src/core/version.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
  exports: Record<string, Record<string, { types: string; default: string }> | string>;
  peerDependencies: Record<string, string>;
  dependencies: Record<string, string>;
  engines: { node: string };
  typesVersions: Record<string, Record<string, string[]>>;
  files: string[];
};

describe('the published package', () => {
  it('states the version the instrumentation scope reports', () => {
    expect(PACKAGE_NAME).toBe(pkg.name);
    expect(PACKAGE_VERSION).toBe(pkg.version);
  });
  it('has an ESM and a CommonJS build with types for every entry (npm test builds first)', () => {
    for (const [entry, conditions] of Object.entries(pkg.exports)) {
      if (typeof conditions === 'string') continue;
      for (const condition of ['import', 'require']) {
        const target = conditions[condition];
        expect(target, `${entry} ${condition}`).toBeDefined();
        expect(existsSync(new URL(`../../${target!.default}`, import.meta.url)), target!.default).toBe(true);
        expect(existsSync(new URL(`../../${target!.types}`, import.meta.url)), target!.types).toBe(true);
      }
    }
  });
  it('keeps @opentelemetry/api a peer, and ships what the register entry starts', () => {
    expect(pkg.peerDependencies['@opentelemetry/api']).toBe('^1.9.0');
    expect(pkg.dependencies['@opentelemetry/api']).toBeUndefined();
    for (const dep of [
      '@opentelemetry/sdk-trace',
      '@opentelemetry/sdk-metrics',
      '@opentelemetry/instrumentation-http',
      '@opentelemetry/instrumentation-undici',
      '@opentelemetry/exporter-metrics-otlp-http',
      '@opentelemetry/exporter-metrics-otlp-proto',
      '@opentelemetry/exporter-prometheus',
    ]) {
      expect(pkg.dependencies[dep], dep).toBeDefined();
    }
    // sdk-node depends on the gRPC exporters, whose protobufjs has an install script (npm warns, pnpm fails).
    expect(pkg.dependencies['@opentelemetry/sdk-node']).toBeUndefined();
    expect(pkg.engines.node).toBe('>=22.15.0');
  });
  it('takes every OpenTelemetry dependency as a range that admits both the 2.x and the 3.x line', () => {
    const lines: Record<string, [string, string]> = {
      '@opentelemetry/sdk-trace': ['2.9.0', '3.1.0'],
      '@opentelemetry/sdk-metrics': ['2.3.0', '3.1.0'],
      '@opentelemetry/instrumentation': ['0.223.0', '0.301.0'],
      '@opentelemetry/instrumentation-http': ['0.223.0', '0.301.0'],
      '@opentelemetry/instrumentation-undici': ['0.33.0', '0.34.0'],
      '@opentelemetry/core': ['2.12.0', '3.1.0'],
    };
    const satisfies = (version: string, range: string) =>
      range.split('||').some((part) => {
        const bounds = part.trim().split(/\s+/);
        return bounds.every((b) => {
          const [, op, v] = /^(>=|<|\^)(.+)$/.exec(b)!;
          const cmp = compare(version, v!);
          if (op === '>=') return cmp >= 0;
          if (op === '<') return cmp < 0;
          return cmp >= 0 && version.split('.')[0] === v!.split('.')[0]; // ^ on a >= 1.0.0 version
        });
      });
    for (const [dep, versions] of Object.entries(lines)) {
      for (const v of versions)
        expect(satisfies(v, pkg.dependencies[dep]!), `${dep}@${v} in ${pkg.dependencies[dep]}`).toBe(true);
    }
    for (const v of ['1.9.1', '1.10.0'])
      expect(satisfies(v, pkg.peerDependencies['@opentelemetry/api']!), v).toBe(true);
  });
  it("maps every subpath entry for TypeScript's legacy node resolution to a built declaration file", () => {
    const subpaths = Object.keys(pkg.exports)
      .filter((e) => e !== '.' && e !== './package.json')
      .map((e) => e.slice(2));
    expect(Object.keys(pkg.typesVersions['*']!).sort()).toEqual(subpaths.sort());
    for (const [subpath, [target]] of Object.entries(pkg.typesVersions['*']!)) {
      expect(target, subpath).toBe((pkg.exports[`./${subpath}`] as Record<string, { types: string }>).require!.types);
    }
  });
  it('ships source maps that carry their sources (src/ is not shipped)', () => {
    expect(pkg.files).not.toContain('src');
    const maps = readdirSync(new URL('../../dist', import.meta.url), { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.js.map'),
    );
    expect(maps.length).toBeGreaterThan(20);
    for (const file of maps) {
      const map = JSON.parse(readFileSync(new URL(`../../dist/${file}`, import.meta.url), 'utf8')) as {
        sources: string[];
        sourcesContent?: string[];
      };
      expect(map.sourcesContent?.length, file).toBe(map.sources.length);
      expect(
        map.sourcesContent?.every((s) => s.length > 0),
        path.basename(file),
      ).toBe(true);
    }
  });
});

function compare(a: string, b: string): number {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}
