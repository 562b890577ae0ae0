import { context, diag, type Context } from '@opentelemetry/api';
import { ERROR_TYPE_VALUE_OTHER } from './contract.js';

/*
 * Tenants: a service that calls several ZDX tenants (each with its own API key and rate limits) names the
 * tenant of a call itself, with `withZdxTenant('acme', fn)`. The name travels in the OpenTelemetry context, so
 * the calls made inside `fn` (however deep, across awaits) carry `zdx.tenant=acme` on their span and metrics.
 * The name is the caller's label, never derived from a credential; off (absent) unless set.
 */

// A Symbol.for key, not createContextKey(): the ESM and CommonJS copies of zdx-otel (an app importing it while
// `--require zdx-otel/register` loaded the other build) must read the same value.
const TENANT_KEY = Symbol.for('zdx-otel.tenant');

/** What a tenant name may look like: short, label-safe, no spaces (so an email or a token cannot pass). */
const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/**
 * Runs `fn` with `tenant` as the ZDX tenant of every ZDX call it makes, and returns what `fn` returns.
 * An invalid name (not matching `[A-Za-z0-9][A-Za-z0-9_.-]{0,62}`) is recorded as `_OTHER`, never thrown:
 * labelling must not be able to break the call. Needs a context manager (any OpenTelemetry SDK sets one).
 */
export function withZdxTenant<A extends unknown[], R>(tenant: string, fn: (...args: A) => R, ...args: A): R {
  return context.with(zdxTenantContext(tenant), fn, undefined, ...args);
}

/** The context `ctx` (default: the active one) with `tenant` set, for code that manages contexts itself. */
export function zdxTenantContext(tenant: string, ctx: Context = context.active()): Context {
  return ctx.setValue(TENANT_KEY, normalizeTenant(tenant));
}

/** The tenant set in the active context, if any. */
export function activeZdxTenant(): string | undefined {
  return zdxTenantOf(context.active());
}

/** The tenant set in `ctx`, if any (the observer reads the active context once per request). */
export function zdxTenantOf(ctx: Context): string | undefined {
  const value = ctx.getValue(TENANT_KEY);
  return typeof value === 'string' ? value : undefined;
}

let warned = false;

function normalizeTenant(tenant: unknown): string {
  if (typeof tenant === 'string' && TENANT_PATTERN.test(tenant)) return tenant;
  if (!warned) {
    warned = true;
    diag.warn(
      'zdx-otel: withZdxTenant() got a name that is not [A-Za-z0-9][A-Za-z0-9_.-]{0,62}; such calls are labelled _OTHER',
    );
  }
  return ERROR_TYPE_VALUE_OTHER;
}

/**
 * Caps the distinct tenant names one instrumentation records: past `max`, new names share `_OTHER`, so a
 * service that (wrongly) labels per user cannot grow the metric series without bound.
 */
export class TenantBudget {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  admit(tenant: string | undefined): string | undefined {
    if (tenant === undefined || tenant === ERROR_TYPE_VALUE_OTHER || this.seen.has(tenant)) return tenant;
    if (this.seen.size >= this.max) return ERROR_TYPE_VALUE_OTHER;
    this.seen.add(tenant);
    return tenant;
  }
}
