import http from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';
import { SpanStatusCode } from '@opentelemetry/api';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZDX_STATUS_CODES } from '../../src/index.js';
import { call, CLIENTS, type ClientName } from '../support/clients.js';
import { setupOtel, total, type OtelHarness } from '../support/otel.js';
import {
  selfSignedCertificate,
  startZdxLikeHttpsServer,
  startZdxLikeServer,
  type TestServer,
} from '../support/zdx-server.js';

let zdx: TestServer;
let other: TestServer;
let otel: OtelHarness;
/** A ZDX host (in extraHosts) where nothing listens: connections are refused. */
let refused: string;

// One harness per test file: the http instrumentation patches node:http once per process.
beforeAll(async () => {
  zdx = await startZdxLikeServer();
  other = await startZdxLikeServer();
  const closed = await startZdxLikeServer();
  await closed.close();
  refused = closed.url;
  otel = setupOtel({ zdx: { extraHosts: [zdx.hostPort, closed.hostPort] } });
});
afterAll(async () => {
  await otel.shutdown();
  await zdx.close();
  await other.close();
});

const spanFor = (marker: string) => otel.spans().filter((s) => String(s.attributes['url.full']).includes(marker));

describe('every ZDX status code, through every client', () => {
  for (const client of CLIENTS) {
    it(`${client}: spans and counts carry the code's class and meaning`, async () => {
      const marker = `c=${CLIENTS.indexOf(client)}`;
      for (const { code } of ZDX_STATUS_CODES) {
        const answer = call(client, `${zdx.url}/v1/devices/${code}?status=${code}&${marker}`);
        // fetch turns a 407 into a network error when no proxy is in use (Fetch standard); the attempt
        // still got its 407, so it must still be seen.
        if (client === 'fetch' && code === 407) await expect(answer).rejects.toThrow();
        else expect(await answer).toBe(code);
      }
      const points = await otel.points('zdx.api.requests');
      for (const info of ZDX_STATUS_CODES) {
        const spans = spanFor(`/v1/devices/${info.code}?status=${info.code}&${marker}`);
        expect(spans, `one span for ${info.code}`).toHaveLength(1);
        const span = spans[0]!;
        expect(span.name).toBe('GET /v1/devices/{deviceid}');
        expect(span.attributes['url.template']).toBe('/v1/devices/{deviceid}');
        expect(span.attributes['zdx.status_class']).toBe(info.statusClass);
        expect(span.attributes['zdx.status_text']).toBe(info.text);
        expect(span.attributes['zdx.status_description']).toBe(info.description);
        expect(span.attributes['zdx.retryable']).toBe(info.retryable);
        if (info.code! >= 400) {
          expect(span.attributes['error.type']).toBe(String(info.code));
          expect(span.status.code).toBe(SpanStatusCode.ERROR);
          expect(span.status.message).toContain(info.text);
        } else {
          expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
        }
      }
      // Counts are cumulative across clients: each earlier client added one per code as well.
      const round = CLIENTS.indexOf(client) + 1;
      for (const info of ZDX_STATUS_CODES) {
        expect(
          total(points, {
            'url.template': '/v1/devices/{deviceid}',
            'http.response.status_code': info.code!,
            'zdx.status_class': info.statusClass,
            'http.request.method': 'GET',
            'server.address': '127.0.0.1',
            ...(info.code! >= 400 ? { 'error.type': String(info.code) } : {}),
          }),
          `count of ${info.code}`,
        ).toBe(round);
      }
    });
  }
});

describe('attribution under concurrency', () => {
  it('100 concurrent keep-alive requests to mixed endpoints each get their own template and code', async () => {
    const paths = [
      [
        '/v1/devices/{deviceid}/apps/{appid}/web-probes/{probeid}',
        (i: number) => `/v1/devices/${i}/apps/${i + 1}/web-probes/${i + 2}`,
      ],
      ['/v1/users/{userid}', (i: number) => `/zdx/v1/users/${i}`],
      ['/v1/alerts/{alert_id}', (i: number) => `/v1/alerts/747316076482117937${i % 10}/`],
      ['/v1/apps/{appid}/score', (i: number) => `/v1/apps/${i}/score`],
    ] as const;
    const codes = [200, 404, 429, 503, 201];
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const before = await otel.points('zdx.api.requests');
    const durationsBefore = await otel.points('zdx.api.request.duration');
    const expected = new Map<string, number>();
    const jobs = Array.from({ length: 100 }, (_, i) => {
      const [template, make] = paths[i % paths.length]!;
      const code = codes[(i * 7) % codes.length]!;
      const client: ClientName = i % 2 === 0 ? 'fetch' : 'node:http';
      const key = `${template} ${code}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
      const marker = `conc=${i}`;
      return call(client, `${zdx.url}${make(i)}?status=${code}&delay=${(i * 13) % 25}&${marker}`, { agent }).then(
        (status) => ({ template, code, marker, status }),
      );
    });
    const results = await Promise.all(jobs);
    agent.destroy();
    for (const r of results) {
      expect(r.status).toBe(r.code);
      const [span] = spanFor(`${r.marker}`).filter((s) => String(s.attributes['url.full']).endsWith(r.marker));
      expect(span?.attributes['url.template'], r.marker).toBe(r.template);
      expect(span?.attributes['http.response.status_code'], r.marker).toBe(r.code);
      expect(span?.attributes['zdx.status_class'], r.marker).toBe(`${String(r.code)[0]}xx`);
    }
    const after = await otel.points('zdx.api.requests');
    // Durations are recorded in batches (more than one here): every one of them is in the collection too.
    const durationsAfter = await otel.points('zdx.api.request.duration');
    for (const [key, n] of expected) {
      const [template, code] = key.split(' ');
      const match = { 'url.template': template!, 'http.response.status_code': Number(code) };
      expect(total(after, match) - total(before, match), key).toBe(n);
      expect(total(durationsAfter, match) - total(durationsBefore, match), key).toBe(n);
    }
  });
});

describe('failures are counted with their error.type', () => {
  async function failures(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const p of await otel.points('zdx.api.requests')) {
      if (p.attributes['zdx.status_class'] !== 'error') continue;
      const key = `${p.attributes['url.template']} ${p.attributes['error.type']}`;
      counts.set(key, (counts.get(key) ?? 0) + p.value);
    }
    return counts;
  }
  const delta = (after: Map<string, number>, before: Map<string, number>, key: string) =>
    (after.get(key) ?? 0) - (before.get(key) ?? 0);

  it('ECONNREFUSED for every client', async () => {
    const before = await failures();
    for (const client of CLIENTS) await expect(call(client, `${refused}/v1/devices/1`)).rejects.toThrow();
    const after = await failures();
    expect(delta(after, before, '/v1/devices/{deviceid} ECONNREFUSED')).toBe(CLIENTS.length);
    const refusedPoints = (await otel.points('zdx.api.requests')).filter(
      (p) => p.attributes['error.type'] === 'ECONNREFUSED',
    );
    expect(refusedPoints.every((p) => p.attributes['http.response.status_code'] === undefined)).toBe(true);
    const spans = otel.spans().filter((s) => String(s.attributes['url.full']).startsWith(refused));
    expect(spans).toHaveLength(CLIENTS.length);
    for (const span of spans) {
      expect(span.name).toBe('GET /v1/devices/{deviceid}');
      expect(span.attributes['zdx.status_class']).toBe('error');
      expect(span.attributes['error.type']).toBe('ECONNREFUSED');
    }
  });

  it('socket reset, timeout and abort', async () => {
    const before = await failures();
    await expect(call('fetch', `${zdx.url}/v1/users?reset=1`)).rejects.toThrow();
    await expect(call('node:http', `${zdx.url}/v1/users?reset=1`)).rejects.toThrow();
    await expect(call('axios', `${zdx.url}/v1/apps?delay=500`, { timeoutMs: 50 })).rejects.toThrow();
    await expect(call('node:http', `${zdx.url}/v1/apps?delay=500`, { timeoutMs: 50 })).rejects.toThrow();
    await expect(
      call('fetch', `${zdx.url}/v1/alerts/ongoing?delay=500`, { signal: AbortSignal.timeout(50) }),
    ).rejects.toThrow();
    const controller = new AbortController();
    const pending = call('fetch', `${zdx.url}/v1/alerts/historical?delay=500`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    const after = await failures();
    expect(delta(after, before, '/v1/users UND_ERR_SOCKET')).toBe(1);
    expect(delta(after, before, '/v1/users ECONNRESET')).toBe(1);
    expect(
      delta(after, before, '/v1/apps ETIMEDOUT') +
        delta(after, before, '/v1/apps AbortError') +
        delta(after, before, '/v1/apps ECONNABORTED'),
    ).toBe(2);
    expect(
      delta(after, before, '/v1/alerts/ongoing TimeoutError') + delta(after, before, '/v1/alerts/ongoing AbortError'),
    ).toBe(1);
    expect(delta(after, before, '/v1/alerts/historical AbortError')).toBe(1);
  });
});

describe('responses whose body is never read', () => {
  /** Polls `read` until it returns `want` (telemetry that waits for a socket or stream to close). */
  async function eventually(read: () => Promise<number>, want: number): Promise<number> {
    for (let i = 0; i < 100; i++) {
      const got = await read();
      if (got === want) return got;
      await new Promise((r) => setTimeout(r, 20));
    }
    return read();
  }

  it('count as soon as their status is known, and end when the application lets go', async () => {
    const agent = new http.Agent({ keepAlive: true });
    const deleted = {
      'url.template': '/v1/devices/{deviceid}',
      'http.request.method': 'DELETE',
      'http.response.status_code': 204,
    };
    const big = { 'url.template': '/v1/apps/{appid}', 'http.request.method': 'GET', 'http.response.status_code': 200 };
    const count = async (match: Record<string, string | number>) => total(await otel.points('zdx.api.requests'), match);
    const timed = async (match: Record<string, string | number>) =>
      total(await otel.points('zdx.api.request.duration'), match);
    const [deletedBefore, bigBefore] = [await count(deleted), await count(big)];
    const [deletedTimedBefore, bigTimedBefore] = [await timed(deleted), await timed(big)];

    // node:http: the application looks at the status only and never reads (or resumes) the response.
    const status = await new Promise<number>((resolve, reject) => {
      http
        .request(`${zdx.url}/v1/devices/77?status=204&unread=1`, { method: 'DELETE', agent }, (res) =>
          resolve(res.statusCode!),
        )
        .on('error', reject)
        .end();
    });
    expect(status).toBe(204);
    // fetch: a large body is never consumed, so undici never reaches its trailers.
    const response = await fetch(`${zdx.url}/v1/apps/78?size=4000000&unread=2`);
    expect(response.status).toBe(200);

    expect(await count(deleted)).toBe(deletedBefore + 1);
    expect(await count(big)).toBe(bigBefore + 1);

    // Their duration is recorded once they are over, whatever ends them: the server closing the idle
    // connection (as its keep-alive timeout would), the body cancelled.
    zdx.dropConnections();
    await response.body?.cancel();
    agent.destroy();
    expect(await eventually(() => timed(deleted), deletedTimedBefore + 1)).toBe(deletedTimedBefore + 1);
    expect(await eventually(() => timed(big), bigTimedBefore + 1)).toBe(bigTimedBefore + 1);
    // Counted once, not again at the end.
    expect(await count(deleted)).toBe(deletedBefore + 1);
    expect(await count(big)).toBe(bigBefore + 1);
  });
});

describe('a fetch response dropped without reading its body', () => {
  it('ends when it is garbage collected: its duration is recorded as an abort', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const match = {
      'url.template': '/v1/alerts/{alert_id}',
      'error.type': 'AbortError',
      'http.response.status_code': 200,
    };
    const timed = async () => total(await otel.points('zdx.api.request.duration'), match);
    const before = await timed();
    // The only reference to the response lives in this function's frame.
    await (async () => {
      const response = await fetch(`${zdx.url}/v1/alerts/123?size=4000000&dropped=1`);
      expect(response.status).toBe(200);
    })();
    let after = before;
    for (let i = 0; i < 50 && after === before; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
      after = await timed();
    }
    expect(after).toBe(before + 1);
  });
});

describe('hosts that are not ZDX', () => {
  it('get no metrics and untouched spans', async () => {
    // Both servers are on 127.0.0.1, only on different ports: the count must not move for the other port.
    const before = total(await otel.points('zdx.api.requests'), {});
    for (const client of CLIENTS)
      await call(client, `${other.url}/v1/devices/1?status=429&other=${CLIENTS.indexOf(client)}`);
    expect(total(await otel.points('zdx.api.requests'), {})).toBe(before);
    const spans = otel.spans().filter((s) => String(s.attributes['url.full']).includes('other='));
    expect(spans).toHaveLength(CLIENTS.length);
    for (const span of spans) {
      expect(span.name).toBe('GET');
      expect(span.attributes['url.template']).toBeUndefined();
      expect(span.attributes['zdx.status_class']).toBeUndefined();
    }
  });
});

describe('rate-limit headers', () => {
  it('become span attributes and the remaining gauge', async () => {
    await call('fetch', `${zdx.url}/v1/devices?status=429&ratelimit=1&rl=fetch`);
    await call('axios', `${zdx.url}/v1/devices?status=429&ratelimit=1&rl=axios`);
    for (const client of ['fetch', 'axios']) {
      const [span] = spanFor(`rl=${client}`);
      expect(span?.attributes['zdx.rate_limit.limit']).toBe(30);
      expect(span?.attributes['zdx.rate_limit.remaining']).toBe(0);
      expect(span?.attributes['zdx.rate_limit.second.limit']).toBe(5);
      expect(span?.attributes['zdx.rate_limit.minute.remaining']).toBe(7);
      expect(span?.attributes['zdx.retry_after']).toBe(3);
      expect(Number(span?.attributes['zdx.rate_limit.reset'])).toBeGreaterThan(Date.now() / 1000);
      expect(span?.attributes['zdx.retryable']).toBe(true);
    }
    const gauge = await otel.points('zdx.api.rate_limit.remaining');
    expect(total(gauge, { 'server.address': '127.0.0.1', 'zdx.rate_limit.window': 'minute' })).toBe(7);
    expect(total(gauge, { 'server.address': '127.0.0.1', 'zdx.rate_limit.window': 'second' })).toBe(0);
    expect(gauge.some((p) => p.attributes['zdx.rate_limit.window'] === 'window')).toBe(true);
    // The limit beside the remaining count, per window, so remaining / limit is one division in PromQL.
    const limit = await otel.points('zdx.api.rate_limit.limit');
    expect(total(limit, { 'server.address': '127.0.0.1', 'zdx.rate_limit.window': 'second' })).toBe(5);
    expect(total(limit, { 'server.address': '127.0.0.1', 'zdx.rate_limit.window': 'window' })).toBe(30);
    expect(limit.every((p) => p.attributes['zdx.tenant'] === undefined)).toBe(true);
  });
});

describe('HTTPS and the built-in hosts', () => {
  it('counts HTTPS calls to api.zdxcloud.net (resolved to loopback) through node:https and undici', async () => {
    const tls = selfSignedCertificate();
    const server = await startZdxLikeHttpsServer(tls);
    const local = otel;
    try {
      // Real clients, real TLS; only name resolution is pointed at loopback.
      const lookup = (_host: string, opts: unknown, cb: (...a: unknown[]) => void) =>
        (opts as { all?: boolean }).all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
      const agent = new (await import('node:https')).Agent({
        ca: tls.cert,
        servername: 'localhost',
        lookup: lookup as never,
      });
      const url = `https://api.zdxcloud.net:${server.port}/v1/devices/42/apps/7?status=200`;
      expect(await call('node:http', url, { agent: agent as unknown as http.Agent })).toBe(200);
      const dispatcher = new Agent({ connect: { ca: tls.cert, servername: 'localhost', lookup: lookup as never } });
      const { request } = await import('undici');
      const res = await request(`https://api.zsapi.net:${server.port}/zdx/v1/devices/42/apps/7?status=503`, {
        dispatcher,
      });
      await res.body.arrayBuffer();
      await dispatcher.close();
      agent.destroy();
      const points = await local.points('zdx.api.requests');
      expect(
        total(points, {
          'server.address': 'api.zdxcloud.net',
          'url.template': '/v1/devices/{deviceid}/apps/{appid}',
          'http.response.status_code': 200,
        }),
      ).toBe(1);
      expect(
        total(points, {
          'server.address': 'api.zsapi.net',
          'url.template': '/v1/devices/{deviceid}/apps/{appid}',
          'http.response.status_code': 503,
        }),
      ).toBe(1);
      const names = local.spans().map((s) => s.name);
      expect(names.filter((n) => n === 'GET /v1/devices/{deviceid}/apps/{appid}')).toHaveLength(2);
    } finally {
      await server.close();
    }
  });
});
