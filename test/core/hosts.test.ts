import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZdxConfigError } from '../../src/core/errors.js';
import { compileHostMatcher, ZDX_DIRECT_HOSTS } from '../../src/core/route/hosts.js';

describe('built-in hosts', () => {
  const m = compileHostMatcher();

  it('matches every direct host on any path and port', () => {
    expect(ZDX_DIRECT_HOSTS).toEqual(['api.zdxcloud.net', 'api.zdxbeta.net', 'api.zdxgov.net', 'api.zdxten.net']);
    for (const host of ZDX_DIRECT_HOSTS) {
      expect(m.match(host, undefined, '/v1/devices')).toBe(0);
      expect(m.match(host, 443, '/anything')).toBe(0);
      expect(m.match(host, 8443, '/v1/oauth/token')).toBe(0);
      expect(m.match(host, 80, '/')).toBe(0);
    }
  });

  it('is case-insensitive and ignores a trailing dot', () => {
    expect(m.match('API.ZDXCloud.NET', undefined, '/v1/apps')).toBe(0);
    expect(m.match('api.zdxcloud.net.', undefined, '/v1/apps')).toBe(0);
    expect(m.match('Api.Zsapi.Net.', undefined, '/zdx/v1/apps')).toBe(0);
  });

  it('matches OneAPI gateways only under /zdx', () => {
    const gateways = ['api.zsapi.net', 'api.beta.zsapi.net', 'api.eu.zsapi.net', 'api.zscalerthree.zsapi.net'];
    // The government clouds' gateways (SDK clouds `gov` and `govus`) carry ZIA and ZPA too.
    for (const host of [...gateways, 'api.zscalergov.net', 'api.zscalergov.us', 'API.ZscalerGov.US.']) {
      expect(m.match(host, undefined, '/zdx/v1/devices'), host).toBe(0);
      expect(m.match(host, undefined, '/zdx'), host).toBe(0);
      expect(m.match(host, undefined, '/zdx?x=1'), host).toBe(0);
      expect(m.match(host, undefined, '/zdx/snapshot/alert'), host).toBe(0);
      expect(m.match(host, undefined, '/zia/api/v1/users'), host).toBe(-1);
      expect(m.match(host, undefined, '/zpa/mgmtconfig/v1'), host).toBe(-1);
      expect(m.match(host, undefined, '/zdxfoo/v1/devices'), host).toBe(-1);
      expect(m.match(host, undefined, '/'), host).toBe(-1);
    }
  });

  it('rejects look-alike hosts', () => {
    for (const host of [
      'evil-api.zdxcloud.net.example.com',
      'api.zdxcloud.net.example.com',
      'xapi.zdxcloud.net',
      'zdxcloud.net',
      'api.zdxcloud.com',
      'api.a.b.zsapi.net',
      'api..zsapi.net',
      'x.api.zsapi.net',
      'api.zsapi.net.evil.com',
      'api.zscalergov.net.evil.com',
      'x.api.zscalergov.us',
      'api.eu.zscalergov.net',
      'zscalergov.net',
      'api.zscalergov.com',
      'zsapi.net',
      'example.com',
      '',
    ]) {
      expect(m.match(host, undefined, '/zdx/v1/devices'), host).toBe(-1);
    }
  });
});

describe('extraHosts', () => {
  it('host: any port, any path', () => {
    const m = compileHostMatcher(['sim.local']);
    expect(m.match('sim.local', 8080, '/v1/devices')).toBe(0);
    expect(m.match('SIM.local.', undefined, '/x')).toBe(0);
    expect(m.match('other.local', 8080, '/v1/devices')).toBe(-1);
  });

  it('host:port: that port only (80/443 also match the default port)', () => {
    const m = compileHostMatcher(['sim.local:8080', 'gw.local:443']);
    expect(m.match('sim.local', 8080, '/v1/devices')).toBe(0);
    expect(m.match('sim.local', 8081, '/v1/devices')).toBe(-1);
    expect(m.match('sim.local', undefined, '/v1/devices')).toBe(-1);
    expect(m.match('gw.local', undefined, '/v1/devices')).toBe(0);
    expect(m.match('gw.local', 443, '/v1/devices')).toBe(0);
    expect(m.match('gw.local', 8443, '/v1/devices')).toBe(-1);
  });

  it('scheme://host uses the scheme default port', () => {
    const m = compileHostMatcher(['https://secure.local', 'http://plain.local', 'HTTP://Mixed.Local:9000']);
    expect(m.match('secure.local', undefined, '/v1/apps')).toBe(0);
    expect(m.match('secure.local', 443, '/v1/apps')).toBe(0);
    expect(m.match('secure.local', 8443, '/v1/apps')).toBe(-1);
    expect(m.match('plain.local', 80, '/v1/apps')).toBe(0);
    expect(m.match('plain.local', 8080, '/v1/apps')).toBe(-1);
    expect(m.match('mixed.local', 9000, '/v1/apps')).toBe(0);
    expect(m.match('mixed.local', 9001, '/v1/apps')).toBe(-1);
  });

  it('base URLs match only under the base and return its length', () => {
    const m = compileHostMatcher(['http://localhost:8080/sim/zdx/', 'http://localhost:8080/other']);
    expect(m.match('localhost', 8080, '/sim/zdx/v1/devices')).toBe('/sim/zdx'.length);
    expect(m.match('localhost', 8080, '/sim/zdx')).toBe('/sim/zdx'.length);
    expect(m.match('localhost', 8080, '/sim/zdx?a=1')).toBe('/sim/zdx'.length);
    expect(m.match('localhost', 8080, '/other/v1/apps')).toBe('/other'.length);
    expect(m.match('localhost', 8080, '/sim/zdxx/v1/devices')).toBe(-1);
    expect(m.match('localhost', 8080, '/sim/v1/devices')).toBe(-1);
    expect(m.match('localhost', 8080, '/v1/devices')).toBe(-1);
    expect(m.match('localhost', 9090, '/sim/zdx/v1/devices')).toBe(-1);
  });

  it('prefers the longest base of one host', () => {
    const m = compileHostMatcher(['http://gw.local/a', 'http://gw.local/a/b']);
    expect(m.match('gw.local', 80, '/a/b/v1/apps')).toBe(4);
    expect(m.match('gw.local', 80, '/a/v1/apps')).toBe(2);
  });

  it('an extra base on a built-in host does not hide the built-in rule', () => {
    const m = compileHostMatcher(['https://api.zdxcloud.net/proxy']);
    expect(m.match('api.zdxcloud.net', undefined, '/proxy/v1/apps')).toBe('/proxy'.length);
    expect(m.match('api.zdxcloud.net', undefined, '/v1/apps')).toBe(0);
  });

  it('accepts IPv4 and IPv6 literals', () => {
    const m = compileHostMatcher(['[::1]:8080', '127.0.0.1:3000', 'http://[2001:db8::1]/zdx-proxy', '[fe80::0:1]']);
    expect(m.match('::1', 8080, '/v1/apps')).toBe(0);
    expect(m.match('[::1]', 8080, '/v1/apps')).toBe(0);
    expect(m.match('::1', 8081, '/v1/apps')).toBe(-1);
    expect(m.match('127.0.0.1', 3000, '/v1/apps')).toBe(0);
    expect(m.match('127.0.0.1', 3001, '/v1/apps')).toBe(-1);
    expect(m.match('[2001:db8::1]', undefined, '/zdx-proxy/v1/apps')).toBe('/zdx-proxy'.length);
    expect(m.match('2001:DB8::1', 80, '/zdx-proxy/v1/apps')).toBe('/zdx-proxy'.length);
    expect(m.match('fe80::1', 1234, '/v1/apps')).toBe(0);
  });

  it('does not change the built-in hosts', () => {
    const m = compileHostMatcher(['sim.local']);
    expect(m.match('api.zdxcloud.net', undefined, '/v1/apps')).toBe(0);
    expect(m.match('api.zsapi.net', undefined, '/zia/v1')).toBe(-1);
  });

  it.each([
    ['', 'is empty'],
    [' sim.local', 'whitespace'],
    ['sim .local', 'whitespace'],
    ['sim.local:', 'invalid port'],
    ['sim.local:0', 'invalid port'],
    ['sim.local:65536', 'invalid port'],
    ['sim.local:80a', 'invalid port'],
    ['sim.local:-1', 'invalid port'],
    ['ftp://sim.local', 'unsupported scheme'],
    ['ws://sim.local', 'unsupported scheme'],
    ['https://sim.local/base?x=1', 'query or fragment'],
    ['https://sim.local/base#frag', 'query or fragment'],
    ['https://sim.local?x=1', 'query or fragment'],
    ['sim.local/base', 'no scheme'],
    ['https://', 'valid host'],
    ['https://:8080', 'valid host'],
    [':8080', 'valid host'],
    ['*.example.com', 'valid host'],
    ['sim..local', 'valid host'],
    ['https://user:hunter2@sim.local', 'credentials'],
    ['[::1', 'unclosed'],
    ['[::1]x', 'not a port'],
    ['[not-ipv6]:80', 'IPv6'],
    ['https://sim.local//base', 'empty segment'],
  ])('rejects %j', (entry, problem) => {
    let error: unknown;
    try {
      compileHostMatcher([entry]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ZdxConfigError);
    const err = error as ZdxConfigError;
    expect(err.option).toBe('extraHosts');
    expect(err.message).toContain('extraHosts');
    expect(err.message).toContain(problem);
    expect(err.message).toContain('http(s)://host[:port]/base/path');
    expect(err.message).not.toContain('hunter2');
  });

  it('rejects non-string entries and non-arrays', () => {
    expect(() => compileHostMatcher([42 as unknown as string])).toThrow(ZdxConfigError);
    expect(() => compileHostMatcher('sim.local' as unknown as string[])).toThrow(ZdxConfigError);
  });
});

describe('mayMatch', () => {
  const matchers = [
    compileHostMatcher(),
    compileHostMatcher(['gw.example.net', 'http://10.0.0.7:8080/zdx-proxy', '[::1]:9000', 'Proxy.Example.com']),
  ];

  it('lets every host through that match can match, in any spelling', () => {
    const m = matchers[1]!;
    for (const host of [
      ...ZDX_DIRECT_HOSTS,
      'API.ZDXCLOUD.NET',
      'api.eu.zsapi.net',
      'api.zscalergov.us',
      'gw.example.net',
      'GW.example.net',
      '10.0.0.7',
      '[::1]',
      '::1',
      'proxy.example.com',
    ]) {
      expect(m.mayMatch(host), host).toBe(true);
    }
    expect(m.mayMatch('example.com')).toBe(false);
    expect(m.mayMatch('localhost')).toBe(false);
    expect(matchers[0]!.mayMatch('127.0.0.1')).toBe(false);
    expect(matchers[0]!.mayMatch('gw.example.net')).toBe(false);
  });

  // match() itself starts with mayMatch(), so only hosts it must accept can show mayMatch wrong.
  it('lets every spelling of a host that match accepts through', () => {
    const m = matchers[1]!;
    const hosts: Array<[host: string, path: string]> = [
      ...ZDX_DIRECT_HOSTS.map((host): [string, string] => [host, '/v1/devices']),
      ['api.eu.zsapi.net', '/zdx/v1/devices'],
      ['api.zscalergov.us', '/zdx/v1/devices'],
      ['gw.example.net', '/v1/devices'],
      ['proxy.example.com', '/v1/devices'],
      ['10.0.0.7', '/zdx-proxy/v1/devices'],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...hosts),
        fc.array(fc.boolean(), { minLength: 32, maxLength: 32 }),
        fc.boolean(),
        ([host, path], upper, dot) => {
          const spelled = [...host].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('') + (dot ? '.' : '');
          expect(m.match(spelled, 8080, path), spelled).not.toBe(-1);
          expect(m.mayMatch(spelled), spelled).toBe(true);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
