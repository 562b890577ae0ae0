/*
 * ZDX-shaped error answers. The Automation Hub schemas give `{code, message}` with an upper-case code label
 * (`VALIDATION_ERROR` with `details: [..]` for 400, `UNAUTHORIZED`, `NOT_FOUND`, `INTERNAL_SERVER_ERROR`);
 * for the other codes the label is made the same way from ZDX's status text (e.g. `TOO_MANY_REQUESTS`).
 */
import { classifyStatus } from '../../core/catalog/status.js';

export interface ZdxErrorBody {
  code: string;
  message: string;
  details?: string[];
}

const KNOWN_LABELS: Readonly<Record<number, string>> = {
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  500: 'INTERNAL_SERVER_ERROR',
};

/** The body `code` label for a status, e.g. 429 → `TOO_MANY_REQUESTS`. */
export function errorLabel(status: number): string {
  const known = KNOWN_LABELS[status];
  if (known !== undefined) return known;
  return classifyStatus(status)
    .text.replace(/\(.*?\)/g, '')
    .trim()
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_');
}

/** ZDX's description of a status on one line, used when nothing more specific is known. */
export function defaultMessage(status: number): string {
  return classifyStatus(status).description.replace(/\s*\n\s*/g, ' ');
}

export function errorBody(status: number, message?: string, details?: readonly string[]): ZdxErrorBody {
  const body: ZdxErrorBody = { code: errorLabel(status), message: message ?? defaultMessage(status) };
  // ZDX's validation schema always carries `details`; other errors carry it only when there is something to say.
  if (status === 400 || (details !== undefined && details.length > 0)) body.details = [...(details ?? [])];
  return body;
}

/** Thrown by handlers and validators; the server turns it into an error answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message?: string,
    readonly details?: readonly string[],
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message ?? defaultMessage(status));
  }
}

/** A 400 for request fields that fail validation; `details` name each field. */
export function validationError(details: readonly string[], message = 'invalid request parameters'): HttpError {
  return new HttpError(400, message, details);
}
