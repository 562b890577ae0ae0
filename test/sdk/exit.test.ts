// "Never keeps the process alive": a real application under `--import zdx-otel/register`, a Collector that is
// hung, refusing or throttling, and every way an application ends. The exit must come within the shutdown
// bound (plus slack for process teardown), measured from the moment the application has nothing left to do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from '../support/backends.js';
import { recordFigure } from '../support/figures.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceiverMode } from '../support/otlp-receiver.js';
import { APPS, exited, runApp } from '../support/run-app.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

const BOUND = 2000; // ZDX_OTEL_SHUTDOWN_TIMEOUT for these runs: short, so 36 runs stay quick
const SLACK = 500; // process teardown and scheduling on a busy machine
const INTERVALS = [500, 2000, 4000, 60_000];
const COLLECTORS = ['hung', 'refused', '503+Retry-After'] as const;
const ENDS = ['natural', 'sigterm-handled', 'sigterm-default'] as const;

let zdx: TestServer;
let receiver: OtlpReceiver;
let refusedUrl: string;
beforeAll(async () => {
  zdx = await startZdxLikeServer();
  receiver = await startOtlpReceiver();
  refusedUrl = `http://127.0.0.1:${await freeLoopbackPort()}`; // nothing listens there
});
afterAll(async () => {
  await receiver.close();
  await zdx.close();
});

const MODES: Record<(typeof COLLECTORS)[number], ReceiverMode | undefined> = {
  hung: 'hang',
  refused: undefined,
  '503+Retry-After': 'unavailable503',
};

/** Runs exit-app once and returns how long the exit took after the application was done. */
async function exitTime(
  collector: (typeof COLLECTORS)[number],
  interval: number,
  end: (typeof ENDS)[number],
  bound = BOUND,
) {
  const mode = MODES[collector];
  if (mode) receiver.mode = mode;
  const run = runApp(['--import', 'zdx-otel/register', `${APPS}exit-app.mjs`], {
    ZDX_URL: zdx.url,
    ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
    END: end,
    // Long enough for a few periodic exports to be under way when the application ends.
    RUN_MS: String(Math.min(interval * 2 + 300, 2500)),
    OTEL_EXPORTER_OTLP_ENDPOINT: mode ? receiver.url : refusedUrl,
    OTEL_METRIC_EXPORT_INTERVAL: String(interval),
    ZDX_OTEL_SHUTDOWN_TIMEOUT: String(bound),
  });
  let from: number;
  if (end === 'natural') {
    await run.waitFor('ended ');
    from = Number(/ended (\d+)/.exec(run.stdout())![1]);
  } else {
    await run.waitFor('ready');
    from = Date.now();
    run.child.kill('SIGTERM');
  }
  const { code, signal } = await exited(run, bound + 15_000);
  const millis = Date.now() - from;
  recordFigure('exit-times', { collector, interval, end, bound, millis, code, signal });
  return { millis, code, signal, stderr: run.stderr() };
}

describe('exit within ZDX_OTEL_SHUTDOWN_TIMEOUT whatever the Collector and the export interval', () => {
  for (const collector of COLLECTORS) {
    for (const interval of INTERVALS) {
      it(
        `${collector} Collector, interval ${interval} ms: every way of ending`,
        async () => {
          for (const end of ENDS) {
            const result = await exitTime(collector, interval, end);
            expect(result.stderr, end).toBe('');
            expect(result.millis, `${end} took ${result.millis} ms`).toBeLessThan(BOUND + SLACK);
            if (end === 'sigterm-default') expect(result.signal).toBe('SIGTERM');
            else expect(result.code).toBe(0);
          }
        },
        3 * (BOUND + 20_000),
      );
    }
  }

  // With the default 5 s bound the OTLP timeout used to be 5 s: longer than a 2 s interval, so exports chained.
  for (const collector of COLLECTORS) {
    it(`the default bound (5 s) holds too: ${collector} Collector, 2 s interval, natural end and SIGTERM handled`, async () => {
      for (const end of ['natural', 'sigterm-handled'] as const) {
        const result = await exitTime(collector, 2000, end, 5000);
        expect(result.code).toBe(0);
        expect(result.millis, `${end} took ${result.millis} ms`).toBeLessThan(5000 + SLACK);
      }
    }, 60_000);
  }
});
