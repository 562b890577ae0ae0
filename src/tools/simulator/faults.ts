/*
 * Turns a scenario into per-request decisions: reset the connection, answer an injected status, how long to
 * wait before the head, how long to drip the body. Every decision for request #n comes from that request's own
 * random stream (see random.ts), so a seed reproduces the same faults for the same request order.
 */
import type { ZdxEndpoint } from '../../core/catalog/endpoints.js';
import type { Random } from './random.js';
import type { FaultProfile, LatencySpec, OutageWindow, Scenario } from './scenario.js';

export interface FaultPlan {
  readonly reset: boolean;
  /** Injected status, if any. */
  readonly status?: number;
  readonly latencyMs: number;
  /** Spread the body over this many ms (0 = send at once). */
  readonly slowBodyMs: number;
}

export interface ActiveOutage {
  readonly status: number;
  readonly reset: boolean;
  /** When the outage ends, on the simulator clock (ms). */
  readonly endsAtMs: number;
}

interface ResolvedProfile {
  /** Cumulative probabilities: a uniform draw below `upTo` (and above the previous entry) picks `code`. */
  readonly errors: ReadonlyArray<{ code: number; upTo: number }>;
  readonly latency: LatencySpec | undefined;
  readonly slowBody: { ms: number; rate: number } | undefined;
  readonly resetRate: number;
}

// A lognormal without `maxMs` is still capped, so one unlucky draw cannot hang a test for minutes.
const DEFAULT_LATENCY_CAP_MS = 30_000;

/** How specific a selector is for `endpoint` (higher wins), or 0 if it does not select it. */
export function selectorRank(selector: string, endpoint: ZdxEndpoint): number {
  if (selector.startsWith('group:')) return selector.slice(6) === endpoint.group ? 1 : 0;
  const space = selector.indexOf(' ');
  if (space === -1) return selector === endpoint.template ? 2 : 0;
  return selector.slice(0, space) === endpoint.method && selector.slice(space + 1) === endpoint.template ? 3 : 0;
}

export class FaultInjector {
  private readonly profiles = new Map<ZdxEndpoint, ResolvedProfile>();

  constructor(
    private readonly scenario: Scenario,
    /** Simulator start on its clock; outage windows are relative to it. */
    private readonly startMs: number,
  ) {}

  /** Decides the faults of one request to `endpoint`, drawing only from `rng`. */
  plan(endpoint: ZdxEndpoint, rng: Random): FaultPlan {
    const p = this.profile(endpoint);
    // A fixed number of draws in a fixed order, so the plan does not depend on which faults are configured.
    const resetDraw = rng.next();
    const errorDraw = rng.next();
    const slowDraw = rng.next();
    const reset = resetDraw < p.resetRate;
    const status = p.errors.find((e) => errorDraw < e.upTo)?.code;
    const slowBodyMs = p.slowBody !== undefined && slowDraw < p.slowBody.rate ? p.slowBody.ms : 0;
    const latencyMs = p.latency === undefined ? 0 : sampleLatency(p.latency, rng);
    return status === undefined ? { reset, latencyMs, slowBodyMs } : { reset, status, latencyMs, slowBodyMs };
  }

  /** The outage in force for `endpoint` (undefined = a path outside the catalog) at `nowMs`, if any. */
  outage(endpoint: ZdxEndpoint | undefined, nowMs: number): ActiveOutage | undefined {
    const elapsed = nowMs - this.startMs;
    for (const o of this.scenario.outages ?? []) {
      if (elapsed < o.startMs || elapsed >= o.startMs + o.durationMs) continue;
      if (!outageCovers(o, endpoint)) continue;
      return { status: o.status ?? 503, reset: o.reset === true, endsAtMs: this.startMs + o.startMs + o.durationMs };
    }
    return undefined;
  }

  private profile(endpoint: ZdxEndpoint): ResolvedProfile {
    let resolved = this.profiles.get(endpoint);
    if (resolved === undefined) {
      resolved = resolve(this.mergedProfile(endpoint));
      this.profiles.set(endpoint, resolved);
    }
    return resolved;
  }

  private mergedProfile(endpoint: ZdxEndpoint): FaultProfile {
    const { errors, latency, slowBody, resetRate } = this.scenario;
    const merged: { -readonly [K in keyof FaultProfile]: FaultProfile[K] } = { errors, latency, slowBody, resetRate };
    // Apply matching selectors from least to most specific, so the most specific one has the last word.
    const matches = Object.entries(this.scenario.endpoints ?? {})
      .map(([selector, profile]) => ({ rank: selectorRank(selector, endpoint), profile }))
      .filter((m) => m.rank > 0)
      .sort((a, b) => a.rank - b.rank);
    for (const { profile } of matches) {
      if (profile.errors !== undefined) merged.errors = profile.errors;
      if (profile.latency !== undefined) merged.latency = profile.latency;
      if (profile.slowBody !== undefined) merged.slowBody = profile.slowBody;
      if (profile.resetRate !== undefined) merged.resetRate = profile.resetRate;
    }
    return merged;
  }
}

function outageCovers(o: OutageWindow, endpoint: ZdxEndpoint | undefined): boolean {
  if (o.endpoints === undefined) return true;
  return endpoint !== undefined && o.endpoints.some((s) => selectorRank(s, endpoint) > 0);
}

function resolve(p: FaultProfile): ResolvedProfile {
  let upTo = 0;
  const errors = Object.entries(p.errors ?? {})
    .filter(([, rate]) => rate > 0)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([code, rate]) => ({ code: Number(code), upTo: (upTo += rate) }));
  return {
    errors,
    latency: p.latency,
    slowBody: p.slowBody === undefined ? undefined : { ms: p.slowBody.ms, rate: p.slowBody.rate ?? 1 },
    resetRate: p.resetRate ?? 0,
  };
}

/** One latency draw, in whole milliseconds. */
export function sampleLatency(spec: LatencySpec, rng: Random): number {
  switch (spec.distribution) {
    case 'fixed':
      return Math.round(spec.ms);
    case 'uniform':
      return Math.round(spec.minMs + rng.next() * (spec.maxMs - spec.minMs));
    case 'lognormal': {
      const value = spec.medianMs * Math.exp(spec.sigma * rng.normal());
      return Math.round(Math.min(value, spec.maxMs ?? DEFAULT_LATENCY_CAP_MS));
    }
  }
}
