/**
 * Thrown (at startup only, never on the request path) when an option or environment variable is invalid.
 * The message names the option and says what is accepted, so the fix is obvious from the log line.
 */
export class ZdxConfigError extends Error {
  override readonly name = 'ZdxConfigError';
  constructor(
    /** The option or environment variable at fault, e.g. `extraHosts` or `ZDX_OTEL_EXTRA_HOSTS`. */
    readonly option: string,
    /** What is wrong and what is accepted, without the option's name. */
    readonly detail: string,
  ) {
    super(`zdx-otel: invalid ${option}: ${detail}`);
  }
}
