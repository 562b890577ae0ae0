import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedSpanRegistry } from '../../src/core/span-registry.js';
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
      await call(i % 2 ? 'fetch' : 'node:http', `${zdx.url}/v1/${word}/${i}/${word}?status=${200 + (i % 300)}`).catch(() => undefined);
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
});
