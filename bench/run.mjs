// zdx-otel overhead benchmark. Every configuration runs in a fresh process, interleaved over several rounds
// so machine noise hits all of them alike, and is reported as a ratio to the uninstrumented baseline of
// the same run. Results are printed and written to bench/results/ (git-ignored). Nothing here asserts.
//   npm run bench            (3 rounds x 3000 requests)
//   npm run bench -- 5 5000  (rounds, requests per run)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const rounds = Number(process.argv[2] ?? 3);
const requests = process.argv[3] ?? '3000';
const configs = ['baseline', 'sdk-only', 'zdx-metrics', 'otel-spans', 'zdx-full'];
const clients = ['node:http', 'fetch'];
const worker = fileURLToPath(new URL('./worker.mjs', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));

const samples = new Map();
for (let round = 1; round <= rounds; round++) {
  for (const client of clients) {
    for (const config of configs) {
      const out = execFileSync(process.execPath, [worker, config, client, requests], { cwd: root, encoding: 'utf8' });
      const result = JSON.parse(out.trim().split('\n').at(-1));
      const key = `${client} ${config}`;
      (samples.get(key) ?? samples.set(key, []).get(key)).push(result);
      process.stdout.write(`round ${round}/${rounds} ${key.padEnd(24)} ${result.wallUsPerReq.toFixed(1)} us/req wall, ${result.cpuUsPerReq.toFixed(1)} us/req cpu\n`);
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const client of clients) {
  const base = samples.get(`${client} baseline`);
  const baseWall = median(base.map((r) => r.wallUsPerReq));
  const baseCpu = median(base.map((r) => r.cpuUsPerReq));
  for (const config of configs) {
    const s = samples.get(`${client} ${config}`);
    const wall = median(s.map((r) => r.wallUsPerReq));
    const cpu = median(s.map((r) => r.cpuUsPerReq));
    rows.push({ client, config, wallUs: wall, cpuUs: cpu, wallRatio: wall / baseWall, cpuRatio: cpu / baseCpu });
  }
}

// Hot-path micro-benchmark: what ZdxInstrumentation does per request besides recording, against parsing
// the same URL with WHATWG URL (which every HTTP client already does once per request) as the yardstick.
const { TemplateRouter } = await import('../dist/esm/core/route/template.js');
const { classifyStatus } = await import('../dist/esm/core/catalog/status.js');
const router = new TemplateRouter({ extraHosts: ['127.0.0.1:8080'] });
function perOp(fn, n = 500_000) {
  for (let i = 0; i < 50_000; i++) fn(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return ((performance.now() - t0) * 1e6) / n;
}
let sink = 0;
const micro = {
  'new URL(zdx url) [yardstick]': perOp((i) => { sink += new URL(`https://api.zdxcloud.net/v1/devices/${i & 1023}/apps/7/web-probes/3?from=1`).pathname.length; }),
  'route: deep known ZDX path': perOp((i) => { sink += router.route('api.zdxcloud.net', undefined, `/v1/devices/${i & 1023}/apps/7/web-probes/3?from=1`).length; }),
  'route: OneAPI path': perOp((i) => { sink += router.route('api.zsapi.net', undefined, `/zdx/v1/users/${i & 1023}`).length; }),
  'route: not a ZDX host': perOp((i) => { sink += router.route('example.com', 443, `/v1/devices/${i & 1023}`) === undefined ? 1 : 0; }),
  'classifyStatus': perOp((i) => { sink += classifyStatus(200 + (i % 400)).retryable ? 1 : 0; }),
};
if (sink === -1) console.log(sink);

const lines = [
  `zdx-otel benchmark, ${new Date().toISOString()}, Node ${process.version}, ${rounds} rounds x ${requests} sequential keep-alive requests per run`,
  '',
  '| client | configuration | wall us/req | vs baseline | cpu us/req | vs baseline |',
  '|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.client} | ${r.config} | ${r.wallUs.toFixed(1)} | ${r.wallRatio.toFixed(2)}x | ${r.cpuUs.toFixed(1)} | ${r.cpuRatio.toFixed(2)}x |`),
  '',
  'configurations: baseline = no OpenTelemetry; sdk-only = the SDK providers, context manager and propagator, no instrumentation;',
  'zdx-metrics = sdk-only + ZdxInstrumentation with zdxViews (tracing off); otel-spans = sdk-only + http and undici',
  'instrumentations (no zdx-otel); zdx-full = otel-spans + ZdxInstrumentation + ZdxSpanProcessor, as zdx-otel/register runs.',
  'zdx-otel\'s own cost is zdx-metrics vs sdk-only (metrics) and zdx-full vs otel-spans (metrics and span enrichment).',
  '',
  '| hot-path operation | ns/op | vs new URL() |',
  '|---|---|---|',
  ...Object.entries(micro).map(([name, ns]) => `| ${name} | ${ns.toFixed(0)} | ${(ns / micro['new URL(zdx url) [yardstick]']).toFixed(2)}x |`),
];
const report = lines.join('\n');
console.log(`\n${report}`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL(`./results/bench-${Date.now()}.md`, import.meta.url), `${report}\n`);
