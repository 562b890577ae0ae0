// Instructions per request, counted by valgrind (cachegrind), for the benchmark's configurations: a measure
// that does not move with the machine's load, where wall and CPU time on a shared 2-core machine spread by
// +-10% between two identical processes. Each configuration runs twice under valgrind, with the same warm-up
// and `--requests` apart in length; the difference of the two counts over the difference in requests is the
// cost of one request, with start-up, module loading and warm-up cancelled out. Instructions spent compiling
// (V8's parser, Maglev and TurboFan, which keep tiering code up on their own schedule) are reported apart and
// left out of the ratios: they are a one-off cost that lands in the window by chance.
// Instructions are not time (a cache miss or a stall costs many cycles for one instruction), so this
// complements the timed runs of bench/run.mjs; it does not replace them. Needs valgrind; never run in CI.
//   npm run bench:instructions [-- --configs a,b --clients node:http,fetch --requests 4000 --jobs 2]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GOALS } from './report.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: opts } = parseArgs({
  options: {
    configs: { type: 'string' },
    clients: { type: 'string', default: 'node:http,fetch' },
    requests: { type: 'string', default: '4000' },
    warmup: { type: 'string', default: '1000' },
    jobs: { type: 'string', default: String(Math.max(1, os.availableParallelism())) },
    out: { type: 'string', default: join(root, 'bench', 'INSTRUCTIONS.md') },
    note: { type: 'string' },
  },
});
const SHORT = 1000;
const REQUESTS = Number(opts.requests);
const WARMUP = Number(opts.warmup);
const clients = opts.clients.split(',').map((c) => c.trim());
// Every configuration some goal (or floor) compares, in the order of the goals; sdk-only-2 too, whose ratio to
// sdk-only (two identical processes) shows how far two counts of the same work differ.
const goalConfigs = [...new Set(GOALS.flatMap((g) => [g.a, g.b]))];
const configs = opts.configs ? opts.configs.split(',').map((c) => c.trim()) : goalConfigs;

// Compiler, parser and code-generation functions of V8 (by C++ namespace or class), counted apart. V8's own
// parser only: node's HTTP parser (node::http_parser::Parser) and JSON.parse are work every request does.
// Counted apart too: V8 setting up hash seeds (HashSeed::InitializeRoots, which searches random primes with
// detail::sprp), which recurs during a run at a random cost per call: alone it made two identical runs differ by
// about 6k instructions per request.
const LEFT_OUT =
  /detail::sprp|HashSeed::|compiler::|maglev::|turboshaft::|Turboshaft|Scanner::|internal::(?:Parser::|ParserBase<|PreParser)|AstValueFactory|interpreter::Bytecode|CodeGenerator|RegExpCompiler|RegExpParser|Deserializer|baseline::|Zone::|SourcePosition/;

/** Sums a cachegrind output file's instruction counts: all of them, and those left out (see LEFT_OUT). */
function countInstructions(file) {
  let total = 0;
  let leftOut = 0;
  let inLeftOut = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('fn=')) {
      inLeftOut = LEFT_OUT.test(line);
      continue;
    }
    const c = line.charCodeAt(0);
    if (c < 0x30 || c > 0x39) continue;
    const space = line.indexOf(' ');
    const count = Number(line.slice(space + 1));
    if (!Number.isFinite(count)) continue;
    total += count;
    if (inLeftOut) leftOut += count;
  }
  return { total, leftOut };
}

const work = mkdtempSync(join(os.tmpdir(), 'zdx-instructions-'));
let serial = 0;

/** One worker under cachegrind; resolves to its counts. */
function runCounted(config, client, requests) {
  const file = join(work, `${serial++}.out`);
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(ZDX_)?OTEL_/.test(name))),
    ZDX_BENCH_WARMUP: String(WARMUP),
    // Collections run on a timer: under valgrind's slow clock they would land per request at random.
    ZDX_BENCH_EXPORT_INTERVAL_MS: '3600000',
  };
  // --single-threaded: V8's compiler and GC helper threads would do their share at whatever moment valgrind
  // schedules them; on the main thread a node:http metrics run repeats to about 0.3 % (1.5 % with the helper
  // threads). fetch and the span set-ups still vary by more, in garbage collection: see the A/A row.
  const args = ['--tool=cachegrind', '--cache-sim=no', `--cachegrind-out-file=${file}`, process.execPath];
  args.push('--single-threaded');
  args.push(join(root, 'bench', 'worker.mjs'), config, client, 'seq', String(requests));
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${config} ${client}: exit ${code}\n${stderr.slice(-600)}`));
      try {
        resolve(countInstructions(file));
      } finally {
        rmSync(file, { force: true });
      }
    });
  });
}

/** Runs the jobs with at most `limit` at a time, in order. */
async function pool(jobs, limit) {
  const results = new Array(jobs.length);
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return results;
}

const started = Date.now();
const log = (line) => process.stdout.write(`${line}\n`);
log(`instructions per request: ${configs.length} configurations x ${clients.length} clients, ${REQUESTS} requests`);
const pairs = clients.flatMap((client) => configs.map((config) => ({ config, client })));
const jobs = pairs.flatMap(({ config, client }) => [
  () => runCounted(config, client, SHORT),
  () => runCounted(config, client, SHORT + REQUESTS),
]);
const counts = await pool(jobs, Number(opts.jobs));
rmSync(work, { recursive: true, force: true });
const perRequest = new Map();
pairs.forEach(({ config, client }, i) => {
  const short = counts[2 * i];
  const long = counts[2 * i + 1];
  const steady = (long.total - long.leftOut - (short.total - short.leftOut)) / REQUESTS;
  const leftOut = (long.leftOut - short.leftOut) / REQUESTS;
  perRequest.set(`${config} ${client}`, { steady, leftOut });
  log(
    `  ${client.padEnd(9)} ${config.padEnd(15)} ${(steady / 1000).toFixed(1)}k (+${(leftOut / 1000).toFixed(1)}k left out)`,
  );
});

const k = (n) => `${(n / 1000).toFixed(1)}k`;
const lines = [
  '# zdx-otel instructions per request',
  '',
  'Written by `npm run bench:instructions` (bench/instructions.mjs), not by hand.',
  `Started ${new Date(started).toISOString()}, took ${((Date.now() - started) / 60000).toFixed(1)} min.`,
  '',
  `- Node ${process.version}, valgrind cachegrind; ${os.cpus()[0]?.model ?? 'unknown CPU'}`,
  ...(opts.note ? [`- Note: ${opts.note}`] : []),
  `- Method: each configuration of bench/worker.mjs (sequential keep-alive requests, the same deep ZDX path, headers and 429s as the timed runs) runs twice under valgrind, on \`node --single-threaded\` (V8's compiler and GC work on the main thread), after ${WARMUP} warm-up requests, with ${SHORT} and ${SHORT + REQUESTS} measured requests and metric collection kept out of the window; the difference over ${REQUESTS} requests is one request's instructions, start-up cancelled out. Instructions V8 spends compiling (tier-ups land in the window by chance) and setting up hash seeds (a random cost per call) are shown apart and left out of the ratios.`,
  '- Instructions are not time: a cache miss costs many cycles for one instruction. This is a low-noise companion to the timed ratios in RESULTS.md, not a replacement. Two identical runs of the node:http metrics set-ups agree to about 0.3-1.5 %; fetch and the span set-ups vary more (measured up to +-15 % between runs, in garbage collection), so read them against the A/A row and repeat a run before trusting a small difference.',
  '',
  '| configuration | client | instructions / request | compiling and hash seeds (left out) |',
  '|---|---|---|---|',
  ...pairs.map(({ config, client }) => {
    const r = perRequest.get(`${config} ${client}`);
    return `| ${config} | ${client} | ${k(r.steady)} | ${k(r.leftOut)} |`;
  }),
  '',
  '## Ratios',
  '',
  '| comparison | client | ratio | delta / request | goal |',
  '|---|---|---|---|---|',
];
for (const goal of GOALS) {
  for (const client of clients) {
    const a = perRequest.get(`${goal.a} ${client}`);
    const b = perRequest.get(`${goal.b} ${client}`);
    if (!a || !b) continue;
    const ratio = a.steady / b.steady;
    const mark = goal.goal === undefined ? '-' : `<= ${goal.goal}: ${ratio <= goal.goal ? 'pass' : '**miss**'}`;
    lines.push(`| ${goal.title} | ${client} | ${ratio.toFixed(3)}x | ${k(a.steady - b.steady)} | ${mark} |`);
  }
}
writeFileSync(opts.out, `${lines.join('\n')}\n`);
log(`wrote ${opts.out}`);
