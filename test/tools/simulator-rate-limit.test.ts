import { afterEach, describe, expect, test } from 'vitest';
import {
  startSimulator,
  TIER_BUDGETS,
  type RunningSimulator,
  type SimulatorOptions,
  type ZdxTier,
} from '../../src/tools/simulator/index.js';
import { RateLimiter } from '../../src/tools/simulator/rate-limit.js';

// A clock the test moves by hand; starts on a whole second so reset epochs are easy to state.
function manualClock(start = 1_800_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms), set: (ms: number) => (t = ms) };
}

describe('RateLimiter arithmetic', () => {
  test('per-second budget: remaining counts down, the sixth call is refused until the window ends', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(TIER_BUDGETS[1], clock.now);
    for (let i = 1; i <= 5; i++) {
      const r = limiter.consume('a')!;
      expect(r.allowed).toBe(true);
      expect(r.headers['X-Ratelimit-Remaining-Second']).toBe(String(5 - i));
      expect(r.headers['X-Ratelimit-Remaining-Minute']).toBe(String(30 - i));
      expect(r.headers['X-Ratelimit-Remaining-Hour']).toBe(String(1000 - i));
      expect(r.headers['X-Ratelimit-Remaining-Day']).toBe(String(10_000 - i));
      expect(r.headers['RateLimit-Limit']).toBe('5');
      expect(r.headers['RateLimit-Remaining']).toBe(String(5 - i));
      expect(r.headers['RateLimit-Reset']).toBe(String(1_800_000_001));
      expect(r.headers['Retry-After']).toBeUndefined();
      clock.advance(100);
    }
    const refused = limiter.consume('a')!;
    expect(refused.allowed).toBe(false);
    expect(refused.window).toBe('second');
    expect(refused.headers['RateLimit-Remaining']).toBe('0');
    expect(refused.headers['RateLimit-Reset']).toBe('1800000001');
    expect(refused.retryAfterSeconds).toBe(1);
    expect(refused.headers['Retry-After']).toBe('1');
    // A refused call uses no budget: the minute window still shows 25 left.
    expect(refused.headers['X-Ratelimit-Remaining-Minute']).toBe('25');

    clock.set(1_800_000_001_000); // the second window [t0, t0+1s) has ended
    const again = limiter.consume('a')!;
    expect(again.allowed).toBe(true);
    expect(again.headers['X-Ratelimit-Remaining-Second']).toBe('4');
    expect(again.headers['X-Ratelimit-Remaining-Minute']).toBe('24');
  });

  test('windows start at the first call, not on clock boundaries', () => {
    const clock = manualClock(1_800_000_000_700);
    const limiter = new RateLimiter({ second: 2 }, clock.now);
    limiter.consume('a');
    limiter.consume('a');
    clock.advance(900); // 1_800_000_001_600: still inside [..0.700, ..1.700)
    const refused = limiter.consume('a')!;
    expect(refused.allowed).toBe(false);
    // Window end 1_800_000_001.7 s, rounded up to whole epoch seconds.
    expect(refused.headers['RateLimit-Reset']).toBe('1800000002');
    expect(refused.retryAfterSeconds).toBe(1);
    clock.advance(100); // exactly the window end
    const next = limiter.consume('a')!;
    expect(next.allowed).toBe(true);
    // The new window starts now: it ends one second after this call.
    expect(next.headers['RateLimit-Reset']).toBe(String(Math.ceil((1_800_000_001_700 + 1000) / 1000)));
  });

  test('per-minute budget blocks after 30 calls even when each second is within budget; Retry-After counts to the minute end', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(TIER_BUDGETS[1], clock.now);
    for (let i = 0; i < 30; i++) {
      expect(limiter.consume('a')!.allowed).toBe(true);
      clock.advance(250); // 4 per second: never hits the per-second budget
    }
    // 30 calls took 7.5 s; the minute window ends at t0 + 60 s.
    const refused = limiter.consume('a')!;
    expect(refused.allowed).toBe(false);
    expect(refused.window).toBe('minute');
    expect(refused.headers['RateLimit-Limit']).toBe('30');
    expect(refused.headers['RateLimit-Remaining']).toBe('0');
    expect(refused.headers['RateLimit-Reset']).toBe('1800000060');
    expect(refused.headers['Retry-After']).toBe(String(60 - 7.5 + 0.5)); // ceil(52.5) = 53
    // The current second window began with the call at 7.0 s and holds the calls at 7.0 and 7.25 s.
    expect(refused.headers['X-Ratelimit-Remaining-Second']).toBe('3');
    clock.set(1_800_000_060_000);
    expect(limiter.consume('a')!.allowed).toBe(true);
  });

  test('per-hour budget (overridden small) blocks for the rest of the hour; the longest blocking window is reported', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ second: 5, minute: 30, hour: 3 }, clock.now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.consume('a')!.allowed).toBe(true);
      clock.advance(10);
    }
    const refused = limiter.consume('a')!;
    expect(refused.allowed).toBe(false);
    expect(refused.window).toBe('hour');
    expect(refused.headers['RateLimit-Reset']).toBe(String(1_800_000_000 + 3600));
    expect(refused.retryAfterSeconds).toBe(3600); // ceil(3599.97)
    clock.advance(120_000); // second and minute windows have rolled over; the hour has not
    expect(limiter.consume('a')!.allowed).toBe(false);
  });

  test('the binding window is the one with the fewest requests left', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ second: 5, minute: 6 }, clock.now);
    for (let i = 0; i < 4; i++) {
      limiter.consume('a');
      clock.advance(1000);
    }
    // second: fresh window, 4 left; minute: 5th call, 1 left.
    const r = limiter.consume('a')!;
    expect(r.headers['RateLimit-Limit']).toBe('6');
    expect(r.headers['RateLimit-Remaining']).toBe('1');
    expect(r.headers['RateLimit-Reset']).toBe('1800000060');
  });

  test('callers are counted separately; an empty budget disables limiting', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ second: 1 }, clock.now);
    expect(limiter.consume('a')!.allowed).toBe(true);
    expect(limiter.consume('a')!.allowed).toBe(false);
    expect(limiter.consume('b')!.allowed).toBe(true);
    expect(new RateLimiter({}, clock.now).consume('a')).toBeUndefined();
  });
});

describe('rate limiting over HTTP', () => {
  let sim: RunningSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  async function start(options: SimulatorOptions) {
    sim = await startSimulator(options);
    return sim;
  }

  test.each([1, 2, 3, 4] as ZdxTier[])('tier %i budgets appear in the X-Ratelimit headers', async (tier) => {
    const s = await start({ tier, auth: false });
    const res = await fetch(`${s.url}/v1/apps`);
    expect(res.status).toBe(200);
    const b = TIER_BUDGETS[tier];
    expect(res.headers.get('x-ratelimit-limit-second')).toBe(String(b.second));
    expect(res.headers.get('x-ratelimit-limit-minute')).toBe(String(b.minute));
    expect(res.headers.get('x-ratelimit-limit-hour')).toBe(String(b.hour));
    expect(res.headers.get('x-ratelimit-limit-day')).toBe(String(b.day));
    expect(res.headers.get('x-ratelimit-remaining-minute')).toBe(String(b.minute - 1));
  });

  test('sixth call in a second is a ZDX-shaped 429 with RateLimit-*, X-Ratelimit-* and Retry-After', async () => {
    const clock = manualClock();
    const s = await start({ tier: 2, clock });
    const auth = { authorization: `Bearer ${s.issueToken()}` };
    for (let i = 0; i < 5; i++) expect((await fetch(`${s.url}/v1/apps`, { headers: auth })).status).toBe(200);
    clock.advance(400);
    const res = await fetch(`${s.url}/v1/apps`, { headers: auth });
    expect(res.status).toBe(429);
    expect(res.headers.get('ratelimit-limit')).toBe('5');
    expect(res.headers.get('ratelimit-remaining')).toBe('0');
    expect(res.headers.get('ratelimit-reset')).toBe('1800000001');
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('x-ratelimit-remaining-second')).toBe('0');
    expect(res.headers.get('x-ratelimit-remaining-minute')).toBe('55');
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe('TOO_MANY_REQUESTS');
    expect(body.message).toMatch(/rate limit/);
    clock.advance(600);
    expect((await fetch(`${s.url}/v1/apps`, { headers: auth })).status).toBe(200);
    expect(s.stats().byStatus).toEqual({ '200': 6, '429': 1 });
  });

  test('the caller is the address plus the API key: another key from the same address has its own budget', async () => {
    const clock = manualClock();
    const s = await start({
      clock,
      apiKeys: { one: { secret: 's1' }, two: { secret: 's2' } },
      scenario: { rateLimit: { perSecond: 2 } },
    });
    const h1 = { authorization: `Bearer ${s.issueToken('one')}` };
    const h2 = { authorization: `Bearer ${s.issueToken('two')}` };
    expect((await fetch(`${s.url}/v1/apps`, { headers: h1 })).status).toBe(200);
    expect((await fetch(`${s.url}/v1/apps`, { headers: h1 })).status).toBe(200);
    expect((await fetch(`${s.url}/v1/apps`, { headers: h1 })).status).toBe(429);
    expect((await fetch(`${s.url}/v1/apps`, { headers: h2 })).status).toBe(200);
  });

  test('token requests are rate-limited too, per key_id', async () => {
    const clock = manualClock();
    const s = await start({ clock, scenario: { rateLimit: { perSecond: 1 } } });
    const post = () =>
      fetch(`${s.url}/v1/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key_id: s.credentials.keyId, key_secret: s.credentials.secret }),
      });
    expect((await post()).status).toBe(200);
    const res = await post();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  test('rate limiting can be switched off by the scenario', async () => {
    const s = await start({ auth: false, scenario: { rateLimit: { enabled: false } } });
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${s.url}/v1/apps`);
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBeNull();
    }
  });
});
