// Cardinality and memory under a hostile workload: N ZDX requests with random device ids, random unknown paths
// and random query strings, through the real metric pipeline (ZdxInstrumentation -> MeterProvider with zdxViews
// -> a MetricReader collected at checkpoints). Run with --expose-gc; prints one JSON line. Reports, never fails.
//   node --expose-gc bench/cardinality.mjs <requests>
//
// The requests are fed as real diagnostics-channel publishes, on the channels and with the message shapes that
// node:http (`http.client.*`, with EventEmitter request/response objects that then emit 'end' and 'close') and
// undici/fetch (`undici:request:*`, header lists as Buffers) publish. Real loopback requests cost 50-250 us each
// here, so 1M of them would take minutes; what is under test (observer, router, instruments, Views, reader)
// starts at the channel message, which it receives exactly as from a real client. The run checks that every
// published request was counted, so a message shape the observer no longer understands shows up as a shortfall.
import * as diagch from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';

const N = Number(process.argv[2] ?? 1_000_000);
const CHECKPOINTS = [...new Set([10_000, 100_000, 250_000, 500_000, 750_000, N].filter((c) => c <= N))];

const { metrics } = await import('@opentelemetry/api');
const { MeterProvider, MetricReader } = await import('@opentelemetry/sdk-metrics');
const { ZdxInstrumentation, zdxViews, ZDX_ENDPOINTS } = await import('zdx-otel');

class CheckpointReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}
const reader = new CheckpointReader();
const meterProvider = new MeterProvider({ readers: [reader], views: zdxViews() });
metrics.setGlobalMeterProvider(meterProvider);
const instrumentation = new ZdxInstrumentation();
instrumentation.setMeterProvider(meterProvider);
instrumentation.enable();

// Seeded xorshift32, so every run sees the same "random" workload.
let seed = 0x9e3779b9;
const rand = () => {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 0x100000000;
};
const int = (n) => Math.floor(rand() * n);
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const word = () => Array.from({ length: 3 + int(8) }, () => LETTERS[int(26)]).join('');
const id = () =>
  rand() < 0.5
    ? String(int(1e9))
    : `${int(0xffffffff).toString(16)}-${int(0xffff).toString(16)}-4${int(0xfff).toString(16)}`;

// 70 % catalog paths (every {param} a fresh random id), 30 % unknown paths of random words and ids; a random
// query string on most; two ZDX hosts (direct and OneAPI, whose paths start with /zdx); a status mix with
// errors (see workloadBound below).
const HOSTS = ['api.zdxcloud.net', 'api.zsapi.net'];
const STATUSES = [401, 403, 404, 429, 500, 503];
function nextRequest() {
  const host = HOSTS[int(2)];
  let method = 'GET';
  let path;
  if (rand() < 0.7) {
    const endpoint = ZDX_ENDPOINTS[int(ZDX_ENDPOINTS.length)];
    method = endpoint.method;
    path = endpoint.template.replace(/\{[^}]+\}/g, id);
  } else {
    path = `/v1/${Array.from({ length: 1 + int(4) }, () => (rand() < 0.6 ? word() : id())).join('/')}`;
  }
  if (host === 'api.zsapi.net') path = `/zdx${path}`;
  if (rand() < 0.8) path += `?from=${int(1e10)}&to=${int(1e10)}&q=${word()}&offset=${id()}`;
  const r = rand();
  const outcome = r < 0.85 ? 200 : r < 0.99 ? STATUSES[int(STATUSES.length)] : 'error';
  return { host, method, path, outcome, remaining: int(10) };
}

const ch = (name) => diagch.channel(name);
const httpStart = ch('http.client.request.start');
const httpFinish = ch('http.client.response.finish');
const httpError = ch('http.client.request.error');
const undiciCreate = ch('undici:request:create');
const undiciHeaders = ch('undici:request:headers');
const undiciTrailers = ch('undici:request:trailers');
const undiciError = ch('undici:request:error');

function viaHttp({ host, method, path, outcome, remaining }) {
  const request = new EventEmitter();
  Object.assign(request, { host, path, method, getHeader: (name) => (name === 'host' ? host : undefined) });
  httpStart.publish({ request });
  if (outcome === 'error') {
    const error = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    httpError.publish({ request, error });
  } else {
    const response = new EventEmitter();
    Object.assign(response, {
      statusCode: outcome,
      complete: true,
      headers: {
        'content-type': 'application/json',
        'x-ratelimit-limit-second': '10',
        'x-ratelimit-remaining-second': String(remaining),
        'ratelimit-remaining': String(remaining),
      },
    });
    httpFinish.publish({ request, response });
    response.emit('end');
    response.emit('close');
  }
  request.emit('close');
}

const RL_LIMIT = Buffer.from('x-ratelimit-limit-second');
const RL_REMAINING = Buffer.from('x-ratelimit-remaining-second');
const CONTENT_TYPE = Buffer.from('content-type');
const JSON_TYPE = Buffer.from('application/json');
const TEN = Buffer.from('10');
function viaUndici({ host, method, path, outcome, remaining }) {
  const request = { origin: `https://${host}`, path, method, headers: [] };
  undiciCreate.publish({ request });
  if (outcome === 'error') {
    undiciError.publish({ request, error: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    return;
  }
  const headers = [CONTENT_TYPE, JSON_TYPE, RL_LIMIT, TEN, RL_REMAINING, Buffer.from(String(remaining))];
  undiciHeaders.publish({ request, response: { statusCode: outcome, statusText: '', headers } });
  undiciTrailers.publish({ request, trailers: [] });
}

async function snapshot(done, elapsedMs) {
  const { resourceMetrics, errors } = await reader.collect();
  const series = {};
  let counted = 0;
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      series[metric.descriptor.name] = metric.dataPoints.length;
      if (metric.descriptor.name === 'zdx.api.requests') for (const p of metric.dataPoints) counted += p.value;
    }
  }
  const overflow = resourceMetrics.scopeMetrics.some((s) =>
    s.metrics.some((m) => m.dataPoints.some((p) => p.attributes['otel.metric.overflow'] === true)),
  );
  globalThis.gc();
  globalThis.gc();
  const heapMB = process.memoryUsage().heapUsed / 1048576;
  return { requests: done, counted, series, overflow, heapMB, errors: errors.length, elapsedMs };
}

if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
const checkpoints = [];
const t0 = performance.now();
let busyMs = 0;
let done = 0;
for (const checkpoint of CHECKPOINTS) {
  const t = performance.now();
  while (done < checkpoint) {
    const request = nextRequest();
    if (done % 2 === 0) viaUndici(request);
    else viaHttp(request);
    done++;
    // Let timers and finalizers run now and then, as they would between real requests.
    if (done % 50_000 === 0) await new Promise((r) => setImmediate(r));
  }
  busyMs += performance.now() - t;
  checkpoints.push(await snapshot(done, performance.now() - t0));
}
await meterProvider.shutdown();
// Every series this workload can make: (catalog method/template pairs + 50 unknown templates (the default
// maxUnknownTemplates) + /{other}) x 2 hosts x (200, the six error statuses, ECONNRESET, UND_ERR_SOCKET).
// Anything above it would mean an id, a query or an unknown path leaked into a label.
const catalogPairs = new Set(ZDX_ENDPOINTS.map((e) => `${e.method} ${e.template}`)).size;
const workloadBound = (catalogPairs + 50 + 1) * HOSTS.length * (1 + STATUSES.length + 2);
console.log(
  JSON.stringify({
    requests: N,
    nsPerRequest: (busyMs * 1e6) / N,
    cardinalityLimit: 2000, // the documented default of cardinalityLimit (README, docs/telemetry.md)
    workloadBound,
    checkpoints,
  }),
);
