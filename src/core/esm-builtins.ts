import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';

/**
 * Makes instrumentation-http's spans work for ESM imports of `node:http` and `node:https`
 * (`import { request } from 'node:https'`). Call it once, right after `sdk.start()`, before the application's
 * modules load (for example at the end of a file preloaded with `node --import`).
 *
 * instrumentation-http patches the builtins when they are next `require`d; an ESM application imports them
 * without `require`, so the patch waits for some CommonJS module to require them, or never comes. Requiring
 * them here applies it now, and `syncBuiltinESMExports()` hands the patched functions to ESM named imports.
 * Unlike the ESM loader hook (`--experimental-loader=@opentelemetry/instrumentation/hook.mjs`), it patches
 * nothing twice, so axios and got calls keep one span each. Harmless in CommonJS and without instrumentation-http.
 */
export function patchEsmBuiltins(): void {
  const require = createRequire(join(process.cwd(), 'zdx-otel-esm-builtins.cjs'));
  require('node:http');
  require('node:https');
  syncBuiltinESMExports();
}
