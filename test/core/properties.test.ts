// Property-based tests of the pure functions on the hot path: what they promise must hold for any input
// fast-check can build, not only for the examples in the unit tests.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZDX_ENDPOINTS } from '../../src/core/catalog/endpoints.js';
import { classifyStatus, statusMessage } from '../../src/core/catalog/status.js';
import { PATH_WORDS, PLAIN_QUERY_KEYS } from '../../src/core/catalog/words.js';
import { STATUS_CLASSES } from '../../src/core/contract.js';
import { parseRateLimitHeaders, RATE_LIMIT_HEADER_NAMES } from '../../src/core/ratelimit.js';
import { compileRedactor } from '../../src/core/route/redact.js';
import { MAX_UNKNOWN_SEGMENTS, OVERFLOW_TEMPLATE, TemplateRouter } from '../../src/core/route/template.js';

const RUNS = { numRuns: 2000 };

describe('classifyStatus is total', () => {
  it('gives a valid class, text and message for any value at all', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.integer(),
          fc.double(),
          { arbitrary: fc.integer({ min: 99, max: 600 }), weight: 4 },
          fc.constantFrom(99, 100, 101, 199, 200, 299, 300, 399, 400, 408, 429, 499, 500, 503, 599, 600),
        ),
        (value) => {
          const info = classifyStatus(value as number);
          expect(STATUS_CLASSES).toContain(info.statusClass);
          expect(typeof info.text).toBe('string');
          expect(info.text.length).toBeGreaterThan(0);
          expect(typeof info.description).toBe('string');
          expect(typeof statusMessage(info)).toBe('string');
          expect(info.code === undefined || Number.isFinite(info.code)).toBe(true);
          const isCode = Number.isInteger(value) && (value as number) >= 100 && (value as number) <= 599;
          if (isCode) expect(info.statusClass).toBe(`${Math.floor((value as number) / 100)}xx`);
          else if (value === undefined || value === null) expect(info.statusClass).toBe('error');
          else expect(info.statusClass).toBe('unknown');
          expect(info.retryable).toBe(isCode && [408, 429, 500, 502, 503, 504].includes(value as number));
        },
      ),
      RUNS,
    );
  });
});

// ---- templating ----------------------------------------------------------------------------------------

const CATALOG_TEMPLATES = new Set(ZDX_ENDPOINTS.map((e) => e.template));
const PLACEHOLDERS = new Set(
  ZDX_ENDPOINTS.flatMap((e) => e.template.split('/').filter((s) => s.startsWith('{'))).concat(['{id}', '{...}']),
);

/** Values a path must never carry into a template: ids, emails, numbers, tokens, user words, encoded text. */
const plantedSegment = fc
  .oneof(
    fc.integer({ min: 0 }).map(String),
    fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String),
    fc.uuid(),
    fc.emailAddress(),
    fc.emailAddress().map(encodeURIComponent),
    fc.stringMatching(/^[0-9a-f]{8,40}$/),
    fc.stringMatching(/^eyJ[A-Za-z0-9_-]{4,24}\.[A-Za-z0-9_-]{2,16}\.[A-Za-z0-9_-]{2,16}$/),
    // User words: lower-case names that are not API vocabulary.
    fc.stringMatching(/^[a-z][a-z0-9._-]{1,15}$/),
    fc.mixedCase(fc.constantFrom(...PATH_WORDS)),
    fc.string({ minLength: 1, maxLength: 16 }).map(encodeURIComponent),
  )
  .filter((s) => s !== '' && !PATH_WORDS.has(s));

const pathSegment = fc.oneof(plantedSegment, fc.constantFrom(...PATH_WORDS));

const zdxPath = fc
  .tuple(
    fc.constantFrom('', '/zdx', '/v1', '/zdx/v1', '//v1/'),
    fc.array(pathSegment, { maxLength: 12 }),
    fc.constantFrom('', '/', '?q=alice', '?from=1#frag', '#x'),
  )
  .map(([prefix, segments, tail]) => ({ segments, path: `${prefix}/${segments.join('/')}${tail}` }));

function isGenericTemplate(template: string): boolean {
  if (template === '/') return true;
  const segments = template.slice(1).split('/');
  const last = segments.at(-1);
  const kept = last === '{...}' ? segments.slice(0, -1) : segments;
  if (kept.length > MAX_UNKNOWN_SEGMENTS) return false;
  if (last === '{...}' && kept.length !== MAX_UNKNOWN_SEGMENTS) return false;
  return template.startsWith('/') && kept.every((s) => s === '{id}' || PATH_WORDS.has(s));
}

describe('route templates', () => {
  it('are only catalog templates or bounded generic templates, and carry no planted value', () => {
    fc.assert(
      fc.property(
        zdxPath,
        fc.constantFrom('api.zdxcloud.net', 'api.zsapi.net', 'api.zscalergov.us'),
        ({ segments, path }, host) => {
          // A fresh router per case, so every unknown path is templated instead of sharing the overflow template.
          const router = new TemplateRouter();
          const oneApi = !host.startsWith('api.zdx');
          const template = router.route(host, undefined, oneApi ? `/zdx${path}` : path);
          expect(template).toBeDefined();
          const t = template!;
          expect(CATALOG_TEMPLATES.has(t) || isGenericTemplate(t), `${path} -> ${t}`).toBe(true);
          const templateSegments = t.split('/').filter((s) => s !== '');
          for (const s of templateSegments) expect(PATH_WORDS.has(s) || PLACEHOLDERS.has(s), s).toBe(true);
          for (const planted of segments.filter((s) => !PATH_WORDS.has(s))) {
            expect(templateSegments, `${path} -> ${t}`).not.toContain(planted);
          }
        },
      ),
      RUNS,
    );
  });

  it('stay within maxUnknownTemplates, then share the overflow template', () => {
    const maxUnknownTemplates = 20;
    const router = new TemplateRouter({ maxUnknownTemplates });
    const made = new Set<string>();
    fc.assert(
      fc.property(zdxPath, ({ path }) => {
        const t = router.route('api.zdxcloud.net', undefined, path)!;
        if (!CATALOG_TEMPLATES.has(t) && t !== OVERFLOW_TEMPLATE) made.add(t);
        expect(made.size).toBeLessThanOrEqual(maxUnknownTemplates);
        expect(router.unknownTemplateCount).toBe(made.size);
      }),
      RUNS,
    );
    // The cases were varied enough to reach the cap.
    expect(made.size).toBe(maxUnknownTemplates);
  });

  it('never throws and answers undefined or a string for any host, port and path', () => {
    const router = new TemplateRouter({ extraHosts: ['127.0.0.1:8080', 'https://gw.example.net/zdx-proxy'] });
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.domain(), fc.anything()),
        fc.option(fc.integer()),
        fc.oneof(fc.string(), fc.anything()),
        (host, port, path) => {
          const t = router.route(host as string, port ?? undefined, path as string);
          expect(t === undefined || typeof t === 'string').toBe(true);
        },
      ),
      RUNS,
    );
  });
});

// ---- redaction -----------------------------------------------------------------------------------------

const SENSITIVE_KEYS = [
  'key_secret',
  'key_id',
  'access_token',
  'refresh_token',
  'client_secret',
  'api_key',
  'apikey',
  'password',
  'Authorization',
  'session_id',
  'sig',
  'X-Amz-Signature',
  'emails',
  'email',
  'q',
  'search',
  'userids',
  'user_ids',
  'deviceids',
  'device_ids',
  'mac_address',
  'private_ipv4',
  'username',
  'jwt',
  'code',
  'key',
];

const pctAll = (s: string): string =>
  [...s].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** The ways a `key=value` pair reaches `url.full`/`url.query`: as sent, or rewritten by a client or an instrumentation. */
const ENCODINGS: readonly ((k: string, v: string) => string)[] = [
  (k, v) => `${k}=${v}`,
  (k, v) => `a=1;${k}=${v}`,
  (k, v) => `a=1%3B${k}%3D${v}`, // instrumentation-http's rewrite of `;`
  (k, v) => `a=1%3b${k}%3d${v}`,
  (k, v) => `a=1%26${k}%3D${v}`,
  (k, v) => `a=1%253B${k}%253D${v}`, // double encoding
  (k, v) => `a=1%25253B${k}%25253D${v}`, // triple encoding
  (k, v) => `${pctAll(k)}=${v}`,
  (k, v) => `${encodeURIComponent(pctAll(k))}=${v}`,
  (k, v) => `${k.replace(/[_-]/g, '+')}=${v}`,
  (k, v) => `${k}=${pctAll(v)}`,
  (k, v) => `${k}%3D${v}`,
  (k, v) => `${k}[]=${v}`,
  (k, v) => `a=${k}=${v}`,
];

const harmless = fc
  .array(fc.tuple(fc.constantFrom('from', 'to', 'offset', 'limit', 'loc', 'dept', 'geo'), fc.nat()), { maxLength: 4 })
  .map((pairs) => pairs.map(([k, n]) => `${k}=${n}`));

describe('redaction', () => {
  const redactor = compileRedactor();

  it('never keeps the value of a sensitive key, in any encoding, case or position', () => {
    fc.assert(
      fc.property(
        fc.mixedCase(fc.constantFrom(...SENSITIVE_KEYS)),
        fc.stringMatching(/^[A-Za-z0-9]{8,24}$/).map((s) => `Zq${s}`),
        fc.integer({ min: 0, max: ENCODINGS.length - 1 }),
        harmless,
        harmless,
        (key, secret, encoding, before, after) => {
          const pair = ENCODINGS[encoding]!(key, secret);
          const query = [...before, pair, ...after].join('&');
          const outputs = [
            redactor.full(`https://api.zdxcloud.net/v1/devices?${query}`),
            redactor.query(query),
            redactor.query(`?${query}`),
          ];
          for (const out of outputs) {
            expect(out, pair).not.toContain(secret);
            expect(out, pair).not.toContain(pctAll(secret));
            expect(out, pair).toContain('REDACTED');
          }
        },
      ),
      RUNS,
    );
  });

  const personal = fc.oneof(
    fc.emailAddress(),
    fc.ipV4(),
    fc.ipV6(),
    fc
      .tuple(fc.array(fc.stringMatching(/^[0-9a-f]{2}$/), { minLength: 6, maxLength: 6 }), fc.constantFrom(':', '-'))
      .map(([parts, sep]) => parts.join(sep)),
  );

  it('never keeps an email, MAC or IP address, under any key or as a path segment', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,10}$/), personal, fc.boolean(), (key, value, encode) => {
        const sent = encode ? encodeURIComponent(value) : value;
        const outputs = [
          redactor.full(`https://api.zdxcloud.net/v1/devices?from=1&${key}=${sent}`),
          redactor.query(`${key}=${sent}&from=1`),
          redactor.path(`/v1/devices/${sent}/apps`),
          redactor.full(`https://api.zdxcloud.net/v1/x/${sent}?from=1`),
        ];
        for (const out of outputs) {
          expect(out, sent).not.toContain(value);
          expect(out, sent).not.toContain(encodeURIComponent(value));
        }
      }),
      RUNS,
    );
  });

  it('keeps no path segment that is not an API word or an id', () => {
    fc.assert(
      fc.property(fc.array(pathSegment, { minLength: 1, maxLength: 8 }), (segments) => {
        const out = redactor.path(`/${segments.join('/')}`);
        for (const s of out.slice(1).split('/')) {
          expect(
            s === '' ||
              s === 'REDACTED' ||
              PATH_WORDS.has(s) ||
              /^\d+$/.test(s) ||
              /^[0-9a-f-]{16,}$/i.test(decodeURIComponent(s)),
            s,
          ).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('never throws on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(typeof redactor.full(s)).toBe('string');
        expect(typeof redactor.query(s)).toBe('string');
        expect(typeof redactor.path(s)).toBe('string');
      }),
      RUNS,
    );
  });
});

// The fast paths answer "nothing to redact" from one regular expression; the rules' own path must agree on every
// input, above all on the near misses: a plain-looking URL with one piece that is not (userinfo, a fragment, an
// unknown word, a sensitive or upper-case key, a value with `@`, `%`, `.` or `eyJ`, a `;`, an empty parameter).
const urlPieces = {
  scheme: fc.constantFrom('https://', 'http://', 'HTTP://', 'ftp://', '//', ''),
  userinfo: fc.constantFrom('', '', '', 'user:pw@', 'a@', ':@'),
  host: fc.constantFrom('api.zdxcloud.net', 'api.zsapi.net:443', '127.0.0.1:8080', 'h', 'x\\y'),
  segment: fc.oneof(
    {
      arbitrary: fc.constantFrom('v1', 'zdx', 'devices', 'apps', 'web-probes', 'users', 'alerts', 'ongoing'),
      weight: 6,
    },
    { arbitrary: fc.nat().map(String), weight: 4 },
    fc.constantFrom('', 'jsmith', 'devicesx', 'app', 'Apps', '1a', 'a@b.c', '%76%31', 'v1%2F', 'eyJhbGci', '10.0.0.1'),
    fc.constantFrom('0b8f6e1c-7d2a-4c59-9e3f-2a1b4c5d6e7f', 'deadbeefdeadbeef00', 'x;token=1', '..', '.'),
  ),
  key: fc.oneof(
    { arbitrary: fc.constantFrom(...PLAIN_QUERY_KEYS), weight: 6 },
    fc.constantFrom('token', 'email', 'q', 'key', 'From', 'TO', 'x', 'metric_name', 'loc[]', 'user_id', ''),
  ),
  value: fc.oneof(
    { arbitrary: fc.nat().map(String), weight: 4 },
    fc.constantFrom(
      '',
      'abc',
      '1,2',
      'geo_1',
      'eyJhbGci',
      'xeyJ',
      'a@b.c',
      '%41',
      'a+b',
      '1.2.3.4',
      'aa:bb:cc:dd:ee:ff',
    ),
    fc.constantFrom('Bearer%20x', 'x=y', 'abc%3D%3D', '-1', '12:30:45'),
  ),
  separator: fc.oneof({ arbitrary: fc.constant('&'), weight: 6 }, fc.constantFrom(';', '&&', '&;')),
};

const nearPlainPath = fc
  .array(fc.tuple(fc.constantFrom('/', '/', '/', '//'), urlPieces.segment), { maxLength: 7 })
  .chain((parts) => fc.constantFrom('', '/').map((end) => parts.map(([slash, seg]) => slash + seg).join('') + end));

const nearPlainQuery = fc
  .array(
    fc.tuple(urlPieces.key, fc.oneof({ arbitrary: fc.constant('='), weight: 6 }, fc.constant('')), urlPieces.value),
    { minLength: 1, maxLength: 5 },
  )
  .chain((pairs) =>
    fc
      .array(urlPieces.separator, { minLength: pairs.length, maxLength: pairs.length })
      .map((seps) => pairs.map(([k, eq, v], i) => (i === 0 ? '' : seps[i]) + k + eq + (eq ? v : '')).join('')),
  );

const nearPlainUrl = fc
  .tuple(
    urlPieces.scheme,
    urlPieces.userinfo,
    urlPieces.host,
    nearPlainPath,
    fc.option(nearPlainQuery, { nil: undefined }),
    fc.constantFrom('', '', '', '?', '#frag', '#'),
  )
  .map(([scheme, userinfo, host, path, query, tail]) => {
    const q = query === undefined ? '' : `?${query}`;
    return { url: `${scheme}${userinfo}${host}${path}${q}${tail}`, path, query: q };
  });

describe('redaction fast paths', () => {
  const pairs = [undefined, ['loc', 'offset'], ['From']].map((extraKeys) => ({
    fast: compileRedactor(extraKeys),
    rules: compileRedactor(extraKeys, { fastPaths: false }),
  }));

  it('answer what the rules answer on plain and near-plain URLs, paths and queries', () => {
    fc.assert(
      fc.property(nearPlainUrl, fc.nat({ max: pairs.length - 1 }), ({ url, path, query }, which) => {
        const { fast, rules } = pairs[which]!;
        expect(fast.full(url), url).toBe(rules.full(url));
        expect(fast.path(path), path).toBe(rules.path(path));
        expect(fast.query(query), query).toBe(rules.query(query));
      }),
      { numRuns: 10_000 },
    );
  });

  it('answer what the rules answer on any string', () => {
    const urlish = fc.string({
      unit: fc.constantFrom(...'/?#&;=@%:.-_,+aAeyJ019'.split(''), 'v1', 'apps', 'from', 'to'),
      maxLength: 60,
    });
    fc.assert(
      fc.property(
        fc.oneof(
          urlish,
          urlish.map((s) => `https://h${s}`),
        ),
        (s) => {
          const { fast, rules } = pairs[0]!;
          expect(fast.full(s), s).toBe(rules.full(s));
          expect(fast.path(s), s).toBe(rules.path(s));
          expect(fast.query(s), s).toBe(rules.query(s));
        },
      ),
      RUNS,
    );
  });
});

// ---- rate limits ---------------------------------------------------------------------------------------

const headerValue = fc.oneof(
  fc.string(),
  fc.double().map(String),
  fc.integer().map(String),
  fc.bigInt().map(String),
  fc.stringMatching(/^\d{1,12}(\.\d{1,3})?s?$/),
  fc.constantFrom('NaN', 'Infinity', '-0', '1e3', '0x10', '', ' ', '3.0', '10;w=60', '5, 6'),
);

describe('rate-limit facts', () => {
  it('are whole non-negative safe integers (Retry-After: finite, non-negative) whatever the headers say', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...RATE_LIMIT_HEADER_NAMES), headerValue),
        fc.oneof(fc.integer({ min: 0, max: 4e12 }), fc.double({ min: 0, max: 4e12 }), fc.constant(Number.NaN)),
        (headers, nowMs) => {
          const facts = parseRateLimitHeaders((name) => headers[name], nowMs);
          if (facts === undefined) return;
          const integers = [
            facts.limit,
            facts.remaining,
            facts.resetEpochSeconds,
            ...Object.values(facts.windows ?? {}).flatMap((w) => [w.limit, w.remaining]),
          ];
          for (const n of integers)
            if (n !== undefined) expect(Number.isSafeInteger(n) && n >= 0, String(n)).toBe(true);
          if (facts.resetEpochSeconds !== undefined) expect(facts.resetEpochSeconds).toBeLessThan(1e10);
          if (facts.retryAfterSeconds !== undefined) {
            expect(Number.isFinite(facts.retryAfterSeconds) && facts.retryAfterSeconds >= 0).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });
});
