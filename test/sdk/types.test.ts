import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/run-app.js';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('published types', () => {
  it('type-check for ESM (.mts) and CommonJS (.cts) consumers through the exports map, and reject misuse', () => {
    // The fixtures import 'zdx-otel' by name: package self-reference resolves it to dist/ and its .d.ts files.
    const result = spawnSync(process.execPath, [tsc, '-p', `${ROOT}test/fixtures/types/tsconfig.json`], {
      encoding: 'utf8',
    });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('resolve every entry point under the legacy moduleResolution "node" (typesVersions), and reject misuse', () => {
    // node10 resolution ignores exports and self-reference: the consumer finds zdx-otel in its node_modules.
    const app = mkdtempSync(path.join(tmpdir(), 'zdx-otel-types-legacy-'));
    try {
      mkdirSync(path.join(app, 'node_modules'));
      symlinkSync(ROOT, path.join(app, 'node_modules', 'zdx-otel'), 'dir');
      copyFileSync(path.join(ROOT, 'test/fixtures/types-legacy/consumer.ts'), path.join(app, 'consumer.ts'));
      writeFileSync(
        path.join(app, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'commonjs',
            moduleResolution: 'node10',
            ignoreDeprecations: '5.0',
            target: 'ES2023',
            strict: true,
            noEmit: true,
            noUncheckedSideEffectImports: true, // so `import 'zdx-otel/register'` must resolve too
            typeRoots: [path.join(ROOT, 'node_modules/@types')],
            types: ['node'],
          },
          files: ['consumer.ts'],
        }),
      );
      const result = spawnSync(process.execPath, [tsc, '-p', path.join(app, 'tsconfig.json')], { encoding: 'utf8' });
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});
