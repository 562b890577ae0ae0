/*
 * `node --import zdx-otel/register app.mjs` or `node --require zdx-otel/register app.js`: starts zdx-otel from
 * environment variables before the application runs, and flushes on SIGTERM, SIGINT and normal exit.
 */
import { ZdxConfigError } from './errors.js';
import { startZdxTelemetry } from './start.js';
import type { ZdxTelemetry } from './types.js';

function register(): void {
  let telemetry: ZdxTelemetry;
  try {
    telemetry = startZdxTelemetry();
  } catch (error) {
    // Bad configuration must not take the application down: say what is wrong once, and run without telemetry.
    const message = error instanceof ZdxConfigError ? error.message : `zdx-otel: could not start: ${String(error)}`;
    process.stderr.write(`${message}\nzdx-otel: telemetry is disabled; the application continues.\n`);
    return;
  }

  process.once('beforeExit', () => void telemetry.shutdown());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const onSignal = () => {
      void telemetry.shutdown().then(() => {
        // Having a listener suppresses Node's default action (terminate). When ours was the only one, let
        // the signal do what it would have done without zdx-otel; otherwise the application's own handler
        // decides when to exit. Either way the library never calls process.exit().
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    };
    process.once(signal, onSignal);
  }
}

register();
