/*
 * The ZDX API endpoints as data. Route templating, the simulator, dashboards and docs are all generated from
 * this list, so it is the single place to add an endpoint. Sources and open questions: the ZDX API research
 * notes (help reference guide, the official Python and Go SDKs, the Automation Hub capture).
 *
 * Templates are canonical: they always start with `/v1/` (the direct-host form; OneAPI's `/zdx` prefix is
 * stripped before lookup) and use ZDX's own path parameter names.
 */

/** The reference-guide section an endpoint belongs to; used to group endpoints in dashboards and docs. */
export type ZdxEndpointGroup =
  | 'auth'
  | 'administration'
  | 'alerts'
  | 'inventory'
  | 'apps'
  | 'users'
  | 'devices'
  | 'troubleshooting'
  | 'snapshots'
  | 'config';

/** Every group, in the order the ZDX reference guide presents them. */
export const ZDX_ENDPOINT_GROUPS: readonly ZdxEndpointGroup[] = Object.freeze([
  'auth',
  'administration',
  'alerts',
  'inventory',
  'apps',
  'users',
  'devices',
  'troubleshooting',
  'snapshots',
  'config',
] as const);

export interface ZdxEndpoint {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Canonical path template, e.g. `/v1/devices/{deviceid}/apps/{appid}`. */
  readonly template: string;
  readonly group: ZdxEndpointGroup;
}

function ep(method: string, template: string, group: ZdxEndpointGroup): ZdxEndpoint {
  return Object.freeze({ method, template, group });
}

const deeptrace = '/v1/devices/{deviceid}/deeptraces/{trace_id}';

export const ZDX_ENDPOINTS: readonly ZdxEndpoint[] = Object.freeze([
  // API authentication (direct host only; OneAPI tokens come from ZIdentity, which is not a ZDX host).
  ep('POST', '/v1/oauth/token', 'auth'),
  ep('GET', '/v1/oauth/validate', 'auth'),
  ep('GET', '/v1/oauth/jwks', 'auth'),

  // Administration: the filter look-ups (department, location and geolocation ids used as `dept`/`loc`/`geo`).
  ep('GET', '/v1/administration/departments', 'administration'),
  ep('GET', '/v1/administration/locations', 'administration'),
  // Listed among the device reports in the help, but it is a look-up of `geo` filter ids like the two above.
  ep('GET', '/v1/active_geo', 'administration'),

  ep('GET', '/v1/alerts/ongoing', 'alerts'),
  ep('GET', '/v1/alerts/historical', 'alerts'),
  ep('GET', '/v1/alerts/{alert_id}', 'alerts'),
  ep('GET', '/v1/alerts/{alert_id}/affected_devices', 'alerts'),

  // The SDKs send `software`; help and the Automation Hub write `softwares`. Both map to this spelling.
  ep('GET', '/v1/inventory/software', 'inventory'),
  ep('GET', '/v1/inventory/software/{software_key}', 'inventory'),

  ep('GET', '/v1/apps', 'apps'),
  ep('GET', '/v1/apps/{appid}', 'apps'),
  ep('GET', '/v1/apps/{appid}/score', 'apps'),
  ep('GET', '/v1/apps/{appid}/metrics', 'apps'),
  ep('GET', '/v1/apps/{appid}/users', 'apps'),
  ep('GET', '/v1/apps/{appid}/users/{userid}', 'apps'),

  ep('GET', '/v1/users', 'users'),
  ep('GET', '/v1/users/{userid}', 'users'),

  ep('GET', '/v1/devices', 'devices'),
  ep('GET', '/v1/devices/{deviceid}', 'devices'),
  ep('GET', '/v1/devices/{deviceid}/apps', 'devices'),
  ep('GET', '/v1/devices/{deviceid}/apps/{appid}', 'devices'),
  ep('GET', '/v1/devices/{deviceid}/apps/{appid}/web-probes', 'devices'),
  ep('GET', '/v1/devices/{deviceid}/apps/{appid}/web-probes/{probeid}', 'devices'),
  ep('GET', '/v1/devices/{deviceid}/apps/{appid}/cloudpath-probes', 'devices'),
  ep('GET', '/v1/devices/{deviceid}/apps/{appid}/cloudpath-probes/{probeid}', 'devices'),
  ep('GET', '/v1/devices/{deviceid}/apps/{appid}/cloudpath-probes/{probeid}/cloudpath', 'devices'),
  ep('GET', '/v1/devices/{deviceid}/apps/{appid}/call-quality-metrics', 'devices'),
  ep('GET', '/v1/devices/{deviceid}/health-metrics', 'devices'),
  ep('GET', '/v1/devices/{deviceid}/events', 'devices'),

  // Troubleshooting: deep traces and analyses.
  ep('GET', '/v1/devices/{deviceid}/deeptraces', 'troubleshooting'),
  ep('POST', '/v1/devices/{deviceid}/deeptraces', 'troubleshooting'),
  ep('GET', deeptrace, 'troubleshooting'),
  ep('DELETE', deeptrace, 'troubleshooting'),
  ep('GET', `${deeptrace}/webprobe-metrics`, 'troubleshooting'),
  ep('GET', `${deeptrace}/cloudpath-metrics`, 'troubleshooting'),
  ep('GET', `${deeptrace}/cloudpath`, 'troubleshooting'),
  ep('GET', `${deeptrace}/health-metrics`, 'troubleshooting'),
  ep('GET', `${deeptrace}/events`, 'troubleshooting'),
  ep('GET', `${deeptrace}/top-processes`, 'troubleshooting'),
  ep('POST', '/v1/analysis', 'troubleshooting'),
  ep('GET', '/v1/analysis/{analysis_id}', 'troubleshooting'),
  ep('DELETE', '/v1/analysis/{analysis_id}', 'troubleshooting'),

  // The Automation Hub serves these without `/v1` on OneAPI (`/zdx/snapshot/alert`); templating maps both forms here.
  ep('POST', '/v1/snapshot/alert', 'snapshots'),
  ep('POST', '/v1/snapshot/user', 'snapshots'),

  // Automation Hub configuration endpoints seen so far (page-number pagination). Parameter names are the hub's.
  ep('GET', '/v1/config/departments', 'config'),
  ep('GET', '/v1/config/departments/summary', 'config'),
  ep('GET', '/v1/config/departments/{did}', 'config'),
  ep('GET', '/v1/config/departments/{did}/users', 'config'),
  ep('GET', '/v1/config/locations', 'config'),
  ep('GET', '/v1/config/locations/{lid}', 'config'),
]);
