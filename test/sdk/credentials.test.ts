// No message ever echoes a credential: endpoints and headers with planted secrets, bad and good, in a real
// application under zdx-otel/register; everything it prints is searched for them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from '../support/backends.js';
import { recordFigure } from '../support/figures.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { APPS, exited, runApp } from '../support/run-app.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

const PASSWORD = 'pW-7c1f9e';
const TOKEN = 'tK-3b8d2a';
let zdx: TestServer;
let receiver: OtlpReceiver;
let refused: number;
beforeAll(async () => {
  zdx = await startZdxLikeServer();
  receiver = await startOtlpReceiver();
  refused = await freeLoopbackPort();
});
afterAll(async () => {
  await receiver.close();
  await zdx.close();
});

// [what, variables]; `bad` cases must give one line naming the variable, the others none at all.
const CASES: Array<{ what: string; env: () => Record<string, string>; bad?: string }> = [
  {
    what: 'user:password in an endpoint with a space',
    bad: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    env: () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://admin:${PASSWORD}@coll ector:4318` }),
  },
  {
    what: 'user:password without a scheme',
    bad: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    env: () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: `admin:${PASSWORD}@collector:4318` }),
  },
  {
    what: 'a token in the query of a grpc:// endpoint',
    bad: 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
    env: () => ({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `grpc://collector:4317/?token=${TOKEN}` }),
  },
  {
    what: 'user:password and token in a broken https URL',
    bad: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    env: () => ({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `https://admin:${PASSWORD}@[bad/v1/traces?api_key=${TOKEN}` }),
  },
  {
    what: 'a header without "="',
    bad: 'OTEL_EXPORTER_OTLP_HEADERS',
    env: () => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization Bearer ${TOKEN}`,
    }),
  },
  {
    what: 'credentials in ZDX_OTEL_EXTRA_HOSTS',
    bad: 'ZDX_OTEL_EXTRA_HOSTS',
    env: () => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      ZDX_OTEL_EXTRA_HOSTS: `ftp://admin:${PASSWORD}@zdx.example.com`,
    }),
  },
  {
    what: 'a valid endpoint with credentials and a token, Collector refusing, OTel debug logging on',
    env: () => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://admin:${PASSWORD}@127.0.0.1:${refused}/?token=${TOKEN}`,
      OTEL_LOG_LEVEL: 'debug',
    }),
  },
  {
    what: 'a valid endpoint with credentials, Collector answering 500, OTel debug logging on',
    env: () => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://admin:${PASSWORD}@${receiver.url.slice(7)}`,
      OTEL_EXPORTER_OTLP_HEADERS: `api-key=${TOKEN}`,
      OTEL_LOG_LEVEL: 'debug',
    }),
  },
];

describe('planted credentials never appear in anything the application prints', () => {
  for (const c of CASES) {
    it(c.what, async () => {
      receiver.mode = c.what.includes('500') ? 'fail500' : 'ok';
      const run = runApp(['--import', 'zdx-otel/register', `${APPS}exit-app.mjs`], {
        ZDX_URL: zdx.url,
        ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
        RUN_MS: '300',
        OTEL_METRIC_EXPORT_INTERVAL: '100',
        ZDX_OTEL_SHUTDOWN_TIMEOUT: '1000',
        ...c.env(),
      });
      expect((await exited(run)).code).toBe(0);
      const printed = run.stdout() + run.stderr();
      const found = [PASSWORD, TOKEN].filter((s) => printed.includes(s));
      recordFigure('secrets', { case: c.what, planted: 2, found: found.length, printedBytes: printed.length });
      expect(found).toEqual([]);
      expect(run.stdout()).toContain('ended ');
      if (c.bad) {
        const lines = run.stderr().trim().split('\n');
        expect(lines[0]).toContain(`invalid ${c.bad}`);
        expect(lines).toHaveLength(2);
      }
    });
  }
});
