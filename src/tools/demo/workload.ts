/*
 * The demo's ZDX client: what a device-sync service does against the ZDX API, at a steady pace. It runs in
 * its own process under `node --import zdx-otel/register` and knows nothing about telemetry. Half of its
 * calls go through global fetch, half through node:http, alternating.
 * Configured by the demo through ZDX_DEMO_* variables.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

interface Answer {
  status: number;
  body: unknown;
  retryAfter?: number;
}

const base = requiredEnv('ZDX_DEMO_URL');
const keyId = requiredEnv('ZDX_DEMO_KEY_ID');
const keySecret = requiredEnv('ZDX_DEMO_KEY_SECRET');
const deadline = Date.now() + Number(process.env.ZDX_DEMO_DURATION_MS ?? 30_000);
const interval = 1000 / Number(process.env.ZDX_DEMO_RATE ?? 6);

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; start the workload with \`zdx-otel demo\``);
  return value;
}

let nextSlot = Date.now();
let calls = 0;
let token: string | undefined;
let stopping = false;
process.once('SIGINT', () => {
  stopping = true;
});
process.once('SIGTERM', () => {
  stopping = true;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const live = () => !stopping && Date.now() < deadline;

/** One API call, paced to the configured rate; never throws (a failure is status 0). */
async function api(method: string, path: string, body?: unknown): Promise<Answer> {
  const wait = nextSlot - Date.now();
  nextSlot = Math.max(nextSlot, Date.now()) + interval;
  if (wait > 0) await sleep(wait);
  // Direct-host and OneAPI spellings alternate: zdx-otel gives both one template.
  const url = `${base}${calls % 3 === 2 ? '/zdx' : ''}${path}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token && !path.startsWith('/v1/oauth/')) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const payload = body === undefined ? undefined : JSON.stringify(body);
  try {
    const answer =
      calls++ % 2 === 0 ? await viaFetch(method, url, headers, payload) : await viaHttp(method, url, headers, payload);
    if (answer.status === 401) token = undefined;
    // A polite client: honour Retry-After on 429, briefly.
    if (answer.status === 429 && answer.retryAfter !== undefined) await sleep(Math.min(answer.retryAfter * 1000, 1000));
    return answer;
  } catch {
    return { status: 0, body: undefined };
  }
}

async function viaFetch(method: string, url: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const res = await fetch(url, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const retryAfter = Number(res.headers.get('retry-after'));
  return { status: res.status, body: parse(text), ...(Number.isFinite(retryAfter) ? { retryAfter } : {}) };
}

function viaHttp(method: string, url: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(url, { method, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const retryAfter = Number(res.headers['retry-after']);
        resolve({
          status: res.statusCode ?? 0,
          body: parse(Buffer.concat(chunks).toString('utf8')),
          ...(Number.isFinite(retryAfter) ? { retryAfter } : {}),
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

function parse(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

const field = <T>(value: unknown, key: string): T | undefined =>
  value !== null && typeof value === 'object' ? (value as Record<string, T>)[key] : undefined;
const ids = (list: unknown, key = 'id'): Array<string | number> =>
  Array.isArray(list) ? list.map((item) => field<string | number>(item, key)).filter((v) => v !== undefined) : [];

async function authenticate(): Promise<void> {
  // ZDX's documented scheme: key_secret is SHA-256 of "<secret>:<timestamp>", valid for 15 minutes.
  const timestamp = Math.floor(Date.now() / 1000);
  const hashed = createHash('sha256').update(`${keySecret}:${timestamp}`).digest('hex');
  const answer = await api('POST', '/v1/oauth/token', { key_id: keyId, key_secret: hashed, timestamp });
  token = field<string>(answer.body, 'token') ?? token;
}

/** Follows next_offset through up to `pages` pages of a cursor-paginated list. */
async function pages(path: string, listKey: string, pagesMax: number): Promise<unknown[]> {
  const items: unknown[] = [];
  let offset: string | undefined;
  for (let i = 0; i < pagesMax && live(); i++) {
    const answer = await api('GET', `${path}?limit=5${offset ? `&offset=${encodeURIComponent(offset)}` : ''}`);
    items.push(...(field<unknown[]>(answer.body, listKey) ?? []));
    offset = field<string>(answer.body, 'next_offset') ?? undefined;
    if (!offset) break;
  }
  return items;
}

async function drillIntoDevice(deviceId: string | number): Promise<void> {
  await api('GET', `/v1/devices/${deviceId}`);
  const apps = ids((await api('GET', `/v1/devices/${deviceId}/apps`)).body);
  const appId = apps[0];
  if (appId === undefined || !live()) return;
  await api('GET', `/v1/devices/${deviceId}/apps/${appId}`);
  const web = ids((await api('GET', `/v1/devices/${deviceId}/apps/${appId}/web-probes`)).body);
  if (web[0] !== undefined) await api('GET', `/v1/devices/${deviceId}/apps/${appId}/web-probes/${web[0]}`);
  const cloud = ids((await api('GET', `/v1/devices/${deviceId}/apps/${appId}/cloudpath-probes`)).body);
  if (cloud[0] !== undefined)
    await api('GET', `/v1/devices/${deviceId}/apps/${appId}/cloudpath-probes/${cloud[0]}/cloudpath`);
}

async function deepTrace(deviceId: string | number): Promise<void> {
  const created = await api('POST', `/v1/devices/${deviceId}/deeptraces`, {
    session_name: 'zdx-otel demo',
    session_length_minutes: 5,
    probe_device: true,
  });
  const traceId = field<string>(created.body, 'trace_id');
  if (traceId === undefined) return;
  for (let i = 0; i < 2 && live(); i++) await api('GET', `/v1/devices/${deviceId}/deeptraces/${traceId}`);
  await api('DELETE', `/v1/devices/${deviceId}/deeptraces/${traceId}`);
}

async function cycle(round: number): Promise<void> {
  if (!token) await authenticate();
  const devices = ids(await pages('/v1/devices', 'devices', 3));
  for (const id of devices.slice(0, 2)) if (live()) await drillIntoDevice(id);
  const users = ids(await pages('/v1/users', 'users', 2));
  if (users[0] !== undefined && live()) await api('GET', `/v1/users/${users[0]}`);
  const alerts = ids(field<unknown[]>((await api('GET', '/v1/alerts/ongoing')).body, 'alerts'));
  if (alerts[0] !== undefined && live()) {
    await api('GET', `/v1/alerts/${alerts[0]}`);
    await api('GET', `/v1/alerts/${alerts[0]}/affected_devices`);
  }
  // Now and then the sync asks for a month of alert history, beyond ZDX's 14-day limit: a real 400, the kind of
  // client error a real service answers (the other 4xx in the demo are 404s on device drill-downs).
  if (round % 4 === 1 && live()) {
    const to = Math.floor(Date.now() / 1000);
    await api('GET', `/v1/alerts/historical?from=${to - 30 * 86_400}&to=${to}`);
  }
  const apps = ids((await api('GET', '/v1/apps')).body);
  if (apps[0] !== undefined && live()) await api('GET', `/v1/apps/${apps[0]}/score`);
  if (round % 3 === 0 && devices[0] !== undefined && live()) await deepTrace(devices[0]);
}

// A few lanes run the cycle side by side, as a sync job with some parallelism would; the shared pacer keeps
// the total at the configured rate even when single calls are slow.
const LANES = 3;
await Promise.all(
  Array.from({ length: LANES }, async (_, lane) => {
    for (let round = lane; live(); round += LANES) await cycle(round);
  }),
);
