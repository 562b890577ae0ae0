import type { ZdxRateLimitFacts, ZdxRateLimitWindow } from './types.js';

/*
 * ZDX documents `RateLimit-Limit/-Remaining/-Reset` (reset as a UTC epoch in seconds), while both ZDX SDKs read
 * the Kong-style `X-Ratelimit-{Limit,Remaining}-Second` pair, and `Retry-After` may come from any proxy in
 * between. Which family a given host sends is not documented, so all of them are read.
 */

const WINDOWS: readonly ZdxRateLimitWindow[] = ['second', 'minute', 'hour', 'day'];

// Names built once, so reading a response without these headers allocates nothing.
const WINDOW_HEADERS = WINDOWS.map((window) => ({
  window,
  limitName: `x-ratelimit-limit-${window}`,
  remainingName: `x-ratelimit-remaining-${window}`,
}));

/** The lower-case names of every header `parseRateLimitHeaders` reads. */
export const RATE_LIMIT_HEADER_NAMES: readonly string[] = Object.freeze([
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'retry-after',
  ...WINDOW_HEADERS.flatMap((w) => [w.limitName, w.remainingName]),
]);

const HEADER_SET: ReadonlySet<string> = new Set(RATE_LIMIT_HEADER_NAMES);

/** Whether a lower-case header name is one `parseRateLimitHeaders` reads. */
export function isRateLimitHeader(lowerName: string): boolean {
  return HEADER_SET.has(lowerName);
}

// Below this a RateLimit-Reset value is a delta in seconds (IETF draft style), not an epoch: 1e9 s is 2001-09-09,
// and no rate-limit window lasts anywhere near 31 years.
const EPOCH_THRESHOLD_SECONDS = 1e9;

// Digits with an optional fraction; no sign or exponent, so negatives and "1e3" are rejected rather than guessed.
const NUMBER = /^\d+(?:\.\d+)?$/;
// Delay-seconds, tolerating decimals and the "13s" form OneAPI documents for ZPA.
const DELAY = /^(\d+(?:\.\d+)?)\s*s?$/i;

/** The first value of a possibly comma-joined header, without parameters (`"10;w=1, 5"` → `"10"`). */
function firstValue(raw: string): string {
  let end = raw.length;
  const comma = raw.indexOf(',');
  if (comma !== -1) end = comma;
  const semicolon = raw.indexOf(';');
  if (semicolon !== -1 && semicolon < end) end = semicolon;
  return raw.slice(0, end).trim();
}

/** A non-negative number no larger than 2^53 - 1, else undefined. */
function toCount(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined;
  const value = Number(text);
  return value <= Number.MAX_SAFE_INTEGER ? value : undefined;
}

function parseNumberHeader(raw: string | undefined): number | undefined {
  return raw === undefined ? undefined : toCount(firstValue(raw));
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

// The three HTTP-date forms of RFC 9110 §5.6.7, each anchored at the start and ended by end-of-value or a comma
// (dates contain commas, so they cannot be split on commas first). Date.parse is not used: it accepts almost
// anything and reads the asctime form as local time.
const HTTP_DATES: readonly RegExp[] = [
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  /^[a-z]{3}, (?<d>\d{2}) (?<mon>[a-z]{3}) (?<y>\d{4}) (?<h>\d{2}):(?<mi>\d{2}):(?<s>\d{2}) gmt\s*(?:,|$)/i,
  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
  /^[a-z]{6,9}, (?<d>\d{2})-(?<mon>[a-z]{3})-(?<y>\d{2}) (?<h>\d{2}):(?<mi>\d{2}):(?<s>\d{2}) gmt\s*(?:,|$)/i,
  // asctime, always UTC: Sun Nov  6 08:49:37 1994
  /^[a-z]{3} (?<mon>[a-z]{3}) (?<d>[ \d]\d) (?<h>\d{2}):(?<mi>\d{2}):(?<s>\d{2}) (?<y>\d{4})\s*(?:,|$)/i,
];

/** An HTTP-date as epoch milliseconds, or undefined. */
function parseHttpDate(text: string, nowMs: number): number | undefined {
  let g: Record<string, string> | undefined;
  for (const re of HTTP_DATES) {
    g = re.exec(text)?.groups;
    if (g) break;
  }
  if (!g) return undefined;
  const month = MONTHS.indexOf((g.mon ?? '').toLowerCase());
  const day = Number(g.d);
  const h = Number(g.h);
  const mi = Number(g.mi);
  const s = Number(g.s);
  let year = Number(g.y);
  if (g.y?.length === 2) {
    // RFC 9110: a two-digit year that would be more than 50 years in the future is in the past century.
    const nowYear = new Date(nowMs).getUTCFullYear();
    year += Math.floor(nowYear / 100) * 100;
    if (year > nowYear + 50) year -= 100;
  }
  const daysInMonth = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  if (month === -1 || !(day >= 1 && day <= daysInMonth) || h > 23 || mi > 59 || s > 60) return undefined;
  const ms = Date.UTC(year, month, day, h, mi, s);
  return Number.isFinite(ms) ? ms : undefined;
}

function parseRetryAfter(raw: string, nowMs: number): number | undefined {
  const delay = DELAY.exec(firstValue(raw));
  if (delay) return toCount(delay[1] ?? '');
  const dateMs = parseHttpDate(raw.trim(), nowMs);
  if (dateMs === undefined || !Number.isFinite(nowMs)) return undefined;
  return Math.max(0, (dateMs - nowMs) / 1000);
}

/**
 * Reads rate-limit facts from one response's headers. `get` returns a header value by lower-case name
 * (repeated headers joined with ", "); `nowMs` is the response time in epoch milliseconds, used to turn a
 * reset delta or a Retry-After date into epoch seconds / seconds from now. Returns undefined when no value
 * could be read, so the usual header-less response allocates nothing. Never throws: unparseable, negative,
 * non-finite or unsafe (> 2^53 - 1) values are ignored, and of comma-joined values the first is used.
 */
export function parseRateLimitHeaders(
  get: (lowerCaseName: string) => string | undefined,
  nowMs: number,
): ZdxRateLimitFacts | undefined {
  let facts: ZdxRateLimitFacts | undefined;

  const limit = parseNumberHeader(get('ratelimit-limit'));
  if (limit !== undefined) (facts ??= {}).limit = limit;

  const remaining = parseNumberHeader(get('ratelimit-remaining'));
  if (remaining !== undefined) (facts ??= {}).remaining = remaining;

  const reset = parseNumberHeader(get('ratelimit-reset'));
  if (reset !== undefined) {
    const epoch = reset >= EPOCH_THRESHOLD_SECONDS ? reset : nowMs / 1000 + reset;
    if (Number.isFinite(epoch)) (facts ??= {}).resetEpochSeconds = epoch;
  }

  const retryAfterRaw = get('retry-after');
  if (retryAfterRaw !== undefined) {
    const retryAfter = parseRetryAfter(retryAfterRaw, nowMs);
    if (retryAfter !== undefined) (facts ??= {}).retryAfterSeconds = retryAfter;
  }

  for (const { window, limitName, remainingName } of WINDOW_HEADERS) {
    const windowLimit = parseNumberHeader(get(limitName));
    const windowRemaining = parseNumberHeader(get(remainingName));
    if (windowLimit === undefined && windowRemaining === undefined) continue;
    const entry: { limit?: number; remaining?: number } = {};
    if (windowLimit !== undefined) entry.limit = windowLimit;
    if (windowRemaining !== undefined) entry.remaining = windowRemaining;
    ((facts ??= {}).windows ??= {})[window] = entry;
  }

  return facts;
}
