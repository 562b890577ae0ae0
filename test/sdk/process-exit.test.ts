// process.exit() runs the 'exit' listeners synchronously and stops: no asynchronous export can finish there.
// What the README says to do instead (await the running telemetry's shutdown first) exports everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import { APPS, exited, runApp } from '../support/run-app.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

let zdx: TestServer;
beforeAll(async () => {
  zdx = await startZdxLikeServer();
});
afterAll(async () => {
  await zdx.close();
});

describe('an application that ends with process.exit(0)', () => {
  for (const flush of [true, false]) {
    it(
      flush
        ? 'await runningZdxTelemetry()?.shutdown() first: all 5 calls exported'
        : 'without it: nothing is exported (the documented limit)',
      async () => {
        const receiver = await startOtlpReceiver();
        try {
          const run = runApp(['--import', 'zdx-otel/register', `${APPS}exit-call-app.mjs`], {
            ZDX_URL: zdx.url,
            ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
            CALLS: '5',
            FLUSH: flush ? '1' : '',
            OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
            OTEL_TRACES_EXPORTER: 'none',
          });
          expect((await exited(run)).code).toBe(0);
          expect(run.stderr()).toBe('');
          expect(receiver.latest('zdx.api.requests').reduce((n, p) => n + p.value, 0)).toBe(flush ? 5 : 0);
        } finally {
          await receiver.close();
        }
      },
    );
  }
});
