// One benchmark configuration in its own process (instrumentations patch and subscribe process-wide):
// N sequential keep-alive requests from one client to a loopback server, after a warm-up. Prints JSON.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const [config, client, count = '3000'] = process.argv.slice(2);
const N = Number(count);
const WARMUP = 500;

async function setup() {
  if (config === 'baseline') return async () => {};
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
  const nullMetricExporter = { export: (_m, cb) => cb({ code: ExportResultCode.SUCCESS }), forceFlush: async () => {}, shutdown: async () => {} };
  const nullSpanExporter = { export: (_s, cb) => cb({ code: ExportResultCode.SUCCESS }), shutdown: async () => {} };
  const zdx = { extraHosts: ['127.0.0.1'] };
  // sdk-only: the SDK, context manager and propagator of any OpenTelemetry app, with no instrumentation.
  const withZdx = config === 'zdx-metrics' || config === 'zdx-full';
  const withSpans = config === 'otel-spans' || config === 'zdx-full';

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const meterProvider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: nullMetricExporter, exportIntervalMillis: 1000 })],
    views: withZdx ? zdxViews(zdx) : [],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  const spanProcessors = [
    ...(config === 'zdx-full' ? [new ZdxSpanProcessor(zdx)] : []),
    new BatchSpanProcessor({ exporter: nullSpanExporter }),
  ];
  const tracerProvider = new TracerProvider({ spanProcessors });
  if (withSpans) trace.setGlobalTracerProvider(tracerProvider);
  registerInstrumentations({
    instrumentations: [
      ...(withZdx ? [new ZdxInstrumentation(zdx)] : []),
      ...(withSpans ? [new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }), new UndiciInstrumentation()] : []),
    ],
    meterProvider,
    tracerProvider,
  });
  createRequire(import.meta.url)('node:http');
  syncBuiltinESMExports();
  return async () => { await meterProvider.shutdown(); await tracerProvider.shutdown(); };
}

const shutdown = await setup();
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(req.url.includes('status=429') ? 429 : 200, { 'content-type': 'application/json', 'x-ratelimit-remaining-second': '3' });
  res.end('{"devices":[],"next_offset":null}');
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function httpGet(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
  });
}
const call = client === 'fetch'
  ? async (url) => { await (await fetch(url)).arrayBuffer(); }
  : httpGet;

for (let i = 0; i < WARMUP; i++) await call(`${base}/v1/devices/${i}/apps/${i}?from=1&to=2`);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < N; i++) await call(`${base}/v1/devices/${i}/apps/${i}${i % 10 === 0 ? '?status=429' : '?from=1&to=2'}`);
const wallUs = ((performance.now() - t0) * 1000) / N;
const cpu = process.cpuUsage(cpu0);
await shutdown();
agent.destroy();
server.close();
console.log(JSON.stringify({ config, client, n: N, wallUsPerReq: wallUs, cpuUsPerReq: (cpu.user + cpu.system) / N }));
