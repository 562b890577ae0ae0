/*
 * Redaction of `url.full`, `url.query` and `url.path` for ZDX spans. Works on strings only (no URL parsing), so
 * malformed input can neither throw nor slip through unredacted because a parser gave up. The rules are listed
 * in docs/security.md; in short:
 *
 * Query. Parameters are split on `&` and `;` (some servers treat `;` as a separator). Each parameter is then
 * percent-decoded (`+` as a space) repeatedly, up to MAX_DECODE_ROUNDS times, so double encoding does not hide
 * anything, and the decoded text is split again on `&`, `;` and `=`: instrumentation-http rewrites
 * `?a=1;token=x` as `a=1%3Btoken%3Dx`, which must not hide the token. A parameter is `key=REDACTED` (or
 * `REDACTED` as a whole when its key is suspicious itself) when anything in it
 * - is a key that, cut at `[` (`emails[]`), lower-cased and without `-`, `_`, `.` and spaces, is one of
 *   SENSITIVE_KEYS or the configured extra keys, or contains one of SENSITIVE_KEY_PARTS, with a non-empty value;
 * - or looks like personal data or a credential under any key (see `looksSensitive`): an email (`@`), a JWT
 *   (`eyJ`), an HTTP auth value (`Bearer ...`), a MAC address, an IPv4 or IPv6 address.
 *
 * Path. A segment is kept only when, decoded, it is a word of PATH_WORDS (the catalog's words and a fixed API
 * vocabulary, as for templates) or an id (digits, a UUID, 16+ hex digits); anything else (a user or host name, an
 * email, an address, a token, `;key=value` parameters) becomes `REDACTED`.
 *
 * Fast paths. Most ZDX URLs have nothing to redact: `/v1/devices/123/apps/4?from=...&to=...`. Each input is
 * first tested against one regular expression that accepts only what the rules above keep unchanged (segments
 * that are digits or a word of PATH_WORDS as they stand; parameters whose key is one of PLAIN_QUERY_KEYS, not
 * sensitive for this redactor, with a value of letters, digits, `_` and `,`; no userinfo, no fragment, no
 * `eyJ`), and comes back as it is when it passes. The expression runs as native code over the string, where
 * the scan in JavaScript pays a string-representation check for every character read: counted with valgrind,
 * a span's url.full, url.path and url.query took about 12k instructions that way and take about 5k this way.
 * Everything else takes the rules' own path, so the fast path decides nothing the rules would decide otherwise.
 */
import { PATH_WORDS, PLAIN_QUERY_KEYS } from '../catalog/words.js';
import { ZdxConfigError } from '../errors.js';

export const REDACTED = 'REDACTED';

/** Whole keys, compared in normalized form (see `normalizeKey`). */
const SENSITIVE_KEYS: readonly string[] = [
  // OpenTelemetry semconv's default list for url.query / url.full.
  'sig',
  'signature',
  'AWSAccessKeyId',
  'X-Goog-Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
  // ZDX query parameters that carry personal data or credentials.
  'emails',
  'email',
  'q',
  'search',
  'userids',
  'user_ids',
  'userid',
  'user_id',
  'deviceids',
  'device_ids',
  'mac_address',
  'private_ipv4',
  'key_id',
  'key_secret',
  // Generic credential carriers that are too short to match by substring without false positives:
  // OAuth authorization `code` and Google-style `key`. (`country_code` or `software_key` stay visible.)
  'code',
  'key',
  // Personal data and device identity under keys ZDX does not use (too short or too common for substrings).
  'name',
  'uid',
  'mac',
  'ip',
  'host',
  'clientip',
  'remoteip',
  'publicip',
  'privateip',
  'sourceip',
  'srcip',
];

/**
 * Substrings of a normalized key that mark it as a credential or personal data. `auth` covers authorization,
 * oauth, auth_token; `user` covers username, user_name, userid; `mail` covers email, mailbox.
 */
const SENSITIVE_KEY_PARTS: readonly string[] = [
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'auth',
  'apikey',
  'session',
  'signature',
  'credential',
  'assertion',
  'jwt',
  'privatekey',
  'user',
  'mail',
  'login',
  'account',
  'owner',
  'principal',
  'phone',
  'fullname',
  'firstname',
  'lastname',
  'displayname',
  'hostname',
  'devicename',
  'macaddr',
  'ipaddr',
  'ipv4',
  'ipv6',
];

// redactParams' state of a parameter: not plain (judged by redactParam), or plain without an `=`.
const NOT_PLAIN = -2;
const NO_EQUALS = -1;

/** A letter, digit, `_` or `,`: characters that neither decode to anything else nor make a value look sensitive. */
function isPlainChar(c: number): boolean {
  const lower = c | 0x20;
  return (lower >= 0x61 && lower <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2c;
}

/** Rounds of percent-decoding before a value is judged: enough for double and triple encoding. */
const MAX_DECODE_ROUNDS = 4;
/** Query keys whose verdict is remembered per redactor. */
const KEY_CACHE_SIZE = 256;

const AUTH_SCHEME = /^\s*(bearer|basic|digest|negotiate)\s/i;
// aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff (one separator throughout) and Cisco's aabb.ccdd.eeff.
const MAC =
  /(?:^|[^0-9a-f])(?:[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})(?![0-9a-f])/i;
// Dotted quads (a version string like 1.2.3.4 is redacted too: cheaper than a leak).
const IPV4 = /(?:^|[^\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d])/;
// The full eight-group form, or any form compressed with `::` (times like 12:30:45 are not addresses).
const IPV6 = /(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|[0-9a-f]{0,4}::[0-9a-f]{0,4}/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LONG_HEX = /^[0-9a-f]{16,}$/i;

/** `words` as a regular-expression alternation that matches each of them literally, longest first. */
function alternation(words: Iterable<string>): string {
  return [...words]
    .sort((a, b) => b.length - a.length)
    .map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|');
}

// Path segments the path rules keep as they stand: digits, or a word of PATH_WORDS. A word of digits alone
// would match both ways and make a failing match backtrack exponentially; the digits branch covers it.
const PLAIN_SEGMENT = `(?:\\d+|${alternation([...PATH_WORDS].filter((word) => !/^\d+$/.test(word)))})`;
// A path (or nothing) of plain segments and slashes; within a URL, one that ends at the query or the end.
const CLEAN_PATH = new RegExp(`^/*(?:${PLAIN_SEGMENT}(?:/+|$))*$`);
const CLEAN_URL_PATH = `(?:/+(?:${PLAIN_SEGMENT}(?:/+|(?=\\?|$)))*)?`;
// A query value the query rules keep whatever its key: letters, digits, `_` and `,` (`eyJ` is tested apart).
const PLAIN_VALUE = '[A-Za-z0-9_,]*';

export interface Redactor {
  /** `url.full`: userinfo becomes `REDACTED:REDACTED@`, path and query as below, the fragment is dropped. */
  full(url: string): string;
  /** `url.query`: a query string with or without `?`, returned without it. */
  query(query: string): string;
  /** `url.path`: segments that are neither API words nor ids become `REDACTED`. */
  path(path: string): string;
}

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_.\s]/g, '');
}

export interface RedactorOptions {
  /**
   * Whether the fast paths run (the default). Off, every input takes the rules' own path: tests compare the
   * two on the same inputs to prove that the fast paths keep only what the rules keep.
   */
  readonly fastPaths?: boolean;
}

export function compileRedactor(extraKeys?: readonly string[], options: RedactorOptions = {}): Redactor {
  const fast = options.fastPaths ?? true;
  const exact = new Set(SENSITIVE_KEYS.map(normalizeKey));
  for (const key of (extraKeys ?? []) as readonly unknown[]) {
    if (typeof key !== 'string' || key.trim() === '') {
      throw new ZdxConfigError(
        'redactedQueryKeys',
        `expected non-empty query parameter names, got ${JSON.stringify(key) ?? String(key)}`,
      );
    }
    exact.add(normalizeKey(key.trim()));
  }

  // Keys repeat (`from`, `to`, `offset` on every call), so their verdicts are remembered; bounded, never grows
  // with hostile input beyond KEY_CACHE_SIZE entries.
  const verdicts = new Map<string, boolean>();

  /** `key` is already decoded. */
  const isSensitiveKey = (decodedKey: string): boolean => {
    const known = verdicts.get(decodedKey);
    if (known !== undefined) return known;
    let key = decodedKey;
    const bracket = key.indexOf('[');
    if (bracket >= 0) key = key.slice(0, bracket);
    key = normalizeKey(key);
    const verdict = exact.has(key) || SENSITIVE_KEY_PARTS.some((part) => key.includes(part));
    if (verdicts.size >= KEY_CACHE_SIZE) verdicts.clear();
    verdicts.set(decodedKey, verdict);
    return verdict;
  };

  /**
   * Whether a decoded parameter (which may hide further `k=v` pairs) holds anything sensitive. Every piece
   * between `&`, `;` and `=` is a value; every piece followed by `=` and a non-empty rest is also a key.
   */
  const holdsSensitive = (decoded: string): boolean => {
    const pairs = decoded.includes('&') || decoded.includes(';') ? decoded.split(/[&;]/) : [decoded];
    for (const pair of pairs) {
      const pieces = pair.split('=');
      for (let i = 0; i < pieces.length; i++) {
        const piece = pieces[i]!;
        if (looksSensitive(piece)) return true;
        // The rest after this key is non-empty when there are two more pieces (an `=` at least) or one non-empty.
        const hasValue = i < pieces.length - 2 || (i === pieces.length - 2 && pieces[i + 1] !== '');
        if (hasValue && isSensitiveKey(piece)) return true;
      }
    }
    return false;
  };

  const redactParam = (param: string): string => {
    if (param === '' || !holdsSensitive(decodeFully(param))) return param;
    const eq = param.indexOf('=');
    if (eq < 0) return REDACTED;
    const rawKey = param.slice(0, eq);
    const key = decodeFully(rawKey);
    // Keep the key when it is a plain name; a key that hides pairs or reads like a secret goes too.
    return /[=&;]/.test(key) || looksSensitive(key) ? `${REDACTED}=${REDACTED}` : `${rawKey}=${REDACTED}`;
  };

  /** The redacted form of `q[start, end)`, one parameter, or undefined when it stays as it is. */
  const redactParamAt = (q: string, start: number, end: number, plainEq: number): string | undefined => {
    if (plainEq !== NOT_PLAIN) {
      // A plain parameter (see redactParams) decodes to itself and no piece of it looks like personal data, so
      // only its key can make it sensitive, and only with a value: what redactParam decides, without the pieces.
      if (plainEq === NO_EQUALS || plainEq === end - 1) return undefined;
      const key = q.slice(start, plainEq);
      return isSensitiveKey(key) ? `${key}=${REDACTED}` : undefined;
    }
    const param = q.slice(start, end);
    const redacted = redactParam(param);
    return redacted === param ? undefined : redacted;
  };

  /**
   * Every parameter of `q` (split on `&` and `;`) through redactParam, in one pass over the characters: the
   * usual parameter, `key=value` of letters, digits, `_` and `,` (`from=1700000000`, `loc=1,2`), is judged
   * in place, and the result is only built once a parameter changes (most queries come back as they went in).
   */
  const redactParams = (q: string): string => {
    let out: string | undefined;
    let copied = 0;
    let start = 0;
    // While the current parameter is plain: NO_EQUALS, or the index of its one `=`; NOT_PLAIN once it is not.
    let plainEq = NO_EQUALS;
    for (let i = 0; i <= q.length; i++) {
      const c = i < q.length ? q.charCodeAt(i) : 0x26; /* & ends the last parameter */
      if (c === 0x26 /* & */ || c === 0x3b /* ; */) {
        if (i > start) {
          const redacted = redactParamAt(q, start, i, plainEq);
          if (redacted !== undefined) {
            out = `${out ?? ''}${q.slice(copied, start)}${redacted}`;
            copied = i;
          }
        }
        start = i + 1;
        plainEq = NO_EQUALS;
      } else if (plainEq !== NOT_PLAIN) {
        if (c === 0x3d /* = */) plainEq = plainEq === NO_EQUALS ? i : NOT_PLAIN;
        // `eyJ` (a JWT) is caught at its last letter.
        else if (!isPlainChar(c) || (c === 0x4a && i - start >= 2 && q.startsWith('ey', i - 2))) plainEq = NOT_PLAIN;
      }
    }
    return out === undefined ? q : out + q.slice(copied);
  };

  // The fast paths' queries (see the top of this file): `key=value` pairs joined by `&`, each key one of
  // PLAIN_QUERY_KEYS that this redactor's keys (extra keys included) leave alone.
  const plainKeys = alternation(PLAIN_QUERY_KEYS.filter((key) => !isSensitiveKey(key)));
  const plainPair = `(?:${plainKeys})=${PLAIN_VALUE}`;
  const cleanQuery = `${plainPair}(?:&${plainPair})*`;
  const CLEAN_QUERY = new RegExp(`^${cleanQuery}$`);
  // http(s), no userinfo (no `@` before the path), a clean path, a clean query or none, no fragment.
  const CLEAN_URL = new RegExp(`^https?://[^/?#@\\\\]*${CLEAN_URL_PATH}(?:\\?${cleanQuery})?$`);

  const path = (input: string): string => (fast && CLEAN_PATH.test(input) ? input : redactSegments(input));

  const query = (input: string): string => {
    let q = input.startsWith('?') ? input.slice(1) : input;
    const hash = q.indexOf('#');
    if (hash >= 0) q = q.slice(0, hash);
    if (q === '' || (fast && CLEAN_QUERY.test(q) && !q.includes('eyJ'))) return q;
    return redactParams(q);
  };

  const full = (url: string): string => {
    if (fast && CLEAN_URL.test(url) && !url.includes('eyJ')) return url;
    let rest = url;
    const hash = rest.indexOf('#');
    if (hash >= 0) rest = rest.slice(0, hash);
    const q = rest.indexOf('?');
    const unredacted = q < 0 ? rest : rest.slice(0, q);
    const authority = authorityStart(unredacted);
    const base = redactUserinfo(unredacted, authority);
    const split = pathStart(base, authority);
    const pathIn = base.slice(split);
    const pathOut = path(pathIn);
    const queryIn = q < 0 ? undefined : rest.slice(q + 1);
    const queryOut = queryIn === undefined ? undefined : query(queryIn);
    // Nothing redacted after all: the input itself comes back, so the caller's comparison with it is a
    // pointer check instead of building and comparing a new string.
    if (hash < 0 && base === unredacted && pathOut === pathIn && queryOut === queryIn) return url;
    const redacted = base.slice(0, split) + pathOut;
    return queryOut === undefined ? redacted : `${redacted}?${queryOut}`;
  };

  return { full, query, path };
}

/**
 * ZDX puts no personal data in paths, but an application can (an unknown endpoint, a user name where an id
 * belongs), and url.full/url.path would carry it verbatim. Words cannot be told from names, so a segment stays
 * only when it is a known API word or an id.
 */
function redactSegments(input: string): string {
  // Segment by segment in place: only a segment that is not all digits is cut out to be looked up, and the
  // result is built only once a segment is redacted (most paths come back as they went in).
  let out: string | undefined;
  let copied = 0;
  for (let start = 0; start <= input.length; ) {
    let end = input.indexOf('/', start);
    if (end === -1) end = input.length;
    if (end > start && !digitsAt(input, start, end) && !keepSegment(input.slice(start, end))) {
      out = `${out ?? ''}${input.slice(copied, start)}${REDACTED}`;
      copied = end;
    }
    start = end + 1;
  }
  return out === undefined ? input : out + input.slice(copied);
}

/** Whether `input[start, end)` is a non-empty run of ASCII digits. */
function digitsAt(input: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = input.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function keepSegment(raw: string): boolean {
  if (PATH_WORDS.has(raw) || isDigits(raw)) return true;
  const segment = decodeFully(raw);
  return PATH_WORDS.has(segment) || isDigits(segment) || UUID.test(segment) || LONG_HEX.test(segment);
}

function isDigits(segment: string): boolean {
  return digitsAt(segment, 0, segment.length);
}

/** Where the authority starts: after `scheme://`, after a leading `//`, else at 0 (no authority, or no scheme). */
function authorityStart(base: string): number {
  const scheme = schemeLength(base);
  return scheme !== -1 ? scheme : base.startsWith('//') ? 2 : 0;
}

/** The length of a leading `scheme://` (`[A-Za-z][A-Za-z0-9+.-]*://`, RFC 3986), or -1: one pass, no regex. */
function schemeLength(url: string): number {
  let i = 0;
  for (; i < url.length; i++) {
    const c = url.charCodeAt(i) | 0x20; // ASCII letters to lower case; other characters are tested as they are
    const letter = c >= 0x61 && c <= 0x7a;
    if (i === 0 ? !letter : !(letter || isSchemeMark(url.charCodeAt(i)))) break;
  }
  // Three character reads, not startsWith('://', i): that builtin costs more than the whole loop above.
  const slashes = url.charCodeAt(i) === 0x3a && url.charCodeAt(i + 1) === 0x2f && url.charCodeAt(i + 2) === 0x2f;
  return i > 0 && slashes ? i + 3 : -1;
}

/** A digit, `+`, `.` or `-`: the characters a scheme may have after its first letter besides letters. */
function isSchemeMark(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2e || c === 0x2d;
}

/**
 * Index of the path in `[scheme:]//authority/path` or `authority/path`; 0 for a bare `/path`. `authority` is
 * `authorityStart(base)`.
 */
function pathStart(base: string, authority: number): number {
  if (authority === 0 && base.startsWith('/')) return 0;
  const slash = base.indexOf('/', authority);
  return slash < 0 ? base.length : slash;
}

/** Personal data or a credential, whatever the key: `value` is already decoded. */
function looksSensitive(value: string): boolean {
  // One pass over the characters decides which patterns can apply at all: numbers and words, the usual
  // values, need no regular expression.
  let punctuation = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x40 /* @ */) return true;
    if (c === 0x3a /* : */ || c === 0x2e /* . */ || c === 0x2d /* - */ || c === 0x20 /* space */ || c === 0x09) {
      punctuation = true;
    }
  }
  if (value.includes('eyJ')) return true;
  if (!punctuation) return false;
  return AUTH_SCHEME.test(value) || MAC.test(value) || IPV4.test(value) || IPV6.test(value);
}

/** Percent-decodes (and `+` to space) until nothing changes, at most MAX_DECODE_ROUNDS times; never throws. */
function decodeFully(raw: string): string {
  let value = raw;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    if (!value.includes('%') && !value.includes('+')) return value;
    const next = decodeOnce(value);
    if (next === value) return value;
    value = next;
  }
  return value;
}

/** Form-style decoding; undecodable `%` sequences (bad UTF-8, `%zz`) are left as they are. */
function decodeOnce(raw: string): string {
  const spaced = raw.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced.replace(/%([0-7][0-9a-f])/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

/**
 * The authority runs from after `scheme://` (or the start, when there is no scheme) to the first `/` or `\`;
 * everything up to its last `@` is userinfo.
 */
function redactUserinfo(base: string, start: number): string {
  // No `@` at all: one builtin search instead of walking the authority.
  if (base.indexOf('@', start) < 0) return base;
  let end = base.length;
  for (let i = start; i < base.length; i++) {
    const c = base.charCodeAt(i);
    if (c === 0x2f || c === 0x5c) {
      end = i;
      break;
    }
  }
  const at = base.lastIndexOf('@', end - 1);
  if (at < start) return base;
  return `${base.slice(0, start)}${REDACTED}:${REDACTED}${base.slice(at)}`;
}
