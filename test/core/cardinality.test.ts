import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_METRIC_ATTRIBUTES } from '../../src/core/contract.js';
import { sharedSpanRegistry } from '../../src/core/span-registry.js';
import { withZdxTenant } from '../../src/index.js';
import { call } from '../support/clients.js';
import { setupOtel, total, type OtelHarness } from '../support/otel.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

const VOCABULARY = ['reports', 'jobs', 'tasks', 'logs', 'exports', 'audits', 'results', 'labels'];

let zdx: TestServer;
let otel: OtelHarness;

beforeAll(async () => {
  zdx = await startZdxLikeServer();
  otel = setupOtel({ zdx: { extraHosts: [zdx.hostPort], maxUnknownTemplates: 5, cardinalityLimit: 40 } });
});
afterAll(async () => {
  await otel.shutdown();
  await zdx.close();
});

describe('cardinality stays bounded whatever URLs and codes arrive', () => {
  it('unknown paths share at most maxUnknownTemplates templates, then /{other}; series stay under the limit', async () => {
    const n = 300;
    const before = zdx.requests;
    for (let i = 0; i < n; i++) {
      // Every request a new path shape and a different status code: the worst case for cardinality.
      // (Unknown words become {id}, so the shapes vary by vocabulary words, which templates keep.)
      const word = `${VOCABULARY[i % VOCABULARY.length]}/${VOCABULARY[Math.floor(i / VOCABULARY.length) % VOCABULARY.length]}`;
      // fetch rejects a few codes (407 without a proxy); the attempt got its answer and still counts.
      await call(i % 2 ? 'fetch' : 'node:http', `${zdx.url}/v1/${word}/${i}/${word}?status=${200 + (i % 300)}`).catch(
        () => undefined,
      );
    }
    const points = await otel.points('zdx.api.requests');
    const templates = new Set(points.map((p) => p.attributes['url.template']).filter((t) => t !== undefined));
    expect(templates.size).toBeLessThanOrEqual(6);
    expect(templates.has('/{other}')).toBe(true);
    for (const t of templates) expect(String(t)).not.toMatch(/\d{2,}/);
    // The View's cardinality limit folds the rest into one overflow series; the total stays exact.
    expect(points.length).toBeLessThanOrEqual(40);
    expect(points.some((p) => p.attributes['otel.metric.overflow'] === true)).toBe(true);
    // One point per HTTP attempt: fetch itself retries one of these codes on a new connection (421), so
    // the server's own count is the truth, not the number of calls.
    expect(zdx.requests - before).toBeGreaterThanOrEqual(n);
    expect(total(points, {})).toBe(zdx.requests - before);
    // Spans that ended took their records; the span registry does not grow with traffic.
    expect(sharedSpanRegistry().size).toBeLessThan(10);
  });

  it('the limit holds across collections for the life of the process, with cumulative temporality', async () => {
    // The SDK applies aggregationCardinalityLimit per collection only: series from earlier collections are
    // kept on top of it. Collect between rounds of new (template, status) pairs: the bound must still hold.
    const before = zdx.requests;
    const countedBefore = total(await otel.points('zdx.api.requests'), {});
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 40; i++) {
        const code = 200 + ((round * 40 + i) % 300);
        await call(i % 2 ? 'undici' : 'node:http', `${zdx.url}/v1/devices/${i}/apps/${round}?status=${code}`);
      }
      for (const name of ['zdx.api.requests', 'zdx.api.request.duration']) {
        const points = await otel.points(name);
        expect(points.length, `${name} after round ${round}`).toBeLessThanOrEqual(40);
        expect(points.filter((p) => p.attributes['otel.metric.overflow'] === true)).toHaveLength(1);
      }
    }
    // Only the documented attributes (or the overflow marker) are ever recorded.
    const allowed = new Set([...REQUEST_METRIC_ATTRIBUTES, 'otel.metric.overflow']);
    for (const p of await otel.points('zdx.api.requests')) {
      for (const key of Object.keys(p.attributes)) expect(allowed.has(key), key).toBe(true);
    }
    // Folding loses no request: the totals stay exact.
    expect(total(await otel.points('zdx.api.requests'), {}) - countedBefore).toBe(zdx.requests - before);
    expect(total(await otel.points('zdx.api.request.duration'), {}) - countedBefore).toBe(zdx.requests - before);
  });

  it('the rate-limit gauges stay under the limit too, whatever tenants and windows report', async () => {
    // 20 tenants (the default maxTenants), each reporting three windows: 60 series uncapped.
    for (let i = 0; i < 20; i++) {
      await withZdxTenant(`t${i}`, () => call(i % 2 ? 'fetch' : 'node:http', `${zdx.url}/v1/devices/${i}?ratelimit=1`));
    }
    for (const name of ['zdx.api.rate_limit.remaining', 'zdx.api.rate_limit.limit']) {
      const points = await otel.points(name);
      expect(points.length, name).toBeGreaterThan(0);
      expect(points.length, name).toBeLessThanOrEqual(40);
      // Bounded before the SDK sees them: a gauge's last values are not summable, so nothing is folded
      // into an overflow series; pairs past the bound are simply not tracked.
      expect(
        points.filter((p) => p.attributes['otel.metric.overflow'] !== undefined),
        name,
      ).toEqual([]);
    }
  });
});
