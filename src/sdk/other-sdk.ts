/*
 * Another OpenTelemetry SDK started first (typically `--import @opentelemetry/auto-instrumentations-node/register`
 * before `zdx-otel/register`). A second SDK cannot register its providers, so its instrumentations would
 * record through the first one's: ZDX spans without zdx-otel's attributes and, for undici, two spans per call.
 * Starting nothing and saying so in one line is the only honest outcome.
 */

import { diag, DiagLogLevel } from '@opentelemetry/api';

/** The key under which every `@opentelemetry/api` 1.x copy keeps its globals (same for all minor versions). */
const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');

interface ApiGlobals {
  version?: string;
  trace?: unknown;
  metrics?: unknown;
  diag?: unknown;
}

function apiGlobals(): ApiGlobals | undefined {
  return (globalThis as Record<symbol, ApiGlobals | undefined>)[API_GLOBALS];
}

/** The one line to print when a TracerProvider or MeterProvider is already registered globally, else undefined. */
export function otherSdkMessage(): string | undefined {
  const globals = apiGlobals();
  const found = [globals?.trace ? 'TracerProvider' : '', globals?.metrics ? 'MeterProvider' : ''].filter(
    (s) => s !== '',
  );
  if (found.length === 0) return undefined;
  return (
    `zdx-otel: another OpenTelemetry SDK is already registered in this process (a global ${found.join(' and ')}` +
    ` from @opentelemetry/api ${globals?.version ?? '1.x'}, e.g. @opentelemetry/auto-instrumentations-node/register ran first),` +
    " so zdx-otel starts nothing: use zdx-otel/register alone (it loads auto-instrumentations-node's instrumentations" +
    ' when installed), or add ZdxInstrumentation, ZdxSpanProcessor and zdxViews() to that SDK.'
  );
}

/** Thrown by `startZdxTelemetry()` when another SDK is registered; its message is the whole story. */
export class ZdxOtherSdkError extends Error {
  override readonly name = 'ZdxOtherSdkError';
}

const LATER_SDK =
  'zdx-otel: another OpenTelemetry SDK started after zdx-otel (e.g.' +
  ' @opentelemetry/auto-instrumentations-node/register preloaded after zdx-otel/register); it cannot register,' +
  ' but its instrumentations duplicate spans: remove it' +
  " (zdx-otel/register loads auto-instrumentations-node's instrumentations itself when installed).";

/**
 * The other order: an SDK started after zdx-otel fails to register its providers, and `@opentelemetry/api`
 * reports that only through diag, which is silent unless OTEL_LOG_LEVEL is set. Listening to diag at ERROR level
 * for that one report turns it into one line. With OTEL_LOG_LEVEL set, the SDK's own diag logger shows the
 * API's report instead (it replaces this one).
 */
export function watchForLaterSdk(env: Readonly<Record<string, string | undefined>> = process.env): void {
  // The application's own diag logger (or the SDK's, from OTEL_LOG_LEVEL) is never replaced.
  if ((env.OTEL_LOG_LEVEL ?? '').trim() !== '' || apiGlobals()?.diag !== undefined) return;
  let said = false;
  const ignore = () => undefined;
  diag.setLogger(
    {
      error(message: string) {
        if (said || !/Attempted duplicate registration of API: (trace|metrics)/.test(String(message))) return;
        said = true;
        process.stderr.write(`${LATER_SDK}\n`);
      },
      warn: ignore,
      info: ignore,
      debug: ignore,
      verbose: ignore,
    },
    { logLevel: DiagLogLevel.ERROR, suppressOverrideMessage: true },
  );
}
