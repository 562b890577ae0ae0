// Every rate-limit header form, sent by a real server and read through real clients: what reaches the span
// attributes and the remaining gauge must be whole numbers from the right family, and hostile values nothing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, CLIENTS } from '../support/clients.js';
import { setupOtel, type OtelHarness } from '../support/otel.js';

// Each request names the header set it wants back (`?set=...`).
const SETS: Record<string, Record<string, string>> = {
  // The Go OneAPI client's unsuffixed family, with a delta reset and a Go-style Retry-After.
  goOneApi: {
    'X-Ratelimit-Limit': '100',
    'X-Ratelimit-Remaining': '41',
    'X-Ratelimit-Reset': '13',
    'Retry-After': '13s',
  },
  // Both families: RateLimit-* wins field by field.
  both: {
    'RateLimit-Limit': '30',
    'RateLimit-Remaining': '29',
    'X-Ratelimit-Limit': '100',
    'X-Ratelimit-Remaining': '41',
  },
  // Hostile values: fractions, negatives, huge, NaN, an epoch in milliseconds.
  hostile: {
    'RateLimit-Limit': '2.5',
    'RateLimit-Remaining': '-3',
    'RateLimit-Reset': '1764165600000',
    'X-Ratelimit-Limit-Second': '1e3',
    'X-Ratelimit-Remaining-Second': 'NaN',
    'X-Ratelimit-Remaining-Minute': '99999999999999999999',
    'X-Ratelimit-Remaining-Hour': '2.5',
    'X-Ratelimit-Limit-Day': 'Infinity',
    'Retry-After': 'soon',
  },
};

let server: Server;
let hostPort: string;
let otel: OtelHarness;

beforeAll(async () => {
  server = createServer((req, res) => {
    const set = SETS[new URL(req.url ?? '/', 'http://x').searchParams.get('set') ?? ''] ?? {};
    res.writeHead(429, { 'content-type': 'application/json', ...set }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hostPort = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  otel = setupOtel({ zdx: { extraHosts: [hostPort] } });
});
afterAll(async () => {
  await otel.shutdown();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const spanFor = (marker: string) => otel.spans().find((s) => String(s.attributes['url.full']).includes(marker));

describe('rate-limit header forms through every client', () => {
  it('reads the unsuffixed X-Ratelimit-* family into whole numbers, and `13s` as Retry-After', async () => {
    for (const client of CLIENTS) {
      const before = Date.now();
      await call(client, `http://${hostPort}/v1/devices?set=goOneApi&c=${CLIENTS.indexOf(client)}`);
      const span = spanFor(`set=goOneApi&c=${CLIENTS.indexOf(client)}`);
      expect(span, client).toBeDefined();
      const attributes = span!.attributes;
      expect(attributes['zdx.rate_limit.limit'], client).toBe(100);
      expect(attributes['zdx.rate_limit.remaining'], client).toBe(41);
      expect(attributes['zdx.retry_after'], client).toBe(13);
      const reset = attributes['zdx.rate_limit.reset'] as number;
      expect(Number.isInteger(reset), `${client} reset ${reset}`).toBe(true);
      expect(reset).toBeGreaterThanOrEqual(Math.floor(before / 1000) + 13);
      expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 13);
    }
    const gauge = await otel.points('zdx.api.rate_limit.remaining');
    const window = gauge.filter((p) => p.attributes['zdx.rate_limit.window'] === 'window');
    expect(window.map((p) => p.value)).toContain(41);
  });

  it('prefers RateLimit-* when both families are present', async () => {
    await call('fetch', `http://${hostPort}/v1/devices?set=both`);
    await call('node:http', `http://${hostPort}/v1/devices?set=both&c=2`);
    for (const marker of ['set=both&c=2', 'set=both']) {
      const span = spanFor(marker);
      expect(span?.attributes['zdx.rate_limit.limit']).toBe(30);
      expect(span?.attributes['zdx.rate_limit.remaining']).toBe(29);
    }
  });

  it('records nothing from hostile values: no fraction, negative, huge or NaN reaches an int attribute or the gauge', async () => {
    // The SDK warns when an INT instrument gets a fraction (once per response, issue 10): listen for it.
    const warnings: string[] = [];
    const record = (message: string) => warnings.push(message);
    diag.setLogger(
      { error: record, warn: record, info: () => {}, debug: () => {}, verbose: () => {} },
      DiagLogLevel.WARN,
    );
    try {
      for (const client of CLIENTS)
        await call(client, `http://${hostPort}/v1/devices?set=hostile&c=${CLIENTS.indexOf(client)}`);
      await otel.points('zdx.api.rate_limit.remaining');
    } finally {
      diag.disable();
    }
    expect(warnings).toEqual([]);
    for (const client of CLIENTS) {
      const span = spanFor(`set=hostile&c=${CLIENTS.indexOf(client)}`);
      expect(span, client).toBeDefined();
      const rateLimitKeys = Object.keys(span!.attributes).filter(
        (k) => k.startsWith('zdx.rate_limit') || k === 'zdx.retry_after',
      );
      expect(rateLimitKeys, client).toEqual([]);
      // The call itself is still fully described.
      expect(span!.attributes['zdx.status_class']).toBe('4xx');
    }
    const gauge = await otel.points('zdx.api.rate_limit.remaining');
    for (const point of gauge)
      expect(Number.isSafeInteger(point.value) && point.value >= 0, String(point.value)).toBe(true);
    for (const window of ['minute', 'hour', 'day']) {
      expect(
        gauge.some((p) => p.attributes['zdx.rate_limit.window'] === window),
        window,
      ).toBe(false);
    }
  });
});
