/*
 * Redaction of `url.full` and `url.query` for ZDX spans. Works on strings only (no URL parsing), so malformed
 * input can neither throw nor slip through unredacted because a parser gave up.
 *
 * A query value is replaced by `REDACTED` (its key is kept) when
 * - its key, percent-decoded, cut at `[` (`emails[]`, `userids[0]`), lower-cased and with `-`, `_` and `.`
 *   removed, is one of SENSITIVE_KEYS or the configured extra keys, or contains one of SENSITIVE_KEY_PARTS;
 * - or the value itself looks like personal data or a credential under any key: it contains `@` (emails),
 *   `eyJ` (the start of a base64 JSON header: JWTs), or starts with an HTTP auth scheme (`Bearer ...`).
 * A parameter without `=` whose name looks like such a value is replaced by `REDACTED` as a whole.
 */
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
];

/** Substrings of a normalized key that mark it as a credential. `auth` covers authorization, oauth, auth_token. */
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
];

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const AUTH_SCHEME = /^\s*(bearer|basic|digest|negotiate)\s/i;

export interface Redactor {
  /** `url.full`: userinfo becomes `REDACTED:REDACTED@`, sensitive query values `REDACTED`, the fragment is dropped. */
  full(url: string): string;
  /** `url.query`: a query string with or without `?`, returned without it. */
  query(query: string): string;
  /** `url.path`: path segments that look like personal data or a credential (an email, a JWT) become `REDACTED`. */
  path(path: string): string;
}

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_.]/g, '');
}

export function compileRedactor(extraKeys?: readonly string[]): Redactor {
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

  const isSensitiveKey = (rawKey: string): boolean => {
    let key = decode(rawKey);
    const bracket = key.indexOf('[');
    if (bracket >= 0) key = key.slice(0, bracket);
    key = normalizeKey(key.trim());
    if (exact.has(key)) return true;
    return SENSITIVE_KEY_PARTS.some((part) => key.includes(part));
  };

  const query = (input: string): string => {
    let q = input.startsWith('?') ? input.slice(1) : input;
    const hash = q.indexOf('#');
    if (hash >= 0) q = q.slice(0, hash);
    if (q === '') return '';
    // `;` is split on too: some servers treat it as a separator, so `a=1;token=x` must not hide a token.
    return q
      .split(/([&;])/)
      .map((part, i) => (i % 2 === 1 ? part : redactParam(part, isSensitiveKey)))
      .join('');
  };

  const full = (url: string): string => {
    let rest = url;
    const hash = rest.indexOf('#');
    if (hash >= 0) rest = rest.slice(0, hash);
    const q = rest.indexOf('?');
    const base = redactUserinfo(q < 0 ? rest : rest.slice(0, q));
    const split = pathStart(base);
    const redacted = base.slice(0, split) + path(base.slice(split));
    return q < 0 ? redacted : `${redacted}?${query(rest.slice(q + 1))}`;
  };

  return { full, query, path };
}

// ZDX puts no personal data in paths, but an application can (an unknown endpoint, a user id typed as an
// email), and url.full/url.path would carry it verbatim.
function path(input: string): string {
  if (!input.includes('@') && !input.includes('%40') && !input.includes('eyJ')) return input;
  return input.split('/').map((segment) => (looksSensitive(segment) ? REDACTED : segment)).join('/');
}

/** Index of the path in `[scheme:]//authority/path` or `authority/path`; 0 for a bare `/path`. */
function pathStart(base: string): number {
  const scheme = SCHEME.exec(base);
  if (scheme === null && base.startsWith('/') && !base.startsWith('//')) return 0;
  const start = scheme !== null ? scheme[0].length : base.startsWith('//') ? 2 : 0;
  const slash = base.indexOf('/', start);
  return slash < 0 ? base.length : slash;
}

function redactParam(param: string, isSensitiveKey: (key: string) => boolean): string {
  if (param === '') return param;
  const eq = param.indexOf('=');
  if (eq < 0) return looksSensitive(param) ? REDACTED : param;
  const key = param.slice(0, eq);
  const value = param.slice(eq + 1);
  if (looksSensitive(key)) return `${REDACTED}=${REDACTED}`;
  if (value === '') return param;
  return isSensitiveKey(key) || looksSensitive(value) ? `${key}=${REDACTED}` : param;
}

function looksSensitive(raw: string): boolean {
  const value = decode(raw);
  return value.includes('@') || value.includes('eyJ') || AUTH_SCHEME.test(value);
}

/** Form-style decoding that never throws; undecodable `%` sequences are left as they are. */
function decode(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw;
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
function redactUserinfo(base: string): string {
  const scheme = SCHEME.exec(base);
  const start = scheme !== null ? scheme[0].length : base.startsWith('//') ? 2 : 0;
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
