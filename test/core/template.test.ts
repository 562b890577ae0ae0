import { describe, expect, it } from 'vitest';
import { ZDX_ENDPOINTS } from '../../src/core/catalog/endpoints.js';
import { ZdxConfigError } from '../../src/core/errors.js';
import { OVERFLOW_TEMPLATE, TemplateRouter, templateFor, UNKNOWN_PATH_WORDS } from '../../src/core/route/template.js';

type Ids = Record<string, string>;

const NUMERIC: Ids = {
  deviceid: '132559212',
  appid: '30989301',
  probeid: '1',
  userid: '24328827',
  alert_id: '7473160764821179371',
  trace_id: '0',
  analysis_id: '1',
  software_key: 'screencaptureui2',
  did: '9007199254740993',
  lid: '42',
};

const STRINGS: Ids = {
  deviceid: 'dev-7f3a',
  appid: 'app_x',
  probeid: 'probe.1',
  userid: 'u24328827',
  alert_id: '18446744073709551615',
  trace_id: 'c0ffee00-1234-4abc-8def-000000000001',
  analysis_id: 'analysis-xyz',
  software_key: 'com.apple.Safari%2017.1',
  did: 'd-1',
  lid: 'L1',
};

const ENCODED: Ids = {
  ...NUMERIC,
  software_key: 'Microsoft%20Edge%2FWebView2~1.0',
  deviceid: '%31%32',
  trace_id: 'trace%2Fid',
};

function concrete(template: string, ids: Ids): string {
  return template.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    const id = ids[name];
    if (id === undefined) throw new Error(`no test id for ${name}`);
    return id;
  });
}

const PREFIXES: readonly (readonly [string, string])[] = [
  ['https://api.zdxcloud.net', ''],
  ['https://api.zdxgov.net', ''],
  ['https://api.zsapi.net', '/zdx'],
  ['https://api.eu.zsapi.net', '/zdx'],
  ['https://api.zscalergov.net', '/zdx'],
  ['https://api.zscalergov.us', '/zdx'],
];

describe('catalog round trip', () => {
  const router = new TemplateRouter();

  for (const { method, template } of ZDX_ENDPOINTS) {
    it(`${method} ${template}`, () => {
      for (const ids of [NUMERIC, STRINGS, ENCODED]) {
        const path = concrete(template, ids);
        for (const [origin, prefix] of PREFIXES) {
          for (const variant of [
            `${prefix}${path}`,
            `${prefix}${path}/`,
            `${prefix}${path}?from=1700000000&to=1700007200&emails=a%40b.com`,
            `${prefix}${path}/?offset=abc#frag`,
            `${prefix}/${path.replace(/\//g, '//')}`,
          ]) {
            const url = `${origin}${variant}`;
            expect(templateFor(method, url), url).toBe(template);
            const host = new URL(origin).hostname;
            expect(router.route(host, undefined, variant), url).toBe(template);
          }
        }
      }
      // A method the catalog does not list for this path still gets the path's template.
      expect(templateFor('PATCH', `https://api.zdxcloud.net${concrete(template, NUMERIC)}`)).toBe(template);
    });
  }

  it('made up no unknown templates on the way', () => {
    expect(router.unknownTemplateCount).toBe(0);
  });
});

describe('spelling variants', () => {
  const router = new TemplateRouter();
  const route = (path: string) => router.route('api.zdxcloud.net', undefined, path);

  it('maps softwares to the canonical software template', () => {
    expect(route('/v1/inventory/softwares/screencaptureui2')).toBe('/v1/inventory/software/{software_key}');
    expect(route('/v1/inventory/softwares')).toBe('/v1/inventory/software');
    expect(route('/zdx/v1/inventory/softwares/a.b.c')).toBe('/v1/inventory/software/{software_key}');
  });

  it('maps OneAPI snapshot paths without /v1 to the /v1 template', () => {
    expect(router.route('api.zsapi.net', undefined, '/zdx/snapshot/alert')).toBe('/v1/snapshot/alert');
    expect(router.route('api.zsapi.net', undefined, '/zdx/snapshot/user/')).toBe('/v1/snapshot/user');
    expect(templateFor('POST', 'https://api.zsapi.net/zdx/snapshot/alert')).toBe('/v1/snapshot/alert');
  });

  it('prefers static segments over parameters', () => {
    expect(route('/v1/alerts/ongoing')).toBe('/v1/alerts/ongoing');
    expect(route('/v1/alerts/historical')).toBe('/v1/alerts/historical');
    expect(route('/v1/alerts/7473160764821179371')).toBe('/v1/alerts/{alert_id}');
    expect(route('/v1/config/departments/summary')).toBe('/v1/config/departments/summary');
    expect(route('/v1/config/departments/77')).toBe('/v1/config/departments/{did}');
  });

  it('uses the path after an extraHosts base URL', () => {
    const r = new TemplateRouter({ extraHosts: ['http://localhost:8080/sim'] });
    expect(r.route('localhost', 8080, '/sim/v1/devices/5/apps/6?from=1')).toBe('/v1/devices/{deviceid}/apps/{appid}');
    expect(r.route('localhost', 8080, '/sim/zdx/v1/users/9')).toBe('/v1/users/{userid}');
    expect(r.route('localhost', 8080, '/v1/users/9')).toBeUndefined();
    expect(r.route('localhost', 9999, '/sim/v1/users/9')).toBeUndefined();
  });
});

describe('unknown paths', () => {
  const route = (router: TemplateRouter, path: string) => router.route('api.zdxcloud.net', undefined, path);

  it.each([
    ['/v1/reports/123456', '/v1/reports/{id}'],
    ['/v1/reports/3f2b8c1e-9d4a-4e2b-8f6a-1c2d3e4f5a6b/details', '/v1/reports/{id}/details'],
    ['/v1/reports/deadbeefcafe1234', '/v1/reports/{id}'],
    ['/v1/reports/deadbeef', '/v1/reports/{id}'],
    ['/v1/reports/alice@example.com', '/v1/reports/{id}'],
    ['/v1/reports/alice%40example.com', '/v1/reports/{id}'],
    ['/v1/reports/abcdefghij0123456789', '/v1/reports/{id}'],
    ['/v1/reports/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln', '/v1/reports/{id}'],
    ['/v1/reports/QWxhZGRpbjpvcGVuIHNlc2FtZQ==', '/v1/reports/{id}'],
    ['/v1/reports/Alice', '/v1/reports/{id}'],
    ['/v1/reports/2024-01-01', '/v1/reports/{id}'],
    [`/v1/reports/${'a'.repeat(33)}`, '/v1/reports/{id}'],
    ['/v1/reports/{deviceid}', '/v1/reports/{id}'],
    // Words outside the vocabulary cannot be told from a user name: they become {id} too.
    ['/v1/widgets/9', '/v1/{id}/{id}'],
    ['/v1/customthing/jsmith/profile', '/v1/{id}/{id}/profile'],
    ['/v1/devices/123/new-thing', '/v1/devices/{id}/{id}'],
    ['/v1/devices/123/top-processes', '/v1/devices/{id}/top-processes'],
    ['/v1/Devices/5', '/v1/{id}/{id}'],
    ['/v2/devices', '/v2/devices'],
    ['/zdx/v1/reports/9', '/v1/reports/{id}'],
    ['/v1/jsmith/list/', '/v1/{id}/list'],
    ['//v1//reports//7?q=alice#x', '/v1/reports/{id}'],
    ['/', '/'],
    ['', '/'],
    ['/v1', '/v1'],
    ['/v1/oauth', '/v1/oauth'],
    ['/a/b/c/d/e/f/g/h/i/j/k', '/{id}/{id}/{id}/{id}/{id}/{id}/{id}/{id}/{...}'],
    ['/v1/a/b/c/d/e/f/g/h/i', '/v1/{id}/{id}/{id}/{id}/{id}/{id}/{id}/{...}'],
  ])('%s -> %s', (path, expected) => {
    expect(route(new TemplateRouter(), path)).toBe(expected);
  });

  it('keeps no user word from an unknown path (issue example)', () => {
    expect(templateFor('GET', 'https://api.zdxcloud.net/v1/customthing/jsmith/profile')).toBe('/v1/{id}/{id}/profile');
    expect(templateFor('GET', 'https://api.zsapi.net/zdx/v1/users/5/jsmith')).toBe('/v1/users/{id}/{id}');
  });

  it('keeps only vocabulary and catalog words', () => {
    for (const word of ['devices', 'web-probes', 'ongoing', 'softwares', 'reports', 'summary']) {
      expect(UNKNOWN_PATH_WORDS.has(word), word).toBe(true);
    }
    for (const word of ['jsmith', 'admin', 'root', 'test', 'me', 'alice', 'Devices', '{id}', '']) {
      expect(UNKNOWN_PATH_WORDS.has(word), word).toBe(false);
    }
  });

  it('never lets planted ids or personal data through', () => {
    const planted = [
      '7473160764821179371',
      '3f2b8c1e-9d4a-4e2b-8f6a-1c2d3e4f5a6b',
      'alice@example.com',
      'alice%40example.com',
      'abcdefghij0123456789',
      'eyJhbGciOiJIUzI1NiJ9',
      'deadbeefcafe1234',
      'Bob.Smith',
    ];
    const router = new TemplateRouter();
    for (const id of planted) {
      for (const path of [`/v1/x/${id}`, `/v1/${id}/y`, `/${id}`, `/zdx/v1/devices/1/x/${id}`]) {
        const template = route(router, path);
        expect(template).toBeDefined();
        expect(template, path).not.toContain(id);
        expect(template, path).not.toContain('@');
      }
    }
  });

  it('caps distinct unknown templates and then uses the overflow template', () => {
    const router = new TemplateRouter({ maxUnknownTemplates: 3 });
    expect(route(router, '/v1/reports')).toBe('/v1/reports');
    expect(route(router, '/v1/jobs/1')).toBe('/v1/jobs/{id}');
    expect(route(router, '/v1/tasks')).toBe('/v1/tasks');
    expect(route(router, '/v1/logs')).toBe(OVERFLOW_TEMPLATE);
    expect(OVERFLOW_TEMPLATE).toBe('/{other}');
    // Templates already made keep working, and so do known endpoints.
    expect(route(router, '/v1/jobs/2')).toBe('/v1/jobs/{id}');
    expect(route(router, '/v1/reports')).toBe('/v1/reports');
    expect(route(router, '/v1/devices/1')).toBe('/v1/devices/{deviceid}');
    expect(router.unknownTemplateCount).toBe(3);

    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    const word = () => {
      let w = '';
      for (let i = 0; i < 6; i++) w += String.fromCharCode(97 + (rand() % 26));
      return w;
    };
    const seen = new Set<string | undefined>();
    for (let i = 0; i < 100_000; i++) seen.add(route(router, `/v1/${word()}/${rand()}/${word()}`));
    expect([...seen]).toEqual([OVERFLOW_TEMPLATE]);
    expect(router.unknownTemplateCount).toBe(3);
  });

  it('maxUnknownTemplates 0 sends every unknown path to the overflow template', () => {
    const router = new TemplateRouter({ maxUnknownTemplates: 0 });
    expect(route(router, '/v1/reports')).toBe(OVERFLOW_TEMPLATE);
    expect(route(router, '/v1/apps')).toBe('/v1/apps');
    expect(router.unknownTemplateCount).toBe(0);
  });

  it.each([-1, 1.5, 10_001, Number.NaN, Number.POSITIVE_INFINITY, '5', null])(
    'rejects maxUnknownTemplates %j',
    (value) => {
      expect(() => new TemplateRouter({ maxUnknownTemplates: value as number })).toThrow(ZdxConfigError);
      try {
        new TemplateRouter({ maxUnknownTemplates: value as number });
      } catch (e) {
        expect((e as ZdxConfigError).option).toBe('maxUnknownTemplates');
        expect((e as Error).message).toContain('0 to 10000');
      }
    },
  );

  it('accepts the bounds of maxUnknownTemplates', () => {
    expect(() => new TemplateRouter({ maxUnknownTemplates: 0 })).not.toThrow();
    expect(() => new TemplateRouter({ maxUnknownTemplates: 10_000 })).not.toThrow();
  });

  it('passes extraHosts validation errors through', () => {
    expect(() => new TemplateRouter({ extraHosts: ['ftp://x'] })).toThrow(ZdxConfigError);
  });
});

describe('non-ZDX requests', () => {
  const router = new TemplateRouter();

  it('are left alone', () => {
    expect(router.route('example.com', undefined, '/v1/devices')).toBeUndefined();
    expect(router.route('api.zsapi.net', undefined, '/zia/api/v1/users')).toBeUndefined();
    expect(router.route('api.zdxcloud.net.example.com', 443, '/v1/devices')).toBeUndefined();
    expect(templateFor('GET', 'https://example.com/v1/devices')).toBeUndefined();
    expect(templateFor('GET', 'https://api.zsapi.net/zpa/v1/devices')).toBeUndefined();
    // The government gateways carry ZIA and ZPA too: only /zdx/ is ZDX there.
    for (const host of ['api.zscalergov.net', 'api.zscalergov.us']) {
      expect(templateFor('GET', `https://${host}/zia/api/v1/users`), host).toBeUndefined();
      expect(
        templateFor('GET', `https://${host}/zpa/mgmtconfig/v1/admin/customers/1/application`),
        host,
      ).toBeUndefined();
      expect(templateFor('GET', `https://${host}/v1/devices`), host).toBeUndefined();
      expect(router.route(host, undefined, '/zia/api/v1/status')).toBeUndefined();
      expect(templateFor('GET', `https://${host}/zdx/v1/devices/5`), host).toBe('/v1/devices/{deviceid}');
    }
    expect(templateFor('GET', 'ftp://api.zdxcloud.net/v1/devices')).toBeUndefined();
    expect(router.unknownTemplateCount).toBe(0);
  });

  it('tolerate missing host or path values', () => {
    expect(router.route(undefined as unknown as string, undefined, '/v1/apps')).toBeUndefined();
    expect(router.route('api.zdxcloud.net', undefined, undefined as unknown as string)).toBeUndefined();
  });
});

describe('templateFor', () => {
  it('accepts URL objects', () => {
    expect(templateFor('GET', new URL('https://API.zdxcloud.net:443/v1/users/5?q=x'))).toBe('/v1/users/{userid}');
  });

  it('never throws on garbage', () => {
    const garbage: unknown[] = [
      '',
      '::',
      'http://',
      'https://',
      '//api.zdxcloud.net/v1/apps',
      '/v1/apps',
      'not a url',
      'https://[::1',
      'https://api.zdxcloud.net:99999/v1/apps',
      'x'.repeat(1_000_000),
      `https://api.zdxcloud.net/${'a/'.repeat(100_000)}`,
      `https://api.zdxcloud.net/v1/${'%'.repeat(10_000)}`,
      null,
      undefined,
      42,
      {},
    ];
    for (const input of garbage) {
      expect(() => templateFor('GET', input as string)).not.toThrow();
    }
    expect(templateFor('GET', '')).toBeUndefined();
    expect(templateFor('GET', '::')).toBeUndefined();
    expect(templateFor('GET', 'http://')).toBeUndefined();
    expect(templateFor('GET', null as unknown as string)).toBeUndefined();
    expect(templateFor('GET', `https://api.zdxcloud.net/${'a/'.repeat(100_000)}`)).toBe(`${'/{id}'.repeat(8)}/{...}`);
    expect(templateFor('GET', `https://api.zdxcloud.net/${'list/'.repeat(100_000)}`)).toBe(
      `${'/list'.repeat(8)}/{...}`,
    );
  });
});
