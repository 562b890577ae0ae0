import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withZdxTenant, zdxTenantContext, activeZdxTenant } from '../../src/index.js';
import { call, CLIENTS } from '../support/clients.js';
import { setupOtel, total, type OtelHarness } from '../support/otel.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

let zdx: TestServer;
let otel: OtelHarness;

beforeAll(async () => {
  zdx = await startZdxLikeServer();
  otel = setupOtel({ zdx: { extraHosts: [zdx.hostPort], maxTenants: 3 } });
});
afterAll(async () => {
  await otel.shutdown();
  await zdx.close();
});

const spansWith = (marker: string) => otel.spans().filter((s) => String(s.attributes['url.full']).includes(marker));

describe('withZdxTenant', () => {
  it('labels the spans and metrics of the calls made inside it, through every client and across awaits', async () => {
    for (const [i, client] of CLIENTS.entries()) {
      await withZdxTenant('acme', async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        await call(client, `${zdx.url}/v1/devices/1?ratelimit=1&t=acme-${i}`);
      });
      await withZdxTenant('globex', () => call(client, `${zdx.url}/v1/devices/2?status=429&t=globex-${i}`));
    }
    const requests = await otel.points('zdx.api.requests');
    expect(total(requests, { 'zdx.tenant': 'acme' })).toBe(CLIENTS.length);
    expect(total(requests, { 'zdx.tenant': 'globex', 'http.response.status_code': 429 })).toBe(CLIENTS.length);
    for (const [i, client] of CLIENTS.entries()) {
      expect(spansWith(`t=acme-${i}`)[0]?.attributes['zdx.tenant'], client).toBe('acme');
      expect(spansWith(`t=globex-${i}`)[0]?.attributes['zdx.tenant'], client).toBe('globex');
    }
    // Rate-limit budgets belong to the tenant's API key: the gauges keep the tenant too.
    const remaining = await otel.points('zdx.api.rate_limit.remaining');
    expect(remaining.some((p) => p.attributes['zdx.tenant'] === 'acme')).toBe(true);
  });

  it('changes nothing for calls made outside it', async () => {
    await call('fetch', `${zdx.url}/v1/devices/3?t=none`);
    expect(spansWith('t=none')[0]?.attributes['zdx.tenant']).toBeUndefined();
    const untagged = (await otel.points('zdx.api.requests')).filter(
      (p) => p.attributes['url.template'] !== undefined && p.attributes['zdx.tenant'] === undefined,
    );
    expect(total(untagged, {})).toBeGreaterThanOrEqual(1);
    expect(activeZdxTenant()).toBeUndefined();
  });

  it('never throws for a bad name and caps distinct names, so labels stay bounded', async () => {
    // An email is not a tenant name: recorded as _OTHER, and the call still happens.
    await withZdxTenant('jsmith@example.com', () => call('fetch', `${zdx.url}/v1/devices/4?t=bad`));
    expect(spansWith('t=bad')[0]?.attributes['zdx.tenant']).toBe('_OTHER');
    // maxTenants is 3 here: acme and globex are in; one more name fits, the rest share _OTHER.
    for (const name of ['t3', 't4', 't5']) {
      await withZdxTenant(name, () => call('node:http', `${zdx.url}/v1/devices/5?t=cap-${name}`));
    }
    expect(spansWith('t=cap-t3')[0]?.attributes['zdx.tenant']).toBe('t3');
    expect(spansWith('t=cap-t4')[0]?.attributes['zdx.tenant']).toBe('_OTHER');
    expect(spansWith('t=cap-t5')[0]?.attributes['zdx.tenant']).toBe('_OTHER');
    const tenants = new Set((await otel.points('zdx.api.requests')).map((p) => p.attributes['zdx.tenant']));
    tenants.delete(undefined);
    expect([...tenants].sort()).toEqual(['_OTHER', 'acme', 'globex', 't3']);
  });

  it('zdxTenantContext gives a context for code that manages contexts itself', () => {
    const ctx = zdxTenantContext('initech');
    expect(ctx.getValue(Symbol.for('zdx-otel.tenant'))).toBe('initech');
  });
});
