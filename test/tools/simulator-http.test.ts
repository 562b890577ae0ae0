import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/tools/simulator/index.js';

const running: RunningSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function start(options: SimulatorOptions = {}) {
  const s = await startSimulator({ auth: false, scenario: { rateLimit: { enabled: false } }, ...options });
  running.push(s);
  return s;
}

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function raw(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer; chunks?: Buffer[] } = {},
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (init.chunks !== undefined) {
      for (const c of init.chunks) req.write(c);
      req.end();
    } else {
      req.end(init.body);
    }
  });
}

const json = (r: Raw) => JSON.parse(r.body) as { code: string; message: string; details?: string[] };

describe('paths and methods', () => {
  test('every endpoint is served at /v1 and /zdx/v1, with or without a trailing slash', async () => {
    const s = await start();
    for (const path of ['/v1/apps', '/v1/apps/', '/zdx/v1/apps', '/zdx/v1/apps/', '/v1/apps//']) {
      const res = await raw(`${s.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(Array.isArray(JSON.parse(res.body))).toBe(true);
    }
    // Spellings seen in the wild: softwares (help) and /zdx/snapshot without /v1 (Automation Hub).
    const sw = JSON.parse((await raw(`${s.url}/v1/inventory/software?limit=1`)).body) as {
      software: Array<{ software_key: string }>;
    };
    expect((await raw(`${s.url}/zdx/v1/inventory/softwares/${sw.software[0]!.software_key}`)).status).toBe(200);
    const alerts = JSON.parse((await raw(`${s.url}/v1/alerts/ongoing?limit=1`)).body) as {
      alerts: Array<{ id: string }>;
    };
    const snapshot = await raw(`${s.url}/zdx/snapshot/alert`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'x',
        alert_id: alerts.alerts[0]!.id,
        expiry: Math.floor(Date.now() / 1000) + 86_400,
      }),
    });
    expect(snapshot.status).toBe(200);
    expect(s.stats().byEndpoint['POST /v1/snapshot/alert']).toEqual({ '200': 1 });
    // Only the snapshot oddity is accepted without /v1; other paths are not.
    expect((await raw(`${s.url}/zdx/apps`)).status).toBe(404);
  });

  test('unknown path → 404 NOT_FOUND; static segments win over parameters', async () => {
    const s = await start();
    const res = await raw(`${s.url}/v1/nothing`);
    expect(res.status).toBe(404);
    expect(json(res)).toEqual({ code: 'NOT_FOUND', message: 'no ZDX API endpoint at /v1/nothing' });
    expect((await raw(`${s.url}/`)).status).toBe(404);
    expect((await raw(`${s.url}/v2/apps`)).status).toBe(404);
    // /v1/alerts/ongoing is its own endpoint, not alert "ongoing"; an unknown alert id is a 404 of the resource.
    expect((await raw(`${s.url}/v1/alerts/ongoing`)).status).toBe(200);
    const alert = await raw(`${s.url}/v1/alerts/123`);
    expect(alert.status).toBe(404);
    expect(json(alert).message).toBe('alert 123 not found');
  });

  test('wrong method → 405 with Allow; OPTIONS → 204 with Allow; HEAD like GET without a body', async () => {
    const s = await start();
    const del = await raw(`${s.url}/v1/devices`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBe('GET');
    expect(json(del).code).toBe('METHOD_NOT_ALLOWED');
    const trace = await raw(`${s.url}/v1/devices/1/deeptraces/2`, { method: 'POST' });
    expect(trace.status).toBe(405);
    expect(trace.headers.allow).toBe('GET, DELETE');
    const options = await raw(`${s.url}/v1/devices/1/deeptraces`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.allow).toBe('GET, POST');
    const head = await raw(`${s.url}/v1/apps`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(100);
  });

  test('a method the server does not know → 501', async () => {
    const s = await start();
    const res = await raw(`${s.url}/v1/apps`, { method: 'PROPFIND' });
    expect(res.status).toBe(501);
    expect(json(res).code).toBe('NOT_IMPLEMENTED');
  });
});

describe('malformed queries → 400 VALIDATION_ERROR with details', () => {
  test.each([
    ['/v1/users?from=abc', /from: must be epoch seconds/],
    ['/v1/users?to=-5', /to: must be epoch seconds/],
    ['/v1/users?from=1800000000&to=1700000000', /must be earlier than to/],
    ['/v1/users?from=1700000000&to=1700000000', /must be earlier than to/],
    ['/v1/alerts/ongoing?from=1700000000&to=1702000000', /may not exceed 1209600 s/],
    ['/v1/users?from=1700000000000', /looks like milliseconds/],
    ['/v1/users?from=1&from=2', /given 2 times/],
    ['/v1/devices?limit=0', /limit: must be an integer from 1 to 500/],
    ['/v1/devices?limit=ten', /limit/],
    ['/v1/devices?offset=bogus', /offset: not a next_offset/],
    ['/v1/devices?loc=paris', /loc: must be integer ids/],
    ['/v1/apps/1/metrics?metric_name=nope', /metric_name: must be one of/],
    ['/v1/apps/1/users?score_bucket=great', /score_bucket/],
    ['/v1/devices/abc', /deviceid: must be a numeric id/],
    ['/v1/users?q=%zz', /invalid percent-encoding/],
    ['/v1/devices/%E0%A4%A', /invalid percent-encoding/],
    ['/v1/config/departments?page=0', /page: must be an integer/],
  ])('%s', async (path, detail) => {
    const s = await start();
    const res = await raw(`${s.url}${path}`);
    expect(res.status).toBe(400);
    const body = json(res);
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(body.details?.join(' ')).toMatch(detail);
  });

  test('from/to is checked on every windowed endpoint, even one that needs no range', async () => {
    const s = await start();
    expect((await raw(`${s.url}/v1/alerts/123/affected_devices?from=x`)).status).toBe(400);
    expect((await raw(`${s.url}/v1/oauth/validate?from=x`)).status).toBe(200);
  });

  test('a cursor from another list is refused instead of silently mixing lists', async () => {
    const s = await start();
    const devices = JSON.parse((await raw(`${s.url}/v1/devices?limit=2`)).body) as { next_offset: string };
    const res = await raw(`${s.url}/v1/users?limit=2&offset=${devices.next_offset}`);
    expect(res.status).toBe(400);
    expect(json(res).details?.[0]).toMatch(/different list/);
  });
});

describe('oversized and unacceptable requests', () => {
  test('headers larger than maxHeaderBytes → 431 with a ZDX body (default 16 KiB, and a custom limit)', async () => {
    const s = await start();
    const big = await raw(`${s.url}/v1/apps`, { headers: { 'x-filler': 'a'.repeat(20_000) } });
    expect(big.status).toBe(431);
    expect(json(big)).toEqual({
      code: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
      message: 'the request header fields are too large',
    });
    expect((await raw(`${s.url}/v1/apps`, { headers: { 'x-filler': 'a'.repeat(10_000) } })).status).toBe(200);
    const small = await start({ maxHeaderBytes: 4096 });
    expect((await raw(`${small.url}/v1/apps`, { headers: { 'x-filler': 'a'.repeat(5000) } })).status).toBe(431);
    expect(small.stats().byEndpoint.unparsed).toEqual({ '431': 1 });
    // The server survives and keeps answering.
    expect((await raw(`${small.url}/v1/apps`)).status).toBe(200);
  });

  test('body larger than maxBodyBytes → 413, by Content-Length or while streaming chunks', async () => {
    const s = await start({ maxBodyBytes: 64 * 1024 });
    const declared = await raw(`${s.url}/v1/analysis`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(200_000) }),
    });
    expect(declared.status).toBe(413);
    expect(json(declared).code).toBe('REQUEST_ENTITY_TOO_LARGE');
    const chunked = await raw(`${s.url}/v1/analysis`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      chunks: Array.from({ length: 20 }, () => Buffer.alloc(8 * 1024, 0x20)),
    });
    expect(chunked.status).toBe(413);
    const viaFetch = await fetch(`${s.url}/v1/analysis`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(viaFetch.status).toBe(413);
    expect((await raw(`${s.url}/v1/apps`)).status).toBe(200);
  });

  test('request target longer than maxUrlLength → 414', async () => {
    const s = await start();
    const res = await raw(`${s.url}/v1/users?q=${'a'.repeat(9000)}`);
    expect(res.status).toBe(414);
    expect(json(res).code).toBe('REQUEST_URI_TOO_LONG');
  });

  test('non-JSON body → 415; invalid JSON → 400; Accept without JSON → 406; unmet Expect → 417', async () => {
    const s = await start();
    const text = await raw(`${s.url}/v1/analysis`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hi',
    });
    expect(text.status).toBe(415);
    const broken = await raw(`${s.url}/v1/analysis`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"device_id":',
    });
    expect(broken.status).toBe(400);
    expect(json(broken).details?.[0]).toMatch(/^body: /);
    expect((await raw(`${s.url}/v1/apps`, { headers: { accept: 'text/html' } })).status).toBe(406);
    expect((await raw(`${s.url}/v1/apps`, { headers: { accept: 'application/json;q=0, text/html' } })).status).toBe(
      406,
    );
    expect((await raw(`${s.url}/v1/apps`, { headers: { accept: 'text/html, */*;q=0.1' } })).status).toBe(200);
    const expect417 = await raw(`${s.url}/v1/apps`, { headers: { expect: 'teapot' } });
    expect(expect417.status).toBe(417);
    expect(json(expect417).code).toBe('EXPECTATION_FAILED');
  });

  test('garbage on the socket → 400 with a ZDX body, and the server keeps serving', async () => {
    const s = await start();
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(s.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (c: string) => (data += c));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(reply).toContain('"code":"VALIDATION_ERROR"');
    expect((await raw(`${s.url}/v1/apps`)).status).toBe(200);
  });
});

describe('clients that go away', () => {
  test('a client that drops mid-body or mid-answer does not break the server', async () => {
    const s = await start({ scenario: { rateLimit: { enabled: false }, latency: { distribution: 'fixed', ms: 50 } } });
    await new Promise<void>((resolve) => {
      const socket = connect(s.port, '127.0.0.1', () => {
        socket.write(
          'POST /v1/analysis HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"dev',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 20);
      });
    });
    await new Promise<void>((resolve) => {
      const req = request(`${s.url}/v1/apps`, { agent: false });
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 10); // before the 50 ms latency has passed
    });
    await new Promise((r) => setTimeout(r, 100));
    expect((await raw(`${s.url}/v1/apps`)).status).toBe(200);
  });
});

describe('lifecycle', () => {
  test('close() returns promptly with idle keep-alive sockets and with a slow body in flight', async () => {
    const s = await startSimulator({
      auth: false,
      scenario: { endpoints: { 'GET /v1/users': { slowBody: { ms: 30_000 } } } },
    });
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      request(`${s.url}/v1/apps`, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    const inFlight = new Promise<string>((resolve) => {
      request(`${s.url}/v1/users`, { agent: false }, (res) => {
        res.resume();
        res.on('error', () => resolve('aborted'));
        res.on('end', () => resolve('ended'));
        res.on('close', () => resolve('closed'));
      })
        .on('error', () => resolve('error'))
        .end();
    });
    await new Promise((r) => setTimeout(r, 100));
    const t = performance.now();
    await s.close();
    expect(performance.now() - t).toBeLessThan(1000); // keep-alive timeout is 5 s, the slow body 30 s
    expect(['aborted', 'closed', 'error']).toContain(await inFlight);
    await s.close(); // idempotent
    agent.destroy();
  });

  test('listens on loopback only unless allowRemote is set; rejects bad options', async () => {
    await expect(startSimulator({ host: '0.0.0.0' })).rejects.toThrow(/not a loopback address/);
    await expect(startSimulator({ port: 70_000 })).rejects.toThrow(/invalid port/);
    await expect(startSimulator({ tokenTtlSeconds: 0 })).rejects.toThrow(/tokenTtlSeconds/);
    await expect(startSimulator({ apiKeys: {} })).rejects.toThrow(/at least one key/);
    const s = await start();
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
  });

  test('HTTPS with a given key and certificate', async () => {
    const s = await start({ tls: { key: TEST_KEY, cert: TEST_CERT } });
    expect(s.url).toBe(`https://127.0.0.1:${s.port}`);
    const status = await new Promise<number>((resolve, reject) => {
      httpsRequest(`${s.url}/zdx/v1/apps`, { ca: TEST_CERT, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(200);
  });
});

// A self-signed P-256 certificate for 127.0.0.1 and localhost, valid until 2126; used only by this test.
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCqTcjaUsG6Hiem/M
Kw+gXHIYWJ0chJbbCKS+eNV5xTyhRANCAAQsf0j2COhWV/d+AmWLRPqFMVX2DlwB
bLqlftTzJ83WhFcnCinWU6SISqehOsF+lX9qbiLCQyNJTr+yQPbpzRlR
-----END PRIVATE KEY-----
`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBrjCCAVOgAwIBAgIUIU7oJx/tLBQ/bdRLVc5/PWNynTQwCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSemR4LXNpbXVsYXRvci10ZXN0MCAXDTI2MTEyNjEzMTY0OVoY
DzIxMjYxMTAyMTMxNjQ5WjAdMRswGQYDVQQDDBJ6ZHgtc2ltdWxhdG9yLXRlc3Qw
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQsf0j2COhWV/d+AmWLRPqFMVX2DlwB
bLqlftTzJ83WhFcnCinWU6SISqehOsF+lX9qbiLCQyNJTr+yQPbpzRlRo28wbTAd
BgNVHQ4EFgQU7ObqNlaG+OFPekusxNZHMDg1uvAwHwYDVR0jBBgwFoAU7ObqNlaG
+OFPekusxNZHMDg1uvAwDwYDVR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAAB
gglsb2NhbGhvc3QwCgYIKoZIzj0EAwIDSQAwRgIhAMOIgS21DXrL4XxgBoUyre6X
U6GuzQulUcOdrr+IhpZDAiEAvTD/V6BJeCTPaN+R2kHkrWfIIMXCPWnRCmZu+z8d
sBU=
-----END CERTIFICATE-----
`;
