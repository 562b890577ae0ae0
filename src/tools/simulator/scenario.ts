/*
 * Scenario files: what faults the simulator injects, as data, so that a demo, a benchmark or a test can say
 * "2 % 503s on /devices, 300 ms lognormal latency, a 30 s outage after a minute" without code.
 * Validation is strict (unknown fields are errors too) and every message names the offending field, because
 * a typo in a fault file otherwise silently produces a healthy simulator.
 */
import { readFileSync } from 'node:fs';
import { ZDX_ENDPOINTS } from '../../core/catalog/endpoints.js';
import { ZDX_STATUS_CODES } from '../../core/catalog/status.js';
import type { ZdxTier } from './rate-limit.js';

/** Server-side latency added before the response head is sent. */
export type LatencySpec =
  | { readonly distribution: 'fixed'; readonly ms: number }
  | { readonly distribution: 'uniform'; readonly minMs: number; readonly maxMs: number }
  /** Long-tailed: half the requests take less than `medianMs`; `sigma` is the spread of ln(latency). */
  | { readonly distribution: 'lognormal'; readonly medianMs: number; readonly sigma: number; readonly maxMs?: number };

/** Faults for every endpoint (top level of a scenario) or for selected endpoints (`endpoints`). */
export interface FaultProfile {
  /** Status code (one of the 30 in ZDX's table) → probability per request. The sum must not exceed 1. */
  readonly errors?: Readonly<Record<string, number>>;
  readonly latency?: LatencySpec;
  /** Send the body in small pieces spread over `ms`, for a fraction `rate` (default 1) of responses. */
  readonly slowBody?: { readonly ms: number; readonly rate?: number };
  /** Probability that the connection is reset (TCP RST) instead of answered. */
  readonly resetRate?: number;
}

/** A period, relative to simulator start, during which matching endpoints fail. */
export interface OutageWindow {
  readonly startMs: number;
  readonly durationMs: number;
  /** Status to answer (default 503, with `Retry-After` = seconds until the outage ends). */
  readonly status?: number;
  /** Reset connections instead of answering. */
  readonly reset?: boolean;
  /** Endpoint selectors (see `Scenario.endpoints`); absent = every endpoint. */
  readonly endpoints?: readonly string[];
}

/** Rate limiting: `enabled: false` turns it off; the `per*` fields override the tier's budgets. */
export interface RateLimitSettings {
  readonly enabled?: boolean;
  readonly perSecond?: number;
  readonly perMinute?: number;
  readonly perHour?: number;
  readonly perDay?: number;
}

export interface Scenario extends FaultProfile {
  readonly name?: string;
  readonly description?: string;
  readonly seed?: number | string;
  readonly tier?: ZdxTier;
  readonly rateLimit?: RateLimitSettings;
  /**
   * Per-endpoint overrides. Keys select endpoints: `"GET /v1/devices"` (method and catalog template),
   * `"/v1/devices/{deviceid}"` (any method) or `"group:alerts"` (a catalog group). The most specific selector
   * wins, and each field it sets replaces the top-level field of the same name (an `errors` map is replaced
   * whole, not merged).
   */
  readonly endpoints?: Readonly<Record<string, FaultProfile>>;
  readonly outages?: readonly OutageWindow[];
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    /** Path of the bad field, e.g. `endpoints["GET /v1/devices"].errors.503`. */
    readonly field: string,
    message: string,
    source = 'scenario',
  ) {
    super(`${source}: ${field}: ${message}`);
  }
}

const ZDX_CODES = new Set(ZDX_STATUS_CODES.map((s) => s.code));
const TEMPLATES = new Set(ZDX_ENDPOINTS.map((e) => e.template));
const GROUPS = new Set(ZDX_ENDPOINTS.map((e) => e.group as string));
const METHODS = new Set(ZDX_ENDPOINTS.map((e) => e.method));

/** Reads and validates a JSON scenario file; throws `ScenarioError` naming the file and the bad field. */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError('(file)', `cannot read: ${(err as Error).message}`, file);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError('(file)', `not valid JSON: ${(err as Error).message}`, file);
  }
  return parseScenario(value, file);
}

/** Validates a scenario object (e.g. parsed JSON); returns it typed, or throws `ScenarioError`. */
export function parseScenario(value: unknown, source = 'scenario'): Scenario {
  const v = new Validator(source);
  const obj = v.object(value, '(root)');
  v.onlyKeys(obj, '(root)', [
    '$comment',
    'name',
    'description',
    'seed',
    'tier',
    'rateLimit',
    'endpoints',
    'outages',
    'errors',
    'latency',
    'slowBody',
    'resetRate',
  ]);
  if (obj.name !== undefined) v.string(obj.name, 'name');
  if (obj.description !== undefined) v.string(obj.description, 'description');
  if (obj.seed !== undefined && typeof obj.seed !== 'string') v.number(obj.seed, 'seed', { integer: true });
  if (obj.tier !== undefined && ![1, 2, 3, 4].includes(obj.tier as number)) v.fail('tier', 'must be 1, 2, 3 or 4');
  if (obj.rateLimit !== undefined) {
    const rl = v.object(obj.rateLimit, 'rateLimit');
    v.onlyKeys(rl, 'rateLimit', ['enabled', 'perSecond', 'perMinute', 'perHour', 'perDay']);
    if (rl.enabled !== undefined && typeof rl.enabled !== 'boolean')
      v.fail('rateLimit.enabled', 'must be true or false');
    for (const k of ['perSecond', 'perMinute', 'perHour', 'perDay']) {
      if (rl[k] !== undefined) v.number(rl[k], `rateLimit.${k}`, { integer: true, min: 1 });
    }
  }
  v.profile(obj, '');
  if (obj.endpoints !== undefined) {
    const eps = v.object(obj.endpoints, 'endpoints');
    for (const [selector, profile] of Object.entries(eps)) {
      const field = `endpoints[${JSON.stringify(selector)}]`;
      v.selector(selector, field);
      const p = v.object(profile, field);
      v.onlyKeys(p, field, ['errors', 'latency', 'slowBody', 'resetRate']);
      v.profile(p, `${field}.`);
    }
  }
  if (obj.outages !== undefined) {
    if (!Array.isArray(obj.outages)) v.fail('outages', 'must be an array');
    (obj.outages as unknown[]).forEach((item, i) => {
      const field = `outages[${i}]`;
      const o = v.object(item, field);
      v.onlyKeys(o, field, ['startMs', 'durationMs', 'status', 'reset', 'endpoints']);
      v.number(o.startMs, `${field}.startMs`, { min: 0 });
      v.number(o.durationMs, `${field}.durationMs`, { min: 1 });
      if (o.status !== undefined) {
        v.number(o.status, `${field}.status`, { integer: true });
        if (!ZDX_CODES.has(o.status as number) || (o.status as number) < 400) {
          v.fail(`${field}.status`, "must be a 4xx or 5xx code from ZDX's table");
        }
      }
      if (o.reset !== undefined && typeof o.reset !== 'boolean') v.fail(`${field}.reset`, 'must be true or false');
      if (o.endpoints !== undefined) {
        if (!Array.isArray(o.endpoints)) v.fail(`${field}.endpoints`, 'must be an array of endpoint selectors');
        (o.endpoints as unknown[]).forEach((s, j) =>
          v.selector(v.string(s, `${field}.endpoints[${j}]`), `${field}.endpoints[${j}]`),
        );
      }
    });
  }
  return obj as Scenario;
}

class Validator {
  constructor(private readonly source: string) {}

  fail(field: string, message: string): never {
    throw new ScenarioError(field, message, this.source);
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'must be an object');
    return value as Record<string, unknown>;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') this.fail(field, 'must be a string');
    return value;
  }

  number(value: unknown, field: string, opts: { integer?: boolean; min?: number; max?: number } = {}): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(field, 'must be a number');
    if (opts.integer === true && !Number.isInteger(value)) this.fail(field, 'must be an integer');
    if (opts.min !== undefined && value < opts.min) this.fail(field, `must be at least ${opts.min}`);
    if (opts.max !== undefined && value > opts.max) this.fail(field, `must be at most ${opts.max}`);
    return value;
  }

  onlyKeys(obj: Record<string, unknown>, field: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        this.fail(field === '(root)' ? key : `${field}.${key}`, `unknown field (allowed: ${allowed.join(', ')})`);
      }
    }
  }

  selector(selector: string, field: string): void {
    if (selector.startsWith('group:')) {
      const group = selector.slice('group:'.length);
      if (!GROUPS.has(group))
        this.fail(field, `unknown group ${JSON.stringify(group)} (groups: ${[...GROUPS].join(', ')})`);
      return;
    }
    const space = selector.indexOf(' ');
    const method = space === -1 ? undefined : selector.slice(0, space);
    const template = space === -1 ? selector : selector.slice(space + 1);
    if (method !== undefined && !METHODS.has(method)) this.fail(field, `unknown method ${JSON.stringify(method)}`);
    if (!TEMPLATES.has(template)) {
      this.fail(field, 'selects no catalog endpoint; use "METHOD /v1/template", "/v1/template" or "group:<name>"');
    }
    if (method !== undefined && !ZDX_ENDPOINTS.some((e) => e.method === method && e.template === template)) {
      this.fail(field, `the catalog has no ${method} on ${template}`);
    }
  }

  /** The fault fields shared by the top level and `endpoints[...]`; `prefix` makes field paths. */
  profile(obj: Record<string, unknown>, prefix: string): void {
    if (obj.errors !== undefined) {
      const errors = this.object(obj.errors, `${prefix}errors`);
      let sum = 0;
      for (const [code, rate] of Object.entries(errors)) {
        const field = `${prefix}errors.${code}`;
        if (!/^\d{3}$/.test(code) || !ZDX_CODES.has(Number(code))) this.fail(field, "not a status code in ZDX's table");
        sum += this.number(rate, field, { min: 0, max: 1 });
      }
      if (sum > 1 + 1e-9) this.fail(`${prefix}errors`, `rates add up to ${sum}, more than 1`);
    }
    if (obj.latency !== undefined) this.latency(obj.latency, `${prefix}latency`);
    if (obj.slowBody !== undefined) {
      const sb = this.object(obj.slowBody, `${prefix}slowBody`);
      this.onlyKeys(sb, `${prefix}slowBody`, ['ms', 'rate']);
      this.number(sb.ms, `${prefix}slowBody.ms`, { min: 0 });
      if (sb.rate !== undefined) this.number(sb.rate, `${prefix}slowBody.rate`, { min: 0, max: 1 });
    }
    if (obj.resetRate !== undefined) this.number(obj.resetRate, `${prefix}resetRate`, { min: 0, max: 1 });
  }

  private latency(value: unknown, field: string): void {
    const l = this.object(value, field);
    switch (l.distribution) {
      case 'fixed':
        this.onlyKeys(l, field, ['distribution', 'ms']);
        this.number(l.ms, `${field}.ms`, { min: 0 });
        return;
      case 'uniform': {
        this.onlyKeys(l, field, ['distribution', 'minMs', 'maxMs']);
        const min = this.number(l.minMs, `${field}.minMs`, { min: 0 });
        this.number(l.maxMs, `${field}.maxMs`, { min });
        return;
      }
      case 'lognormal':
        this.onlyKeys(l, field, ['distribution', 'medianMs', 'sigma', 'maxMs']);
        this.number(l.medianMs, `${field}.medianMs`, { min: 0 });
        this.number(l.sigma, `${field}.sigma`, { min: 0, max: 5 });
        if (l.maxMs !== undefined) this.number(l.maxMs, `${field}.maxMs`, { min: 0 });
        return;
      default:
        this.fail(`${field}.distribution`, 'must be "fixed", "uniform" or "lognormal"');
    }
  }
}
