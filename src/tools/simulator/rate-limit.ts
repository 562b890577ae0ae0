/*
 * ZDX's documented rate limits: per-second, per-minute, per-hour and per-day budgets that depend on the
 * licence tier, counted per caller.
 *
 * Window arithmetic: fixed windows that start at a caller's first call ("All rate limits start as soon as
 * the first call is executed", ZDX help). A window covers [start, start + length); the first call at or after
 * its end starts a new window. Each of the four windows is tracked on its own, so a caller that waits out
 * the second window can still be blocked by the minute window. A rejected (429) request does not use budget,
 * so a client that backs off as told gets its full budget back when the window resets.
 *
 * Headers on every rate-limited response:
 * - `X-Ratelimit-Limit-<Window>` / `X-Ratelimit-Remaining-<Window>` for each window with a budget (what
 *   the ZDX SDKs read, Kong style);
 * - `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset` for the binding window: the one with the
 *   fewest requests left (ties go to the longer window, which frees up later). `RateLimit-Reset` is the
 *   window end as a UTC epoch in seconds (rounded up), as ZDX documents it (not a delta);
 * - on 429 only, `Retry-After` in whole seconds until the blocking window with the latest end resets.
 */

export type RateWindowName = 'second' | 'minute' | 'hour' | 'day';
export type ZdxTier = 1 | 2 | 3 | 4;
/** Requests allowed per window; a window without a budget is not limited and sends no headers. */
export type RateBudgets = Partial<Record<RateWindowName, number>>;

export const RATE_WINDOWS: readonly RateWindowName[] = ['second', 'minute', 'hour', 'day'];

export const WINDOW_MS: Readonly<Record<RateWindowName, number>> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/** ZDX "Understanding Rate Limiting": tier by licence count (5k, 20k, 100k, more). */
export const TIER_BUDGETS: Readonly<Record<ZdxTier, Readonly<Required<RateBudgets>>>> = {
  1: { second: 5, minute: 30, hour: 1_000, day: 10_000 },
  2: { second: 5, minute: 60, hour: 3_000, day: 15_000 },
  3: { second: 5, minute: 120, hour: 6_000, day: 30_000 },
  4: { second: 5, minute: 180, hour: 9_000, day: 60_000 },
};

const HEADER_SUFFIX: Readonly<Record<RateWindowName, string>> = {
  second: 'Second',
  minute: 'Minute',
  hour: 'Hour',
  day: 'Day',
};

export interface RateLimitResult {
  readonly allowed: boolean;
  /** Headers to put on the response, whatever its status. */
  readonly headers: Readonly<Record<string, string>>;
  /** The window the `RateLimit-*` headers describe. */
  readonly window: RateWindowName;
  /** Only when not allowed: seconds until the call can succeed. */
  readonly retryAfterSeconds?: number;
}

interface WindowState {
  start: number;
  count: number;
}

type CallerState = Partial<Record<RateWindowName, WindowState>>;

// How often (in calls) idle callers are dropped, so that many distinct callers cannot grow memory forever.
const PRUNE_EVERY = 1_000;

export class RateLimiter {
  private readonly callers = new Map<string, CallerState>();
  private readonly windows: readonly RateWindowName[];
  private calls = 0;

  constructor(
    private readonly budgets: RateBudgets,
    private readonly now: () => number,
  ) {
    this.windows = RATE_WINDOWS.filter((w) => {
      const budget = budgets[w];
      return budget !== undefined && Number.isFinite(budget);
    });
  }

  /** Whether any window is limited at all. */
  get active(): boolean {
    return this.windows.length > 0;
  }

  /** Counts one call by `caller` (if its budget allows) and says what to answer. */
  consume(caller: string): RateLimitResult | undefined {
    if (!this.active) return undefined;
    const t = this.now();
    if (++this.calls % PRUNE_EVERY === 0) this.prune(t);
    let state = this.callers.get(caller);
    if (state === undefined) {
      state = {};
      this.callers.set(caller, state);
    }
    const current: Array<{ name: RateWindowName; limit: number; w: WindowState }> = [];
    for (const name of this.windows) {
      let w = state[name];
      if (w === undefined || t >= w.start + WINDOW_MS[name]) {
        w = { start: t, count: 0 };
        state[name] = w;
      }
      current.push({ name, limit: this.budgets[name] ?? 0, w });
    }
    const blocked = current.filter((c) => c.w.count >= c.limit);
    const allowed = blocked.length === 0;
    if (allowed) for (const c of current) c.w.count++;

    const headers: Record<string, string> = {};
    for (const c of current) {
      headers[`X-Ratelimit-Limit-${HEADER_SUFFIX[c.name]}`] = String(c.limit);
      headers[`X-Ratelimit-Remaining-${HEADER_SUFFIX[c.name]}`] = String(Math.max(0, c.limit - c.w.count));
    }
    // When blocked, describe the window that keeps the caller out longest; otherwise the one closest to running out.
    const candidates = allowed ? current : blocked;
    let binding = candidates[0]!;
    for (const c of candidates) {
      const better = allowed
        ? c.limit - c.w.count < binding.limit - binding.w.count ||
          (c.limit - c.w.count === binding.limit - binding.w.count && WINDOW_MS[c.name] > WINDOW_MS[binding.name])
        : c.w.start + WINDOW_MS[c.name] > binding.w.start + WINDOW_MS[binding.name];
      if (better) binding = c;
    }
    const resetMs = binding.w.start + WINDOW_MS[binding.name];
    headers['RateLimit-Limit'] = String(binding.limit);
    headers['RateLimit-Remaining'] = String(Math.max(0, binding.limit - binding.w.count));
    headers['RateLimit-Reset'] = String(Math.ceil(resetMs / 1000));
    if (allowed) return { allowed, headers, window: binding.name };
    const retryAfterSeconds = Math.max(1, Math.ceil((resetMs - t) / 1000));
    headers['Retry-After'] = String(retryAfterSeconds);
    return { allowed, headers, window: binding.name, retryAfterSeconds };
  }

  private prune(t: number): void {
    for (const [caller, state] of this.callers) {
      const live = this.windows.some((name) => {
        const w = state[name];
        return w !== undefined && t < w.start + WINDOW_MS[name];
      });
      if (!live) this.callers.delete(caller);
    }
  }
}
