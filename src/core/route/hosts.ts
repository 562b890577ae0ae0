/*
 * Decides which requests are ZDX API calls, from hostname, port and path alone. Everything is compiled once at
 * startup; a request to a non-ZDX host usually costs one character check (at most a character scan and one Map
 * look-up), and no allocation.
 */
import { ZdxConfigError } from '../errors.js';

/** Direct (legacy) ZDX API hosts: `api.<cloud>.net`. Any path on them is a ZDX call. */
export const ZDX_DIRECT_HOSTS: readonly string[] = Object.freeze([
  'api.zdxcloud.net',
  'api.zdxbeta.net',
  'api.zdxgov.net',
  'api.zdxten.net',
]);

/**
 * OneAPI gateways (`api.zsapi.net`, `api.<cloud>.zsapi.net`) front every Zscaler product; only paths under
 * `/zdx` are ZDX calls there.
 */
const ONEAPI_ROOT = 'api.zsapi.net';
/**
 * The government clouds' OneAPI gateways (SDK clouds `gov` and `govus`). Like `api.zsapi.net` they carry ZIA and
 * ZPA traffic too, so only paths under `/zdx` are ZDX calls.
 */
export const ONEAPI_GOV_HOSTS: readonly string[] = Object.freeze(['api.zscalergov.net', 'api.zscalergov.us']);
const ONEAPI_PREFIX = 'api.';
const ONEAPI_SUFFIX = '.zsapi.net';

export interface HostMatcher {
  /**
   * Where the ZDX API path starts in `path`, or -1 when the request is not a ZDX call. The offset is 0 for the
   * built-in hosts (OneAPI's `/zdx` prefix is left for the templater) and the length of the base path for an
   * `extraHosts` base URL. `hostname` may be in any case, with a trailing dot or IPv6 brackets; `port`
   * undefined means the scheme's default port.
   */
  match(hostname: string, port: number | undefined, path: string): number;
  /**
   * False when `match` is -1 for `hostname` whatever the port and path: its first character starts no ZDX host.
   * One character check, for callers that would otherwise build the path first.
   */
  mayMatch(hostname: string): boolean;
}

interface ExtraRule {
  /** undefined: any port. */
  readonly port: number | undefined;
  /** '' or a path like `/sim/zdx` without a trailing slash. */
  readonly base: string;
}

const ACCEPTED =
  'accepted forms are "host", "host:port", "http(s)://host[:port]" and "http(s)://host[:port]/base/path"';

/** What one exact host name means: its `extraHosts` rules (longest base first), and whether it is a direct host. */
interface HostEntry {
  readonly rules: readonly ExtraRule[];
  readonly direct: boolean;
}

export function compileHostMatcher(extraHosts?: readonly string[]): HostMatcher {
  // One map for direct and extra hosts, so a request costs a single look-up before the OneAPI name check.
  const table = new Map<string, HostEntry>();
  for (const host of ZDX_DIRECT_HOSTS) table.set(host, { rules: [], direct: true });
  for (const [host, rules] of compileExtraHosts(extraHosts)) {
    table.set(host, { rules, direct: table.get(host)?.direct ?? false });
  }

  // First characters a ZDX host can start with (any case; `[` for IPv6): most other hosts stop at one check.
  const firstChars = new Uint8Array(128);
  for (const host of [...table.keys(), 'api.', '[']) {
    firstChars[host.charCodeAt(0)] = 1;
    firstChars[host.toUpperCase().charCodeAt(0)] = 1;
  }

  const mayMatch = (hostname: string): boolean => {
    const first = hostname.charCodeAt(0);
    return first >= 128 || firstChars[first] !== 0;
  };

  return {
    mayMatch,
    match(hostname: string, port: number | undefined, path: string): number {
      if (!mayMatch(hostname)) return -1;
      // The exact name first: clients pass lower-case host names, so normalizing is the rare path.
      let host = hostname;
      let entry = table.get(host);
      if (entry === undefined) {
        if (isOneApiHost(host)) return isUnder(path, '/zdx') ? 0 : -1;
        if (!needsNormalizing(host)) return -1;
        host = normalizeHost(hostname);
        entry = table.get(host);
      }
      if (entry !== undefined) {
        const rules = entry.rules;
        for (let i = 0; i < rules.length; i++) {
          const rule = rules[i]!;
          if (portMatches(rule.port, port) && isUnder(path, rule.base)) return rule.base.length;
        }
        if (entry.direct) return 0;
      }
      // An extraHosts entry may name a OneAPI gateway: its other paths are still OneAPI paths.
      return isOneApiHost(host) && isUnder(path, '/zdx') ? 0 : -1;
    },
  };
}

/** Upper case, a trailing dot or IPv6 brackets; checked by character so the usual host costs no builtin call. */
function needsNormalizing(hostname: string): boolean {
  const n = hostname.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = hostname.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return hostname.charCodeAt(n - 1) === 0x2e /* . */ || hostname.charCodeAt(0) === 0x5b; /* [ */
}

function normalizeHost(hostname: string): string {
  let host = hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  while (host.endsWith('.')) host = host.slice(0, -1);
  return host;
}

/** A rule port of 80 or 443 also matches a request that left the port at its default. */
function portMatches(rulePort: number | undefined, port: number | undefined): boolean {
  if (rulePort === undefined || rulePort === port) return true;
  return port === undefined && (rulePort === 443 || rulePort === 80);
}

/** Whether `path` is `base` itself or below it (a query or fragment may follow directly). */
function isUnder(path: string, base: string): boolean {
  if (base.length === 0) return true;
  if (path.length < base.length) return false;
  // By character: bases are short, and startsWith costs more than the few characters it compares.
  for (let i = 0; i < base.length; i++) if (path.charCodeAt(i) !== base.charCodeAt(i)) return false;
  if (path.length === base.length) return true;
  const next = path.charCodeAt(base.length);
  return next === 0x2f /* / */ || next === 0x3f /* ? */ || next === 0x23 /* # */;
}

function isOneApiHost(host: string): boolean {
  // `api.` checked by character first: most hosts a service calls fail here without a builtin call.
  if (host.length <= ONEAPI_SUFFIX.length || host.charCodeAt(0) !== 0x61 || host.charCodeAt(3) !== 0x2e) return false;
  if (host === ONEAPI_ROOT || host === ONEAPI_GOV_HOSTS[0] || host === ONEAPI_GOV_HOSTS[1]) return true;
  const end = host.length - ONEAPI_SUFFIX.length;
  if (end <= ONEAPI_PREFIX.length || !host.startsWith(ONEAPI_PREFIX) || !host.endsWith(ONEAPI_SUFFIX)) return false;
  // Exactly one label between `api.` and `.zsapi.net`.
  for (let i = ONEAPI_PREFIX.length; i < end; i++) {
    const c = host.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d;
    if (!ok) return false;
  }
  return true;
}

function compileExtraHosts(extraHosts: readonly string[] | undefined): Map<string, ExtraRule[]> {
  const byHost = new Map<string, ExtraRule[]>();
  if (extraHosts === undefined) return byHost;
  if (!Array.isArray(extraHosts)) {
    throw new ZdxConfigError('extraHosts', `expected an array of strings; ${ACCEPTED}`);
  }
  for (const entry of extraHosts as readonly unknown[]) {
    const { host, rule } = parseEntry(entry);
    const rules = byHost.get(host) ?? [];
    rules.push(rule);
    byHost.set(host, rules);
  }
  // The longest base path wins when one host has several.
  for (const rules of byHost.values()) rules.sort((a, b) => b.base.length - a.base.length);
  return byHost;
}

function parseEntry(entry: unknown): { host: string; rule: ExtraRule } {
  if (typeof entry !== 'string') fail(String(entry), 'is not a string');
  if (entry.length === 0) fail(entry, 'is empty');
  if (/\s/.test(entry)) fail(entry, 'contains whitespace');

  const schemeEnd = entry.indexOf('://');
  if (schemeEnd < 0) {
    if (/[/?#]/.test(entry)) fail(entry, 'has a path but no scheme (a base path needs http:// or https://)');
    const { host, port } = parseAuthority(entry, entry);
    return { host, rule: { port, base: '' } };
  }

  const scheme = entry.slice(0, schemeEnd).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') fail(entry, `uses the unsupported scheme "${scheme}"`);
  const rest = entry.slice(schemeEnd + 3);
  if (/[?#]/.test(rest)) fail(entry, 'has a query or fragment (a base URL may only have a path)');
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  let base = slash < 0 ? '' : rest.slice(slash);
  while (base.endsWith('/')) base = base.slice(0, -1);
  if (base.includes('//')) fail(entry, 'has an empty segment in its base path');
  const { host, port } = parseAuthority(authority, entry);
  return { host, rule: { port: port ?? (scheme === 'https' ? 443 : 80), base } };
}

function parseAuthority(authority: string, entry: string): { host: string; port: number | undefined } {
  if (authority.includes('@')) fail(entry, 'contains credentials (user@host); give the host only');
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) fail(entry, 'has an unclosed IPv6 bracket');
    host = authority.slice(1, close);
    const after = authority.slice(close + 1);
    if (after.length > 0) {
      if (!after.startsWith(':')) fail(entry, 'has text after the IPv6 address that is not a port');
      portText = after.slice(1);
    }
    return { host: ipv6(host, entry), port: portText === undefined ? undefined : parsePort(portText, entry) };
  }
  const firstColon = authority.indexOf(':');
  if (firstColon >= 0 && authority.indexOf(':', firstColon + 1) >= 0) {
    // Several colons and no brackets: a bare IPv6 address, which cannot carry a port.
    return { host: ipv6(authority, entry), port: undefined };
  }
  host = firstColon < 0 ? authority : authority.slice(0, firstColon);
  portText = firstColon < 0 ? undefined : authority.slice(firstColon + 1);
  host = host.toLowerCase();
  while (host.endsWith('.')) host = host.slice(0, -1);
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(host)) {
    fail(
      entry,
      'does not have a valid host name (letters, digits, "-", "_" and dots; IDNs in xn-- form; no wildcards)',
    );
  }
  return { host, port: portText === undefined ? undefined : parsePort(portText, entry) };
}

function ipv6(address: string, entry: string): string {
  try {
    // The URL parser is the reference for IPv6 syntax and gives the compressed form request URLs carry.
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return fail(entry, 'does not have a valid IPv6 address');
  }
}

function parsePort(text: string, entry: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) fail(entry, `has the invalid port "${text}" (1-65535)`);
  return port;
}

function fail(entry: string, problem: string): never {
  throw new ZdxConfigError('extraHosts', `${JSON.stringify(hideCredentials(entry))} ${problem}; ${ACCEPTED}`);
}

/** Config errors end up in logs, so a mistakenly configured `user:pass@` must not be echoed. */
function hideCredentials(entry: string): string {
  return entry.replace(/^((?:[a-z][a-z0-9+.-]*:\/\/)?)[^/?#]*@/i, '$1***@');
}
