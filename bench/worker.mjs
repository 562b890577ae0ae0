// One benchmark configuration in its own process (instrumentations patch and subscribe process-wide):
// N keep-alive requests from one client to a loopback server in the same process, after a warm-up, either
// one at a time (seq) or 32 in flight (c32). Prints one JSON line. Only bare specifiers are imported, so the
// same file runs against another OpenTelemetry line when copied next to that line's node_modules.
//   node bench/worker.mjs <configuration> <node:http|fetch> <seq|c32> <requests>
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const [config, client, mode = 'seq', count = '3000'] = process.argv.slice(2);
const N = Number(count);
const WARMUP = Math.min(1000, Math.max(200, Math.floor(N / 4)));
const CONCURRENCY = mode === 'c32' ? 32 : 1;

// What each configuration turns on. `zdxHost`: whether the loopback server counts as a ZDX host (extraHosts);
// the nonzdx-* configurations install zdx-otel exactly as the zdx-* ones do, with its default hosts only.
const CONFIGS = {
  baseline: { sdk: false },
  'sdk-only': { sdk: true },
  'sdk-only-2': { sdk: true },
  'channels-only': { sdk: true, channels: true },
  'zdx-metrics': { sdk: true, zdx: true, zdxHost: true },
  'nonzdx-metrics': { sdk: true, zdx: true, zdxHost: false },
  'otel-spans': { sdk: true, spans: true },
  'zdx-full': { sdk: true, spans: true, zdx: true, zdxHost: true },
  'nonzdx-full': { sdk: true, spans: true, zdx: true, zdxHost: false },
};
const setupOf = CONFIGS[config];
if (!setupOf) throw new Error(`unknown configuration ${config}; known: ${Object.keys(CONFIGS).join(', ')}`);

// The diagnostics channels zdx-otel's observer subscribes to (src/core/observer.ts). Subscribing no-op handlers
// shows what Node and undici spend on publishing to a subscriber at all: a floor no change in zdx-otel goes below.
const OBSERVED_CHANNELS = [
  'http.client.request.start',
  'http.client.response.finish',
  'http.client.request.error',
  'undici:request:create',
  'undici:client:sendHeaders',
  'undici:request:headers',
  'undici:request:trailers',
  'undici:request:error',
];

async function setup({ sdk, spans, zdx, zdxHost, channels }) {
  if (!sdk) return async () => {};
  const { metrics, trace, context, propagation } = await import('@opentelemetry/api');
  const { MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
  const { TracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator, ExportResultCode } = await import('@opentelemetry/core');
  const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
  const { UndiciInstrumentation } = await import('@opentelemetry/instrumentation-undici');
  const { ZdxInstrumentation, ZdxSpanProcessor, zdxViews } = await import('zdx-otel');
  const { createRequire, syncBuiltinESMExports } = await import('node:module');

  // Exporters that drop everything: the cost measured is recording, not I/O.
  const nullMetricExporter = {
    export: (_m, cb) => cb({ code: ExportResultCode.SUCCESS }),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const nullSpanExporter = { export: (_s, cb) => cb({ code: ExportResultCode.SUCCESS }), shutdown: async () => {} };
  const zdxOptions = zdxHost ? { extraHosts: ['127.0.0.1'] } : {};
  if (channels) {
    const diagch = await import('node:diagnostics_channel');
    const noop = () => {};
    for (const name of OBSERVED_CHANNELS) diagch.subscribe(name, noop);
  }

  // sdk-only: the SDK, context manager and propagator of any OpenTelemetry app, with no instrumentation.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const meterProvider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: nullMetricExporter, exportIntervalMillis: 1000 })],
    views: zdx ? zdxViews(zdxOptions) : [],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  const tracerProvider = new TracerProvider({
    spanProcessors: [
      ...(zdx && spans ? [new ZdxSpanProcessor(zdxOptions)] : []),
      new BatchSpanProcessor({ exporter: nullSpanExporter }),
    ],
  });
  if (spans) trace.setGlobalTracerProvider(tracerProvider);
  registerInstrumentations({
    instrumentations: [
      ...(zdx ? [new ZdxInstrumentation(zdxOptions)] : []),
      ...(spans
        ? [new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }), new UndiciInstrumentation()]
        : []),
    ],
    meterProvider,
    tracerProvider,
  });
  // As zdx-otel/register does for ESM applications: instrumentation-http only patches a require()d node:http.
  createRequire(import.meta.url)('node:http');
  syncBuiltinESMExports();
  return async () => {
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
  };
}

const shutdown = await setup(setupOf);

// A ZDX-like response: small JSON body and the rate-limit headers a Kong-fronted ZDX API sends (both families).
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(req.url.includes('status=429') ? 429 : 200, {
    'content-type': 'application/json',
    'x-ratelimit-limit-second': '10',
    'x-ratelimit-remaining-second': '9',
    'x-ratelimit-limit-hour': '3600',
    'x-ratelimit-remaining-hour': '3500',
    'ratelimit-limit': '10',
    'ratelimit-remaining': '9',
    'ratelimit-reset': '1',
  });
  res.end('{"devices":[],"next_offset":null}');
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function httpGet(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
      .on('error', reject);
  });
}
const call =
  client === 'fetch'
    ? async (url) => {
        await (await fetch(url)).arrayBuffer();
      }
    : httpGet;
// A deep known ZDX path with a different device id each time; every tenth call gets a 429.
const urlOf = (i) =>
  `${base}/v1/devices/${i}/apps/${i % 97}/web-probes/${i % 13}${i % 10 === 0 ? '?status=429' : '?from=1&to=2'}`;

async function drive(n, offset) {
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      await call(urlOf(offset + i));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

await drive(WARMUP, 0);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await drive(N, WARMUP);
const wallUs = ((performance.now() - t0) * 1000) / N;
const cpu = process.cpuUsage(cpu0);
await shutdown();
agent.destroy();
server.closeAllConnections();
server.close();
console.log(
  JSON.stringify({
    config,
    client,
    mode,
    n: N,
    wallUsPerReq: wallUs,
    cpuUsPerReq: (cpu.user + cpu.system) / N,
  }),
);
