// One benchmark configuration in its own process (instrumentations patch and subscribe process-wide):
// N keep-alive requests from one client to a loopback server in the same process, after a warm-up, either
// one at a time (seq) or 32 in flight (c32). Prints one JSON line. Only bare specifiers are imported, so the
// same file runs against another OpenTelemetry line when copied next to that line's node_modules.
//   node bench/worker.mjs <configuration> <node:http|fetch> <seq|c32> <requests> [<warm-up requests>]
// Mode `same` measures the configurations of one goal (its floor, its non-ZDX-host twin and its A/A pair) in one
// process instead, switching between them: after the warm-up, blocks of sequential requests, every
// configuration once per round in a balanced order (see balancedOrders), each block timed on its own (see
// SAME_SETS). Rounds are rounded up to whole cycles of the orders (10 for five configurations).
//   node bench/worker.mjs <metrics|full> <node:http|fetch> same <requests per block> <warm-up requests> <rounds>
// ZDX_BENCH_WARMUP (warm-up requests, when not given as an argument) and ZDX_BENCH_EXPORT_INTERVAL_MS (metric
// collection period, 1000) are for bench/instructions.mjs.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const [config, client, mode = 'seq', count = '3000', warmup, sameRounds = '10'] = process.argv.slice(2);
const N = Number(count);
const WARMUP =
  Number(warmup) || Number(process.env.ZDX_BENCH_WARMUP) || Math.min(1000, Math.max(200, Math.floor(N / 4)));
// Collections run on a timer, so their share per request follows the wall clock: the instruction counts
// (bench/instructions.mjs, under valgrind's slow clock) set a long interval to keep them out.
const EXPORT_INTERVAL_MS = Number(process.env.ZDX_BENCH_EXPORT_INTERVAL_MS) || 1000;
const CONCURRENCY = mode === 'c32' ? 32 : 1;

// What each configuration turns on. `zdxHost`: whether the loopback server counts as a ZDX host (extraHosts);
// the nonzdx-* configurations install zdx-otel exactly as the zdx-* ones do, with its default hosts only.
const CONFIGS = {
  baseline: { sdk: false },
  'sdk-only': { sdk: true },
  'sdk-only-2': { sdk: true },
  'metrics-floor': { sdk: true, floor: true },
  'zdx-metrics': { sdk: true, zdx: true, zdxHost: true },
  'nonzdx-metrics': { sdk: true, zdx: true, zdxHost: false },
  'otel-spans': { sdk: true, spans: true },
  'otel-spans-2': { sdk: true, spans: true },
  'full-floor': { sdk: true, spans: true, floor: true },
  'zdx-full': { sdk: true, spans: true, zdx: true, zdxHost: true },
  'nonzdx-full': { sdk: true, spans: true, zdx: true, zdxHost: false },
};
// Mode `same`: one process set up with everything of a goal (the floor, and zdx-otel twice: with the loopback
// server as a ZDX host, and with its default hosts only), and which part runs switched between blocks. `none`:
// neither the floor's recording nor a ZdxInstrumentation is subscribed and no span processor of theirs acts,
// which is the set-up without zdx-otel.
// Two processes of the same configuration differ by up to 10-40 % in time per request (memory layout, the
// machine's state); blocks of one process, taken in turn, share all of that, so their ratios are several times
// tighter. What they leave out: start-up (measured by the seq/c32 runs) and that zdx-otel's code is loaded in
// every block. Each set runs the set-up without zdx-otel twice (the A/A pair): what two blocks of the same work
// differ by in that process, carry-over from the block before included, against which its other ratios are read.
const SAME_SETS = {
  metrics: {
    'sdk-only': 'none',
    'sdk-only-2': 'none',
    'metrics-floor': 'floor',
    'zdx-metrics': 'zdx',
    'nonzdx-metrics': 'nonzdx',
  },
  full: {
    'otel-spans': 'none',
    'otel-spans-2': 'none',
    'full-floor': 'floor',
    'zdx-full': 'zdx',
    'nonzdx-full': 'nonzdx',
  },
};
const same = mode === 'same';
const SETTLE_REQUESTS = 200;
if (same && !SAME_SETS[config]) throw new Error(`mode same takes ${Object.keys(SAME_SETS).join(' or ')}`);
const setupOf = same
  ? { sdk: true, spans: config === 'full', zdx: true, zdxHost: true, floor: true, nonzdx: true }
  : CONFIGS[config];
if (!setupOf) throw new Error(`unknown configuration ${config}; known: ${Object.keys(CONFIGS).join(', ')}`);

/** Installs a configuration; returns its shutdown, and `use(part)` to switch parts in mode `same`. */
async function setup({ sdk, spans, zdx, zdxHost, floor, nonzdx }) {
  if (!sdk) return { shutdown: async () => {} };
  const { metrics, trace, context, propagation, SpanKind } = await import('@opentelemetry/api');
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

  // sdk-only: the SDK, context manager and propagator of any OpenTelemetry app, with no instrumentation.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({ exporter: nullMetricExporter, exportIntervalMillis: EXPORT_INTERVAL_MS }),
    ],
    views: zdx || floor ? zdxViews(zdxOptions) : [],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  const floorRecording = floor ? await floorRecorder(meterProvider) : undefined;
  if (!same) floorRecording?.subscribe();
  const processors = {
    zdx: zdx && spans ? new ZdxSpanProcessor(zdxOptions) : undefined,
    nonzdx: nonzdx && spans ? new ZdxSpanProcessor() : undefined,
    floor: floor && spans ? floorSpanProcessor(SpanKind) : undefined,
  };
  let part = 'none';
  const partProcessor = () => processors[part];
  const ownProcessors = same ? [switchedSpanProcessor(partProcessor)] : [processors.zdx, processors.floor];
  const tracerProvider = new TracerProvider({
    spanProcessors: [
      ...(spans ? ownProcessors.filter(Boolean) : []),
      new BatchSpanProcessor({ exporter: nullSpanExporter }),
    ],
  });
  if (spans) trace.setGlobalTracerProvider(tracerProvider);
  const instrumentations = {
    zdx: zdx ? new ZdxInstrumentation(zdxOptions) : undefined,
    nonzdx: nonzdx ? new ZdxInstrumentation() : undefined,
  };
  registerInstrumentations({
    instrumentations: [
      ...Object.values(instrumentations).filter(Boolean),
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
  const use = (next) => {
    part = next;
    for (const [name, instrumentation] of Object.entries(instrumentations)) {
      if (name === next) instrumentation.enable();
      else instrumentation.disable();
    }
    if (next === 'floor') floorRecording.subscribe();
    else floorRecording.unsubscribe();
  };
  if (same) use('none');
  return {
    use,
    shutdown: async () => {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

/** Mode `same`: hands each span to the processor of the part running now (none, the floor's or zdx-otel's). */
function switchedSpanProcessor(current) {
  return {
    onStart: (span, parentContext) => current()?.onStart(span, parentContext),
    onEnding: (span) => current()?.onEnding?.(span),
    onEnd: (span) => current()?.onEnd(span),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
}

// metrics-floor: the least any implementation of zdx-otel's metrics contract does per request, with none of its
// own work (no host match, templating, status meaning, rate-limit headers, tenant or error handling): the
// observed channels, a start time kept on the request, and one SDK histogram record per request when it is over,
// with a fixed attribute set of the same shape as zdx-otel's, into the same View. The contract's duration runs
// to the end of the response body. undici publishes that end (`request:trailers`); node:http publishes no
// channel after the response's head (`response.finish` comes before the body), so the floor, like zdx-otel,
// takes the end from one 'close' listener on the request, a function shared by every request.
async function floorRecorder(meterProvider) {
  const diagch = await import('node:diagnostics_channel');
  const { performance: perf } = await import('node:perf_hooks');
  const duration = meterProvider.getMeter('zdx-otel').createHistogram('zdx.api.request.duration', { unit: 's' });
  const attributes = Object.freeze({
    'http.request.method': 'GET',
    'url.template': '/v1/devices/{deviceid}/apps/{appid}/web-probes/{probeid}',
    'server.address': '127.0.0.1',
    'http.response.status_code': 200,
    'zdx.status_class': '2xx',
  });
  const started = Symbol('started');
  const record = (request) => {
    if (request[started] !== undefined) duration.record((perf.now() - request[started]) / 1000, attributes);
  };
  function onClose() {
    record(this);
  }
  const handlers = [
    [
      'http.client.request.created',
      ({ request }) => {
        request[started] = perf.now();
        request.on('close', onClose);
      },
    ],
    // Published to as for zdx-otel, which reads the status and headers here; the floor needs only the end.
    ['http.client.response.finish', () => {}],
    [
      'undici:request:create',
      ({ request }) => {
        request[started] = perf.now();
      },
    ],
    ['undici:request:headers', () => {}],
    ['undici:request:trailers', ({ request }) => record(request)],
  ];
  let subscribed = false;
  return {
    subscribe() {
      if (!subscribed) for (const [name, fn] of handlers) diagch.subscribe(name, fn);
      subscribed = true;
    },
    unsubscribe() {
      if (subscribed) for (const [name, fn] of handlers) diagch.unsubscribe(name, fn);
      subscribed = false;
    },
  };
}

// full-floor: otel-spans with metrics-floor's recording, and the least any implementation of zdx-otel's span
// contract does per span: rename the CLIENT span and set as many attributes as zdx-otel sets on these responses
// (template, status meaning, rate-limit facts), fixed values, in onEnding. No pairing with a request, no
// redaction, no lookups.
function floorSpanProcessor(SpanKind) {
  const attributes = Object.freeze({
    'url.template': '/v1/devices/{deviceid}/apps/{appid}/web-probes/{probeid}',
    'zdx.status_class': '2xx',
    'zdx.status_text': 'OK',
    'zdx.status_description': 'The request succeeded.',
    'zdx.retryable': false,
    'zdx.rate_limit.limit': 10,
    'zdx.rate_limit.remaining': 9,
    'zdx.rate_limit.reset': 1,
    'zdx.rate_limit.second.limit': 10,
    'zdx.rate_limit.second.remaining': 9,
    'zdx.rate_limit.hour.limit': 3600,
    'zdx.rate_limit.hour.remaining': 3500,
  });
  return {
    onStart() {},
    onEnding(span) {
      if (span.kind !== SpanKind.CLIENT) return;
      span.updateName('GET /v1/devices/{deviceid}/apps/{appid}/web-probes/{probeid}');
      span.setAttributes(attributes);
    },
    onEnd() {},
    forceFlush: async () => {},
    shutdown: async () => {},
  };
}

const { shutdown, use } = await setup(setupOf);

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
// A deep known ZDX path with a different device id and time window each time, as ZDX calls carry; every tenth
// call gets a 429.
const urlOf = (i) =>
  `${base}/v1/devices/${i}/apps/${i % 97}/web-probes/${i % 13}?from=${1700000000 + i}&to=${1700003600 + i}${i % 10 === 0 ? '&status=429' : ''}`;

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

/**
 * Orders of `n` configurations in which each one comes right after each other one equally often (a Williams
 * design: a zig-zag first order, shifted; for odd `n` also each order reversed). A block pays some of what the
 * block before it left (its garbage, a re-optimised function); with plain rotation the A/A pair always came in
 * the same order and read 3 % apart, so the predecessors are balanced instead.
 */
function balancedOrders(n) {
  const first = [0];
  for (let low = 1, high = n - 1; first.length < n; ) first.push(first.length % 2 ? low++ : high--);
  const orders = Array.from({ length: n }, (_, shift) => first.map((i) => (i + shift) % n));
  return n % 2 ? [...orders, ...orders.map((order) => [...order].reverse())] : orders;
}

/** Runs `n` requests from `offset` on; returns their wall and CPU time per request in us. */
async function timed(n, offset) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await drive(n, offset);
  const wall = ((performance.now() - t0) * 1000) / n;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / n };
}

let result;
if (same) {
  const parts = SAME_SETS[config];
  const names = Object.keys(parts);
  // Every part is warmed up (twice in turn), so no block times code that is still being compiled for the first
  // time; after each switch, a few requests let a request that began in the last part end before timing starts.
  const slice = Math.ceil(WARMUP / (2 * names.length));
  let offset = 0;
  for (let i = 0; i < 2 * names.length; i++) {
    use(parts[names[i % names.length]]);
    await drive(slice, offset);
    offset += slice;
  }
  const blocks = Object.fromEntries(names.map((name) => [name, []]));
  const orders = balancedOrders(names.length);
  // Whole cycles of the orders, so every configuration follows every other one equally often.
  const rounds = Math.ceil(Number(sameRounds) / orders.length) * orders.length;
  for (let round = 0; round < rounds; round++) {
    for (const index of orders[round % orders.length]) {
      const name = names[index];
      use(parts[name]);
      await drive(SETTLE_REQUESTS, offset);
      offset += SETTLE_REQUESTS;
      blocks[name].push(await timed(N, offset));
      offset += N;
    }
  }
  result = { config, client, mode, n: N, warmup: WARMUP, blocks };
} else {
  await drive(WARMUP, 0);
  const { wall, cpu } = await timed(N, WARMUP);
  result = { config, client, mode, n: N, warmup: WARMUP, wallUsPerReq: wall, cpuUsPerReq: cpu };
}
await shutdown();
agent.destroy();
server.closeAllConnections();
server.close();
console.log(JSON.stringify(result));
