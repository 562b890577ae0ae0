import type { ZdxOtelOptions } from '../core/types.js';
import type { TracingScope } from './instrumentations.js';

/** Options of `startZdxTelemetry()`: the shared options plus what only a whole-SDK start needs. */
export interface ZdxTelemetryOptions extends ZdxOtelOptions {
  /** `service.name` of the resource; `OTEL_SERVICE_NAME` otherwise. */
  serviceName?: string;
  /**
   * Longest time `shutdown()` waits for the final flush, in milliseconds. Default 5000.
   * Env: `ZDX_OTEL_SHUTDOWN_TIMEOUT`.
   */
  shutdownTimeoutMillis?: number;
  /**
   * What gets spans: `all` (default) incoming requests (SERVER spans), every outgoing call, and
   * `@opentelemetry/auto-instrumentations-node`'s instrumentations when the application has it installed;
   * `http` the same without auto-instrumentations-node; `zdx` only the outgoing ZDX calls.
   * Env: `ZDX_OTEL_TRACING`.
   */
  tracing?: TracingScope;
}

/** A started zdx-otel setup, as returned by `startZdxTelemetry()`. */
export interface ZdxTelemetry {
  /** Exports what has been recorded so far and keeps running; bounded in time, never rejects. */
  flush(): Promise<void>;
  /** Flushes and stops the SDK; resolves within a bounded time and never rejects. */
  shutdown(): Promise<void>;
}
