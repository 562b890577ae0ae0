import { beforeAll, describe, expect, test } from 'vitest';
import { ZDX_ENDPOINTS } from '../../src/core/catalog/endpoints.js';
import { TokenAuthority } from '../../src/tools/simulator/auth.js';
import { Dataset } from '../../src/tools/simulator/data.js';
import { handle } from '../../src/tools/simulator/routes.js';
import { MAX_ACTIVE_TRACES, startSimulator, type RunningSimulator } from '../../src/tools/simulator/index.js';
import { manualClock, start, T0 } from '../support/simulator.js';

function client(s: RunningSimulator) {
  const headers = { authorization: `Bearer ${s.issueToken()}`, 'content-type': 'application/json' };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${s.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      // biome-ignore lint/suspicious/noExplicitAny: the tests read fields of many response shapes
      body: text === '' ? undefined : (JSON.parse(text) as any),
    };
  };
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown) => call('POST', path, body),
    del: (path: string) => call('DELETE', path),
  };
}

describe('every catalog endpoint', () => {
  test('answers 2xx with JSON on both prefixes, and is counted under its own template', async () => {
    const clock = manualClock();
    const s = await start({ clock });
    const c = client(s);
    const nowS = T0 / 1000;
    const devices = (await c.get('/v1/devices?limit=1')).body.devices as Array<{ id: number }>;
    const deviceid = devices[0]!.id;
    const appid = ((await c.get(`/v1/devices/${deviceid}/apps`)).body as Array<{ id: number }>)[0]!.id;
    const web = ((await c.get(`/v1/devices/${deviceid}/apps/${appid}/web-probes`)).body as Array<{ id: number }>)[0]!
      .id;
    const cloud = (
      (await c.get(`/v1/devices/${deviceid}/apps/${appid}/cloudpath-probes`)).body as Array<{ id: number }>
    )[0]!.id;
    const userid = ((await c.get(`/v1/apps/${appid}/users?limit=1`)).body.users as Array<{ id: number }>)[0]!.id;
    const alert_id = (
      (await c.get(`/v1/alerts/ongoing?from=${nowS - 13 * 86_400}&to=${nowS}`)).body.alerts as Array<{ id: string }>
    )[0]!.id;
    const software_key = (
      (await c.get('/v1/inventory/software?limit=1')).body.software as Array<{ software_key: string }>
    )[0]!.software_key;
    const did = ((await c.get('/v1/config/departments')).body.data as Array<{ id: number }>)[0]!.id;
    const lid = ((await c.get('/v1/config/locations')).body.data as Array<{ id: number }>)[0]!.id;

    const bodies: Record<string, unknown> = {
      '/v1/oauth/token': { key_id: s.credentials.keyId, key_secret: s.credentials.secret },
      '/v1/devices/{deviceid}/deeptraces': {
        session_name: 'ci',
        app_id: appid,
        web_probe_id: web,
        session_length_minutes: 5,
      },
      '/v1/analysis': { device_id: deviceid, app_id: appid, t0: nowS - 3600, t1: nowS },
      '/v1/snapshot/alert': { name: 'ci', alert_id, expiry: nowS + 86_400, obfuscation: ['USER_NAME'] },
      '/v1/snapshot/user': { name: 'ci', user_id: userid, device_id: deviceid, app_id: appid, expiry: nowS + 86_400 },
    };
    const ids: Record<string, string> = {
      deviceid: String(deviceid),
      appid: String(appid),
      userid: String(userid),
      alert_id,
      software_key,
      did: String(did),
      lid: String(lid),
    };
    const fill = (template: string) =>
      template.replace(/\{(\w+)\}/g, (_, name: string) => {
        if (name === 'probeid') return String(template.includes('web-probes') ? web : cloud);
        const value = ids[name];
        if (value === undefined) throw new Error(`no id for ${name} in ${template}`);
        return value;
      });

    // POSTs first (they create the trace and analysis the GETs read), DELETEs last.
    const order = (m: string) => (m === 'POST' ? 0 : m === 'DELETE' ? 2 : 1);
    const endpoints = [...ZDX_ENDPOINTS].sort((a, b) => order(a.method) - order(b.method));
    for (const ep of endpoints) {
      const prefixes = ep.method === 'GET' ? ['', '/zdx'] : [ep.template.includes('deeptraces') ? '/zdx' : ''];
      for (const prefix of prefixes) {
        const path = prefix + fill(ep.template);
        const res = await (ep.method === 'POST'
          ? c.post(path, bodies[ep.template])
          : ep.method === 'DELETE'
            ? c.del(path)
            : c.get(path));
        expect(res.status, `${ep.method} ${path}: ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(200);
        expect(res.status, `${ep.method} ${path}`).toBeLessThan(300);
        expect(res.type).toMatch(/^application\/json/);
        expect(typeof res.body).toBe('object');
        if (ep.template === '/v1/devices/{deviceid}/deeptraces' && ep.method === 'POST')
          ids.trace_id = res.body.trace_id;
        if (ep.template === '/v1/analysis') ids.analysis_id = res.body.analysis_id;
      }
    }
    const counted = s.stats().byEndpoint;
    for (const ep of ZDX_ENDPOINTS) {
      const statuses = counted[`${ep.method} ${ep.template}`];
      expect(statuses, `${ep.method} ${ep.template}`).toBeDefined();
      expect(Object.keys(statuses!)).toEqual(['200']);
    }
  });
});

describe('endpoints added to the catalog later', () => {
  test('get a generic plausible answer instead of failing', () => {
    const data = new Dataset(1, T0);
    const tokens = new TokenAuthority({ k: { secret: 's' } }, 3600, () => T0);
    const ctx = (method: string, template: string, params: Record<string, string>, body?: unknown) =>
      handle({
        endpoint: { method, template, group: 'config' },
        params,
        query: new URLSearchParams(),
        body,
        nowMs: T0,
        data,
        tokens,
      });
    expect(ctx('GET', '/v1/config/monitors/{mid}', { mid: '12' })).toEqual({ status: 200, body: { id: '12' } });
    expect(ctx('GET', '/v1/config/monitors', {})).toEqual({ status: 200, body: [] });
    expect(ctx('DELETE', '/v1/config/monitors/{mid}', { mid: '12' })).toEqual({
      status: 200,
      body: { id: '12', status: 'deleted' },
    });
    const created = ctx('POST', '/v1/config/monitors', {}, { type: 'WEB' });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ type: 'WEB', id: expect.stringMatching(/^\d+$/) });
  });
});

describe('cursor pagination', () => {
  let s: RunningSimulator;
  let c: ReturnType<typeof client>;
  beforeAll(async () => {
    s = await startSimulator({ scenario: { rateLimit: { enabled: false } } });
    c = client(s);
    return () => s.close();
  });

  async function walk(path: string, key: string, limit: number) {
    const sep = path.includes('?') ? '&' : '?';
    const seen: unknown[] = [];
    let pages = 0;
    let offset: string | null = null;
    do {
      const res = await c.get(`${path}${sep}limit=${limit}${offset === null ? '' : `&offset=${offset}`}`);
      expect(res.status).toBe(200);
      expect(res.body[key].length).toBeLessThanOrEqual(limit);
      seen.push(...(res.body[key] as unknown[]));
      offset = res.body.next_offset;
      pages++;
      expect(pages).toBeLessThan(200);
    } while (offset !== null);
    return { seen, pages };
  }

  test.each([
    ['/v1/devices', 'devices'],
    ['/v1/users', 'users'],
    ['/v1/inventory/software', 'software'],
    ['/v1/apps/2/users', 'users'],
    ['/v1/devices?loc=58023', 'devices'],
  ])('%s: every item exactly once, in ceil(n/limit) pages, ending with next_offset null', async (path, key) => {
    const all = (await c.get(`${path}${path.includes('?') ? '&' : '?'}limit=500`)).body;
    expect(all.next_offset).toBeNull();
    const total = (all[key] as unknown[]).length;
    expect(total).toBeGreaterThan(7);
    const { seen, pages } = await walk(path, key, 7);
    expect(pages).toBe(Math.ceil(total / 7));
    expect(seen).toEqual(all[key]);
    const ids = seen.map((x) => JSON.stringify(x));
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('alerts and affected devices page the same way', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    const window = `from=${nowS - 14 * 86_400 + 60}&to=${nowS}`;
    const ongoing = await walk(`/v1/alerts/ongoing?${window}`, 'alerts', 5);
    const historical = await walk(`/v1/alerts/historical?${window}`, 'alerts', 5);
    expect(ongoing.seen.length + historical.seen.length).toBe(64);
    const alert = (ongoing.seen as Array<{ id: number; alert_status: string }>).find(
      (a) => a.alert_status === 'Ongoing',
    )!;
    // A number, as the Go SDK reads it, small enough to survive JSON.parse.
    expect(Number.isSafeInteger(alert.id)).toBe(true);
    const detail = (await c.get(`/v1/alerts/${alert.id}`)).body as { num_devices: number };
    const affected = await walk(`/v1/alerts/${alert.id}/affected_devices`, 'devices', 2);
    expect(affected.seen).toHaveLength(detail.num_devices);
  });

  test('filters split the list without loss: the per-location pages add up to the whole', async () => {
    const locations = (await c.get('/v1/administration/locations')).body as Array<{ id: number }>;
    const total = (await c.get('/v1/devices?limit=500')).body.devices.length as number;
    let sum = 0;
    for (const loc of locations)
      sum += ((await c.get(`/v1/devices?limit=500&loc=${loc.id}`)).body.devices as unknown[]).length;
    expect(sum).toBe(total);
    const two = (await c.get(`/v1/devices?limit=500&loc=${locations[0]!.id},${locations[1]!.id}`)).body.devices.length;
    const one = (await c.get(`/v1/devices?limit=500&loc=${locations[0]!.id}`)).body.devices.length;
    expect(two).toBeGreaterThan(one);
  });
});

describe('time windows', () => {
  test('no from/to: the last 2 hours; a longer range returns the first 2 hours; only "to": the 2 hours before it', async () => {
    const clock = manualClock();
    const s = await start({ clock });
    const c = client(s);
    const nowS = T0 / 1000;
    const points = async (q: string) =>
      (
        (await c.get(`/v1/apps/1/score${q}`)).body as Array<{ datapoints: Array<{ timestamp: number; value: number }> }>
      )[0]!.datapoints.map((d) => d.timestamp);
    const recent = await points('');
    expect(recent[0]).toBe(nowS - 7200);
    expect(recent.at(-1)).toBe(nowS);
    expect(recent).toHaveLength(25);
    const long = await points(`?from=${nowS - 6 * 3600}&to=${nowS}`);
    expect(long[0]).toBe(nowS - 6 * 3600);
    expect(long.at(-1)).toBe(nowS - 4 * 3600);
    const before = await points(`?to=${nowS - 86_400}`);
    expect(before[0]).toBe(nowS - 86_400 - 7200);
    // Same window, same numbers.
    expect(await c.get('/v1/apps/1/score')).toEqual(await c.get('/v1/apps/1/score'));
  });
});

describe('deep traces', () => {
  test('create → pending → in_progress → completed, list, one per device (409), delete → 404', async () => {
    const clock = manualClock();
    const s = await start({ clock });
    const c = client(s);
    const [d1, d2] = (await c.get('/v1/devices?limit=2')).body.devices as Array<{ id: number }>;
    const base = `/v1/devices/${d1!.id}/deeptraces`;

    const created = await c.post(base, { session_name: 'slow teams', session_length_minutes: 5, probe_device: true });
    expect(created.status).toBe(200);
    const id = created.body.trace_id as string;
    expect(created.body).toMatchObject({
      status: 'pending',
      expected_time_minutes: 5,
      started_at: null,
      ended_at: null,
    });
    expect(created.body.trace_details).toMatchObject({
      session_name: 'slow teams',
      device_id: String(d1!.id),
      session_length_minutes: 5,
    });
    expect((await c.get(`${base}/${id}/webprobe-metrics`)).body).toEqual([]);

    const busy = await c.post(base, { session_name: 'again' });
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe('CONFLICT');

    clock.advance(10_000);
    const started = (await c.get(`${base}/${id}`)).body;
    expect(started.status).toBe('in_progress');
    expect(started.started_at).toBe(T0 / 1000 + 10);

    clock.advance(5 * 60_000 - 1);
    expect((await c.get(`${base}/${id}`)).body.status).toBe('in_progress');
    const metrics = (await c.get(`${base}/${id}/webprobe-metrics`)).body as Array<{
      metric: string;
      datapoints: unknown[];
    }>;
    expect(metrics.map((m) => m.metric)).toEqual(['pft', 'dns']);
    expect(metrics[0]!.datapoints.length).toBeGreaterThan(0);
    for (const sub of ['cloudpath-metrics', 'cloudpath', 'health-metrics', 'events', 'top-processes']) {
      expect((await c.get(`${base}/${id}/${sub}`)).status).toBe(200);
    }
    clock.advance(1);
    const done = (await c.get(`${base}/${id}`)).body;
    expect(done.status).toBe('completed');
    expect(done.ended_at).toBe(T0 / 1000 + 10 + 300);

    // A completed trace no longer blocks the device.
    const second = await c.post(`/zdx${base}`, { session_name: 'second' });
    expect(second.status).toBe(200);
    expect(((await c.get(base)).body as Array<{ trace_id: string }>).map((t) => t.trace_id)).toEqual([
      id,
      second.body.trace_id,
    ]);

    // The trace belongs to its device only.
    expect((await c.get(`/v1/devices/${d2!.id}/deeptraces/${id}`)).status).toBe(404);
    expect((await c.del(`${base}/${id}`)).status).toBe(200);
    expect((await c.get(`${base}/${id}`)).status).toBe(404);
    expect((await c.del(`${base}/${id}`)).status).toBe(404);
    expect((await c.get(`${base}/${id}/events`)).status).toBe(404);
  });

  test(`at most ${MAX_ACTIVE_TRACES} active sessions per tenant: the next start is a 429 (device threshold)`, async () => {
    const s = await start();
    const c = client(s);
    const devices = (await c.get(`/v1/devices?limit=${MAX_ACTIVE_TRACES + 1}`)).body.devices as Array<{ id: number }>;
    for (const d of devices.slice(0, MAX_ACTIVE_TRACES)) {
      expect((await c.post(`/v1/devices/${d.id}/deeptraces`, { session_name: 'x' })).status).toBe(200);
    }
    const over = await c.post(`/v1/devices/${devices[MAX_ACTIVE_TRACES]!.id}/deeptraces`, { session_name: 'x' });
    expect(over.status).toBe(429);
    expect(over.body.code).toBe('TOO_MANY_REQUESTS');
    expect(over.body.message).toMatch(/device threshold/);
  });

  test('invalid start requests → 400 naming the field; unknown device → 404', async () => {
    const s = await start();
    const c = client(s);
    const d = ((await c.get('/v1/devices?limit=1')).body.devices as Array<{ id: number }>)[0]!.id;
    const bad = await c.post(`/v1/devices/${d}/deeptraces`, { session_name: 'x', session_length_minutes: 7 });
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual(['session_length_minutes: must be one of 5, 15, 30, 60']);
    expect((await c.post(`/v1/devices/${d}/deeptraces`, {})).body.details).toEqual([
      'session_name: required, a non-empty string',
    ]);
    expect((await c.post(`/v1/devices/${d}/deeptraces`, 'text')).status).toBe(400);
    expect((await c.post('/v1/devices/999/deeptraces', { session_name: 'x' })).status).toBe(404);
  });
});

describe('analyses and snapshots', () => {
  test('analysis: in_progress, then completed with a result; delete → 404', async () => {
    const clock = manualClock();
    const s = await start({ clock });
    const c = client(s);
    const d = ((await c.get('/v1/devices?limit=1')).body.devices as Array<{ id: number }>)[0]!.id;
    const nowS = T0 / 1000;
    const created = await c.post('/v1/analysis', { device_id: d, app_id: 1, t0: nowS - 600, t1: nowS });
    expect(created.status).toBe(200);
    const path = `/v1/analysis/${created.body.analysis_id}`;
    expect((await c.get(path)).body).toMatchObject({ status: 'in_progress', result: null });
    clock.advance(20_000);
    expect((await c.get(path)).body).toMatchObject({ status: 'completed', result: { times: [nowS - 600, nowS] } });
    expect((await c.del(path)).status).toBe(200);
    expect((await c.get(path)).status).toBe(404);
    expect((await c.post('/v1/analysis', { device_id: d, app_id: 1, t0: nowS, t1: nowS - 1 })).status).toBe(400);
    expect((await c.post('/v1/analysis', { device_id: 1, app_id: 1, t0: 1, t1: 2 })).status).toBe(404);
  });

  test('snapshot: expiry between 2 h and 90 d, known alert, valid obfuscation', async () => {
    const clock = manualClock();
    const s = await start({ clock });
    const c = client(s);
    const nowS = T0 / 1000;
    const alert = (
      (await c.get(`/v1/alerts/ongoing?from=${nowS - 13 * 86_400}&to=${nowS}`)).body.alerts as Array<{ id: string }>
    )[0]!.id;
    const ok = await c.post('/v1/snapshot/alert', { name: 'n', alert_id: alert, expiry: nowS + 7200 });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ name: 'n', expiry: nowS + 7200, status: 'active' });
    expect(ok.body.url).toMatch(/^https:\/\//);
    expect((await c.post('/v1/snapshot/alert', { name: 'n', alert_id: alert, expiry: nowS + 7199 })).status).toBe(400);
    expect(
      (await c.post('/v1/snapshot/alert', { name: 'n', alert_id: alert, expiry: nowS + 91 * 86_400 })).status,
    ).toBe(400);
    expect(
      (await c.post('/v1/snapshot/alert', { name: 'n', alert_id: alert, expiry: nowS + 9000, obfuscation: ['EMAIL'] }))
        .status,
    ).toBe(400);
    expect((await c.post('/v1/snapshot/alert', { name: 'n', alert_id: '1', expiry: nowS + 9000 })).status).toBe(404);
  });
});
