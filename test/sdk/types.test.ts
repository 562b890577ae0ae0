import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/run-app.js';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('published types', () => {
  it('type-check for ESM (.mts) and CommonJS (.cts) consumers through the exports map, and reject misuse', () => {
    // The fixtures import 'zdx-otel' by name: package self-reference resolves it to dist/ and its .d.ts files.
    const result = spawnSync(process.execPath, [tsc, '-p', `${ROOT}test/fixtures/types/tsconfig.json`], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
