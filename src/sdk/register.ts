/*
 * `node --import zdx-otel/register app.mjs` or `node --require zdx-otel/register app.js`: starts zdx-otel from
 * environment variables before the application runs, and flushes on SIGTERM, SIGINT and normal exit.
 */
import { ZdxConfigError } from '../core/errors.js';
import { ZdxOtherSdkError } from './other-sdk.js';
import { startZdxTelemetry } from './start.js';
import { joinMessage, recordRunning, runningTelemetry } from './start-guard.js';
import type { ZdxTelemetry } from './types.js';

function register(): void {
  // Loaded twice (--import and --require, or the ESM and CommonJS copies): the first one owns the hooks.
  const running = runningTelemetry();
  if (running) {
    process.stderr.write(joinMessage(running, 'this zdx-otel/register'));
    return;
  }
  let telemetry: ZdxTelemetry;
  try {
    telemetry = startZdxTelemetry();
  } catch (error) {
    if (error instanceof ZdxOtherSdkError) {
      process.stderr.write(`${error.message}\n`);
      return;
    }
    // Bad configuration must not take the application down: say what is wrong once, and run without telemetry.
    const message = error instanceof ZdxConfigError ? error.message : `zdx-otel: could not start: ${String(error)}`;
    process.stderr.write(`${message}\nzdx-otel: telemetry is disabled; the application continues.\n`);
    return;
  }
  // Name the entry as the starter (unless OTEL_SDK_DISABLED made it a no-op, which nothing should join).
  if (runningTelemetry()?.telemetry === telemetry) recordRunning(telemetry, 'zdx-otel/register');

  process.once('beforeExit', () => void telemetry.shutdown());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      // Having a listener suppresses Node's default action (terminate). If the application listens too, it
      // decides when to exit: export what we have now, keep recording, and shut down at 'beforeExit'.
      // Otherwise flush, stop, and let the signal do what it would have done without zdx-otel. Counted now,
      // while the application's own once-listeners are still registered. The library never calls
      // process.exit().
      if (process.listenerCount(signal) > 0) {
        // `true`: the shutdown at 'beforeExit' shares this flush's deadline (see lifecycle in shutdown.ts).
        void (telemetry.flush as (pin?: boolean) => Promise<void>)(true);
        return;
      }
      void telemetry.shutdown().then(() => process.kill(process.pid, signal));
    });
  }
}

register();
