// One setup per process: a second start (register plus startZdxTelemetry(), two calls, the ESM and the
// CommonJS copy of the package) joins the first with one line saying so, and every request counts once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFigure } from '../support/figures.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { APPS, exited, runApp } from '../support/run-app.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

let zdx: TestServer;
let receiver: OtlpReceiver;
beforeAll(async () => {
  zdx = await startZdxLikeServer();
});
afterAll(async () => {
  await zdx.close();
});

const CASES: Array<{ name: string; preload: string[]; starts: string; joinedBy: string[] }> = [
  {
    name: '--import zdx-otel/register, then startZdxTelemetry() in the app',
    preload: ['--import', 'zdx-otel/register'],
    starts: 'esm',
    joinedBy: ['already started by zdx-otel/register; this startZdxTelemetry() call joins'],
  },
  {
    name: 'startZdxTelemetry() twice',
    preload: [],
    starts: 'esm,esm',
    joinedBy: ['already started by startZdxTelemetry(); this startZdxTelemetry() call joins'],
  },
  {
    name: 'the ESM and the CommonJS copy of zdx-otel/sdk',
    preload: [],
    starts: 'esm,cjs',
    joinedBy: ['already started by startZdxTelemetry(); this startZdxTelemetry() call joins'],
  },
  {
    name: '--import and --require zdx-otel/register',
    preload: ['--import', 'zdx-otel/register', '--require', 'zdx-otel/register'],
    starts: '',
    joinedBy: ['already started by zdx-otel/register; this zdx-otel/register joins'],
  },
  { name: 'one start only (control)', preload: ['--import', 'zdx-otel/register'], starts: '', joinedBy: [] },
];

describe('a second start joins the first', () => {
  for (const c of CASES) {
    it(`${c.name}: 10 calls count 10, ${c.joinedBy.length} line(s) on stderr`, async () => {
      receiver = await startOtlpReceiver();
      try {
        const run = runApp([...c.preload, `${APPS}double-app.mjs`], {
          ZDX_URL: zdx.url,
          ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
          STARTS: c.starts,
          CALLS: '10',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_TRACES_EXPORTER: 'none',
        });
        expect((await exited(run)).code).toBe(0);
        expect(run.stdout()).toContain('done 10');
        const counted = receiver.latest('zdx.api.requests').reduce((n, p) => n + p.value, 0);
        recordFigure('double-start', {
          case: c.name,
          calls: 10,
          counted,
          stderrLines: run.stderr().split('\n').filter(Boolean).length,
        });
        expect(counted).toBe(10);
        const lines = run.stderr().split('\n').filter(Boolean);
        expect(lines).toHaveLength(c.joinedBy.length);
        c.joinedBy.forEach((text, i) => expect(lines[i]).toContain(text));
      } finally {
        await receiver.close();
      }
    });
  }
});
