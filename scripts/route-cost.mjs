// CPU cost of TemplateRouter#route() per call, for the hot-path goal of issue 13 (a deep known ZDX path).
// Not a test: run `npm run build && node scripts/route-cost.mjs [distDir ...]`; with several dist directories
// (say, a build of the previous commit) the cases run interleaved, so a loaded machine skews them alike.
// CPU time (process.cpuUsage) rather than wall time, so time spent descheduled does not count.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dists = process.argv.length > 2 ? process.argv.slice(2) : ['dist'];
const ROUNDS = 11;
const N = 500_000;
let sink = 0;

function perOp(fn) {
  for (let i = 0; i < 50_000; i++) fn(i);
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) fn(i);
  const d = process.cpuUsage(t0);
  return ((d.user + d.system) * 1000) / N;
}

const cases = [];
for (const dist of dists) {
  const url = pathToFileURL(resolve(dist, 'esm/core/route/template.js')).href;
  const { TemplateRouter } = await import(url);
  const router = new TemplateRouter({ extraHosts: ['127.0.0.1:8080'] });
  // The same inputs as bench/run.mjs: a fresh path string per call, as clients build them.
  cases.push(
    [
      `${dist}: deep known ZDX path`,
      (i) => {
        sink += router.route(
          'api.zdxcloud.net',
          undefined,
          `/v1/devices/${i & 1023}/apps/7/web-probes/3?from=1`,
        ).length;
      },
    ],
    [
      `${dist}: OneAPI path`,
      (i) => {
        sink += router.route('api.zsapi.net', undefined, `/zdx/v1/users/${i & 1023}`).length;
      },
    ],
    [
      `${dist}: not a ZDX host`,
      (i) => {
        sink += router.route('example.com', 443, `/v1/devices/${i & 1023}`) === undefined ? 1 : 0;
      },
    ],
  );
}
const samples = cases.map(() => []);
for (let r = 0; r < ROUNDS; r++) cases.forEach(([, fn], k) => samples[k].push(perOp(fn)));
for (const [k, [name]] of cases.entries()) {
  const xs = samples[k].sort((a, b) => a - b);
  console.log(`${name.padEnd(50)} median ${xs[ROUNDS >> 1].toFixed(0)} ns  min ${xs[0].toFixed(0)} ns`);
}
if (sink === -1) console.log(sink);
