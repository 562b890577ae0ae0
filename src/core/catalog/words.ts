/*
 * The words a made-up template may keep from a path the endpoint catalog does not know. Everything else in such
 * a path becomes `{id}`: a lower-case word cannot be told from a user name (`jsmith`), a host name or a tenant,
 * so only words known in advance to be API vocabulary reach a metric label or a span name. The catalog's own
 * static segments (`devices`, `web-probes`, `ongoing`, ...) are allowed too; template.ts adds them.
 *
 * Keep the list to generic REST and ZDX API nouns and verbs. Never add words that could name a person, a
 * machine or an account (`admin`, `root`, `guest`, `test`, `me`, first names): the list is a privacy promise.
 */
import { ZDX_ENDPOINTS } from './endpoints.js';

export const API_PATH_WORDS: readonly string[] = Object.freeze([
  // Versions and prefixes.
  'api', 'zdx', 'oneapi', 'v1', 'v2', 'v3', 'v4', 'beta', 'preview', 'public', 'internal',
  // Collections and views.
  'list', 'lists', 'all', 'count', 'counts', 'summary', 'summaries', 'details', 'detail', 'info', 'overview',
  'status', 'state', 'stats', 'statistics', 'metrics', 'metric', 'score', 'scores', 'trend', 'trends',
  'history', 'historical', 'latest', 'current', 'recent', 'top', 'active', 'inactive', 'ongoing', 'timeline',
  'report', 'reports', 'export', 'exports', 'download', 'downloads', 'upload', 'import', 'batch', 'bulk',
  'search', 'query', 'filter', 'filters', 'lookup', 'lookups', 'page', 'pages',
  // Resources ZDX and its neighbours talk about.
  'app', 'apps', 'application', 'applications', 'device', 'devices', 'user', 'users', 'alert', 'alerts',
  'rule', 'rules', 'event', 'events', 'incident', 'incidents', 'issue', 'issues', 'probe', 'probes',
  'webprobe', 'webprobes', 'web-probes', 'cloudpath', 'cloudpaths', 'cloudpath-probes', 'trace', 'traces',
  'deeptrace', 'deeptraces', 'analysis', 'analyses', 'snapshot', 'snapshots', 'session', 'sessions',
  'location', 'locations', 'department', 'departments', 'geo', 'geos', 'geolocation', 'geolocations',
  'region', 'regions', 'country', 'countries', 'zone', 'zones', 'network', 'networks', 'path', 'paths',
  'hop', 'hops', 'latency', 'loss', 'jitter', 'quality', 'performance', 'experience', 'health', 'uptime',
  'process', 'processes', 'software', 'softwares', 'inventory', 'hardware', 'os', 'browser', 'browsers',
  'wifi', 'cpu', 'memory', 'disk', 'battery', 'call', 'calls', 'meeting', 'meetings',
  'group', 'groups', 'member', 'members', 'role', 'roles', 'tenant', 'tenants', 'customer', 'customers',
  'organization', 'organizations', 'org', 'orgs', 'policy', 'policies', 'profile', 'profiles',
  'category', 'categories', 'tag', 'tags', 'label', 'labels', 'type', 'types', 'schema', 'schemas',
  'config', 'configuration', 'configurations', 'settings', 'setting', 'preferences', 'options',
  'integration', 'integrations', 'notification', 'notifications', 'webhook', 'webhooks', 'subscription',
  'subscriptions', 'job', 'jobs', 'task', 'tasks', 'result', 'results', 'log', 'logs', 'audit', 'audits',
  'version', 'versions', 'metadata', 'ping', 'healthz', 'readyz', 'livez',
  // Auth endpoints (the words, never the values).
  'auth', 'oauth', 'oauth2', 'token', 'tokens', 'refresh', 'validate', 'jwks', 'login', 'logout', 'keys',
  // Actions.
  'start', 'stop', 'cancel', 'retry', 'run', 'create', 'update', 'delete', 'enable', 'disable', 'new',
]);

/**
 * Every word a path segment may be and still be shown as it is (in made-up templates, and in `url.path` /
 * `url.full` by the redactor): `API_PATH_WORDS` plus every static segment of the catalog. Exact, case-sensitive.
 */
export const PATH_WORDS: ReadonlySet<string> = (() => {
  const words = new Set(API_PATH_WORDS);
  for (const { template } of ZDX_ENDPOINTS) {
    for (const segment of template.split('/')) if (segment !== '' && !segment.startsWith('{')) words.add(segment);
  }
  return words;
})();
