// Hot-path micro-benchmark, in its own process: what zdx-otel does per call, without HTTP around it.
// Each operation runs in many short batches (about a millisecond each) after a warm-up; the result is the median
// ns per operation over the batches, so a batch the scheduler interrupted (a shared machine) moves the p90, not
// the median. Inputs are built beforehand so string building is not measured.
// Prints one JSON line.
//   node bench/micro.mjs [batches]
import * as diagch from 'node:diagnostics_channel';

const BATCHES = Number(process.argv[2] ?? 301);
const results = {};
const notRunnable = {};

function measure(name, fn, batchSize = 2_000) {
  for (let i = 0; i < 100 * batchSize; i++) fn(i);
  const perOp = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batchSize; i++) fn(i);
    perOp.push(Number(process.hrtime.bigint() - t0) / batchSize);
  }
  // The mean keeps what the median leaves out: garbage collection, which lands in a few batches only.
  const meanNs = perOp.reduce((a, b) => a + b, 0) / perOp.length;
  perOp.sort((a, b) => a - b);
  const at = (q) => perOp[Math.min(perOp.length - 1, Math.floor(q * perOp.length))];
  results[name] = { medianNs: at(0.5), p10Ns: at(0.1), p90Ns: at(0.9), meanNs };
}

let sink = 0;
const ids = Array.from({ length: 1024 }, (_, i) => String(100_000 + i * 7919));
const deep = ids.map(
  (id, i) => `/v1/devices/${id}/apps/${i % 97}/cloudpath-probes/${i % 13}/cloudpath?from=1700000000&to=1700003600`,
);
const oneApi = deep.map((p) => `/zdx${p}`);

// Pure routing: internal modules of the built dist (not public API), so a rename shows up as "not runnable".
try {
  const { TemplateRouter } = await import('../dist/esm/core/route/template.js');
  const { classifyStatus } = await import('../dist/esm/core/catalog/status.js');
  const router = new TemplateRouter();
  const urls = deep.map((p) => `https://api.zdxcloud.net${p}`);
  measure('new URL(deep ZDX url) [yardstick]', (i) => {
    sink += new URL(urls[i & 1023]).pathname.length;
  });
  measure('classify + host match + template: deep known path', (i) => {
    sink += router.route('api.zdxcloud.net', undefined, deep[i & 1023]).length;
    sink += classifyStatus(i % 10 === 0 ? 429 : 200).retryable ? 1 : 0;
  });
  measure('host match + template: deep known path', (i) => {
    sink += router.route('api.zdxcloud.net', undefined, deep[i & 1023]).length;
  });
  measure('host match + template: OneAPI deep path', (i) => {
    sink += router.route('api.zsapi.net', undefined, oneApi[i & 1023]).length;
  });
  measure('host lookup: not a ZDX host', (i) => {
    sink += router.route('example.com', 443, deep[i & 1023]) === undefined ? 1 : 0;
  });
  measure('classifyStatus', (i) => {
    sink += classifyStatus(200 + (i % 400)).retryable ? 1 : 0;
  });
  // What ZdxSpanProcessor redacts per span (url.full, url.query, url.path, as instrumentation-undici sets them),
  // each call with a time window of its own, as ZDX calls carry.
  const { compileRedactor } = await import('../dist/esm/core/route/redact.js');
  const redactor = compileRedactor();
  const spanUrls = urls.map(
    (u, i) => `${u.slice(0, u.indexOf('?'))}?from=${1700000000 + i * 60}&to=${1700003600 + i * 60}&loc=12&offset=${i}`,
  );
  const spanQueries = spanUrls.map((u) => u.slice(u.indexOf('?')));
  const spanPaths = spanUrls.map((u) => u.slice(u.indexOf('/', 'https://'.length), u.indexOf('?')));
  measure('span redaction: url.full + url.query + url.path, fresh query', (i) => {
    const k = i & 1023;
    sink += redactor.full(spanUrls[k]).length + redactor.query(spanQueries[k]).length;
    sink += redactor.path(spanPaths[k]).length;
  });
} catch (error) {
  notRunnable.routing = String(error?.message ?? error).split('\n')[0];
}

// The whole metric path per request: the undici channel messages of one fetch() (create, headers, trailers)
// published on the real channels to a real ZdxInstrumentation recording into a MeterProvider with zdxViews.
try {
  const { metrics } = await import('@opentelemetry/api');
  const { MeterProvider, MetricReader } = await import('@opentelemetry/sdk-metrics');
  const { ZdxInstrumentation, zdxViews } = await import('zdx-otel');
  class Reader extends MetricReader {
    async onForceFlush() {}
    async onShutdown() {}
  }
  const meterProvider = new MeterProvider({ readers: [new Reader()], views: zdxViews() });
  metrics.setGlobalMeterProvider(meterProvider);
  const instrumentation = new ZdxInstrumentation();
  instrumentation.setMeterProvider(meterProvider);
  instrumentation.enable();
  const create = diagch.channel('undici:request:create');
  const headers = diagch.channel('undici:request:headers');
  const trailers = diagch.channel('undici:request:trailers');
  const responseHeaders = [
    'content-type',
    'application/json',
    'x-ratelimit-limit-second',
    '10',
    'x-ratelimit-remaining-second',
    '9',
    'ratelimit-limit',
    '10',
    'ratelimit-remaining',
    '9',
    'ratelimit-reset',
    '1',
  ].map((s) => Buffer.from(s));
  const oneRequest = (origin, i) => {
    const request = { origin, path: deep[i & 1023], method: 'GET', headers: [] };
    create.publish({ request });
    headers.publish({
      request,
      response: { statusCode: i % 10 === 0 ? 429 : 200, statusText: '', headers: responseHeaders },
    });
    trailers.publish({ request, trailers: [] });
  };
  measure(
    'observer + metrics per request: ZDX host (undici events)',
    (i) => oneRequest('https://api.zdxcloud.net', i),
    200,
  );
  measure('observer per request: not a ZDX host (undici events)', (i) => oneRequest('https://example.com', i), 200);
  instrumentation.disable();
  await meterProvider.shutdown();
} catch (error) {
  notRunnable.pipeline = String(error?.message ?? error).split('\n')[0];
}

if (sink === -1) console.error(sink);
console.log(JSON.stringify({ batches: BATCHES, results, notRunnable }));
