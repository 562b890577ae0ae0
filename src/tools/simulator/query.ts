/*
 * Query-string validation shared by the report, alert and inventory endpoints: the time window, cursor
 * pagination and the integer filters. Anything malformed is a 400 VALIDATION_ERROR whose `details` name the
 * parameter, never a crash or a silently ignored filter.
 */
import { validationError } from './errors.js';

/** ZDX's default window: the last 2 hours. */
export const DEFAULT_WINDOW_SECONDS = 2 * 3600;
/** Longest accepted `to - from` (ZDX: alerts may not exceed 14 days; the simulator applies it everywhere). */
export const MAX_WINDOW_SECONDS = 14 * 86_400;
/** Report endpoints return at most this much data per call (ZDX: "2 hours of data per request"). */
export const DATA_SPAN_SECONDS = 2 * 3600;
export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 500;

// Epoch seconds this large are really milliseconds (year 5138 in seconds); a common client mistake.
const MS_THRESHOLD = 1e11;

export interface TimeWindow {
  /** Epoch seconds. */
  readonly from: number;
  readonly to: number;
}

function epochSeconds(query: URLSearchParams, name: string, details: string[]): number | undefined {
  const values = query.getAll(name);
  if (values.length === 0) return undefined;
  if (values.length > 1) {
    details.push(`${name}: given ${values.length} times; give it once`);
    return undefined;
  }
  const raw = values[0] ?? '';
  if (!/^\d{1,15}$/.test(raw)) {
    details.push(`${name}: must be epoch seconds (a non-negative integer), got ${JSON.stringify(raw)}`);
    return undefined;
  }
  const value = Number(raw);
  if (value >= MS_THRESHOLD) details.push(`${name}: ${raw} looks like milliseconds; ZDX expects epoch seconds`);
  return value;
}

/** The `from`/`to` window, defaulting to the last 2 hours before `nowMs`. */
export function timeWindow(query: URLSearchParams, nowMs: number): TimeWindow {
  const details: string[] = [];
  const from = epochSeconds(query, 'from', details);
  const to = epochSeconds(query, 'to', details);
  if (details.length > 0) throw validationError(details);
  const end = to ?? Math.floor(nowMs / 1000);
  const start = from ?? end - DEFAULT_WINDOW_SECONDS;
  if (start >= end) throw validationError([`from (${start}) must be earlier than to (${end})`], 'invalid time range');
  if (end - start > MAX_WINDOW_SECONDS) {
    throw validationError(
      [`to - from is ${end - start} s; the time range may not exceed ${MAX_WINDOW_SECONDS} s (14 days)`],
      'invalid time range',
    );
  }
  return { from: start, to: end };
}

/** Integer-list filters (`loc`, `dept`): repeated keys or comma-separated. Undefined when absent. */
export function intList(query: URLSearchParams, name: string): number[] | undefined {
  const raw = query.getAll(name).flatMap((v) => v.split(','));
  if (raw.length === 0) return undefined;
  const bad = raw.filter((v) => !/^\d{1,18}$/.test(v.trim()));
  if (bad.length > 0) throw validationError([`${name}: must be integer ids, got ${JSON.stringify(bad[0])}`]);
  return raw.map((v) => Number(v.trim()));
}

/** One choice among `allowed`, or undefined when absent. */
export function oneOf(query: URLSearchParams, name: string, allowed: readonly string[]): string | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (!allowed.includes(value)) throw validationError([`${name}: must be one of ${allowed.join(', ')}`]);
  return value;
}

export interface PageRequest {
  readonly start: number;
  readonly limit: number;
}

/*
 * Cursors are opaque to clients (as ZDX's `next_offset` is) but carry the list they belong to, so a cursor
 * from one list or filter cannot be replayed against another and silently skip or repeat items.
 */
export function encodeCursor(list: string, index: number): string {
  return Buffer.from(JSON.stringify([list, index])).toString('base64url');
}

export function pageRequest(query: URLSearchParams, list: string): PageRequest {
  const details: string[] = [];
  let limit = DEFAULT_PAGE_LIMIT;
  const rawLimit = query.get('limit');
  if (rawLimit !== null) {
    if (!/^\d{1,6}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > MAX_PAGE_LIMIT) {
      details.push(`limit: must be an integer from 1 to ${MAX_PAGE_LIMIT}, got ${JSON.stringify(rawLimit)}`);
    } else {
      limit = Number(rawLimit);
    }
  }
  let start = 0;
  const offset = query.get('offset');
  if (offset !== null && offset !== '') {
    const decoded = decodeCursor(offset);
    if (decoded === undefined) details.push('offset: not a next_offset value returned by this endpoint');
    else if (decoded[0] !== list) details.push('offset: this next_offset belongs to a different list or filter');
    else start = decoded[1];
  }
  if (details.length > 0) throw validationError(details);
  return { start, limit };
}

function decodeCursor(cursor: string): [string, number] | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'string' && Number.isSafeInteger(value[1]) && value[1] >= 0) {
      return [value[0], value[1] as number];
    }
  } catch {
    // fall through: not one of ours
  }
  return undefined;
}

/** One page of `items` and the cursor of the next one (null after the last page). */
export function page<T>(
  items: readonly T[],
  req: PageRequest,
  list: string,
): { items: T[]; next_offset: string | null } {
  const slice = items.slice(req.start, req.start + req.limit);
  const next = req.start + req.limit;
  return { items: slice, next_offset: next < items.length ? encodeCursor(list, next) : null };
}
