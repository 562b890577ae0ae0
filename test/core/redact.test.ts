import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ZdxConfigError } from '../../src/core/errors.js';
import { compileRedactor } from '../../src/core/route/redact.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl';

const SECRETS = [
  's3cr3t',
  'alice',
  'a@b.com',
  'a%40b.com',
  'hunter2',
  'pa55word',
  JWT,
  '00:1A:2B:3C:4D:5E',
  '00%3A1A%3A2B',
  '10.0.0.1',
  'AKIAIOSFODNN7EXAMPLE',
  'tok123',
  'sess42',
  'zzkeyid',
  'bob',
  'uid77',
  'dev88',
];

describe('compileRedactor().full', () => {
  const r = compileRedactor();

  it('removes every planted secret and keeps harmless parameters', () => {
    const url =
      'https://admin:hunter2@api.zdxcloud.net/v1/devices' +
      '?from=1700000000&to=1700007200&offset=abc123&limit=50&loc=12&loc=13' +
      '&key_secret=s3cr3t&key_id=zzkeyid&emails=a@b.com&emails[]=a%40b.com&q=alice&search=bob' +
      '&userids=uid77,2&user_ids[0]=uid77&deviceids=dev88&device_ids=dev88' +
      '&mac_address=00:1A:2B:3C:4D:5E&private_ipv4=10.0.0.1&access_token=tok123&Authorization=Bearer%20' +
      JWT +
      '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE&session_id=sess42&password=pa55word&other=' +
      JWT +
      '#frag-00%3A1A%3A2B';
    const out = r.full(url);
    for (const secret of SECRETS) expect(out, secret).not.toContain(secret);
    expect(out).not.toContain('#');
    expect(out).not.toContain('frag');
    expect(out.startsWith('https://REDACTED:REDACTED@api.zdxcloud.net/v1/devices?')).toBe(true);
    for (const kept of ['from=1700000000', 'to=1700007200', 'offset=abc123', 'limit=50', 'loc=12', 'loc=13']) {
      expect(out).toContain(kept);
    }
    for (const key of ['key_secret', 'emails', 'emails[]', 'q', 'userids', 'mac_address', 'private_ipv4']) {
      expect(out).toContain(`&${key}=REDACTED`);
    }
  });

  it('follows the semconv shape', () => {
    expect(r.full('https://www.example.com/path?color=blue&sig=abc#x')).toBe(
      'https://www.example.com/path?color=blue&sig=REDACTED',
    );
    expect(r.full('https://user:pw@www.example.com/')).toBe('https://REDACTED:REDACTED@www.example.com/');
    expect(r.full('https://user@www.example.com')).toBe('https://REDACTED:REDACTED@www.example.com');
    expect(r.full('https://api.zdxcloud.net/v1/apps')).toBe('https://api.zdxcloud.net/v1/apps');
    expect(r.full('https://api.zdxcloud.net/v1/apps?')).toBe('https://api.zdxcloud.net/v1/apps?');
  });

  it.each([
    ['HTTPS://user:pw@API.zdxcloud.net/v1/apps', 'HTTPS://REDACTED:REDACTED@API.zdxcloud.net/v1/apps'],
    ['git+ssh.v-2://u:p@host/v1/apps', 'git+ssh.v-2://REDACTED:REDACTED@host/v1/apps'],
    ['//u:p@host/v1/apps', '//REDACTED:REDACTED@host/v1/apps'],
    // Not a scheme (a space, a leading digit): what follows `//` is then path, and redacted as such.
    ['ht tp://u:p@host/v1/apps', 'ht tp://REDACTED/v1/apps'],
    ['1http://u:p@host/v1/apps', '1http://REDACTED/v1/apps'],
  ])('finds the authority after a scheme in any case and with +, . and -, or after //: %s', (url, redacted) => {
    expect(r.full(url)).toBe(redacted);
  });

  it('matches keys case-insensitively, percent-decoded and in array form', () => {
    const out = r.full(
      'https://h/path?EMAILS=x1&e%6Dails=x2&Key_Secret=x3&userids%5B%5D=x4&MAC-ADDRESS=x5&sIg=x6&api-key=x7&SomeToken=x8',
    );
    for (const v of ['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8']) expect(out).not.toContain(v);
  });

  it('redacts email- and JWT-looking values under any key, and such bare parameters', () => {
    const out = r.full(`https://h/path?note=carol%40corp.example&x=${JWT}&auth2=Basic+dXNlcjpwYXNz&carol@corp.example`);
    expect(out).not.toContain('carol');
    expect(out).not.toContain('eyJ');
    expect(out).not.toContain('dXNlcjpwYXNz');
    expect(out).toBe('https://h/path?note=REDACTED&x=REDACTED&auth2=REDACTED&REDACTED');
  });

  it('does not redact harmless keys by substring accident', () => {
    const out = r.full('https://h/path?country_code=us&software_key=zoom&metric_name=pft&score_bucket=poor');
    expect(out).toBe('https://h/path?country_code=us&software_key=zoom&metric_name=pft&score_bucket=poor');
  });

  it('splits on ; as well as &', () => {
    expect(r.full('https://h/path?a=1;token=abc&b=2')).toBe('https://h/path?a=1;token=REDACTED&b=2');
  });

  it('never throws and redacts even unparseable input', () => {
    const inputs = [
      '',
      '?',
      '#',
      '::',
      'http://',
      'https://u:p@',
      'user:hunter2@host/path?x=1',
      'https://u:hunter2@[::1/x',
      'https://h/path?emails=%E0%A4%A&x=%zz&token=%',
      'https://h/path?%zz=1&e%6Dails=%E0%A4%A',
      `https://h/path?${'a=b&'.repeat(50_000)}`,
    ];
    for (const input of inputs) {
      expect(() => r.full(input)).not.toThrow();
      expect(() => r.query(input)).not.toThrow();
    }
    expect(r.full('user:hunter2@host/path?x=1')).toBe('REDACTED:REDACTED@host/path?x=1');
    expect(r.full('https://u:hunter2@[::1/x')).not.toContain('hunter2');
    expect(r.full('https://h/path?emails=%E0%A4%A&x=%zz&token=%')).toBe(
      'https://h/path?emails=REDACTED&x=%zz&token=REDACTED',
    );
    expect(r.full('https://h/path?%zz=1&e%6Dails=%E0%A4%A')).toBe('https://h/path?%zz=1&e%6Dails=REDACTED');
  });
});

describe('compileRedactor().query', () => {
  const r = compileRedactor(['Loc_Secret_Id', 'tenant']);

  it('takes a query with or without ? and returns it without', () => {
    expect(r.query('?from=1&q=alice')).toBe('from=1&q=REDACTED');
    expect(r.query('from=1&q=alice')).toBe('from=1&q=REDACTED');
    expect(r.query('')).toBe('');
    expect(r.query('?')).toBe('');
    expect(r.query('from=1#frag')).toBe('from=1');
  });

  it('keeps empty values, flags and separators as they are', () => {
    expect(r.query('a=&b&&c=1&emails=')).toBe('a=&b&&c=1&emails=');
  });

  it('adds the extra keys, normalized like the built-ins', () => {
    expect(r.query('tenant=acme&loc-secret-id=7&loc=3')).toBe('tenant=REDACTED&loc-secret-id=REDACTED&loc=3');
    // Without the extras, tenant stays visible.
    expect(compileRedactor().query('tenant=acme')).toBe('tenant=acme');
  });

  it('redacts an extra key that ZDX documents as harmless, where queries of such keys are let through whole', () => {
    const strict = compileRedactor(['loc', 'Offset']);
    expect(strict.query('from=1&loc=3&offset=20')).toBe('from=1&loc=REDACTED&offset=REDACTED');
    expect(strict.full('https://api.zdxcloud.net/v1/devices?from=1&loc=3')).toBe(
      'https://api.zdxcloud.net/v1/devices?from=1&loc=REDACTED',
    );
    expect(compileRedactor().query('from=1&loc=3&offset=20')).toBe('from=1&loc=3&offset=20');
  });

  it('removes every planted secret', () => {
    const out = r.query(
      `key_secret=s3cr3t&emails=a@b.com&q=alice&userids=1,2&mac_address=00:1A:2B:3C:4D:5E&private_ipv4=10.0.0.1&token=${JWT}&offset=7`,
    );
    for (const secret of ['s3cr3t', 'a@b.com', 'alice', '1,2', '00:1A', '10.0.0.1', JWT]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('offset=7');
  });

  it('rejects empty or non-string extra keys', () => {
    expect(() => compileRedactor([''])).toThrow(ZdxConfigError);
    expect(() => compileRedactor([' '])).toThrow(/redactedQueryKeys/);
    expect(() => compileRedactor([3 as unknown as string])).toThrow(ZdxConfigError);
  });
});

// Parameters of letters, digits, `_` and `,` only (the usual ZDX query) are judged in place, without the
// decoding and splitting the others go through: these pin that path to the same verdicts.
describe('compileRedactor().query on plain parameters', () => {
  const r = compileRedactor();
  it('keeps them as they are, unless a sensitive key has a value', () => {
    const usual = 'from=1700000000&to=1700003600&loc=1,2&metric_name=pft&flag&empty=';
    expect(r.query(usual)).toBe(usual);
    expect(r.query('token=abc123&x=1;USER_ID=5&key=&code')).toBe('token=REDACTED&x=1;USER_ID=REDACTED&key=&code');
    expect(r.query('=5&Token=1')).toBe('=5&Token=REDACTED');
  });
  it('redacts a JWT start in a value, a key or a bare parameter, and only within one piece', () => {
    expect(r.query('a=xeyJhbGciOiJIUzI1NiJ9&b=1')).toBe('a=REDACTED&b=1');
    expect(r.query('eyJhbGci=1')).toBe('REDACTED=REDACTED');
    expect(r.query('b=1&eyJhbGci')).toBe('b=1&REDACTED');
    expect(r.query('a=ey&b=J')).toBe('a=ey&b=J');
    expect(r.query('e=yJ&ey=J')).toBe('e=yJ&ey=J');
  });
});

describe('compileRedactor() on encoded forms', () => {
  const r = compileRedactor();

  it.each([
    // instrumentation-http's rewrite of `?a=1;token=SECRET` (node:http, axios, got).
    ['a=1%3Btoken%3DSECRET', 'a=REDACTED'],
    ['a=1%3btoken%3dSECRET', 'a=REDACTED'],
    ['a=1%26token%3DSECRET&b=2', 'a=REDACTED&b=2'],
    // Double and triple encoding.
    ['a=1%253Btoken%253DSECRET', 'a=REDACTED'],
    ['a=1%25253Btoken%25253DSECRET', 'a=REDACTED'],
    ['e%256Dails=SECRET', 'e%256Dails=REDACTED'],
    // Encoded keys, `+` and mixed case.
    ['%74oken=SECRET', '%74oken=REDACTED'],
    ['Key+Secret=SECRET', 'Key+Secret=REDACTED'],
    ['ToKeN=SECRET&from=1', 'ToKeN=REDACTED&from=1'],
    ['X-AMZ-SIGNATURE=SECRET', 'X-AMZ-SIGNATURE=REDACTED'],
    // A whole `k=v` pair hidden in a key or a flag.
    ['token%3DSECRET', 'REDACTED'],
    ['token%3DSECRET=1', 'REDACTED=REDACTED'],
    ['a=token=SECRET', 'a=REDACTED'],
    // Values that are personal data under any key.
    ['x=alice%2540corp.example', 'x=REDACTED'],
    ['x=Bearer+SECRET', 'x=REDACTED'],
  ])('%s -> %s', (input, expected) => {
    expect(r.query(input)).toBe(expected);
    expect(r.full(`https://api.zdxcloud.net/v1/apps?${input}`)).toBe(`https://api.zdxcloud.net/v1/apps?${expected}`);
  });

  it('keeps harmless encoded values', () => {
    expect(r.query('from=1700000000&offset=abc%3D%3D&loc=12%2C13&metric=pft+score')).toBe(
      'from=1700000000&offset=abc%3D%3D&loc=12%2C13&metric=pft+score',
    );
  });
});

describe('compileRedactor(): MAC, IP and user names', () => {
  const r = compileRedactor();

  it.each([
    'aa:bb:cc:dd:ee:ff',
    'AA-BB-CC-DD-EE-FF',
    'aabb.ccdd.eeff',
    'aa%3Abb%3Acc%3Add%3Aee%3Aff',
    '10.20.30.40',
    '192.168.1.1%2C10.0.0.1',
    'fe80::1ff:fe23:4567:890a',
    '2001:0db8:0000:0000:0000:ff00:0042:8329',
    '::1',
  ])('redacts the address %s under a key ZDX does not use, and as a path segment', (value) => {
    expect(r.query(`device_info=${value}&from=1`)).toBe('device_info=REDACTED&from=1');
    expect(r.path(`/v1/widgets/${value}/x`)).not.toContain(value);
  });

  it.each([
    'user',
    'username',
    'user_name',
    'UserPrincipalName',
    'login',
    'owner',
    'account',
    'name',
    'upn_email',
    'hostname',
    'device_name',
    'mac',
    'ip',
    'client_ip',
    'ip_address',
    'phone',
    'display-name',
  ])('redacts the value of the person or device key %s', (key) => {
    expect(r.query(`${key}=jsmith&from=1`)).toBe(`${key}=REDACTED&from=1`);
  });

  it('keeps times, counts and ZDX filters', () => {
    expect(
      r.query('from=1700000000&to=1700007200&loc=12&dept=3&geo=7&limit=50&offset=abc&time=12:30:45&metric_name=pft'),
    ).toBe('from=1700000000&to=1700007200&loc=12&dept=3&geo=7&limit=50&offset=abc&time=12:30:45&metric_name=pft');
  });
});

describe('compileRedactor().path', () => {
  const r = compileRedactor();
  it('redacts segments that are neither API words nor ids, in url.path and url.full', () => {
    expect(r.path('/v1/customthing/jsmith/profile')).toBe('/v1/REDACTED/REDACTED/profile');
    expect(r.path('/v1/unknown/alice%40example.com/x')).toBe('/v1/REDACTED/REDACTED/REDACTED');
    expect(r.path('/v1/users/bob@example.com')).toBe('/v1/users/REDACTED');
    expect(r.path('/v1/t/eyJhbGciOiJIUzI1NiJ9.e30.sig/y')).toBe('/v1/REDACTED/REDACTED/REDACTED');
    expect(r.path('/v1/devices;token=SECRET/5')).toBe('/v1/REDACTED/5');
    expect(r.path('/v1/devices%3Btoken%3DSECRET/5')).toBe('/v1/REDACTED/5');
    expect(r.full('https://api.zdxcloud.net/v1/users/bob@example.com?from=1')).toBe(
      'https://api.zdxcloud.net/v1/users/REDACTED?from=1',
    );
    expect(r.full('https://u:p@api.zdxcloud.net/v1/users/bob@example.com')).toBe(
      'https://REDACTED:REDACTED@api.zdxcloud.net/v1/users/REDACTED',
    );
  });
  it('keeps catalog paths with numeric, UUID and long hex ids', () => {
    expect(r.path('/v1/devices/123/apps/4')).toBe('/v1/devices/123/apps/4');
    expect(r.path('/zdx/v1/devices/1/deeptraces/3f2b8c1e-9d4a-4e2b-8f6a-1c2d3e4f5a6b/top-processes')).toBe(
      '/zdx/v1/devices/1/deeptraces/3f2b8c1e-9d4a-4e2b-8f6a-1c2d3e4f5a6b/top-processes',
    );
    expect(r.path('/v1/alerts/7473160764821179371/affected_devices/')).toBe(
      '/v1/alerts/7473160764821179371/affected_devices/',
    );
    expect(r.path('//v1//inventory/softwares')).toBe('//v1//inventory/softwares');
    expect(r.full('http://127.0.0.1:8080/zdx/v1/alerts/7473160764821179371')).toBe(
      'http://127.0.0.1:8080/zdx/v1/alerts/7473160764821179371',
    );
    expect(r.path('/v1/analysis/00c0ffee00c0ffee00c0ffee')).toBe('/v1/analysis/00c0ffee00c0ffee00c0ffee');
  });
});

describe('compileRedactor(): one redactor, many calls', () => {
  it('redacts every input as a fresh redactor would, in any order and repeated', () => {
    const r = compileRedactor();
    const paths = ['/v1/devices/1/apps/jane.doe', '/v1/devices/2', '/v1/devices/1/apps/jane.doe', '/v1/users/bob', ''];
    const queries = ['?token=abc&x=1', 'x=1', '?x=1', 'token=abc&x=1#frag', 'email=a@b.c', '?', 'x=1', '#only'];
    const urls = [
      'https://api.zdxcloud.net/v1/users/bob?token=abc&x=1',
      'https://api.zdxcloud.net/v1/devices/2?x=1',
      'https://api.zdxcloud.net/v1/users/bob?token=abc&x=1',
      'https://user:pw@api.zdxcloud.net/v1/devices/1/apps/jane.doe?email=a@b.c#f',
    ];
    for (let round = 0; round < 2; round++) {
      for (const url of urls) {
        expect(r.full(url), url).toBe(compileRedactor().full(url));
        const at = url.indexOf('/', 'https://'.length);
        const q = url.indexOf('?');
        expect(r.path(url.slice(at, q)), url).toBe(compileRedactor().path(url.slice(at, q)));
        expect(r.query(url.slice(q)), url).toBe(compileRedactor().query(url.slice(q)));
      }
      for (const path of paths) expect(r.path(path), path).toBe(compileRedactor().path(path));
      for (const query of queries) expect(r.query(query), query).toBe(compileRedactor().query(query));
    }
    expect(r.path('/v1/users/bob')).toBe('/v1/users/REDACTED');
    expect(r.query('?token=abc&x=1')).toBe('token=REDACTED&x=1');
  });

  it('keeps a word only as the whole segment, whatever came before', () => {
    const r = compileRedactor();
    expect(r.path('/v1/devices/1/apps/2')).toBe('/v1/devices/1/apps/2');
    // Right after those words were kept: segments that start or end with one of them, or are cut short of it.
    expect(r.path('/v1/devicesjsmith/1/appsjane/2')).toBe('/v1/REDACTED/1/REDACTED/2');
    expect(r.path('/v1/devices/1/jsmithapps/2')).toBe('/v1/devices/1/REDACTED/2');
    expect(r.path('/v1/devic/1/ap/2')).toBe('/v1/REDACTED/1/REDACTED/2');
    expect(r.path('/v1/x/devices/jsmith/apps')).toBe('/v1/REDACTED/devices/REDACTED/apps');
    expect(r.path('/v1/devices/1/apps/2')).toBe('/v1/devices/1/apps/2');
  });
});

describe('compileRedactor() on long inputs', () => {
  // Each input is tested against a regular expression first (see redact.ts): one that could match a piece of
  // it in more than one way takes exponential time to fail, and would never return on these. The vm timeout
  // turns that hang into a failure; a sound expression needs a few milliseconds, far below it.
  const finishes = <T>(run: () => T): T => vm.runInNewContext('run()', { run }, { timeout: 30_000 }) as T;

  it('answers in one pass over inputs that fail the fast paths late', () => {
    const r = compileRedactor();
    const digits = '1'.repeat(50_000);
    expect(finishes(() => r.path(`/v1/${digits}x`))).toBe('/v1/REDACTED');
    expect(finishes(() => r.path(`/${'1/'.repeat(50_000)}jsmith`)).endsWith('/1/REDACTED')).toBe(true);
    expect(finishes(() => r.path(`/${'apps//'.repeat(50_000)}jsmith`)).endsWith('//REDACTED')).toBe(true);
    expect(finishes(() => r.query(`from=${digits}&to=${digits}&token=x`))).toBe(
      `from=${digits}&to=${digits}&token=REDACTED`,
    );
    expect(finishes(() => r.query(`${'from=1&'.repeat(50_000)}email=a@b.c`)).endsWith('&email=REDACTED')).toBe(true);
    const url = `https://api.zdxcloud.net/v1/${'1/'.repeat(50_000)}apps?${'to=1&'.repeat(50_000)}to=eyJ`;
    expect(finishes(() => r.full(url)).endsWith('&to=REDACTED')).toBe(true);
  });
});
