/*
 * Writes the generated files of deploy/ (rules, alerts, dashboard, Kubernetes manifests).
 *
 *   node deploy/src/generate.ts                          # defaults, into deploy/
 *   node deploy/src/generate.ts --config my.json --out out/   # your options (any subset of ZdxDeployConfig)
 *   node deploy/src/generate.ts --check                  # exit 1 if a committed file differs from a fresh render
 *
 * The status catalog for the dashboard's value mappings comes from the built package (`npm run build`), the
 * same data the library reports, through the package's self-reference.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveConfig, type ZdxDeployOptions } from './config.ts';
import type { StatusCatalogEntry } from './dashboard.ts';
import { DEPLOY_DIR, renderAll } from './render.ts';

async function loadCatalog(): Promise<readonly StatusCatalogEntry[]> {
  try {
    // A variable specifier keeps `tsc -p deploy` independent of whether dist/ has been built yet.
    const specifier = 'zdx-otel';
    const pkg = (await import(specifier)) as { ZDX_STATUS_CODES?: readonly StatusCatalogEntry[] };
    if (!Array.isArray(pkg.ZDX_STATUS_CODES)) throw new Error('zdx-otel does not export ZDX_STATUS_CODES');
    return pkg.ZDX_STATUS_CODES;
  } catch (error) {
    throw new Error(
      `cannot load the status catalog from the built package (run \`npm run build\` first): ${(error as Error).message}`,
    );
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', short: 'c' },
      out: { type: 'string', short: 'o' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: node deploy/src/generate.ts [--config options.json] [--out dir] [--check]\n');
    return 0;
  }
  const options = values.config ? (JSON.parse(readFileSync(values.config, 'utf8')) as ZdxDeployOptions) : {};
  const config = resolveConfig(options);
  const outDir = values.out ? resolve(values.out) : DEPLOY_DIR;
  const files = renderAll(config, await loadCatalog());

  if (values.check) {
    const stale = [...files].filter(([path, text]) => {
      const file = join(outDir, path);
      return !existsSync(file) || readFileSync(file, 'utf8') !== text;
    });
    for (const [path] of stale) process.stderr.write(`out of date: ${join(outDir, path)}\n`);
    if (stale.length > 0) process.stderr.write('regenerate with: node deploy/src/generate.ts\n');
    return stale.length > 0 ? 1 : 0;
  }
  for (const [path, text] of files) {
    const file = join(outDir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    process.stdout.write(`wrote ${file}\n`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
