import { diag, metrics } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZdxInstrumentation } from '../../src/index.js';
import { call, CLIENTS } from '../support/clients.js';
import { captureDiagWarnings, TestReader } from '../support/otel.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

// A metrics pipeline that throws on every record (a broken View processor), under a real SDK: zdx-otel's
// recording fails inside the application's own HTTP calls and streams, and must not take them down.
let zdx: TestServer;
let provider: MeterProvider;
const reader = new TestReader();
let unregister: () => void;
const warnings: string[] = [];

beforeAll(async () => {
  zdx = await startZdxLikeServer();
  captureDiagWarnings(warnings);
  provider = new MeterProvider({
    readers: [reader],
    views: [
      {
        instrumentName: '*',
        meterName: 'zdx-otel',
        attributesProcessors: [
          {
            process: () => {
              throw new Error('broken processor');
            },
          },
        ],
      },
    ],
  });
  metrics.setGlobalMeterProvider(provider);
  unregister = registerInstrumentations({
    instrumentations: [new ZdxInstrumentation({ extraHosts: [zdx.hostPort] })],
    meterProvider: provider,
  });
});
afterAll(async () => {
  unregister();
  await provider.shutdown();
  diag.disable();
  metrics.disable();
  await zdx.close();
});

describe('when recording fails inside zdx-otel', () => {
  it('every client call still completes normally, and the failure is reported once through diag', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      for (const client of CLIENTS) {
        for (const status of [200, 429, 503])
          expect(await call(client, `${zdx.url}/v1/devices/1?status=${status}&ratelimit=1`)).toBe(status);
      }
      await new Promise((r) => setTimeout(r, 50));
      // Durations are recorded in batches, at the latest when the reader collects.
      await reader.collect();
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
    const ours = warnings.filter((w) => w.startsWith('zdx-otel: internal error'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toContain('broken processor');
  });
});
