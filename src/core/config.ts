import { ZdxConfigError } from './errors.js';
import { compileHostMatcher } from './route/hosts.js';
import type { ZdxOtelOptions } from './types.js';

/** Options after defaults and `ZDX_OTEL_*` variables are applied and everything is validated. */
export interface ResolvedOptions {
  readonly extraHosts: readonly string[];
  readonly maxUnknownTemplates: number;
  readonly redactedQueryKeys: readonly string[];
  readonly durationBuckets: readonly number[];
  readonly cardinalityLimit: number;
  readonly maxTenants: number;
}

export const DEFAULT_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60,
]);
export const DEFAULT_MAX_UNKNOWN_TEMPLATES = 50;
export const DEFAULT_CARDINALITY_LIMIT = 2000;
export const DEFAULT_MAX_TENANTS = 20;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Merges explicit options over `ZDX_OTEL_*` environment variables over defaults, and validates the result.
 * Runs at startup only; throws `ZdxConfigError` naming the option (or variable) that is wrong.
 */
export function resolveOptions(options: ZdxOtelOptions = {}, env: Env = process.env): ResolvedOptions {
  const known = preResolved.get(options);
  if (known) return known;
  const fromEnv = (name: string) => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };

  const hostsVar = fromEnv('ZDX_OTEL_EXTRA_HOSTS');
  const extraHosts = options.extraHosts ?? (hostsVar ? splitList(hostsVar) : []);
  const hostsSource = options.extraHosts ? 'extraHosts' : 'ZDX_OTEL_EXTRA_HOSTS';
  if (!Array.isArray(extraHosts) || extraHosts.some((h) => typeof h !== 'string')) {
    throw new ZdxConfigError(hostsSource, 'expected an array of host or base-URL strings');
  }
  if (hostsVar !== undefined && !options.extraHosts && extraHosts.length === 0) {
    throw new ZdxConfigError(hostsSource, 'names no host; expected e.g. "zdx-proxy.internal:8443" (comma-separated)');
  }
  try {
    compileHostMatcher(extraHosts);
  } catch (error) {
    // Blame what the user actually set: the option, or the variable it came from.
    throw error instanceof ZdxConfigError ? new ZdxConfigError(hostsSource, error.detail) : error;
  }

  const keysVar = fromEnv('ZDX_OTEL_REDACTED_QUERY_KEYS');
  const redactedQueryKeys = options.redactedQueryKeys ?? (keysVar ? splitList(keysVar) : []);
  // A variable that names no key (",,") or a key no query can hold ("a b", "k=v") is a mistake, not a choice.
  const badVar =
    keysVar !== undefined && (redactedQueryKeys.length === 0 || redactedQueryKeys.some((k) => /[\s=&#?]/.test(k)));
  if (badVar || !Array.isArray(redactedQueryKeys) || redactedQueryKeys.some((k) => typeof k !== 'string' || k === '')) {
    throw new ZdxConfigError(
      options.redactedQueryKeys ? 'redactedQueryKeys' : 'ZDX_OTEL_REDACTED_QUERY_KEYS',
      'expected a list of non-empty query parameter names, e.g. "tenant,account"',
    );
  }

  return {
    extraHosts: Object.freeze([...extraHosts]),
    maxUnknownTemplates: integerOption(
      options.maxUnknownTemplates,
      'maxUnknownTemplates',
      fromEnv('ZDX_OTEL_MAX_UNKNOWN_TEMPLATES'),
      'ZDX_OTEL_MAX_UNKNOWN_TEMPLATES',
      DEFAULT_MAX_UNKNOWN_TEMPLATES,
      0,
      10_000,
    ),
    redactedQueryKeys: Object.freeze([...redactedQueryKeys]),
    durationBuckets: bucketsOption(options.durationBuckets, fromEnv('ZDX_OTEL_DURATION_BUCKETS')),
    cardinalityLimit: integerOption(
      options.cardinalityLimit,
      'cardinalityLimit',
      fromEnv('ZDX_OTEL_CARDINALITY_LIMIT'),
      'ZDX_OTEL_CARDINALITY_LIMIT',
      DEFAULT_CARDINALITY_LIMIT,
      1,
      1_000_000,
    ),
    maxTenants: integerOption(
      options.maxTenants,
      'maxTenants',
      fromEnv('ZDX_OTEL_MAX_TENANTS'),
      'ZDX_OTEL_MAX_TENANTS',
      DEFAULT_MAX_TENANTS,
      0,
      1_000,
    ),
  };
}

// Options objects handed out by withResolvedOptions(): the parts built from one of them take its resolution
// as is, so `zdxOtel()` reads the environment and validates once for all three parts.
const preResolved = new WeakMap<object, ResolvedOptions>();

/** A frozen copy of `options` that every part accepts as already resolved to `resolved`. */
export function withResolvedOptions(options: ZdxOtelOptions, resolved: ResolvedOptions): ZdxOtelOptions {
  const copy = Object.freeze({ ...options });
  preResolved.set(copy, resolved);
  return copy;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function integerOption(
  value: number | undefined,
  name: string,
  raw: string | undefined,
  envName: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const source = value !== undefined ? name : envName;
  // Plain digits only from the environment: Number() would also take "0x10", "1e2" and "0b1".
  const n = value !== undefined ? value : raw !== undefined ? (/^\d+$/.test(raw) ? Number(raw) : NaN) : fallback;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ZdxConfigError(
      source,
      `expected a whole number from ${min} to ${max}, got ${JSON.stringify(value ?? raw)}`,
    );
  }
  return n;
}

function bucketsOption(value: readonly number[] | undefined, raw: string | undefined): readonly number[] {
  if (value === undefined && raw === undefined) return DEFAULT_DURATION_BUCKETS;
  const source = value !== undefined ? 'durationBuckets' : 'ZDX_OTEL_DURATION_BUCKETS';
  const buckets =
    value !== undefined ? [...value] : splitList(raw ?? '').map((b) => (/^\d+(\.\d+)?$/.test(b) ? Number(b) : NaN));
  const ok =
    buckets.length > 0 &&
    buckets.every(
      (b, i) => typeof b === 'number' && Number.isFinite(b) && b > 0 && (i === 0 || b > (buckets[i - 1] as number)),
    );
  if (!ok) {
    throw new ZdxConfigError(source, 'expected increasing positive numbers of seconds, e.g. "0.1,0.5,1,5,30"');
  }
  return Object.freeze(buckets);
}
