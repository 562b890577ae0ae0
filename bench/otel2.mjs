// The OpenTelemetry 2.x line for the benchmark: installs a 2.x set with npm into .cache/bench-otel2/ (once; again
// when the set below changes), copies the built dist/ there as node_modules/zdx-otel, and copies the workers
// next to it, so their bare imports resolve to the 2.x packages only. Returns the directory, or the reason the
// line cannot run.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const OTEL2_DIR = join(root, '.cache', 'bench-otel2');

// The newest 2.x set that installs cleanly (engines `^18.19.0 || >=20.6.0`, api < 1.10).
export const OTEL2_PACKAGES = [
  '@opentelemetry/api@1.9.1',
  '@opentelemetry/core@2.12.1',
  '@opentelemetry/context-async-hooks@2.12.1',
  '@opentelemetry/sdk-metrics@2.12.1',
  '@opentelemetry/sdk-trace@2.12.1',
  '@opentelemetry/instrumentation@0.223.0',
  '@opentelemetry/instrumentation-http@0.223.0',
  '@opentelemetry/instrumentation-undici@0.33.0',
];
export const OTEL2_FILES = ['worker.mjs', 'cardinality.mjs'];

/** @returns {{ dir: string } | { notRunnable: string }} */
export function prepareOtel2({ log = () => {} } = {}) {
  const marker = join(OTEL2_DIR, 'installed.json');
  const wanted = JSON.stringify(OTEL2_PACKAGES);
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== wanted) {
    log(`installing the OpenTelemetry 2.x set into ${relative(root, OTEL2_DIR)}/ with npm`);
    rmSync(OTEL2_DIR, { recursive: true, force: true });
    mkdirSync(OTEL2_DIR, { recursive: true });
    writeFileSync(
      join(OTEL2_DIR, 'package.json'),
      `${JSON.stringify({ name: 'bench-otel2', private: true, type: 'module' })}\n`,
    );
    try {
      execFileSync(
        'npm',
        ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--save-exact', ...OTEL2_PACKAGES],
        { cwd: OTEL2_DIR, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 300_000 },
      );
    } catch (error) {
      const why =
        `${error.stderr ?? ''}${error.message ?? ''}`.split('\n').find((l) => /ERR|error/i.test(l)) ?? error.message;
      return { notRunnable: `npm install of the 2.x set failed: ${why.trim().replaceAll(root, '')}` };
    }
    writeFileSync(marker, wanted);
  }

  if (!existsSync(join(root, 'dist', 'esm', 'index.js'))) return { notRunnable: 'dist/ is not built (npm run build)' };
  const target = join(OTEL2_DIR, 'node_modules', 'zdx-otel');
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  cpSync(join(root, 'dist'), join(target, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(target, 'package.json'));
  for (const file of OTEL2_FILES) cpSync(join(root, 'bench', file), join(OTEL2_DIR, file));

  // Node would find a package the 2.x set lacks in the project's own node_modules (3.x) further up the tree;
  // refuse instead of silently measuring a mix.
  const entries = [join(target, 'dist', 'esm', 'index.js'), ...OTEL2_FILES.map((file) => join(OTEL2_DIR, file))];
  const missing = entries
    .flatMap(bareImports)
    .map(packageName)
    .filter(
      (name) =>
        !name.startsWith('node:') &&
        name !== 'zdx-otel' &&
        !existsSync(join(OTEL2_DIR, 'node_modules', name, 'package.json')),
    );
  if (missing.length > 0) {
    return {
      notRunnable: `zdx-otel's core or the bench workers import ${[...new Set(missing)].join(', ')}, which the 2.x set does not install (add it to OTEL2_PACKAGES in bench/otel2.mjs)`,
    };
  }
  return { dir: OTEL2_DIR };
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Bare specifiers imported by a module and everything it imports relatively. */
function bareImports(entry) {
  const seen = new Set();
  const bare = new Set();
  const visit = (file) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, spec] of source.matchAll(/(?<![.\w])(?:from\s*|import\s*\(?\s*)['"]([^'"]+)['"]/g)) {
      if (spec.startsWith('.')) visit(join(dirname(file), spec));
      // Only what can be a module specifier: the pattern also meets quoted text in strings and comments.
      else if (/^(node:)?(@[\w.-]+\/)?[\w.-]+(\/[\w./-]*)?$/.test(spec)) bare.add(spec);
    }
  };
  visit(entry);
  return [...bare];
}

/** The @opentelemetry/* versions installed in a node_modules directory, for the report. */
export function otelVersions(nodeModules) {
  const dir = join(nodeModules, '@opentelemetry');
  if (!existsSync(dir)) return {};
  return Object.fromEntries(
    readdirSync(dir).map((name) => {
      try {
        return [name, JSON.parse(readFileSync(join(dir, name, 'package.json'), 'utf8')).version];
      } catch {
        return [name, '?'];
      }
    }),
  );
}
