/*
 * What each catalog endpoint answers. Handlers are pure functions of the request context and the simulated
 * tenant (data.ts); they throw `HttpError` for 400/404/409/429 answers. Catalog endpoints without a handler
 * here (added to the catalog later) get a generic plausible answer, so every catalog endpoint is served.
 */
import type { ZdxEndpoint } from '../../core/catalog/endpoints.js';
import type { TokenAuthority } from './auth.js';
import {
  ANALYSIS_MS,
  SERIES_STEP_SECONDS,
  TRACE_PENDING_MS,
  geoOf,
  type Dataset,
  type DeepTrace,
  type Device,
  type Geo,
} from './data.js';
import { HttpError, validationError } from './errors.js';
import { DATA_SPAN_SECONDS, intList, oneOf, page, pageRequest, timeWindow, type TimeWindow } from './query.js';
import { seedToInt } from './random.js';

export interface RequestContext {
  readonly endpoint: ZdxEndpoint;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Parsed JSON body, or undefined. */
  readonly body: unknown;
  /** Simulator clock, ms. */
  readonly nowMs: number;
  readonly data: Dataset;
  readonly tokens: TokenAuthority;
}

export interface HandlerResult {
  readonly status: number;
  /** JSON-serialisable; undefined = no body. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

type Handler = (ctx: RequestContext) => HandlerResult;

/** Deep-trace limits from the ZDX help: one active session per device, 15 across the tenant. */
export const MAX_TRACES_PER_DEVICE = 1;
export const MAX_ACTIVE_TRACES = 15;
const SESSION_LENGTHS = [5, 15, 30, 60];
const APP_METRICS = ['pft', 'dns', 'availability', 'server_response_time', 'e2e_latency', 'hop_count', 'packet_loss'];
const OBFUSCATION = ['USER_NAME', 'LOCATION', 'DEVICE_NAME', 'IP_ADDRESS', 'WIFI_NAME'];

const ok = (body: unknown, status = 200): HandlerResult => ({ status, body });

/** Runs the handler of `ctx.endpoint`. */
export function handle(ctx: RequestContext): HandlerResult {
  const handler = HANDLERS[`${ctx.endpoint.method} ${ctx.endpoint.template}`] ?? generic;
  return handler(ctx);
}

/** Whether `endpoint` takes the `from`/`to` window (every GET outside the auth group). */
export function usesTimeWindow(endpoint: ZdxEndpoint): boolean {
  return endpoint.method === 'GET' && endpoint.group !== 'auth';
}

// ---------- helpers ----------

function numericParam(ctx: RequestContext, name: string): number {
  const raw = ctx.params[name] ?? '';
  if (!/^\d{1,15}$/.test(raw)) throw validationError([`${name}: must be a numeric id, got ${JSON.stringify(raw)}`]);
  return Number(raw);
}

function notFound(what: string): HttpError {
  return new HttpError(404, `${what} not found`);
}

function window(ctx: RequestContext): TimeWindow {
  return timeWindow(ctx.query, ctx.nowMs);
}

/** The part of the window a report call returns data for: ZDX serves 2 hours per request from `from`. */
function dataSpan(ctx: RequestContext): TimeWindow {
  const w = window(ctx);
  return { from: w.from, to: Math.min(w.to, w.from + DATA_SPAN_SECONDS) };
}

function deviceOf(ctx: RequestContext): Device {
  const id = numericParam(ctx, 'deviceid');
  const device = ctx.data.device(id);
  if (device === undefined) throw notFound(`device ${id}`);
  return device;
}

function appOf(ctx: RequestContext, device?: Device): number {
  const id = numericParam(ctx, 'appid');
  if (ctx.data.app(id) === undefined || (device !== undefined && !device.apps.includes(id))) {
    throw notFound(device === undefined ? `application ${id}` : `application ${id} on device ${device.id}`);
  }
  return id;
}

/** A cursor list name for this endpoint, its path ids and its filters, kept short. */
function listName(ctx: RequestContext): string {
  const filters = [...ctx.query.entries()].filter(
    ([k]) => k !== 'offset' && k !== 'limit' && k !== 'from' && k !== 'to',
  );
  const key = `${ctx.endpoint.template}|${Object.values(ctx.params).join('/')}|${JSON.stringify(filters)}`;
  return seedToInt(key).toString(36);
}

function paged<T>(ctx: RequestContext, key: string, items: readonly T[]): HandlerResult {
  const list = listName(ctx);
  const { items: slice, next_offset } = page(items, pageRequest(ctx.query, list), list);
  return ok({ [key]: slice, next_offset });
}

function geoCities(geos: readonly Geo[], id: string): Set<string> {
  const out = new Set<string>();
  const walk = (g: Geo, inside: boolean): void => {
    const here = inside || g.id === id;
    if (here && g.geo_type === 'city') out.add(g.id);
    g.children.forEach((c) => walk(c, here));
  };
  geos.forEach((g) => walk(g, false));
  return out;
}

/** Keeps users that match the `loc`/`dept`/`geo` filters (and not the `exclude_*` ones). */
function userFilter(ctx: RequestContext): (u: { locationId: number; departmentId: number; geoId: string }) => boolean {
  const q = ctx.query;
  const loc = intList(q, 'loc');
  const dept = intList(q, 'dept');
  const geo = q.getAll('geo');
  const xLoc = intList(q, 'exclude_loc');
  const xDept = intList(q, 'exclude_dept');
  const xGeo = q.getAll('exclude_geo');
  const cities = geo.length > 0 ? new Set(geo.flatMap((g) => [...geoCities(ctx.data.geos, g)])) : undefined;
  const xCities = new Set(xGeo.flatMap((g) => [...geoCities(ctx.data.geos, g)]));
  return (u) =>
    (loc === undefined || loc.includes(u.locationId)) &&
    (dept === undefined || dept.includes(u.departmentId)) &&
    (cities === undefined || cities.has(u.geoId)) &&
    !(xLoc ?? []).includes(u.locationId) &&
    !(xDept ?? []).includes(u.departmentId) &&
    !xCities.has(u.geoId);
}

function userSummary(ctx: RequestContext, userId: number) {
  const user = ctx.data.user(userId);
  return user === undefined ? undefined : { id: user.id, name: user.name, email: user.email };
}

/** The score of `key` for the window `w`: a per-key baseline, drifting slowly over the report steps. */
function score(ctx: RequestContext, key: string, w: TimeWindow): number {
  return ctx.data.scoreAt(key, ctx.data.random(key).int(45, 92), w.to);
}

/** A seed suffix that changes once per report step of the window's end, not with every second of `from`. */
function stepOf(w: TimeWindow): number {
  return Math.floor(w.to / SERIES_STEP_SECONDS);
}

function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validationError(['body: expected a JSON object'], 'invalid request body');
  }
  return body as Record<string, unknown>;
}

function intField(body: Record<string, unknown>, name: string, details: string[], required = true): number | undefined {
  const value = body[name];
  if (value === undefined) {
    if (required) details.push(`${name}: required`);
    return undefined;
  }
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    details.push(`${name}: must be a non-negative integer`);
    return undefined;
  }
  return n;
}

function stringField(body: Record<string, unknown>, name: string, details: string[]): string | undefined {
  const value = body[name];
  if (typeof value !== 'string' || value.trim() === '') {
    details.push(`${name}: required, a non-empty string`);
    return undefined;
  }
  return value;
}

// ---------- deep traces ----------

function traceStatus(trace: DeepTrace, nowMs: number): 'pending' | 'in_progress' | 'completed' {
  const elapsed = nowMs - trace.createdMs;
  if (elapsed < TRACE_PENDING_MS) return 'pending';
  if (elapsed < TRACE_PENDING_MS + trace.session_length_minutes * 60_000) return 'in_progress';
  return 'completed';
}

function traceBody(ctx: RequestContext, trace: DeepTrace) {
  const status = traceStatus(trace, ctx.nowMs);
  const device = ctx.data.device(trace.deviceId);
  const user = device === undefined ? undefined : ctx.data.user(device.userid);
  const startMs = trace.createdMs + TRACE_PENDING_MS;
  return {
    trace_id: trace.trace_id,
    // Ids are strings here: the Go SDK's TraceDetails model reads them as strings (its other models use ints).
    trace_details: {
      session_name: trace.session_name,
      user_id: user === undefined ? null : String(user.id),
      username: user?.email ?? null,
      device_id: String(trace.deviceId),
      device_name: device?.name ?? null,
      session_length_minutes: trace.session_length_minutes,
      probe_device: trace.probe_device,
      app_id: trace.app_id === undefined ? null : String(trace.app_id),
      app_name: trace.app_id === undefined ? null : (ctx.data.app(trace.app_id)?.name ?? null),
    },
    status,
    expected_time_minutes: trace.session_length_minutes,
    created_at: Math.floor(trace.createdMs / 1000),
    started_at: status === 'pending' ? null : Math.floor(startMs / 1000),
    ended_at: status === 'completed' ? Math.floor((startMs + trace.session_length_minutes * 60_000) / 1000) : null,
  };
}

function traceOf(ctx: RequestContext): DeepTrace {
  const device = deviceOf(ctx);
  const id = ctx.params.trace_id ?? '';
  const trace = ctx.data.deepTraces.get(id);
  if (trace === undefined || trace.deviceId !== device.id) throw notFound(`deep trace ${id} on device ${device.id}`);
  return trace;
}

/** The span a trace has collected data for so far, or undefined while it is pending. */
function traceSpan(ctx: RequestContext, trace: DeepTrace): TimeWindow | undefined {
  if (traceStatus(trace, ctx.nowMs) === 'pending') return undefined;
  const from = Math.floor((trace.createdMs + TRACE_PENDING_MS) / 1000);
  const end = from + trace.session_length_minutes * 60;
  return { from, to: Math.min(end, Math.floor(ctx.nowMs / 1000)) };
}

function startTrace(ctx: RequestContext): HandlerResult {
  const device = deviceOf(ctx);
  const body = requireObject(ctx.body);
  const details: string[] = [];
  const sessionName = stringField(body, 'session_name', details);
  const appId = intField(body, 'app_id', details, false);
  intField(body, 'web_probe_id', details, false);
  intField(body, 'cloudpath_probe_id', details, false);
  intField(body, 'cloud_path_probe_id', details, false);
  const length = intField(body, 'session_length_minutes', details, false) ?? 5;
  if (!SESSION_LENGTHS.includes(length))
    details.push(`session_length_minutes: must be one of ${SESSION_LENGTHS.join(', ')}`);
  if (body.probe_device !== undefined && typeof body.probe_device !== 'boolean')
    details.push('probe_device: must be true or false');
  if (details.length > 0 || sessionName === undefined) throw validationError(details, 'invalid deep trace request');
  if (appId !== undefined && ctx.data.app(appId) === undefined) throw notFound(`application ${appId}`);
  const active = [...ctx.data.deepTraces.values()].filter((t) => traceStatus(t, ctx.nowMs) !== 'completed');
  if (active.filter((t) => t.deviceId === device.id).length >= MAX_TRACES_PER_DEVICE) {
    throw new HttpError(409, `device ${device.id} already has an active deep trace session`);
  }
  // ZDX's 429 covers "the rate limit or device threshold"; the tenant-wide session cap is such a threshold.
  if (active.length >= MAX_ACTIVE_TRACES) {
    throw new HttpError(
      429,
      `the tenant already has ${MAX_ACTIVE_TRACES} active deep trace sessions (device threshold)`,
    );
  }
  const trace: DeepTrace = {
    trace_id: ctx.data.newTraceId(),
    deviceId: device.id,
    session_name: sessionName,
    session_length_minutes: length,
    probe_device: body.probe_device !== false,
    app_id: appId,
    createdMs: ctx.nowMs,
  };
  ctx.data.deepTraces.set(trace.trace_id, trace);
  return ok(traceBody(ctx, trace));
}

// ---------- handlers ----------

const DT = '/v1/devices/{deviceid}/deeptraces/{trace_id}';

const HANDLERS: Readonly<Record<string, Handler>> = {
  'POST /v1/oauth/token': (ctx) => {
    const result = ctx.tokens.issueFromBody(ctx.body);
    if (!result.ok) throw new HttpError(result.status, result.message, result.details);
    return ok(result.body);
  },
  'GET /v1/oauth/validate': () => ok({ valid: true }),
  'GET /v1/oauth/jwks': (ctx) => ok(ctx.tokens.jwks()),

  'GET /v1/administration/departments': (ctx) => {
    window(ctx);
    const q = (ctx.query.get('search') ?? ctx.query.get('q') ?? '').toLowerCase();
    return ok(ctx.data.departments.filter((d) => d.name.toLowerCase().includes(q)));
  },
  'GET /v1/administration/locations': (ctx) => {
    window(ctx);
    const q = (ctx.query.get('q') ?? ctx.query.get('search') ?? '').toLowerCase();
    return ok(ctx.data.locations.filter((l) => l.name.toLowerCase().includes(q)));
  },
  'GET /v1/active_geo': (ctx) => {
    window(ctx);
    const parent = ctx.query.get('parent_geo_id');
    if (parent === null) return ok(ctx.data.geos);
    const find = (gs: readonly Geo[]): Geo | undefined =>
      gs.reduce<Geo | undefined>((hit, g) => hit ?? (g.id === parent ? g : find(g.children)), undefined);
    const node = find(ctx.data.geos);
    if (node === undefined) throw notFound(`geolocation ${parent}`);
    return ok(node.children);
  },

  'GET /v1/alerts/ongoing': (ctx) => alertList(ctx, true),
  'GET /v1/alerts/historical': (ctx) => alertList(ctx, false),
  'GET /v1/alerts/{alert_id}': (ctx) => {
    const alert = alertOf(ctx);
    return ok({ ...alertBody(ctx, alert), num_devices: alert.deviceIds.length });
  },
  'GET /v1/alerts/{alert_id}/affected_devices': (ctx) => {
    const alert = alertOf(ctx);
    const devices = alert.deviceIds.map((id) => {
      const d = ctx.data.device(id);
      const u = d === undefined ? undefined : ctx.data.user(d.userid);
      return { id, name: d?.name ?? '', userid: u?.id ?? null, userName: u?.name ?? null, userEmail: u?.email ?? null };
    });
    return paged(ctx, 'devices', devices);
  },

  'GET /v1/inventory/software': (ctx) => {
    const filter = deviceFilter(ctx);
    const items = ctx.data.software.map((s) => {
      const devices = s.deviceIds.filter(filter);
      const users = new Set(devices.map((id) => ctx.data.device(id)?.userid));
      return {
        software_key: s.software_key,
        software_name: s.software_name,
        vendor: s.vendor,
        software_group: s.software_group,
        sw_install_type: s.sw_install_type,
        user_total: users.size,
        device_total: devices.length,
      };
    });
    return paged(ctx, 'software', items);
  },
  'GET /v1/inventory/software/{software_key}': (ctx) => {
    window(ctx);
    const key = ctx.params.software_key ?? '';
    const sw = ctx.data.softwareItem(key);
    if (sw === undefined) throw notFound(`software ${key}`);
    const filter = deviceFilter(ctx);
    const items = sw.deviceIds.filter(filter).map((id) => {
      const d = ctx.data.device(id)!;
      const u = ctx.data.user(d.userid);
      return {
        software_key: sw.software_key,
        software_name: sw.software_name,
        software_version: sw.version,
        software_group: sw.software_group,
        os: d.os,
        vendor: sw.vendor,
        sw_install_type: sw.sw_install_type,
        hostname: d.name.split(' ')[0],
        username: u?.email ?? null,
        user_id: d.userid,
        device_id: d.id,
        install_date: '2025-03-14',
      };
    });
    return paged(ctx, 'software', items);
  },

  'GET /v1/apps': (ctx) => {
    const w = window(ctx);
    return ok(ctx.data.apps.map((a) => appSummary(ctx, a.id, w)));
  },
  'GET /v1/apps/{appid}': (ctx) => {
    const w = window(ctx);
    const id = appOf(ctx);
    const r = ctx.data.random(`app-stats|${id}|${stepOf(w)}`);
    const users = ctx.data.app(id)!.total_users;
    const poor = r.int(0, Math.floor(users / 5));
    const okay = r.int(0, Math.floor(users / 3));
    return ok({
      ...appSummary(ctx, id, w),
      stats: {
        active_users: users,
        active_devices: users + r.int(0, 10),
        num_poor: poor,
        num_okay: okay,
        num_good: Math.max(0, users - poor - okay),
      },
    });
  },
  'GET /v1/apps/{appid}/score': (ctx) => {
    const id = appOf(ctx);
    const s = dataSpan(ctx);
    return ok([ctx.data.series(`app|${id}`, 'score', '', s.from, s.to, 80, 8)]);
  },
  'GET /v1/apps/{appid}/metrics': (ctx) => {
    const id = appOf(ctx);
    const metric = oneOf(ctx.query, 'metric_name', APP_METRICS) ?? 'pft';
    const s = dataSpan(ctx);
    const unit = metric === 'availability' || metric === 'packet_loss' ? '%' : metric === 'hop_count' ? '' : 'ms';
    const base = unit === '%' ? (metric === 'availability' ? 99 : 0.5) : metric === 'hop_count' ? 12 : 180;
    return ok([ctx.data.series(`app|${id}`, metric, unit, s.from, s.to, base, base / 10)]);
  },
  'GET /v1/apps/{appid}/users': (ctx) => {
    const id = appOf(ctx);
    const w = window(ctx);
    const bucket = oneOf(ctx.query, 'score_bucket', ['poor', 'okay', 'good']);
    const keep = userFilter(ctx);
    const users = ctx.data.users
      .filter((u) => keep(u) && u.deviceIds.some((d) => ctx.data.device(d)?.apps.includes(id)))
      .map((u) => ({ id: u.id, name: u.name, email: u.email, score: score(ctx, `app-user|${id}|${u.id}`, w) }))
      .filter((u) => bucket === undefined || scoreBucket(u.score) === bucket);
    return paged(ctx, 'users', users);
  },
  'GET /v1/apps/{appid}/users/{userid}': (ctx) => {
    const id = appOf(ctx);
    const w = window(ctx);
    const userId = numericParam(ctx, 'userid');
    const user = ctx.data.user(userId);
    const devices = user?.deviceIds.map((d) => ctx.data.device(d)!).filter((d) => d.apps.includes(id)) ?? [];
    if (user === undefined || devices.length === 0) throw notFound(`user ${userId} of application ${id}`);
    return ok({
      id: user.id,
      name: user.name,
      email: user.email,
      score: score(ctx, `app-user|${id}|${user.id}`, w),
      devices: devices.map((d) => ({ id: d.id, name: d.name, score: score(ctx, `app-device|${id}|${d.id}`, w) })),
    });
  },

  'GET /v1/users': (ctx) => {
    window(ctx);
    const keep = userFilter(ctx);
    const q = (ctx.query.get('q') ?? '').toLowerCase();
    const users = ctx.data.users
      .filter((u) => keep(u) && (q === '' || u.name.toLowerCase().includes(q) || u.email.includes(q)))
      .slice(0, 1000)
      .map((u) => userBody(ctx, u.id));
    return paged(ctx, 'users', users);
  },
  'GET /v1/users/{userid}': (ctx) => {
    window(ctx);
    const id = numericParam(ctx, 'userid');
    if (ctx.data.user(id) === undefined) throw notFound(`user ${id}`);
    return ok(userBody(ctx, id));
  },

  'GET /v1/devices': (ctx) => {
    window(ctx);
    const keep = deviceFilter(ctx);
    const userIds = intList(ctx.query, 'userids');
    const emails = ctx.query
      .getAll('emails')
      .flatMap((e) => e.split(','))
      .map((e) => e.toLowerCase());
    const devices = ctx.data.devices
      .filter((d) => keep(d.id))
      .filter((d) => userIds === undefined || userIds.includes(d.userid))
      .filter((d) => emails.length === 0 || emails.includes(ctx.data.user(d.userid)?.email ?? ''))
      .map((d) => {
        const u = userSummary(ctx, d.userid);
        return { id: d.id, name: d.name, userid: d.userid, userName: u?.name ?? null, userEmail: u?.email ?? null };
      });
    return paged(ctx, 'devices', devices);
  },
  'GET /v1/devices/{deviceid}': (ctx) => {
    window(ctx);
    const d = deviceOf(ctx);
    const r = ctx.data.random(`device|${d.id}`);
    return ok({
      id: d.id,
      name: d.name,
      hardware: {
        hw_model: d.model,
        hw_mfg: d.model.split(' ')[0],
        hw_type: 'Laptop',
        hw_serial: `SN${String(d.id).slice(-6)}`,
        tot_mem: 16_384,
        gpu: 'Integrated',
        disk_size: 512,
        disk_model: 'NVMe SSD',
        disk_type: 'SSD',
        cpu_mfg: 'Intel',
        cpu_model: 'Core i7',
        speed_ghz: 2.8,
        logical_proc: 8,
        num_cores: 4,
      },
      network: [
        {
          net_type: r.pick(['Wi-Fi', 'Ethernet']),
          status: 'Up',
          ipv4: `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(2, 254)}`,
          ipv6: '',
          dns_srvs: '10.0.0.53',
          dns_suffix: 'corp.example.com',
          gateway: '10.0.0.1',
          mac: `02:00:${r.int(16, 99)}:${r.int(10, 99)}:${r.int(10, 99)}:${r.int(10, 99)}`,
          guid: `{${String(d.id)}}`,
        },
      ],
      software: {
        os_name: d.os,
        os_ver: d.os.split(' ').pop(),
        hostname: d.name.split(' ')[0],
        netbios: d.name.split(' ')[0],
        user: ctx.data.user(d.userid)?.email ?? '',
        client_conn_ver: '4.5.0.198',
        zdx_ver: '4.5.0.62',
      },
    });
  },
  'GET /v1/devices/{deviceid}/apps': (ctx) => {
    const w = window(ctx);
    const d = deviceOf(ctx);
    return ok(
      d.apps.map((id) => ({ id, name: ctx.data.app(id)!.name, score: score(ctx, `app-device|${id}|${d.id}`, w) })),
    );
  },
  'GET /v1/devices/{deviceid}/apps/{appid}': (ctx) => {
    const d = deviceOf(ctx);
    const id = appOf(ctx, d);
    const s = dataSpan(ctx);
    return ok([ctx.data.series(`device-app|${d.id}|${id}`, 'score', '', s.from, s.to, 78, 10, 0.05)]);
  },
  'GET /v1/devices/{deviceid}/apps/{appid}/web-probes': (ctx) => {
    const w = window(ctx);
    const d = deviceOf(ctx);
    const id = appOf(ctx, d);
    return ok(
      ctx.data.app(id)!.webProbes.map((p) => {
        const r = ctx.data.random(`wp|${d.id}|${p.id}|${stepOf(w)}`);
        return {
          id: p.id,
          name: p.name,
          num_probes: r.int(10, 24),
          avg_score: score(ctx, `wp|${d.id}|${p.id}`, w),
          avg_pft: r.int(120, 900),
        };
      }),
    );
  },
  'GET /v1/devices/{deviceid}/apps/{appid}/web-probes/{probeid}': (ctx) => {
    const d = deviceOf(ctx);
    const id = appOf(ctx, d);
    const probe = probeOf(ctx, id, 'web');
    const s = dataSpan(ctx);
    const key = `wp|${d.id}|${probe}`;
    return ok([
      ctx.data.series(key, 'pft', 'ms', s.from, s.to, 420, 90),
      ctx.data.series(key, 'dns', 'ms', s.from, s.to, 24, 6),
      ctx.data.series(key, 'availability', '%', s.from, s.to, 99, 1),
    ]);
  },
  'GET /v1/devices/{deviceid}/apps/{appid}/cloudpath-probes': (ctx) => {
    const w = window(ctx);
    const d = deviceOf(ctx);
    const id = appOf(ctx, d);
    return ok(
      ctx.data.app(id)!.cloudpathProbes.map((p) => {
        const r = ctx.data.random(`cp|${d.id}|${p.id}|${stepOf(w)}`);
        return {
          id: p.id,
          name: p.name,
          num_probes: r.int(10, 24),
          avg_latencies: legs(ctx.data.app(id)!.name).map(([src, dst]) => ({
            leg_src: src,
            leg_dst: dst,
            latency: r.int(2, 60),
          })),
        };
      }),
    );
  },
  'GET /v1/devices/{deviceid}/apps/{appid}/cloudpath-probes/{probeid}': (ctx) => {
    const d = deviceOf(ctx);
    const id = appOf(ctx, d);
    const probe = probeOf(ctx, id, 'cloudpath');
    const s = dataSpan(ctx);
    return ok(
      legs(ctx.data.app(id)!.name).map(([src, dst], i) => ({
        leg_src: src,
        leg_dst: dst,
        stats: [ctx.data.series(`cp|${d.id}|${probe}|${i}`, 'latency', 'ms', s.from, s.to, 12 + i * 10, 3)],
      })),
    );
  },
  'GET /v1/devices/{deviceid}/apps/{appid}/cloudpath-probes/{probeid}/cloudpath': (ctx) => {
    const d = deviceOf(ctx);
    const id = appOf(ctx, d);
    const probe = probeOf(ctx, id, 'cloudpath');
    return ok(cloudpath(ctx, `cp-hops|${d.id}|${probe}`, dataSpan(ctx), ctx.data.app(id)!.name));
  },
  'GET /v1/devices/{deviceid}/apps/{appid}/call-quality-metrics': (ctx) => {
    const d = deviceOf(ctx);
    const id = appOf(ctx, d);
    const s = dataSpan(ctx);
    const key = `cq|${d.id}|${id}`;
    return ok([
      {
        meet_id: `${id}${String(d.id).slice(-5)}`,
        meet_session_id: `${s.from}-${d.id}`,
        meet_subject: 'Weekly sync',
        metrics: [
          ctx.data.series(key, 'jitter', 'ms', s.from, s.to, 8, 3),
          ctx.data.series(key, 'latency', 'ms', s.from, s.to, 45, 12),
          ctx.data.series(key, 'packet_loss', '%', s.from, s.to, 0.4, 0.3),
        ],
      },
    ]);
  },
  'GET /v1/devices/{deviceid}/health-metrics': (ctx) => {
    const d = deviceOf(ctx);
    return ok(health(ctx, `health|${d.id}`, dataSpan(ctx)));
  },
  'GET /v1/devices/{deviceid}/events': (ctx) => {
    const d = deviceOf(ctx);
    return ok(events(ctx, `events|${d.id}`, dataSpan(ctx)));
  },

  'GET /v1/devices/{deviceid}/deeptraces': (ctx) => {
    const d = deviceOf(ctx);
    return ok([...ctx.data.deepTraces.values()].filter((t) => t.deviceId === d.id).map((t) => traceBody(ctx, t)));
  },
  'POST /v1/devices/{deviceid}/deeptraces': startTrace,
  [`GET ${DT}`]: (ctx) => ok(traceBody(ctx, traceOf(ctx))),
  [`DELETE ${DT}`]: (ctx) => {
    const trace = traceOf(ctx);
    ctx.data.deepTraces.delete(trace.trace_id);
    return ok({ trace_id: trace.trace_id, status: 'deleted' });
  },
  [`GET ${DT}/webprobe-metrics`]: (ctx) => {
    const t = traceOf(ctx);
    const s = traceSpan(ctx, t);
    if (s === undefined) return ok([]);
    const key = `dt|${t.trace_id}`;
    return ok([
      ctx.data.series(key, 'pft', 'ms', s.from, s.to, 400, 80, 0),
      ctx.data.series(key, 'dns', 'ms', s.from, s.to, 20, 5),
    ]);
  },
  [`GET ${DT}/cloudpath-metrics`]: (ctx) => {
    const t = traceOf(ctx);
    const s = traceSpan(ctx, t);
    if (s === undefined) return ok([]);
    return ok(
      legs('Application').map(([src, dst], i) => ({
        leg_src: src,
        leg_dst: dst,
        stats: [ctx.data.series(`dt|${t.trace_id}|${i}`, 'latency', 'ms', s.from, s.to, 12 + i * 10, 3)],
      })),
    );
  },
  [`GET ${DT}/cloudpath`]: (ctx) => {
    const t = traceOf(ctx);
    const s = traceSpan(ctx, t);
    return ok(s === undefined ? [] : cloudpath(ctx, `dt-hops|${t.trace_id}`, s, 'Application'));
  },
  [`GET ${DT}/health-metrics`]: (ctx) => {
    const t = traceOf(ctx);
    const s = traceSpan(ctx, t);
    return ok(s === undefined ? [] : health(ctx, `dt-health|${t.trace_id}`, s));
  },
  [`GET ${DT}/events`]: (ctx) => {
    const t = traceOf(ctx);
    const s = traceSpan(ctx, t);
    return ok(s === undefined ? [] : events(ctx, `dt-events|${t.trace_id}`, s));
  },
  [`GET ${DT}/top-processes`]: (ctx) => {
    const t = traceOf(ctx);
    const s = traceSpan(ctx, t);
    if (s === undefined) return ok([]);
    const r = ctx.data.random(`dt-top|${t.trace_id}`);
    return ok([
      {
        timestamp: s.from,
        top_processes: [
          {
            category: 'cpu',
            processes: [
              { name: 'MsMpEng.exe', id: r.int(1000, 9999) },
              { name: 'chrome.exe', id: r.int(1000, 9999) },
            ],
          },
          {
            category: 'memory',
            processes: [
              { name: 'Teams.exe', id: r.int(1000, 9999) },
              { name: 'chrome.exe', id: r.int(1000, 9999) },
            ],
          },
        ],
      },
    ]);
  },

  'POST /v1/analysis': (ctx) => {
    const body = requireObject(ctx.body);
    const details: string[] = [];
    const deviceId = intField(body, 'device_id', details);
    const appId = intField(body, 'app_id', details);
    const t0 = intField(body, 't0', details);
    const t1 = intField(body, 't1', details);
    if (t0 !== undefined && t1 !== undefined && t0 >= t1) details.push('t0 must be earlier than t1');
    if (details.length > 0 || deviceId === undefined || appId === undefined || t0 === undefined || t1 === undefined) {
      throw validationError(details, 'invalid analysis request');
    }
    if (ctx.data.device(deviceId) === undefined) throw notFound(`device ${deviceId}`);
    if (ctx.data.app(appId) === undefined) throw notFound(`application ${appId}`);
    const analysis = {
      analysis_id: ctx.data.newAnalysisId(),
      device_id: deviceId,
      app_id: appId,
      t0,
      t1,
      createdMs: ctx.nowMs,
    };
    ctx.data.analyses.set(analysis.analysis_id, analysis);
    return ok({ analysis_id: analysis.analysis_id });
  },
  'GET /v1/analysis/{analysis_id}': (ctx) => {
    const a = analysisOf(ctx);
    const done = ctx.nowMs - a.createdMs >= ANALYSIS_MS;
    return ok({
      analysis_id: a.analysis_id,
      status: done ? 'completed' : 'in_progress',
      err_msg: '',
      result: done
        ? {
            issue: 'High DNS resolution time',
            confidence: 82,
            message: `DNS time on device ${a.device_id} rose above its baseline`,
            times: [a.t0, a.t1],
          }
        : null,
    });
  },
  'DELETE /v1/analysis/{analysis_id}': (ctx) => {
    const a = analysisOf(ctx);
    ctx.data.analyses.delete(a.analysis_id);
    return ok({ analysis_id: a.analysis_id, status: 'deleted' });
  },

  'POST /v1/snapshot/alert': (ctx) => {
    const body = requireObject(ctx.body);
    const details: string[] = [];
    const name = stringField(body, 'name', details);
    const alertId = body.alert_id === undefined ? undefined : String(body.alert_id);
    if (alertId === undefined) details.push('alert_id: required');
    const expiry = snapshotExpiry(ctx, body, details);
    obfuscation(body, details);
    if (details.length > 0 || name === undefined || alertId === undefined || expiry === undefined) {
      throw validationError(details, 'invalid snapshot request');
    }
    if (ctx.data.alert(alertId) === undefined) throw notFound(`alert ${alertId}`);
    return ok(snapshot(ctx, name, expiry));
  },
  'POST /v1/snapshot/user': (ctx) => {
    const body = requireObject(ctx.body);
    const details: string[] = [];
    const name = stringField(body, 'name', details);
    const userId = intField(body, 'user_id', details);
    const deviceId = intField(body, 'device_id', details);
    intField(body, 'app_id', details);
    const expiry = snapshotExpiry(ctx, body, details);
    obfuscation(body, details);
    const from = intField(body, 'from', details, false);
    const to = intField(body, 'to', details, false);
    if (from !== undefined && to !== undefined) {
      if (from < ctx.nowMs / 1000 - 14 * 86_400) details.push('from: may not be older than 14 days');
      if (to - from < 15 * 60 || to - from > 48 * 3600)
        details.push('to - from: must be between 15 minutes and 48 hours');
    }
    if (details.length > 0 || name === undefined || expiry === undefined)
      throw validationError(details, 'invalid snapshot request');
    if (userId !== undefined && ctx.data.user(userId) === undefined) throw notFound(`user ${userId}`);
    if (deviceId !== undefined && ctx.data.device(deviceId) === undefined) throw notFound(`device ${deviceId}`);
    return ok(snapshot(ctx, name, expiry));
  },

  // Automation Hub configuration endpoints page by number (`page`, `pageSize`); their body shape was not
  // captured, so these answers are plausible guesses: `{page, pageSize, total, data}`.
  'GET /v1/config/departments': (ctx) =>
    numbered(
      ctx,
      ctx.data.departments.map((d) => deptConfig(ctx, d.id, d.name)),
    ),
  'GET /v1/config/departments/summary': (ctx) =>
    ok({ total_departments: ctx.data.departments.length, total_users: ctx.data.users.length }),
  'GET /v1/config/departments/{did}': (ctx) => {
    const id = numericParam(ctx, 'did');
    const dept = ctx.data.departments.find((d) => d.id === id);
    if (dept === undefined) throw notFound(`department ${id}`);
    return ok(deptConfig(ctx, dept.id, dept.name));
  },
  'GET /v1/config/departments/{did}/users': (ctx) => {
    const id = numericParam(ctx, 'did');
    if (!ctx.data.departments.some((d) => d.id === id)) throw notFound(`department ${id}`);
    return numbered(
      ctx,
      ctx.data.users.filter((u) => u.departmentId === id).map((u) => ({ id: u.id, name: u.name, email: u.email })),
    );
  },
  'GET /v1/config/locations': (ctx) =>
    numbered(
      ctx,
      ctx.data.locations.map((l) => ({ id: l.id, name: l.name })),
    ),
  'GET /v1/config/locations/{lid}': (ctx) => {
    const id = numericParam(ctx, 'lid');
    const loc = ctx.data.locations.find((l) => l.id === id);
    if (loc === undefined) throw notFound(`location ${id}`);
    return ok({ id: loc.id, name: loc.name, user_count: ctx.data.users.filter((u) => u.locationId === id).length });
  },
};

function generic(ctx: RequestContext): HandlerResult {
  const ids = Object.values(ctx.params);
  if (ctx.endpoint.method === 'GET') return ok(ids.length > 0 ? { id: ids[ids.length - 1] } : []);
  if (ctx.endpoint.method === 'DELETE') return ok({ id: ids[ids.length - 1] ?? null, status: 'deleted' });
  return ok({
    id: String(seedToInt(`${ctx.endpoint.template}|${ctx.nowMs}`)),
    ...(typeof ctx.body === 'object' ? ctx.body : {}),
  });
}

// ---------- body builders ----------

function scoreBucket(s: number): 'poor' | 'okay' | 'good' {
  return s < 34 ? 'poor' : s < 66 ? 'okay' : 'good';
}

function appSummary(ctx: RequestContext, id: number, w: TimeWindow) {
  const app = ctx.data.app(id)!;
  // The most impacted region changes at most hourly; the score drifts per 5-minute step (never per second).
  const user =
    ctx.data.users[ctx.data.random(`impact|${id}|${Math.floor(w.to / 3600)}`).int(0, ctx.data.users.length - 1)];
  return {
    id: app.id,
    name: app.name,
    score: ctx.data.scoreAt(`app|${id}`, app.score, w.to),
    total_users: app.total_users,
    most_impacted_region: geoOf(user?.geoId ?? 'city.0'),
  };
}

function userBody(ctx: RequestContext, userId: number) {
  const user = ctx.data.user(userId)!;
  const geo = geoOf(user.geoId);
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    devices: user.deviceIds.map((id) => ({
      id,
      name: ctx.data.device(id)?.name ?? '',
      geo_loc: [geo],
      zs_loc: [{ id: user.locationId, name: ctx.data.locations.find((l) => l.id === user.locationId)?.name ?? '' }],
    })),
  };
}

function deviceFilter(ctx: RequestContext): (deviceId: number) => boolean {
  const keepUser = userFilter(ctx);
  const deviceIds = intList(ctx.query, 'deviceids') ?? intList(ctx.query, 'device_ids');
  const userIds = intList(ctx.query, 'userids') ?? intList(ctx.query, 'user_ids');
  return (id) => {
    const d = ctx.data.device(id);
    const u = d === undefined ? undefined : ctx.data.user(d.userid);
    return (
      u !== undefined &&
      keepUser(u) &&
      (deviceIds === undefined || deviceIds.includes(id)) &&
      (userIds === undefined || userIds.includes(u.id))
    );
  };
}

function alertOf(ctx: RequestContext) {
  const id = ctx.params.alert_id ?? '';
  const alert = ctx.data.alert(id);
  if (alert === undefined) throw notFound(`alert ${id}`);
  return alert;
}

function alertBody(ctx: RequestContext, alert: NonNullable<ReturnType<Dataset['alert']>>) {
  return {
    // A number, as the Go SDK's model reads it (see the alert id note in data.ts).
    id: Number(alert.id),
    rule_name: alert.rule_name,
    severity: alert.severity,
    alert_type: alert.alert_type,
    alert_status: alert.ongoing ? 'Ongoing' : 'Resolved',
    application: { id: alert.appId, name: ctx.data.app(alert.appId)?.name ?? '' },
    geolocations: [],
    departments: alert.departmentIds.map((id) => ({
      id,
      name: ctx.data.departments.find((d) => d.id === id)?.name ?? '',
      num_devices: alert.deviceIds.length,
    })),
    locations: alert.locationIds.map((id) => ({
      id,
      name: ctx.data.locations.find((l) => l.id === id)?.name ?? '',
      num_devices: alert.deviceIds.length,
      groups: [],
    })),
    started_on: alert.started_on,
    ended_on: alert.ended_on,
  };
}

function alertList(ctx: RequestContext, ongoing: boolean): HandlerResult {
  const w = window(ctx);
  const loc = intList(ctx.query, 'loc');
  const dept = intList(ctx.query, 'dept');
  const alerts = ctx.data.alerts
    .filter((a) => a.ongoing === ongoing)
    // An alert is in the window if it was active at any time inside it.
    .filter((a) => a.started_on < w.to && (a.ongoing || a.ended_on >= w.from))
    .filter((a) => loc === undefined || a.locationIds.some((id) => loc.includes(id)))
    .filter((a) => dept === undefined || a.departmentIds.some((id) => dept.includes(id)))
    .map((a) => alertBody(ctx, a));
  return paged(ctx, 'alerts', alerts);
}

function probeOf(ctx: RequestContext, appId: number, kind: 'web' | 'cloudpath'): number {
  const id = numericParam(ctx, 'probeid');
  const app = ctx.data.app(appId)!;
  const probes = kind === 'web' ? app.webProbes : app.cloudpathProbes;
  if (!probes.some((p) => p.id === id))
    throw notFound(`${kind === 'web' ? 'web' : 'Cloud Path'} probe ${id} of application ${appId}`);
  return id;
}

function legs(appName: string): Array<[string, string]> {
  return [
    ['Client', 'Egress'],
    ['Egress', 'Zscaler'],
    ['Zscaler', appName],
  ];
}

/**
 * Cloud Path samples: `[{timestamp, cloudpath: [leg, ...]}]`, one leg per segment of the path, each with its
 * hops. Both SDKs read `cloudpath` (and `hops`) as arrays. Hop latencies are whole milliseconds (the Go model
 * reads ints) with min <= avg <= max, and a leg's latency is the sum of its hops' averages.
 */
function cloudpath(ctx: RequestContext, key: string, s: TimeWindow, appName: string) {
  const out = [];
  const step = 900;
  for (let t = Math.ceil(s.from / step) * step; t <= s.to; t += step) {
    const r = ctx.data.random(`${key}|${t}`);
    const path = legs(appName).map(([src, dst], leg) => {
      const hops = Array.from({ length: r.int(2, 6) }, (_, i) => {
        const min = r.int(1, 8 + leg * 6);
        const avg = min + r.int(0, 6);
        const max = avg + r.int(0, 20);
        const sent = 5;
        return {
          ip: `10.${leg * 16 + i}.${r.int(0, 255)}.${r.int(1, 254)}`,
          gw_mac: '',
          gw_mac_vendor: '',
          pkt_sent: sent,
          pkt_rcvd: sent - (r.chance(0.05) ? 1 : 0),
          latency_min: min,
          latency_max: max,
          latency_avg: avg,
          latency_diff: max - min,
        };
      });
      const sent = hops.reduce((n, h) => n + h.pkt_sent, 0);
      const lost = hops.reduce((n, h) => n + h.pkt_sent - h.pkt_rcvd, 0);
      return {
        src,
        dst,
        num_hops: hops.length,
        latency: hops.reduce((n, h) => n + h.latency_avg, 0),
        loss: Math.round((lost / sent) * 10_000) / 100,
        num_unresp_hops: hops.filter((h) => h.pkt_rcvd === 0).length,
        tunnel_type: leg === 1 ? 2 : 0,
        hops,
      };
    });
    out.push({ timestamp: t, cloudpath: path });
  }
  return out;
}

function health(ctx: RequestContext, key: string, s: TimeWindow) {
  const metric = (name: string, unit: string, base: number, spread: number) =>
    ctx.data.series(`${key}|${name}`, name, unit, s.from, s.to, base, spread);
  return [
    // The Go SDK reads an instance's name from `metric`; the Python SDK reads only `metrics`.
    { category: 'cpu', instances: [{ metric: 'total', metrics: [metric('pct_total', '%', 35, 15)] }] },
    { category: 'memory', instances: [{ metric: 'total', metrics: [metric('pct_used', '%', 62, 8)] }] },
    {
      category: 'network',
      instances: [
        { metric: 'wifi', metrics: [metric('wifi_signal', 'dBm', 58, 6), metric('bandwidth', 'Mbps', 180, 40)] },
      ],
    },
    { category: 'disk', instances: [{ metric: 'C:', metrics: [metric('pct_used', '%', 71, 2)] }] },
  ];
}

function events(ctx: RequestContext, key: string, s: TimeWindow) {
  const out = [];
  const step = 1800;
  for (let t = Math.ceil(s.from / step) * step; t <= s.to; t += step) {
    const r = ctx.data.random(`${key}|${t}`);
    if (!r.chance(0.6)) continue;
    const kind = r.pick([
      {
        category: 'Network',
        name: 'wifi_ssid_change',
        display_name: 'Wi-Fi network changed',
        prev: 'CorpNet',
        curr: 'CorpNet-5G',
      },
      {
        category: 'Zscaler',
        name: 'zcc_tunnel_change',
        display_name: 'Tunnel type changed',
        prev: 'Z-Tunnel 1.0',
        curr: 'Z-Tunnel 2.0',
      },
      { category: 'Hardware', name: 'battery_low', display_name: 'Battery below 20%', prev: '21', curr: '19' },
      { category: 'Software', name: 'os_update', display_name: 'OS update installed', prev: '', curr: 'KB5041585' },
    ]);
    out.push({ timestamp: t, events: [kind] });
  }
  return out;
}

function analysisOf(ctx: RequestContext) {
  const id = ctx.params.analysis_id ?? '';
  const a = ctx.data.analyses.get(id);
  if (a === undefined) throw notFound(`analysis ${id}`);
  return a;
}

function snapshotExpiry(ctx: RequestContext, body: Record<string, unknown>, details: string[]): number | undefined {
  const expiry = intField(body, 'expiry', details);
  if (expiry === undefined) return undefined;
  const now = Math.floor(ctx.nowMs / 1000);
  if (expiry < now + 2 * 3600 || expiry > now + 90 * 86_400) {
    details.push('expiry: must be epoch seconds between 2 hours and 90 days from now');
    return undefined;
  }
  return expiry;
}

function obfuscation(body: Record<string, unknown>, details: string[]): void {
  const value = body.obfuscation;
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !OBFUSCATION.includes(v))) {
    details.push(`obfuscation: must be an array of ${OBFUSCATION.join(', ')}`);
  }
}

function snapshot(ctx: RequestContext, name: string, expiry: number) {
  const id = ctx.data.newSnapshotId();
  return { id, name, url: `https://snapshot.zdx.example/s/${id}`, expiry, status: 'active' };
}

function deptConfig(ctx: RequestContext, id: number, name: string) {
  return { id, name, user_count: ctx.data.users.filter((u) => u.departmentId === id).length };
}

function numbered(ctx: RequestContext, items: readonly unknown[]): HandlerResult {
  const details: string[] = [];
  const num = (name: string, dflt: number, max: number): number => {
    const raw = ctx.query.get(name);
    if (raw === null) return dflt;
    if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
      details.push(`${name}: must be an integer from 1 to ${max}`);
      return dflt;
    }
    return Number(raw);
  };
  const pageNo = num('page', 1, 1_000_000);
  const pageSize = num('pageSize', 50, 500);
  if (details.length > 0) throw validationError(details);
  return ok({
    page: pageNo,
    pageSize,
    total: items.length,
    data: items.slice((pageNo - 1) * pageSize, pageNo * pageSize),
  });
}
