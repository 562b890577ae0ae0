import { diag } from '@opentelemetry/api';

let reported = false;

/**
 * Called where zdx-otel swallows its own error to protect the application (a channel handler, onEnding).
 * The first one is reported through OpenTelemetry's diag logger (visible with OTEL_LOG_LEVEL), the rest
 * only counted: per-request logging could flood the host application's output.
 */
export function internalError(where: string, error: unknown): void {
  if (reported) return;
  reported = true;
  diag.warn(
    `zdx-otel: internal error in ${where}; telemetry for this request is incomplete. ` +
      `Further internal errors are not reported. ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
}
