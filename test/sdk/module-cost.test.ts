/**
 * What importing the core costs an application: the modules Node loads for `require('zdx-otel')` and
 * `import 'zdx-otel'` (the built package, resolved by name), counted by a module.registerHooks load hook in a
 * child process, next to what one generic instrumentation (@opentelemetry/instrumentation-undici) loads in the
 * same application. A module count, not a timing.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/run-app.js';

// Packages that belong to an SDK start-up, never to the core: the Node SDK bundle, exporters, OTLP, logs.
const SDK_ONLY =
  /\/node_modules\/(?:@opentelemetry\/(?:sdk-node|sdk-logs|api-logs|exporter-[^/]+|otlp-[^/]+)|@grpc\/[^/]+|protobufjs)\//;

function loadedBy(how: 'require' | 'import', specifier: string): string[] {
  const script = `
    import { createRequire, registerHooks } from 'node:module';
    const loaded = new Set();
    registerHooks({ load(url, context, next) { if (!url.startsWith('node:')) loaded.add(url); return next(url, context); } });
    ${how === 'require' ? `createRequire(process.cwd() + '/')(${JSON.stringify(specifier)});` : `await import(${JSON.stringify(specifier)});`}
    process.stdout.write(JSON.stringify([...loaded]));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as string[];
}

describe.each(['require', 'import'] as const)('%s of the core', (how) => {
  it('loads no SDK bundle, exporter, OTLP or logs module, and at most 1.5x what instrumentation-undici loads', () => {
    const core = loadedBy(how, 'zdx-otel');
    const undici = loadedBy(how, '@opentelemetry/instrumentation-undici');
    expect(core.filter((url) => SDK_ONLY.test(url))).toEqual([]);
    expect(core.length).toBeLessThanOrEqual(1.5 * undici.length);
    // The measurement itself works: the SDK entry does load the SDK bundle and exporters.
    expect(loadedBy(how, 'zdx-otel/sdk').filter((url) => SDK_ONLY.test(url)).length).toBeGreaterThan(50);
  });
});
