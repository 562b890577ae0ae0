import { request, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ZDX_STATUS_CODES } from '../../src/core/catalog/status.js';
import { sampleLatency } from '../../src/tools/simulator/faults.js';
import { createRandom } from '../../src/tools/simulator/random.js';
import {
  loadScenario,
  parseScenario,
  scenarioFromFlags,
  ScenarioError,
  startSimulator,
  type RunningSimulator,
  type Scenario,
  type SimulatorOptions,
} from '../../src/tools/simulator/index.js';

const T0 = 1_800_000_000_000;
function manualClock(start = T0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms), set: (ms: number) => (t = ms) };
}

const running: RunningSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

/** A simulator without auth and rate limits, so each test sees only the faults it configures. */
async function start(scenario: Scenario, options: SimulatorOptions = {}) {
  const s = await startSimulator({ auth: false, ...options, scenario: { rateLimit: { enabled: false }, ...scenario } });
  running.push(s);
  return s;
}

/** GET with node:http, resolving to the status or the socket error code. */
function rawGet(url: string): Promise<{ status?: number; error?: string; body: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, body }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, body: '' }));
    req.end();
  });
}

function rawResponse(url: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

const SCENARIOS = join(import.meta.dirname, '..', '..', 'scenarios');

describe('injected status codes', () => {
  test.each(ZDX_STATUS_CODES.map((s) => [s.code!, s.text] as const))(
    '%i %s comes back with the right status and body shape',
    async (code) => {
      const s = await start({ endpoints: { 'GET /v1/devices': { errors: { [String(code)]: 1 } } } });
      // node:http, not fetch: the Fetch standard turns any 407 into a network error.
      const res = await rawResponse(`${s.url}/v1/devices?limit=3`);
      expect(res.status).toBe(code);
      const text = res.body;
      if (code === 204) {
        expect(text).toBe('');
      } else if (code < 300) {
        // An injected 2xx keeps the endpoint's real body.
        const body = JSON.parse(text) as { devices: unknown[]; next_offset: string | null };
        expect(body.devices).toHaveLength(3);
        expect(typeof body.next_offset).toBe('string');
      } else {
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        const body = JSON.parse(text) as { code: string; message: string; details?: string[] };
        expect(body.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
        expect(body.message.length).toBeGreaterThan(5);
        const expectedCode: Record<number, string> = {
          400: 'VALIDATION_ERROR',
          401: 'UNAUTHORIZED',
          402: 'PAYMENT_REQUIRED',
          403: 'FORBIDDEN',
          404: 'NOT_FOUND',
          429: 'TOO_MANY_REQUESTS',
          431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
          500: 'INTERNAL_SERVER_ERROR',
          503: 'SERVICE_UNAVAILABLE',
        };
        if (expectedCode[code] !== undefined) expect(body.code).toBe(expectedCode[code]);
        if (code === 400) expect(Array.isArray(body.details)).toBe(true);
        else expect(body.details).toBeUndefined();
        if (code === 405) expect(res.headers.allow).toBe('GET');
        if (code === 429 || code === 503) expect(res.headers['retry-after']).toBe('1');
        if (code === 401) expect(res.headers['www-authenticate']).toBe('Bearer');
      }
      // Only the selected endpoint is affected.
      expect((await fetch(`${s.url}/v1/apps`)).status).toBe(200);
      expect(s.stats().byEndpoint['GET /v1/devices']).toEqual({ [String(code)]: 1 });
    },
  );

  test('error rates: codes come back in about the configured proportions; an endpoint selector replaces the global map', async () => {
    const s = await start({
      seed: 11,
      errors: { '500': 0.2, '503': 0.1 },
      endpoints: { 'group:apps': { errors: { '404': 0.5 } } },
    });
    const counts: Record<number, number> = {};
    for (let i = 0; i < 400; i++) {
      const res = await fetch(`${s.url}/v1/devices?limit=1`);
      await res.arrayBuffer();
      counts[res.status] = (counts[res.status] ?? 0) + 1;
    }
    expect(counts[500]).toBeGreaterThan(50);
    expect(counts[500]).toBeLessThan(110);
    expect(counts[503]).toBeGreaterThan(20);
    expect(counts[503]).toBeLessThan(60);
    expect(counts[404]).toBeUndefined();
    const apps: Record<number, number> = {};
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${s.url}/v1/apps`);
      await res.arrayBuffer();
      apps[res.status] = (apps[res.status] ?? 0) + 1;
    }
    expect(apps[500]).toBeUndefined();
    expect(apps[404]).toBeGreaterThan(30);
    expect(apps[404]).toBeLessThan(70);
  });
});

describe('connection faults and timing', () => {
  test('resetRate 1: the connection is reset (ECONNRESET for node:http, "fetch failed" for fetch)', async () => {
    const s = await start({ endpoints: { 'GET /v1/apps': { resetRate: 1 } } });
    const raw = await rawGet(`${s.url}/v1/apps`);
    expect(raw.status).toBeUndefined();
    expect(raw.error).toBe('ECONNRESET');
    const failure = await fetch(`${s.url}/v1/apps`).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    expect(failure?.message).toBe('fetch failed');
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(failure?.cause?.code);
    expect(s.stats().byStatus).toEqual({ reset: 2 });
    // Other endpoints are unaffected and the server keeps serving.
    expect((await rawGet(`${s.url}/v1/devices`)).status).toBe(200);
  });

  test('fixed latency delays the answer', async () => {
    const s = await start({ latency: { distribution: 'fixed', ms: 150 } });
    const t = performance.now();
    expect((await fetch(`${s.url}/v1/apps`)).status).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(140);
  });

  test('latency distributions: uniform stays in bounds, lognormal has the configured median and cap', () => {
    const rng = createRandom(5);
    const uniform = Array.from({ length: 2000 }, () =>
      sampleLatency({ distribution: 'uniform', minMs: 20, maxMs: 60 }, rng),
    );
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...uniform)).toBeLessThanOrEqual(60);
    const logn = Array.from({ length: 4001 }, () =>
      sampleLatency({ distribution: 'lognormal', medianMs: 100, sigma: 0.8, maxMs: 900 }, rng),
    ).sort((a, b) => a - b);
    expect(logn[2000]).toBeGreaterThan(90);
    expect(logn[2000]).toBeLessThan(110);
    expect(logn[4000]).toBe(900); // the long tail is capped
    expect(sampleLatency({ distribution: 'fixed', ms: 42 }, rng)).toBe(42);
  });

  test('slow body: the head arrives at once, the body trickles over the configured time', async () => {
    const s = await start({ endpoints: { 'GET /v1/devices': { slowBody: { ms: 400 } } } });
    const started = performance.now();
    const timing = await new Promise<{ head: number; end: number; size: number }>((resolve, reject) => {
      request(`${s.url}/v1/devices?limit=50`, { agent: false }, (res) => {
        const head = performance.now() - started;
        let size = 0;
        res.on('data', (c: Buffer) => (size += c.length));
        res.on('end', () => resolve({ head, end: performance.now() - started, size }));
      })
        .on('error', reject)
        .end();
    });
    expect(timing.head).toBeLessThan(200);
    expect(timing.end - timing.head).toBeGreaterThanOrEqual(350);
    expect(timing.size).toBeGreaterThan(1000);
  });
});

describe('outage windows', () => {
  test('a 503 outage relative to start, with Retry-After until its end; a selector limits it to some endpoints', async () => {
    const clock = manualClock();
    const s = await start(
      {
        outages: [
          { startMs: 1000, durationMs: 2000 },
          { startMs: 5000, durationMs: 1000, status: 502, endpoints: ['GET /v1/apps'] },
          { startMs: 7000, durationMs: 1000, reset: true },
        ],
      },
      { clock },
    );
    expect((await fetch(`${s.url}/v1/apps`)).status).toBe(200);
    clock.set(T0 + 1500);
    const down = await fetch(`${s.url}/v1/apps`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('2'); // ceil((T0+3000 - (T0+1500)) / 1000)
    expect(((await down.json()) as { code: string }).code).toBe('SERVICE_UNAVAILABLE');
    // Even unknown paths are down: the whole gateway is.
    expect((await fetch(`${s.url}/v1/nothing-here`)).status).toBe(503);
    clock.set(T0 + 3000);
    expect((await fetch(`${s.url}/v1/apps`)).status).toBe(200);
    clock.set(T0 + 5500);
    expect((await fetch(`${s.url}/v1/apps`)).status).toBe(502);
    expect((await fetch(`${s.url}/v1/devices`)).status).toBe(200);
    clock.set(T0 + 7200);
    expect((await rawGet(`${s.url}/v1/devices`)).error).toBe('ECONNRESET');
    clock.set(T0 + 8000);
    expect((await fetch(`${s.url}/v1/devices`)).status).toBe(200);
  });
});

describe('determinism', () => {
  async function statusSequence(seed: number | string): Promise<number[]> {
    const s = await start({ seed, errors: { '429': 0.1, '500': 0.1, '503': 0.1, '404': 0.1 } });
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const res = await fetch(`${s.url}/v1/devices?limit=1`);
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    await s.close();
    return statuses;
  }

  test('the same seed gives the same sequence of answers; another seed a different one', async () => {
    const a = await statusSequence(1234);
    const b = await statusSequence(1234);
    const c = await statusSequence(99);
    expect(new Set(a).size).toBeGreaterThanOrEqual(4);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  test('the same seed gives the same tenant data', async () => {
    const body = async (seed: number) => {
      const s = await start({}, { seed });
      return (await fetch(`${s.url}/v1/users?limit=20`)).text();
    };
    expect(await body(8)).toBe(await body(8));
    expect(await body(8)).not.toBe(await body(9));
  });
});

describe('scenario files', () => {
  test('the example scenarios load', () => {
    for (const name of ['default', 'rate-limit-storm', 'outage']) {
      expect(loadScenario(join(SCENARIOS, `${name}.json`)).name).toBe(name);
    }
  });

  test.each([
    [{ eror: {} }, 'eror'],
    [{ errors: { '299': 0.1 } }, 'errors.299'],
    [{ errors: { '500': 1.5 } }, 'errors.500'],
    [{ errors: { '500': 0.7, '503': 0.6 } }, 'errors'],
    [{ latency: { distribution: 'gaussian' } }, 'latency.distribution'],
    [{ latency: { distribution: 'uniform', minMs: 50, maxMs: 10 } }, 'latency.maxMs'],
    [{ endpoints: { 'GET /v1/devicez': {} } }, 'endpoints["GET /v1/devicez"]'],
    [{ endpoints: { 'POST /v1/devices': {} } }, 'endpoints["POST /v1/devices"]'],
    [{ endpoints: { 'group:nope': {} } }, 'endpoints["group:nope"]'],
    [{ endpoints: { '/v1/apps': { resetRate: -1 } } }, 'endpoints["/v1/apps"].resetRate'],
    [{ outages: [{ startMs: 0 }] }, 'outages[0].durationMs'],
    [{ outages: [{ startMs: 0, durationMs: 5, status: 200 }] }, 'outages[0].status'],
    [{ tier: 5 }, 'tier'],
    [{ rateLimit: { perSecond: 0 } }, 'rateLimit.perSecond'],
    [{ slowBody: { ms: 10, rate: 2 } }, 'slowBody.rate'],
  ])('%j is rejected, naming %s', (value, field) => {
    let error: unknown;
    try {
      parseScenario(value, 'test.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as ScenarioError).field).toBe(field);
    expect((error as Error).message).toContain(`test.json: ${field}: `);
  });

  test('unreadable or invalid JSON files are reported with the file name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdx-sim-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "errors": ');
    expect(() => loadScenario(bad)).toThrow(/bad\.json: \(file\): not valid JSON/);
    expect(() => loadScenario(join(dir, 'missing.json'))).toThrow(/missing\.json: \(file\): cannot read/);
    await expect(startSimulator({ scenario: { tier: 9 } as unknown as Scenario })).rejects.toThrow(ScenarioError);
  });
});

describe('example scenarios under a workload', () => {
  // Collection calls, then drill-downs into the first device (id 132559000, on app 1 or not).
  // Eight paths, so that no path always lands on the same slot of the 7-call per-second window at this pace.
  const collections = [
    '/v1/apps',
    '/v1/devices?limit=5',
    '/v1/users?limit=5',
    '/v1/alerts/ongoing',
    '/v1/administration/locations',
    '/v1/active_geo',
  ];
  const workload = [...collections, '/v1/devices/132559000', '/v1/devices/132559000/apps'];

  async function drive(
    s: RunningSimulator,
    clock: ReturnType<typeof manualClock>,
    calls: number,
    stepMs: number,
    byPath?: Map<string, string[]>,
  ) {
    const outcomes: Record<string, number> = {};
    let token = s.issueToken();
    for (let i = 0; i < calls; i++) {
      clock.advance(stepMs);
      if (i % 50 === 0) token = s.issueToken();
      const outcome = await fetch(`${s.url}${workload[i % workload.length]}`, {
        headers: { authorization: `Bearer ${token}` },
      }).then(
        async (res) => {
          await res.arrayBuffer();
          if ([429, 503, 504].includes(res.status)) expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
          return res.status === 429
            ? '429'
            : res.status >= 400 && res.status < 500
              ? String(res.status)
              : `${String(res.status)[0]}xx`;
        },
        () => 'reset',
      );
      const kind = /^4\d\d$/.test(outcome) && outcome !== '429' ? '4xx' : outcome;
      outcomes[kind] = (outcomes[kind] ?? 0) + 1;
      const path = workload[i % workload.length]!;
      byPath?.set(path, [...(byPath.get(path) ?? []), outcome]);
    }
    return outcomes;
  }

  test("default.json: 2xx, 4xx, 429 and 5xx at the demo's 6 calls per second", async () => {
    const clock = manualClock();
    // Latency is dropped to keep the test fast; everything else is the file as shipped.
    const scenario: Scenario = {
      ...loadScenario(join(SCENARIOS, 'default.json')),
      latency: { distribution: 'fixed', ms: 0 },
    };
    const s = await startSimulator({ scenario, clock });
    running.push(s);
    const byPath = new Map<string, string[]>();
    const outcomes = await drive(s, clock, 700, 166, byPath);
    expect(outcomes['2xx']).toBeGreaterThan(100);
    expect(outcomes['4xx']).toBeGreaterThan(0);
    // Client errors only where a real service meets them: 404s on drill-downs, never on the collections a
    // client sweeps first (a 404 there would stop the whole sweep).
    for (const path of collections)
      expect(
        byPath.get(path)!.filter((o) => /^4\d\d$/.test(o) && o !== '429'),
        path,
      ).toEqual([]);
    const drillDown = [...byPath.get('/v1/devices/132559000')!, ...byPath.get('/v1/devices/132559000/apps')!];
    expect(drillDown).toContain('404');
    expect(outcomes['429']).toBeGreaterThan(100);
    expect(outcomes['5xx']).toBeGreaterThan(0);
    expect(outcomes['2xx']).toBeGreaterThan(outcomes['4xx']! + outcomes['5xx']!);
  });

  test('rate-limit-storm.json: most calls of a 4-per-second workload are 429', async () => {
    const clock = manualClock();
    const s = await startSimulator({ scenario: loadScenario(join(SCENARIOS, 'rate-limit-storm.json')), clock });
    running.push(s);
    const outcomes = await drive(s, clock, 80, 250);
    expect(outcomes['429']).toBeGreaterThan(40);
    expect(outcomes['2xx']).toBeGreaterThan(5);
  });

  test('outage.json: healthy, 503, device resets, alert 504s, recovered', async () => {
    const clock = manualClock();
    const s = await startSimulator({ scenario: loadScenario(join(SCENARIOS, 'outage.json')), clock });
    running.push(s);
    const token = s.issueToken();
    const status = (path: string) =>
      fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${token}` } }).then(
        (r) => r.status,
        () => 'reset',
      );
    clock.set(T0 + 10_000);
    expect(await status('/v1/devices')).toBe(200);
    clock.set(T0 + 30_000);
    expect(await status('/v1/devices')).toBe(503);
    expect(await status('/v1/apps')).toBe(503);
    clock.set(T0 + 65_000);
    expect(await status('/v1/devices')).toBe('reset');
    expect(await status('/v1/apps')).toBe(200);
    clock.set(T0 + 100_000);
    expect(await status('/v1/alerts/ongoing')).toBe(504);
    expect(await status('/v1/devices')).toBe(200);
    clock.set(T0 + 120_000);
    expect(await status('/v1/alerts/ongoing')).toBe(200);
  });
});

describe('scenario flags', () => {
  test('compact flag values become a scenario laid over a file', () => {
    const base = loadScenario(join(SCENARIOS, 'outage.json'));
    const s = scenarioFromFlags(
      {
        seed: '77',
        tier: '3',
        errorRate: '503=0.05,500=0.01',
        latency: 'lognormal:120:0.6:4000',
        slowBody: '800:0.1',
        resetRate: '0.01',
        outage: ['2m+15s', '10s+5s:502', '1500+500:reset'],
        rateLimit: '5/30/1000',
      },
      base,
    );
    expect(s).toMatchObject({
      name: 'outage',
      seed: 77,
      tier: 3,
      errors: { '503': 0.05, '500': 0.01 },
      latency: { distribution: 'lognormal', medianMs: 120, sigma: 0.6, maxMs: 4000 },
      slowBody: { ms: 800, rate: 0.1 },
      resetRate: 0.01,
      rateLimit: { perSecond: 5, perMinute: 30, perHour: 1000 },
    });
    expect(s.outages).toHaveLength(base.outages!.length + 3);
    expect(s.outages!.slice(-3)).toEqual([
      { startMs: 120_000, durationMs: 15_000 },
      { startMs: 10_000, durationMs: 5000, status: 502 },
      { startMs: 1500, durationMs: 500, reset: true },
    ]);
    expect(scenarioFromFlags({ rateLimit: 'off', latency: 'fixed:5', seed: 'abc' })).toEqual({
      rateLimit: { enabled: false },
      latency: { distribution: 'fixed', ms: 5 },
      seed: 'abc',
    });
  });

  test.each([
    [{ errorRate: '503' }, '--error-rate'],
    [{ errorRate: '299=0.1' }, '--error-rate'],
    [{ errorRate: '503=2' }, '--error-rate'],
    [{ latency: 'gauss:1' }, '--latency'],
    [{ latency: 'uniform:9:x' }, '--latency'],
    [{ outage: '20s' }, '--outage'],
    [{ outage: '5x+1s' }, '--outage'],
    [{ outage: '1s+1s:200' }, '--outage'],
    [{ rateLimit: '5/30' }, '--rate-limit'],
    [{ tier: '7' }, '--tier'],
    [{ resetRate: 'often' }, '--reset-rate'],
  ])('%j is rejected, naming %s', (flags, flag) => {
    let error: unknown;
    try {
      scenarioFromFlags(flags);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as ScenarioError).field).toBe(flag);
    expect((error as Error).message).toMatch(new RegExp(`^flags: ${flag}: `));
  });
});
