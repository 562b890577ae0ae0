import type { ZdxRateLimitFacts, ZdxRateLimitWindow } from './types.js';

/*
 * ZDX documents `RateLimit-Limit/-Remaining/-Reset` (reset as a UTC epoch in seconds), while both ZDX SDKs read
 * the Kong-style `X-Ratelimit-{Limit,Remaining}-Second` pair, the Go OneAPI client reads the unsuffixed
 * `X-Ratelimit-{Limit,Remaining,Reset}`, and `Retry-After` may come from any proxy in between. Which family a
 * given host sends is not documented, so all of them are read. Every value is hostile input: anything that is
 * not exactly what the header is defined to carry is dropped, never repaired into a guess.
 */

const WINDOWS: readonly ZdxRateLimitWindow[] = ['second', 'minute', 'hour', 'day'];

/** The lower-case names of every header `parseRateLimitHeaders` reads. */
export const RATE_LIMIT_HEADER_NAMES: readonly string[] = Object.freeze([
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'retry-after',
  // From SLOT_WINDOWS on: limit and remaining of each window, in WINDOWS order.
  ...WINDOWS.flatMap((window) => [`x-ratelimit-limit-${window}`, `x-ratelimit-remaining-${window}`]),
]);

// Header slots: a header's index in RATE_LIMIT_HEADER_NAMES. A response's values are collected into an array
// by slot (see `RateLimitHeaderValues`), so reading them needs no object keyed by name and no lookup closure.
const SLOT_LIMIT = 0;
const SLOT_REMAINING = 1;
const SLOT_RESET = 2;
const SLOT_X_LIMIT = 3;
const SLOT_X_REMAINING = 4;
const SLOT_X_RESET = 5;
const SLOT_RETRY_AFTER = 6;
const SLOT_WINDOWS = 7;
const SLOT_COUNT = RATE_LIMIT_HEADER_NAMES.length;

/** A header's value as received, or (from bytes that are plain digits) already as its number. */
type HeaderValue = string | number | undefined;

// The slots by name length: a response's header names are matched in place (length first, then the
// characters, ASCII case folded), so the usual header is rejected without being decoded, lower-cased or hashed.
// undici hands headers over as Buffers: only the values of the headers that match are ever decoded.
const SLOTS_BY_LENGTH: number[][] = [];
RATE_LIMIT_HEADER_NAMES.forEach((name, slot) => {
  (SLOTS_BY_LENGTH[name.length] ??= []).push(slot);
});

// Each name as two arrays of small integers, read together per byte: its character codes, and a mask that is
// 0x20 where the name has a letter and 0 elsewhere. A byte `b` matches position `i` exactly when
// `(b | mask[i]) === code[i]`: at a letter only its two cases do (ORing 0x20 lower-cases A-Z and leaves a-z;
// no other byte lands on a lower-case letter), anywhere else only the byte itself (`-` stays apart from the
// CR that 0x0d | 0x20 would make of it). Plain arrays, not Uint8Arrays: an element of a typed array costs
// several times one of an array in optimized code, and the header bytes are already one typed array to read.
// Counted with valgrind on a Kong-fronted response (seven rate-limit names), this matching takes about 4.5k
// instructions in every run, where the codes in Uint8Arrays and a case-folding function took 5k to 10k, by how
// the JIT happened to compile them.
const NAME_CODES: readonly (readonly number[])[] = RATE_LIMIT_HEADER_NAMES.map((name) =>
  Array.from(name, (c) => c.charCodeAt(0)),
);
const NAME_FOLD_MASKS: readonly (readonly number[])[] = RATE_LIMIT_HEADER_NAMES.map((name) =>
  Array.from(name, (c) => (c >= 'a' && c <= 'z' ? 0x20 : 0)),
);

/** The slot of the rate-limit header `name` spells in any case (latin1 bytes), or -1. */
export function rateLimitHeaderSlotOfBytes(name: Uint8Array): number {
  const length = name.length;
  const candidates = SLOTS_BY_LENGTH[length];
  if (candidates === undefined) return -1;
  next: for (let k = 0; k < candidates.length; k++) {
    const slot = candidates[k]!;
    const codes = NAME_CODES[slot]!;
    const masks = NAME_FOLD_MASKS[slot]!;
    // From the end: names of one length differ near their end (`-second`/`-minute`, `-limit`/`-reset`).
    for (let i = length - 1; i >= 0; i--) if ((name[i]! | masks[i]!) !== codes[i]) continue next;
    return slot;
  }
  return -1;
}

// node:http hands header names over as strings, spelled however the server spells them (Kong sends
// `X-RateLimit-Limit-Second`), and a server spells them the same way on every response. So each spelling is
// matched character by character once and remembered by length: later responses pay one string comparison
// (a word-wise builtin; no hashing, no allocation) instead of a case-folding loop over every name of that
// length, measured as zdx-otel's largest cost per node:http response. Spellings that match nothing are
// remembered too; a length's list is emptied when full, so hostile header names cost time, never memory.
const SPELLINGS_BY_LENGTH: Array<Array<{ readonly spelling: string; readonly slot: number }>> = [];
const MAX_SPELLINGS_PER_LENGTH = 8;

/** The slot of the rate-limit header `name` spells in any case, or -1. */
export function rateLimitHeaderSlotOf(name: string): number {
  const candidates = SLOTS_BY_LENGTH[name.length];
  if (candidates === undefined) return -1;
  const spellings = (SPELLINGS_BY_LENGTH[name.length] ??= []);
  for (let i = 0; i < spellings.length; i++) {
    const known = spellings[i]!;
    if (known.spelling === name) return known.slot;
  }
  const slot = slotSpelledBy(name, candidates);
  if (spellings.length >= MAX_SPELLINGS_PER_LENGTH) spellings.length = 0;
  spellings.push({ spelling: name, slot });
  return slot;
}

/** `rateLimitHeaderSlotOfBytes` over a string's characters: run once per spelling (see rateLimitHeaderSlotOf). */
function slotSpelledBy(name: string, candidates: readonly number[]): number {
  next: for (let k = 0; k < candidates.length; k++) {
    const slot = candidates[k]!;
    const codes = NAME_CODES[slot]!;
    const masks = NAME_FOLD_MASKS[slot]!;
    for (let i = name.length - 1; i >= 0; i--) if ((name.charCodeAt(i) | masks[i]!) !== codes[i]) continue next;
    return slot;
  }
  return -1;
}

/**
 * The windows a budget (limit and remaining) is reported for: the unsuffixed headers (`window`) first, then the
 * `X-Ratelimit-*-<Window>` families, in the order of `RateLimitHeaderValues.counts()`.
 */
export const BUDGET_WINDOWS: readonly (ZdxRateLimitWindow | 'window')[] = Object.freeze(['window', ...WINDOWS]);

/**
 * One response's rate-limit header values by slot, filled while its headers are scanned, read, then cleared.
 * Reused from response to response (reading is synchronous). The metrics need only the budgets, read into a
 * reused array (`counts`), so a response allocates nothing here; the facts object (`facts`) is made only
 * when a span is there to carry it.
 */
export class RateLimitHeaderValues {
  // A value is a string, or the number itself when it came as bytes that are plain digits (see setBytes).
  private readonly values: Array<HeaderValue> = new Array<HeaderValue>(SLOT_COUNT).fill(undefined);
  private readonly budgets = new Float64Array(2 * BUDGET_WINDOWS.length);
  private isFilled = false;

  /** Whether a rate-limit header was set since the last `clear()`. */
  get filled(): boolean {
    return this.isFilled;
  }

  /**
   * Keeps the first value of a header, as node:http's `headers` object does for these names. The usual count
   * is kept as its number: the metrics (`counts`) and the span (`facts`) both read it, and neither scans it again.
   */
  set(slot: number, value: string): void {
    if (this.values[slot] !== undefined) return;
    // Retry-After is not a count (it may be a date): always text.
    const count = slot === SLOT_RETRY_AFTER ? undefined : plainDigits(value);
    this.values[slot] = count ?? value;
    this.isFilled = true;
  }

  /**
   * `set` for a value as latin1 bytes (undici hands headers over as Buffers). The usual count (`3500`) is
   * read from the bytes as the number it is, without making a string first; anything else is decoded.
   */
  setBytes(slot: number, value: Buffer): void {
    if (this.values[slot] !== undefined) return;
    // Retry-After is not a count (it may be a date): always text.
    const count = slot === SLOT_RETRY_AFTER ? undefined : plainDigitBytes(value);
    this.values[slot] = count ?? value.toString('latin1');
    this.isFilled = true;
  }

  /**
   * The limit and remaining of each window of BUDGET_WINDOWS, as `[limit, remaining]` pairs in that order, NaN
   * where a value is absent or malformed; read as `facts` reads them. The array is this object's own, reused:
   * valid until the next call.
   */
  counts(): Float64Array {
    const values = this.values;
    const budgets = this.budgets;
    budgets[0] = parseIntegerHeader(values[SLOT_LIMIT] ?? values[SLOT_X_LIMIT]) ?? Number.NaN;
    budgets[1] = parseIntegerHeader(values[SLOT_REMAINING] ?? values[SLOT_X_REMAINING]) ?? Number.NaN;
    for (let w = 0; w < WINDOWS.length; w++) {
      budgets[2 * w + 2] = parseIntegerHeader(values[SLOT_WINDOWS + 2 * w]) ?? Number.NaN;
      budgets[2 * w + 3] = parseIntegerHeader(values[SLOT_WINDOWS + 2 * w + 1]) ?? Number.NaN;
    }
    return budgets;
  }

  /** The facts of the values set (undefined if none could be read), with `nowMs` as the response time. */
  facts(nowMs: number): ZdxRateLimitFacts | undefined {
    return this.isFilled ? parseSlots(this.values, nowMs) : undefined;
  }

  /** Empties the values: one response's values never reach the next one. */
  clear(): void {
    if (!this.isFilled) return;
    // A loop, not fill(): Array.prototype.fill runs in the runtime, several times the cost of these stores.
    const values = this.values;
    for (let i = 0; i < values.length; i++) values[i] = undefined;
    this.isFilled = false;
  }
}

/*
 * A reset value is either an epoch (ZDX's documented `RateLimit-Reset`) or a delta in seconds (the IETF draft,
 * and how the Go OneAPI client reads `X-Ratelimit-Reset`). The two ranges cannot overlap in practice:
 * - below 1e9 it is a delta: 1e9 s is 31.7 years, no rate-limit window lasts that long, and as an epoch it would
 *   be before 2001-09-09, years before any of these headers existed;
 * - from 1e9 to below 1e10 it is an epoch in seconds (2001-09-09 to 2286-11-20);
 * - from 1e10 up it is dropped: as seconds it is past the year 2286, so it is most likely an epoch in
 *   milliseconds or microseconds, and a unit that cannot be told is never guessed.
 * The result is always a whole number of epoch seconds: a delta is added to the response time and rounded up,
 * so the reported reset is never earlier than the server's. A fractional reset is dropped like any other
 * malformed count (the header is defined as an integer).
 */
const EPOCH_THRESHOLD_SECONDS = 1e9;
const EPOCH_LIMIT_SECONDS = 1e10;

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

/**
 * A whole, non-negative, safe-integer header value, else undefined. Limits, remainders and resets are integers
 * by definition and end up on INT gauges and int span attributes, so a fraction (`2.5`), a sign, an exponent,
 * NaN or a value beyond 2^53 - 1 is dropped rather than rounded: such a header is not what it claims to be.
 * `3.0` is the integer 3 and is kept.
 */
function parseIntegerHeader(raw: HeaderValue): number | undefined {
  if (raw === undefined || typeof raw === 'number') return raw;
  const digits = plainDigits(raw);
  if (digits !== undefined) return digits;
  const value = toCount(firstValue(raw));
  return value !== undefined && Number.isInteger(value) ? value : undefined;
}

/**
 * The usual value, a bare run of at most 15 digits (`3500`), read without the regular expression and the
 * substrings: what the general path makes of it exactly (15 digits stay below 2^53, so no rounding), else
 * undefined for the general path to decide.
 */
function plainDigits(raw: string): number | undefined {
  const length = raw.length;
  if (length === 0 || length > 15) return undefined;
  let value = 0;
  for (let i = 0; i < length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
    value = value * 10 + (c - 0x30);
  }
  return value;
}

/** `plainDigits` over latin1 bytes: the number for 1 to 15 ASCII digits, else undefined. */
function plainDigitBytes(raw: Uint8Array): number | undefined {
  const length = raw.length;
  if (length === 0 || length > 15) return undefined;
  let value = 0;
  for (let i = 0; i < length; i++) {
    const c = raw[i]!;
    if (c < 0x30 || c > 0x39) return undefined;
    value = value * 10 + (c - 0x30);
  }
  return value;
}

/** A reset header as whole epoch seconds (see EPOCH_THRESHOLD_SECONDS), else undefined. */
function parseReset(raw: HeaderValue, nowMs: number): number | undefined {
  const reset = parseIntegerHeader(raw);
  if (reset === undefined || reset >= EPOCH_LIMIT_SECONDS) return undefined;
  if (reset >= EPOCH_THRESHOLD_SECONDS) return reset;
  const epoch = Math.ceil(nowMs / 1000 + reset);
  return Number.isFinite(epoch) ? epoch : undefined;
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
 * could be read, so the usual header-less response allocates nothing. Never throws: of comma-joined values the
 * first is used, and anything unreadable is ignored (see `parseIntegerHeader` and `parseReset`).
 *
 * `limit`, `remaining` and `resetEpochSeconds` come from `RateLimit-*`; the unsuffixed `X-Ratelimit-*` header
 * fills a field only when its `RateLimit-*` counterpart is absent: the documented family wins, and a malformed
 * `RateLimit-*` value is dropped, not replaced by the other family's value.
 */
export function parseRateLimitHeaders(
  get: (lowerCaseName: string) => string | undefined,
  nowMs: number,
): ZdxRateLimitFacts | undefined {
  return parseSlots(RATE_LIMIT_HEADER_NAMES.map(get), nowMs);
}

/** `parseRateLimitHeaders` over header values by slot. */
function parseSlots(values: readonly HeaderValue[], nowMs: number): ZdxRateLimitFacts | undefined {
  let facts: ZdxRateLimitFacts | undefined;

  const limit = parseIntegerHeader(values[SLOT_LIMIT] ?? values[SLOT_X_LIMIT]);
  if (limit !== undefined) (facts ??= {}).limit = limit;

  const remaining = parseIntegerHeader(values[SLOT_REMAINING] ?? values[SLOT_X_REMAINING]);
  if (remaining !== undefined) (facts ??= {}).remaining = remaining;

  const reset = parseReset(values[SLOT_RESET] ?? values[SLOT_X_RESET], nowMs);
  if (reset !== undefined) (facts ??= {}).resetEpochSeconds = reset;

  // Always text (see setBytes).
  const retryAfterRaw = values[SLOT_RETRY_AFTER];
  if (typeof retryAfterRaw === 'string') {
    const retryAfter = parseRetryAfter(retryAfterRaw, nowMs);
    if (retryAfter !== undefined) (facts ??= {}).retryAfterSeconds = retryAfter;
  }

  for (let w = 0; w < WINDOWS.length; w++) {
    const windowLimit = parseIntegerHeader(values[SLOT_WINDOWS + 2 * w]);
    const windowRemaining = parseIntegerHeader(values[SLOT_WINDOWS + 2 * w + 1]);
    if (windowLimit === undefined && windowRemaining === undefined) continue;
    const entry: { limit?: number; remaining?: number } = {};
    if (windowLimit !== undefined) entry.limit = windowLimit;
    if (windowRemaining !== undefined) entry.remaining = windowRemaining;
    ((facts ??= {}).windows ??= {})[WINDOWS[w]!] = entry;
  }

  return facts;
}
