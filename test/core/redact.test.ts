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

  it('matches keys case-insensitively, percent-decoded and in array form', () => {
    const out = r.full(
      'https://h/p?EMAILS=x1&e%6Dails=x2&Key_Secret=x3&userids%5B%5D=x4&MAC-ADDRESS=x5&sIg=x6&api-key=x7&SomeToken=x8',
    );
    for (const v of ['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8']) expect(out).not.toContain(v);
  });

  it('redacts email- and JWT-looking values under any key, and such bare parameters', () => {
    const out = r.full(`https://h/p?note=carol%40corp.example&x=${JWT}&auth2=Basic+dXNlcjpwYXNz&carol@corp.example`);
    expect(out).not.toContain('carol');
    expect(out).not.toContain('eyJ');
    expect(out).not.toContain('dXNlcjpwYXNz');
    expect(out).toBe('https://h/p?note=REDACTED&x=REDACTED&auth2=REDACTED&REDACTED');
  });

  it('does not redact harmless keys by substring accident', () => {
    const out = r.full('https://h/p?country_code=us&software_key=zoom&metric_name=pft&score_bucket=poor');
    expect(out).toBe('https://h/p?country_code=us&software_key=zoom&metric_name=pft&score_bucket=poor');
  });

  it('splits on ; as well as &', () => {
    expect(r.full('https://h/p?a=1;token=abc&b=2')).toBe('https://h/p?a=1;token=REDACTED&b=2');
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
      'https://h/p?emails=%E0%A4%A&x=%zz&token=%',
      'https://h/p?%zz=1&e%6Dails=%E0%A4%A',
      `https://h/p?${'a=b&'.repeat(50_000)}`,
    ];
    for (const input of inputs) {
      expect(() => r.full(input)).not.toThrow();
      expect(() => r.query(input)).not.toThrow();
    }
    expect(r.full('user:hunter2@host/path?x=1')).toBe('REDACTED:REDACTED@host/path?x=1');
    expect(r.full('https://u:hunter2@[::1/x')).not.toContain('hunter2');
    expect(r.full('https://h/p?emails=%E0%A4%A&x=%zz&token=%')).toBe('https://h/p?emails=REDACTED&x=%zz&token=REDACTED');
    expect(r.full('https://h/p?%zz=1&e%6Dails=%E0%A4%A')).toBe('https://h/p?%zz=1&e%6Dails=REDACTED');
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

describe('compileRedactor().path', () => {
  const r = compileRedactor();
  it('redacts path segments that carry an email or a JWT, in url.path and url.full', () => {
    expect(r.path('/v1/unknown/alice%40example.com/x')).toBe('/v1/unknown/REDACTED/x');
    expect(r.path('/v1/users/bob@example.com')).toBe('/v1/users/REDACTED');
    expect(r.path('/v1/t/eyJhbGciOiJIUzI1NiJ9.e30.sig/y')).toBe('/v1/t/REDACTED/y');
    expect(r.full('https://api.zdxcloud.net/v1/users/bob@example.com?from=1')).toBe('https://api.zdxcloud.net/v1/users/REDACTED?from=1');
    expect(r.full('https://u:p@api.zdxcloud.net/v1/users/bob@example.com')).toBe('https://REDACTED:REDACTED@api.zdxcloud.net/v1/users/REDACTED');
  });
  it('leaves ordinary paths alone', () => {
    expect(r.path('/v1/devices/123/apps/4')).toBe('/v1/devices/123/apps/4');
    expect(r.full('http://127.0.0.1:8080/zdx/v1/alerts/7473160764821179371')).toBe('http://127.0.0.1:8080/zdx/v1/alerts/7473160764821179371');
  });
});
