// The government OneAPI gateways carry ZDX, ZIA and ZPA calls: only `/zdx/...` is ZDX. Real clients, a real
// server; only name resolution is pointed at loopback.
import http from 'node:http';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/clients.js';
import { setupOtel, total, type OtelHarness } from '../support/otel.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

let server: TestServer;
let otel: OtelHarness;

beforeAll(async () => {
  server = await startZdxLikeServer();
  otel = setupOtel();
});
afterAll(async () => {
  await otel.shutdown();
  await server.close();
});

const lookup = ((_host: string, opts: unknown, cb: (...a: unknown[]) => void) =>
  (opts as { all?: boolean }).all
    ? cb(null, [{ address: '127.0.0.1', family: 4 }])
    : cb(null, '127.0.0.1', 4)) as never;

describe('government OneAPI gateways', () => {
  it('count /zdx/ calls to api.zscalergov.net and api.zscalergov.us and leave their ZIA and ZPA calls alone', async () => {
    const agent = new http.Agent({ lookup });
    const dispatcher = new Agent({ connect: { lookup } });
    const before = server.requests;
    try {
      for (const host of ['api.zscalergov.net', 'api.zscalergov.us']) {
        const base = `http://${host}:${server.port}`;
        expect(await call('node:http', `${base}/zdx/v1/devices/42?status=200`, { agent })).toBe(200);
        expect(await call('node:http', `${base}/zia/api/v1/status?status=200`, { agent })).toBe(200);
        for (const path of [
          '/zdx/v1/users/7?status=503',
          '/zpa/mgmtconfig/v1/admin/customers/1/application?status=200',
        ]) {
          const res = await request(`${base}${path}`, { dispatcher });
          await res.body.arrayBuffer();
        }
      }
    } finally {
      agent.destroy();
      await dispatcher.close();
    }
    // Every call reached the server...
    expect(server.requests - before).toBe(8);
    // ...but only the ZDX ones were counted.
    const points = await otel.points('zdx.api.requests');
    for (const host of ['api.zscalergov.net', 'api.zscalergov.us']) {
      expect(
        total(points, {
          'server.address': host,
          'url.template': '/v1/devices/{deviceid}',
          'http.response.status_code': 200,
        }),
      ).toBe(1);
      expect(
        total(points, {
          'server.address': host,
          'url.template': '/v1/users/{userid}',
          'http.response.status_code': 503,
        }),
      ).toBe(1);
      expect(total(points, { 'server.address': host })).toBe(2);
    }
    const spans = otel.spans().filter((s) => String(s.attributes['url.full'] ?? '').includes('zscalergov'));
    expect(spans).toHaveLength(8);
    const zdx = spans.filter((s) => s.attributes['url.template'] !== undefined);
    expect(zdx.map((s) => s.name).sort()).toEqual([
      'GET /v1/devices/{deviceid}',
      'GET /v1/devices/{deviceid}',
      'GET /v1/users/{userid}',
      'GET /v1/users/{userid}',
    ]);
    for (const span of spans.filter((s) => s.attributes['url.template'] === undefined)) {
      expect(String(span.attributes['url.full'])).toMatch(/\/(zia|zpa)\//);
      expect(span.attributes['zdx.status_class']).toBeUndefined();
    }
  });
});
