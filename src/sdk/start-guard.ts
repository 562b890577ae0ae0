/*
 * One zdx-otel setup per process. `--import zdx-otel/register` plus `startZdxTelemetry()` in the application,
 * two `startZdxTelemetry()` calls, or the ESM and the CommonJS copy of the package each starting one would
 * subscribe twice and count every request twice. The first start is recorded under a `Symbol.for` key on
 * `globalThis`, which both copies of the package (and every version of it) see; later starts join it.
 */
import type { ZdxTelemetry } from './types.js';

const KEY = Symbol.for('zdx-otel.running');

interface Running {
  telemetry: ZdxTelemetry;
  startedBy: string;
}

type Global = typeof globalThis & { [KEY]?: Running };

/** The setup already running in this process, if any. */
export function runningTelemetry(): Running | undefined {
  return (globalThis as Global)[KEY];
}

/** Records `telemetry` as the process's setup, started by `startedBy` (e.g. `zdx-otel/register`). */
export function recordRunning(telemetry: ZdxTelemetry | undefined, startedBy: string): void {
  if (telemetry) (globalThis as Global)[KEY] = { telemetry, startedBy };
  else delete (globalThis as Global)[KEY];
}

/** Says, in one line, that a second start joins the first instead of starting again. */
export function joinMessage(running: Running, caller: string): string {
  return (
    `zdx-otel: already started by ${running.startedBy}; ${caller} joins that setup (its own options are ignored) ` +
    'instead of starting a second one that would count every request twice.\n'
  );
}

/**
 * The zdx-otel setup running in this process (started by `zdx-otel/register` or `startZdxTelemetry()`), if any:
 * how an application started with `--import zdx-otel/register` reaches `flush()`/`shutdown()`, e.g. to
 * `await runningZdxTelemetry()?.shutdown()` before it calls `process.exit()`.
 */
export function runningZdxTelemetry(): ZdxTelemetry | undefined {
  return runningTelemetry()?.telemetry;
}
