// The fault suite: a real application under `--import zdx-otel/register`, calling a loopback ZDX-like server
// steadily, while the Collector is down (at start, mid-run), hung, slow, failing (500), throttling (429 with
// Retry-After) or resetting connections, then recovers. The application must see none of it: no request
// error, no unhandled rejection, exit within the shutdown bound, and every request counted once the Collector
// is back. Latency is measured against a healthy run and reported (docs/reliability.md), never asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from '../support/backends.js';
import { recordFigure } from '../support/figures.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceiverMode } from '../support/otlp-receiver.js';
import { APPS, exited, runApp } from '../support/run-app.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

const DURATION = 4000;
const FAULT_FROM = 300; // the fault starts this long after the app does...
const FAULT_FOR = 2500; // ...and lasts this long; then the Collector is healthy until the app ends
const INTERVAL = 500;
const BOUND = 2000;
const SLACK = 1000;

interface Report {
  requests: number;
  errors: number;
  unhandled: number;
  p50: number;
  p99: number;
  max: number;
  maxHeapMb: number;
  endedAt: number;
}

let zdx: TestServer;
beforeAll(async () => {
  zdx = await startZdxLikeServer();
});
afterAll(async () => {
  await zdx.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A fault: what to do to the Collector at FAULT_FROM and how to heal it FAULT_FOR later. It gets the receiver
 * the app exports to and returns the one that holds the final export (a Collector brought back is a new one).
 */
type Fault = (
  receiver: OtlpReceiver | undefined,
  port: number,
) => { start(): Promise<OtlpReceiver | undefined>; heal(r: OtlpReceiver | undefined): Promise<OtlpReceiver> };

const mode =
  (m: ReceiverMode): Fault =>
  (receiver) => ({
    start: async () => {
      receiver!.mode = m;
      return receiver;
    },
    heal: async (r) => {
      r!.mode = 'ok';
      return r!;
    },
  });

const FAULTS: Record<string, { initiallyDown?: boolean; fault: Fault }> = {
  'healthy (baseline)': { fault: (receiver) => ({ start: async () => receiver, heal: async (r) => r! }) },
  'down at start (connection refused), then up': {
    initiallyDown: true,
    fault: (_r, port) => ({ start: async () => undefined, heal: async () => startOtlpReceiver(port) }),
  },
  'down mid-run (connection refused), then up': {
    fault: (receiver, port) => ({
      start: async () => {
        await receiver!.close();
        return undefined;
      },
      heal: async () => startOtlpReceiver(port),
    }),
  },
  'hung (accepts, never answers), then healthy': { fault: mode('hang') },
  'slow (400 ms per export), then healthy': { fault: mode('slow') },
  '500 on every export, then healthy': { fault: mode('fail500') },
  '429 with Retry-After, then healthy': { fault: mode('throttle429') },
  '503 with Retry-After, then healthy': { fault: mode('unavailable503') },
  'connection resets, then healthy': { fault: mode('reset') },
};

async function runScenario(name: string, spec: (typeof FAULTS)[string]) {
  const port = await freeLoopbackPort();
  let receiver = spec.initiallyDown ? undefined : await startOtlpReceiver(port);
  const opened: OtlpReceiver[] = receiver ? [receiver] : [];
  try {
    const run = runApp(['--import', 'zdx-otel/register', `${APPS}steady-app.mjs`], {
      ZDX_URL: zdx.url,
      ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
      DURATION_MS: String(DURATION),
      OTEL_SERVICE_NAME: 'fault-app',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_METRIC_EXPORT_INTERVAL: String(INTERVAL),
      ZDX_OTEL_SHUTDOWN_TIMEOUT: String(BOUND),
    });
    const fault = spec.fault(receiver, port);
    await sleep(FAULT_FROM);
    receiver = await fault.start();
    await sleep(FAULT_FOR);
    const faultsInjected = receiver?.faults;
    receiver = await fault.heal(receiver);
    if (!opened.includes(receiver)) opened.push(receiver);
    const { code } = await exited(run, DURATION + 20_000);
    const exitedAt = Date.now();
    const report = JSON.parse(run.stdout().trim().split('\n').at(-1)!) as Report;
    // The last cumulative export, after the Collector came back, carries every request of the run.
    const counted = receiver.latest('zdx.api.requests').reduce((n, p) => n + p.value, 0);
    const row = {
      scenario: name,
      faultsInjected: faultsInjected ?? 'refused',
      requests: report.requests,
      counted,
      lost: report.requests - counted,
      errors: report.errors,
      unhandled: report.unhandled,
      p50: report.p50,
      p99: report.p99,
      max: report.max,
      maxHeapMb: report.maxHeapMb,
      exitMs: exitedAt - report.endedAt,
      code,
    };
    recordFigure('faults', row);
    return { row, stderr: run.stderr() };
  } finally {
    for (const r of opened) await r.close();
  }
}

describe('Collector faults under steady load: the application sees none of them', () => {
  for (const [name, spec] of Object.entries(FAULTS)) {
    it(
      name,
      async () => {
        const { row, stderr } = await runScenario(name, spec);
        expect(stderr).toBe('');
        expect(row.code).toBe(0);
        expect(row.errors).toBe(0);
        expect(row.unhandled).toBe(0);
        expect(row.requests).toBeGreaterThan(50);
        expect(row.counted).toBe(row.requests);
        expect(row.exitMs).toBeLessThan(BOUND + SLACK);
      },
      DURATION + 30_000,
    );
  }
});
