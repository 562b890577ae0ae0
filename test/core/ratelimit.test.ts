import { describe, expect, it } from 'vitest';
import {
  BUDGET_WINDOWS,
  parseRateLimitHeaders,
  RATE_LIMIT_HEADER_NAMES,
  RateLimitHeaderValues,
  rateLimitHeaderSlotOf,
  rateLimitHeaderSlotOfBytes,
} from '../../src/core/ratelimit.js';

// 2025-01-02T03:04:05.000Z
const NOW_MS = Date.UTC(2025, 0, 2, 3, 4, 5);
const NOW_S = NOW_MS / 1000;

function parse(headers: Record<string, string>, nowMs = NOW_MS) {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return parseRateLimitHeaders((name) => lower.get(name), nowMs);
}

describe('header names', () => {
  it('lists the fifteen lower-case names read', () => {
    expect([...RATE_LIMIT_HEADER_NAMES].sort()).toEqual(
      [
        'ratelimit-limit',
        'ratelimit-remaining',
        'ratelimit-reset',
        'x-ratelimit-limit',
        'x-ratelimit-remaining',
        'x-ratelimit-reset',
        'retry-after',
        'x-ratelimit-limit-second',
        'x-ratelimit-remaining-second',
        'x-ratelimit-limit-minute',
        'x-ratelimit-remaining-minute',
        'x-ratelimit-limit-hour',
        'x-ratelimit-remaining-hour',
        'x-ratelimit-limit-day',
        'x-ratelimit-remaining-day',
      ].sort(),
    );
    expect(Object.isFrozen(RATE_LIMIT_HEADER_NAMES)).toBe(true);
  });

  it('asks get() for exactly those names', () => {
    const asked: string[] = [];
    parseRateLimitHeaders((name) => {
      asked.push(name);
      return undefined;
    }, NOW_MS);
    expect(asked.sort()).toEqual([...RATE_LIMIT_HEADER_NAMES].sort());
  });

  it('rateLimitHeaderSlotOf / rateLimitHeaderSlotOfBytes find those names in any case, as strings and as latin1 bytes', () => {
    const bytes = (name: string) => Buffer.from(name, 'latin1');
    for (const [slot, name] of RATE_LIMIT_HEADER_NAMES.entries()) {
      for (const spelled of [name, name.toUpperCase(), name.replace(/(^|-)[a-z]/g, (c) => c.toUpperCase())]) {
        expect(rateLimitHeaderSlotOf(spelled)).toBe(slot);
        expect(rateLimitHeaderSlotOfBytes(bytes(spelled))).toBe(slot);
      }
    }
    for (const name of [
      'content-type',
      'x-ratelimit-reset-second',
      'x-ratelimit-limit-week',
      'x-ratelimit-limit-secont',
      'xratelimit-limit-second',
      'ratelimit_limit',
      'xatelimit-limit',
      'ratelimit-limit ',
      'ratelimit-limi\u00d4',
      'r\u00c0telimit-limit',
      'ratelimit\rlimit',
      'retry-afte',
      'retry',
      '',
    ]) {
      expect(rateLimitHeaderSlotOf(name)).toBe(-1);
      expect(rateLimitHeaderSlotOfBytes(bytes(name))).toBe(-1);
    }
  });
});

it('rateLimitHeaderSlotOf stays exact past its memo of spellings: many spellings of every name, twice over', () => {
  // More spellings per length than the memo keeps, so it is emptied and refilled while names are looked up.
  const spell = (name: string, variant: number) =>
    [...name].map((c, i) => ((variant >> (i % 12)) & 1 ? c.toUpperCase() : c)).join('');
  for (let pass = 0; pass < 2; pass++) {
    for (let variant = 0; variant < 40; variant++) {
      for (const [slot, name] of RATE_LIMIT_HEADER_NAMES.entries()) {
        expect(rateLimitHeaderSlotOf(spell(name, variant))).toBe(slot);
        // Same length, one character off: never a slot, however often it is seen.
        expect(rateLimitHeaderSlotOf(spell(`${name.slice(0, -1)}q`, variant))).toBe(-1);
      }
    }
  }
});

describe('RateLimitHeaderValues (one response at a time, reused)', () => {
  const slot = (name: string) => rateLimitHeaderSlotOf(name);
  // What the observer does with one response's values: read the facts, then clear.
  const take = (values: RateLimitHeaderValues) => {
    const facts = values.facts(Date.now());
    values.clear();
    return facts;
  };

  it('keeps the first value of a header, and a taken response leaves nothing for the next one', () => {
    const values = new RateLimitHeaderValues();
    expect(take(values)).toBeUndefined();
    values.set(slot('RateLimit-Remaining'), '7');
    values.set(slot('ratelimit-remaining'), '99');
    values.setBytes(slot('ratelimit-remaining'), Buffer.from('98'));
    values.set(slot('X-RateLimit-Limit-Second'), '5');
    expect(take(values)).toEqual({ remaining: 7, windows: { second: { limit: 5 } } });
    // The next response without rate-limit headers: nothing carried over.
    expect(take(values)).toBeUndefined();
    values.set(slot('ratelimit-limit'), '10');
    expect(take(values)).toEqual({ limit: 10 });
  });

  it('reads values given as bytes as it reads the same text', () => {
    const texts = [
      '10',
      '0',
      '3.0',
      '2.5',
      '-1',
      ' 7 ',
      '1e3',
      '',
      '123456789012345',
      '1234567890123456',
      '99999999999999999',
      '9, 8',
      '13s',
    ];
    for (const [index, name] of RATE_LIMIT_HEADER_NAMES.entries()) {
      for (const text of texts) {
        const values = new RateLimitHeaderValues();
        values.setBytes(index, Buffer.from(text, 'latin1'));
        const fromBytes = take(values);
        const fromText = parseRateLimitHeaders((n) => (n === name ? text : undefined), Date.now());
        if (name.endsWith('reset') || name === 'retry-after') {
          // Clock-dependent: the same within the second that passed.
          expect(fromBytes === undefined).toBe(fromText === undefined);
          expect(Object.keys(fromBytes ?? {})).toEqual(Object.keys(fromText ?? {}));
        } else {
          expect(fromBytes, `${name}: ${JSON.stringify(text)}`).toEqual(fromText);
        }
      }
    }
  });

  it('counts() holds the budgets the facts hold, NaN where none, in BUDGET_WINDOWS order, and nothing after clear()', () => {
    const texts = ['10', '0', '3.0', '2.5', '-1', '', '9, 8', 'x'];
    for (const [index, name] of RATE_LIMIT_HEADER_NAMES.entries()) {
      for (const text of texts) {
        const values = new RateLimitHeaderValues();
        values.set(index, text);
        values.set(slot('X-RateLimit-Remaining-Day'), '17');
        const facts = values.facts(NOW_MS);
        const budgets = Array.from(values.counts());
        const expected = BUDGET_WINDOWS.flatMap((window) => {
          const pair = window === 'window' ? facts : facts?.windows?.[window];
          return [pair?.limit ?? Number.NaN, pair?.remaining ?? Number.NaN];
        });
        expect(budgets, `${name}: ${JSON.stringify(text)}`).toEqual(expected);
        values.clear();
        expect(values.filled).toBe(false);
        expect(Array.from(values.counts()).every(Number.isNaN)).toBe(true);
      }
    }
  });

  it('reads what parseRateLimitHeaders reads, for every header', () => {
    const nowS = Math.ceil(Date.now() / 1000);
    for (const [index, name] of RATE_LIMIT_HEADER_NAMES.entries()) {
      expect(slot(name.toUpperCase())).toBe(index);
      const values = new RateLimitHeaderValues();
      values.set(index, '3');
      const facts = take(values);
      const expected = parseRateLimitHeaders((n) => (n === name ? '3' : undefined), Date.now());
      // A reset of 3 is a delta from the response time: between the clock before and after, rounded up.
      if (name.endsWith('reset')) {
        expect(facts?.resetEpochSeconds).toBeGreaterThanOrEqual(nowS + 3);
        expect(facts?.resetEpochSeconds).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 3);
      } else {
        expect(facts).toEqual(expected);
      }
    }
  });
});

describe('parseRateLimitHeaders', () => {
  it('returns undefined without rate-limit headers', () => {
    expect(parse({})).toBeUndefined();
    expect(parse({ 'content-type': 'application/json', 'x-ratelimit-reset-second': '5' })).toBeUndefined();
  });

  it('returns undefined when every rate-limit header is unreadable', () => {
    expect(
      parse({
        'ratelimit-limit': 'lots',
        'ratelimit-remaining': '-1',
        'retry-after': 'soon',
        'x-ratelimit-limit-day': '',
      }),
    ).toBeUndefined();
  });

  it('reads the RateLimit-* family with an epoch reset', () => {
    expect(parse({ 'RateLimit-Limit': '100', 'RateLimit-Remaining': '42', 'RateLimit-Reset': '1735787100' })).toEqual({
      limit: 100,
      remaining: 42,
      resetEpochSeconds: 1735787100,
    });
  });

  it('turns a delta reset (IETF draft style) into a whole epoch', () => {
    expect(parse({ 'ratelimit-reset': '30' })).toEqual({ resetEpochSeconds: NOW_S + 30 });
    expect(parse({ 'ratelimit-reset': '0' })).toEqual({ resetEpochSeconds: NOW_S });
    expect(parse({ 'ratelimit-reset': '999999999' })).toEqual({ resetEpochSeconds: NOW_S + 999999999 });
    expect(parse({ 'ratelimit-reset': '1000000000' })).toEqual({ resetEpochSeconds: 1e9 });
  });

  it('rounds a delta reset against a fractional response time up to whole seconds', () => {
    const facts = parse({ 'ratelimit-reset': '30' }, NOW_MS + 250);
    expect(facts).toEqual({ resetEpochSeconds: NOW_S + 31 });
    expect(Number.isInteger(facts?.resetEpochSeconds)).toBe(true);
  });

  it('drops a reset that could be an epoch in milliseconds, and fractional resets', () => {
    expect(parse({ 'ratelimit-reset': '9999999999' })).toEqual({ resetEpochSeconds: 9999999999 });
    for (const value of ['10000000000', '1735787100000', '1735787100000000', '30.5', '1735787100.5', '-30', '1e9']) {
      expect(parse({ 'ratelimit-reset': value }), value).toBeUndefined();
      expect(parse({ 'x-ratelimit-reset': value }), value).toBeUndefined();
    }
    expect(parse({ 'ratelimit-reset': '30.0' })).toEqual({ resetEpochSeconds: NOW_S + 30 });
  });

  it('ignores a delta reset when now is not a number', () => {
    expect(parse({ 'ratelimit-reset': '30' }, Number.NaN)).toBeUndefined();
    expect(parse({ 'ratelimit-reset': '1735787100' }, Number.NaN)).toEqual({ resetEpochSeconds: 1735787100 });
  });

  it('reads the unsuffixed X-Ratelimit-* family (Go OneAPI client) into the unsuffixed facts', () => {
    expect(parse({ 'X-Ratelimit-Limit': '100', 'X-Ratelimit-Remaining': '7', 'X-Ratelimit-Reset': '13' })).toEqual({
      limit: 100,
      remaining: 7,
      resetEpochSeconds: NOW_S + 13,
    });
    expect(parse({ 'x-ratelimit-reset': '1735787100' })).toEqual({ resetEpochSeconds: 1735787100 });
  });

  it('lets RateLimit-* win field by field when both families are present', () => {
    expect(
      parse({
        'RateLimit-Limit': '30',
        'RateLimit-Reset': '1735787100',
        'X-Ratelimit-Limit': '100',
        'X-Ratelimit-Remaining': '7',
        'X-Ratelimit-Reset': '13',
      }),
    ).toEqual({ limit: 30, remaining: 7, resetEpochSeconds: 1735787100 });
    // A malformed RateLimit-* value is dropped, not replaced by the other family's value.
    expect(parse({ 'RateLimit-Remaining': '2.5', 'X-Ratelimit-Remaining': '7' })).toBeUndefined();
  });

  it('reads each X-Ratelimit-*-<Window> pair into windows', () => {
    expect(
      parse({
        'X-Ratelimit-Limit-Second': '10',
        'X-Ratelimit-Remaining-Second': '9',
        'X-Ratelimit-Limit-Minute': '600',
        'X-Ratelimit-Remaining-Minute': '598',
        'X-Ratelimit-Limit-Hour': '36000',
        'X-Ratelimit-Remaining-Day': '86000',
      }),
    ).toEqual({
      windows: {
        second: { limit: 10, remaining: 9 },
        minute: { limit: 600, remaining: 598 },
        hour: { limit: 36000 },
        day: { remaining: 86000 },
      },
    });
  });

  it('omits windows whose values cannot be read', () => {
    expect(parse({ 'x-ratelimit-limit-second': 'x', 'x-ratelimit-remaining-minute': '3' })).toEqual({
      windows: { minute: { remaining: 3 } },
    });
  });

  it('reads all families together', () => {
    expect(
      parse({
        'ratelimit-limit': '5',
        'ratelimit-remaining': '0',
        'ratelimit-reset': '2',
        'retry-after': '2',
        'x-ratelimit-limit-second': '5',
        'x-ratelimit-remaining-second': '0',
      }),
    ).toEqual({
      limit: 5,
      remaining: 0,
      resetEpochSeconds: NOW_S + 2,
      retryAfterSeconds: 2,
      windows: { second: { limit: 5, remaining: 0 } },
    });
  });

  it.each([
    ['120', 120],
    ['0', 0],
    ['13s', 13],
    ['13S', 13],
    ['13 s', 13],
    ['1.5', 1.5],
    ['2.25s', 2.25],
    ['  7  ', 7],
    ['5, 5', 5],
    ['5,9', 5],
  ])('reads Retry-After %j as %d seconds', (value, seconds) => {
    expect(parse({ 'retry-after': value })).toEqual({ retryAfterSeconds: seconds });
  });

  it.each([
    ['Thu, 02 Jan 2025 03:05:05 GMT', 60],
    ['thu, 02 jan 2025 03:04:35 gmt', 30],
    ['Thursday, 02-Jan-25 03:06:05 GMT', 120],
    ['Thu Jan  2 03:04:15 2025', 10],
    ['Fri, 03 Jan 2025 03:04:05 GMT, Fri, 03 Jan 2025 03:04:05 GMT', 86400],
  ])('turns the Retry-After date %j into %d seconds from now', (value, seconds) => {
    expect(parse({ 'retry-after': value })).toEqual({ retryAfterSeconds: seconds });
  });

  it('keeps sub-second precision for a date against a now with milliseconds', () => {
    expect(parse({ 'retry-after': 'Thu, 02 Jan 2025 03:04:10 GMT' }, NOW_MS + 250)).toEqual({
      retryAfterSeconds: 4.75,
    });
  });

  it('floors a past Retry-After date at 0', () => {
    expect(parse({ 'retry-after': 'Thu, 02 Jan 2025 03:00:00 GMT' })).toEqual({ retryAfterSeconds: 0 });
    expect(parse({ 'retry-after': 'Sun, 06 Nov 1994 08:49:37 GMT' })).toEqual({ retryAfterSeconds: 0 });
  });

  it('puts a two-digit RFC 850 year within 50 years of now', () => {
    // "99" is 1999, not 2099 (more than 50 years ahead of 2025): in the past, so 0.
    expect(parse({ 'retry-after': 'Friday, 31-Dec-99 23:59:59 GMT' })).toEqual({ retryAfterSeconds: 0 });
    // "74" is 2074 (within 50 years).
    const in2074 = (Date.UTC(2074, 0, 1) - NOW_MS) / 1000;
    expect(parse({ 'retry-after': 'Monday, 01-Jan-74 00:00:00 GMT' })).toEqual({ retryAfterSeconds: in2074 });
  });

  it.each([
    'soon',
    '-5',
    '+5',
    '1e3',
    '0x10',
    '5m',
    '1m30s',
    'Infinity',
    'NaN',
    '',
    '   ',
    ',',
    '9'.repeat(400),
    '99999999999999999999',
    'Thu, 02 Jan 2025 03:05:05',
    'Thu, 02 Jan 2025 03:05:05 PST',
    'Thu, 31 Feb 2025 03:05:05 GMT',
    'Thu, 02 Foo 2025 03:05:05 GMT',
    'Thu, 02 Jan 2025 25:05:05 GMT',
    '2025-01-02T03:05:05Z',
    'hello 1',
    'Thu, 02 Jan 2025 03:05:05 GMT garbage',
  ])('ignores the unreadable Retry-After %j', (value) => {
    expect(parse({ 'retry-after': value })).toBeUndefined();
  });

  it.each([
    ['-1', undefined],
    ['1e3', undefined],
    ['abc', undefined],
    ['9'.repeat(400), undefined],
    [String(Number.MAX_SAFE_INTEGER + 2), undefined],
    [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
    ['0', 0],
    ['007', 7],
    ['999999999999999', 999_999_999_999_999],
    ['9999999999999999', undefined],
    ['1234567890123456', 1_234_567_890_123_456],
    ['12a', undefined],
    ['1 2', undefined],
    [' 12 ', 12],
    ['12, 12', 12],
    ['10, 10;w=1, 1000;w=3600', 10],
    ['10;w=1', 10],
    ['3.0', 3],
    ['2.5', undefined],
    ['0.5', undefined],
    ['NaN', undefined],
    ['Infinity', undefined],
    ['', undefined],
  ])('reads RateLimit-Limit %j as %s', (value, expected) => {
    expect(parse({ 'ratelimit-limit': value })?.limit).toBe(expected);
  });

  it('never reports a fractional count: limits and remainders for every family and window are whole or absent', () => {
    for (const name of RATE_LIMIT_HEADER_NAMES.filter((n) => !n.endsWith('reset') && n !== 'retry-after')) {
      expect(parse({ [name]: '4.5' }), name).toBeUndefined();
      expect(parse({ [name]: '4' }), name).toBeDefined();
    }
  });

  it('never throws on random input', () => {
    const alphabet = '0123456789 ,;.-+eEsSxX:GMTJanThu\t\u00e2\u0000\uffff';
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const randomString = () => {
      let s = '';
      const length = Math.floor(random() * 40);
      for (let i = 0; i < length; i++) s += alphabet[Math.floor(random() * alphabet.length)];
      return s;
    };
    let parsed = 0;
    for (let i = 0; i < 5000; i++) {
      const values = new Map(RATE_LIMIT_HEADER_NAMES.map((name) => [name, randomString()]));
      const nowMs = i % 100 === 0 ? Number.NaN : NOW_MS + Math.floor(random() * 1e9);
      const facts = parseRateLimitHeaders((name) => values.get(name), nowMs);
      if (facts === undefined) continue;
      parsed++;
      const numbers = [
        facts.limit,
        facts.remaining,
        facts.resetEpochSeconds,
        facts.retryAfterSeconds,
        ...Object.values(facts.windows ?? {}).flatMap((w) => [w.limit, w.remaining]),
      ].filter((n) => n !== undefined);
      for (const n of numbers) {
        expect(Number.isFinite(n)).toBe(true);
        expect(n).toBeGreaterThanOrEqual(0);
      }
      // Everything but Retry-After lands on int attributes and INT gauges.
      const integers = [
        facts.limit,
        facts.remaining,
        facts.resetEpochSeconds,
        ...Object.values(facts.windows ?? {}).flatMap((w) => [w.limit, w.remaining]),
      ].filter((n) => n !== undefined);
      for (const n of integers) expect(Number.isSafeInteger(n), String(n)).toBe(true);
    }
    // The loop must exercise the parsing paths, not only the rejections.
    expect(parsed).toBeGreaterThan(100);
  });
});
