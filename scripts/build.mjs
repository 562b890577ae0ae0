// Builds the package twice, as ES modules (dist/esm) and as CommonJS (dist/cjs), so that both
// `import` and `require` consumers (and `--import` / `--require` preloads) get native code.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

rmSync('dist', { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'tsconfig.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
}
// The package is "type": "module"; this marker makes Node read dist/cjs as CommonJS.
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');
for (const flavour of ['esm', 'cjs']) {
  try {
    chmodSync(`dist/${flavour}/tools/cli.js`, 0o755);
  } catch {
    /* no CLI built yet */
  }
}
