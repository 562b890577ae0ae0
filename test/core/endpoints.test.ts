import { describe, expect, it } from 'vitest';
import { ZDX_ENDPOINT_GROUPS, ZDX_ENDPOINTS } from '../../src/core/catalog/endpoints.js';

// Every endpoint of the ZDX API research notes, written out independently of the catalog.
const EXPECTED: readonly (readonly [string, string])[] = [
  ['POST', '/v1/oauth/token'],
  ['GET', '/v1/oauth/validate'],
  ['GET', '/v1/oauth/jwks'],
  ['GET', '/v1/administration/departments'],
  ['GET', '/v1/administration/locations'],
  ['GET', '/v1/alerts/ongoing'],
  ['GET', '/v1/alerts/historical'],
  ['GET', '/v1/alerts/{alert_id}'],
  ['GET', '/v1/alerts/{alert_id}/affected_devices'],
  ['GET', '/v1/inventory/software'],
  ['GET', '/v1/inventory/software/{software_key}'],
  ['GET', '/v1/apps'],
  ['GET', '/v1/apps/{appid}'],
  ['GET', '/v1/apps/{appid}/score'],
  ['GET', '/v1/apps/{appid}/metrics'],
  ['GET', '/v1/apps/{appid}/users'],
  ['GET', '/v1/apps/{appid}/users/{userid}'],
  ['GET', '/v1/users'],
  ['GET', '/v1/users/{userid}'],
  ['GET', '/v1/devices'],
  ['GET', '/v1/devices/{deviceid}'],
  ['GET', '/v1/devices/{deviceid}/apps'],
  ['GET', '/v1/devices/{deviceid}/apps/{appid}'],
  ['GET', '/v1/devices/{deviceid}/apps/{appid}/web-probes'],
  ['GET', '/v1/devices/{deviceid}/apps/{appid}/web-probes/{probeid}'],
  ['GET', '/v1/devices/{deviceid}/apps/{appid}/cloudpath-probes'],
  ['GET', '/v1/devices/{deviceid}/apps/{appid}/cloudpath-probes/{probeid}'],
  ['GET', '/v1/devices/{deviceid}/apps/{appid}/cloudpath-probes/{probeid}/cloudpath'],
  ['GET', '/v1/devices/{deviceid}/apps/{appid}/call-quality-metrics'],
  ['GET', '/v1/devices/{deviceid}/health-metrics'],
  ['GET', '/v1/devices/{deviceid}/events'],
  ['GET', '/v1/active_geo'],
  ['GET', '/v1/devices/{deviceid}/deeptraces'],
  ['POST', '/v1/devices/{deviceid}/deeptraces'],
  ['GET', '/v1/devices/{deviceid}/deeptraces/{trace_id}'],
  ['DELETE', '/v1/devices/{deviceid}/deeptraces/{trace_id}'],
  ['GET', '/v1/devices/{deviceid}/deeptraces/{trace_id}/webprobe-metrics'],
  ['GET', '/v1/devices/{deviceid}/deeptraces/{trace_id}/cloudpath-metrics'],
  ['GET', '/v1/devices/{deviceid}/deeptraces/{trace_id}/cloudpath'],
  ['GET', '/v1/devices/{deviceid}/deeptraces/{trace_id}/health-metrics'],
  ['GET', '/v1/devices/{deviceid}/deeptraces/{trace_id}/events'],
  ['GET', '/v1/devices/{deviceid}/deeptraces/{trace_id}/top-processes'],
  ['POST', '/v1/analysis'],
  ['GET', '/v1/analysis/{analysis_id}'],
  ['DELETE', '/v1/analysis/{analysis_id}'],
  ['POST', '/v1/snapshot/alert'],
  ['POST', '/v1/snapshot/user'],
  ['GET', '/v1/config/departments'],
  ['GET', '/v1/config/departments/summary'],
  ['GET', '/v1/config/departments/{did}'],
  ['GET', '/v1/config/departments/{did}/users'],
  ['GET', '/v1/config/locations'],
  ['GET', '/v1/config/locations/{lid}'],
];

const key = (method: string, template: string): string => `${method} ${template}`;

describe('ZDX_ENDPOINTS', () => {
  it('lists exactly the endpoints of the API notes', () => {
    const actual = ZDX_ENDPOINTS.map((e) => key(e.method, e.template)).sort();
    const expected = EXPECTED.map(([m, t]) => key(m, t)).sort();
    expect(actual).toEqual(expected);
    expect(ZDX_ENDPOINTS).toHaveLength(53);
  });

  it('has one entry per (method, template)', () => {
    const keys = ZDX_ENDPOINTS.map((e) => key(e.method, e.template));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('uses canonical /v1 templates with {name} parameters and ZDX parameter names', () => {
    const allowedParams = new Set([
      'alert_id',
      'software_key',
      'appid',
      'userid',
      'deviceid',
      'probeid',
      'trace_id',
      'analysis_id',
      'did',
      'lid',
    ]);
    for (const { method, template } of ZDX_ENDPOINTS) {
      expect(template.startsWith('/v1/'), template).toBe(true);
      expect(method).toMatch(/^(GET|POST|PUT|PATCH|DELETE)$/);
      expect(template.endsWith('/'), template).toBe(false);
      for (const segment of template.slice(1).split('/')) {
        expect(segment, template).toMatch(/^(\{[a-z_]+\}|[a-z0-9_-]+)$/);
        if (segment.startsWith('{')) expect(allowedParams.has(segment.slice(1, -1)), template).toBe(true);
      }
    }
  });

  it('puts every endpoint in a known group and the groups where they belong', () => {
    const groups = new Set(ZDX_ENDPOINT_GROUPS);
    for (const e of ZDX_ENDPOINTS) expect(groups.has(e.group), e.template).toBe(true);
    const groupOf = (t: string, m = 'GET') => ZDX_ENDPOINTS.find((e) => e.template === t && e.method === m)?.group;
    expect(groupOf('/v1/oauth/token', 'POST')).toBe('auth');
    expect(groupOf('/v1/alerts/{alert_id}/affected_devices')).toBe('alerts');
    expect(groupOf('/v1/inventory/software/{software_key}')).toBe('inventory');
    expect(groupOf('/v1/apps/{appid}/users/{userid}')).toBe('apps');
    expect(groupOf('/v1/users/{userid}')).toBe('users');
    expect(groupOf('/v1/devices/{deviceid}/apps/{appid}/call-quality-metrics')).toBe('devices');
    expect(groupOf('/v1/devices/{deviceid}/deeptraces', 'POST')).toBe('troubleshooting');
    expect(groupOf('/v1/analysis/{analysis_id}', 'DELETE')).toBe('troubleshooting');
    expect(groupOf('/v1/snapshot/user', 'POST')).toBe('snapshots');
    expect(groupOf('/v1/config/locations/{lid}')).toBe('config');
    expect(groupOf('/v1/active_geo')).toBe('administration');
    // Every group is used.
    expect(new Set(ZDX_ENDPOINTS.map((e) => e.group))).toEqual(groups);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(ZDX_ENDPOINTS)).toBe(true);
    expect(Object.isFrozen(ZDX_ENDPOINTS[0])).toBe(true);
  });
});
