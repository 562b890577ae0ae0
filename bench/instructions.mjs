// Instructions per request, counted by valgrind (cachegrind), for the benchmark's configurations: a measure
// that does not move with the machine's load, where wall and CPU time on a shared 2-core machine spread by
// +-10% between two identical processes. Each configuration runs twice under valgrind, with the same warm-up
// and `--requests` apart in length; the difference of the two counts over the difference in requests is the
// cost of one request, with start-up, module loading and warm-up cancelled out. Instructions spent compiling
// (V8's parser, Maglev and TurboFan, which keep tiering code up on their own schedule) are reported apart and
// left out of the ratios: they are a one-off cost that lands in the window by chance. So are full collections
// (see MAJOR_GC), which land in a window one more or one fewer time by chance.
// Instructions are not time (a cache miss or a stall costs many cycles for one instruction), so this
// complements the timed runs of bench/run.mjs; it does not replace them. Needs valgrind; never run in CI.
//   npm run bench:instructions [-- --configs a,b --clients node:http,fetch --requests 4000 --jobs 2 --repeat 3]
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
    repeat: { type: 'string', default: '1' },
  },
});
const SHORT = 1000;
const REQUESTS = Number(opts.requests);
const WARMUP = Number(opts.warmup);
const REPEAT = Math.max(1, Number(opts.repeat));
const clients = opts.clients.split(',').map((c) => c.trim());
// Every configuration some goal (or floor) compares, in the order of the goals; the A/A pairs too (sdk-only-2,
// otel-spans-2), whose ratios (two identical processes) show how far two counts of the same work differ.
const goalConfigs = [...new Set(GOALS.flatMap((g) => [g.a, g.b]))];
const configs = opts.configs ? opts.configs.split(',').map((c) => c.trim()) : goalConfigs;

// Compiler, parser and code-generation functions of V8 (by C++ namespace or class), counted apart. V8's own
// parser only: node's HTTP parser (node::http_parser::Parser) and JSON.parse are work every request does.
// Counted apart too: V8 setting up hash seeds (HashSeed::InitializeRoots, which searches random primes with
// detail::sprp), which recurs during a run at a random cost per call: alone it made two identical runs differ by
// about 6k instructions per request.
const LEFT_OUT =
  /detail::sprp|HashSeed::|compiler::|maglev::|turboshaft::|Turboshaft|Scanner::|internal::(?:Parser::|ParserBase<|PreParser)|AstValueFactory|interpreter::Bytecode|CodeGenerator|RegExpCompiler|RegExpParser|Deserializer|baseline::|Zone::|SourcePosition/;

// V8's full (mark-compact) collector: marking, sweeping, evacuation and the pointer updates after it. Shown
// apart and left out of the ratios like compiling: a full collection comes about once per 20,000 requests in
// the node:http metrics set-ups (node --trace-gc) and every few hundred with fetch or spans (held in the batch
// queue), so a window of a few thousand requests holds one more or one fewer by where the heap limit happens to
// fall, and one more adds some 20k instructions to every request of a metrics run. The scavenges of the young
// generation, where a request's garbage dies, are many per run and stay counted.
const MAJOR_GC =
  /MarkCompact|MarkingVisitor|MarkingWorklist|MarkingBarrier|MarkingState|IncrementalMarking|Sweeper::|RecordMigratedSlot|Evacuat|LiveObjectVisitor|PointersUpdating|StringTableCleaner/;

/** Sums a cachegrind output file's instruction counts: all of them, compiling's (see LEFT_OUT), and the full
 * collector's (see MAJOR_GC). */
function countInstructions(file) {
  let total = 0;
  let leftOut = 0;
  let majorGc = 0;
  let inLeftOut = false;
  let inMajorGc = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('fn=')) {
      inLeftOut = LEFT_OUT.test(line);
      inMajorGc = !inLeftOut && MAJOR_GC.test(line);
      continue;
    }
    const c = line.charCodeAt(0);
    if (c < 0x30 || c > 0x39) continue;
    const space = line.indexOf(' ');
    const count = Number(line.slice(space + 1));
    if (!Number.isFinite(count)) continue;
    total += count;
    if (inLeftOut) leftOut += count;
    else if (inMajorGc) majorGc += count;
  }
  return { total, leftOut, majorGc };
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
  // threads). --predictable-gc-schedule fixes V8's heap growing and memory-reducer GCs, which otherwise follow
  // the wall clock and made two identical span runs differ by up to 8 % in collection work; --no-flush-bytecode
  // keeps V8 from dropping a function's bytecode (and its inline-cache feedback) after a number of GCs.
  const args = ['--tool=cachegrind', '--cache-sim=no', `--cachegrind-out-file=${file}`, process.execPath];
  args.push('--single-threaded', '--predictable-gc-schedule', '--no-flush-bytecode');
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
const elapsed = () => `${((Date.now() - started) / 60000).toFixed(1)} min`;
log(
  `instructions per request: ${configs.length} configurations x ${clients.length} clients x ${REPEAT} repeats, ${REQUESTS} requests`,
);
const pairs = clients.flatMap((client) => configs.map((config) => ({ config, client })));
// Repeats run interleaved (every pair once, then again), so a change on the machine between them hits all alike.
const runs = Array.from({ length: REPEAT }, () => pairs).flat();
let done = 0;
const counted = async (config, client, requests) => {
  const result = await runCounted(config, client, requests);
  done++;
  log(`  ${String(done).padStart(3)}/${2 * runs.length} ${client} ${config} (${requests} requests), ${elapsed()}`);
  return result;
};
const jobs = runs.flatMap(({ config, client }) => [
  () => counted(config, client, SHORT),
  () => counted(config, client, SHORT + REQUESTS),
]);
const counts = await pool(jobs, Number(opts.jobs));
rmSync(work, { recursive: true, force: true });
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** Per pair: one request's instructions in each repeat (steady: all but compiling and full collections). */
const samples = new Map();
runs.forEach(({ config, client }, i) => {
  const short = counts[2 * i];
  const long = counts[2 * i + 1];
  const key = `${config} ${client}`;
  const list = samples.get(key) ?? [];
  list.push({
    steady: (long.total - long.leftOut - long.majorGc - (short.total - short.leftOut - short.majorGc)) / REQUESTS,
    majorGc: (long.majorGc - short.majorGc) / REQUESTS,
    leftOut: (long.leftOut - short.leftOut) / REQUESTS,
  });
  samples.set(key, list);
});
const k = (n) => `${(n / 1000).toFixed(1)}k`;
const perRequest = new Map();
for (const { config, client } of pairs) {
  const list = samples.get(`${config} ${client}`);
  const steadies = list.map((s) => s.steady);
  const r = {
    steady: median(steadies),
    low: Math.min(...steadies),
    high: Math.max(...steadies),
    majorGc: median(list.map((s) => s.majorGc)),
    leftOut: median(list.map((s) => s.leftOut)),
  };
  perRequest.set(`${config} ${client}`, r);
  log(
    `  ${client.padEnd(9)} ${config.padEnd(15)} ${k(r.steady)} [${k(r.low)}-${k(r.high)}] (left out: full GC ${k(r.majorGc)}, compiling ${k(r.leftOut)})`,
  );
}

const lines = [
  '# zdx-otel instructions per request',
  '',
  'Written by `npm run bench:instructions` (bench/instructions.mjs), not by hand.',
  `Started ${new Date(started).toISOString()}, took ${elapsed()}.`,
  '',
  `- Node ${process.version}, valgrind cachegrind; ${os.cpus()[0]?.model ?? 'unknown CPU'}`,
  ...(opts.note ? [`- Note: ${opts.note}`] : []),
  `- Method: each configuration of bench/worker.mjs (sequential keep-alive requests, the same deep ZDX paths and time windows, headers and 429s as the timed runs) runs twice under valgrind, on \`node --single-threaded --predictable-gc-schedule --no-flush-bytecode\` (V8's compiler and GC work on the main thread, and the heap grows with allocation, not with the clock), after ${WARMUP} warm-up requests, with ${SHORT} and ${SHORT + REQUESTS} measured requests and metric collection kept out of the window; the difference over ${REQUESTS} requests is one request's instructions, start-up cancelled out.${REPEAT > 1 ? ` Every pair runs ${REPEAT} times, interleaved; the median is used and the range shown.` : ''}`,
  "- Shown apart and left out of the ratios: instructions V8 spends compiling (tier-ups land in the window by chance) and setting up hash seeds (a random cost per call), and full (mark-compact) collections, which come every few hundred requests (fetch, and spans held in the batch queue) to about every twenty thousand (node:http, metrics only), so a window holds one more or one fewer by where the heap limit falls. The young-generation scavenges, where a request's garbage dies, stay counted. The ratios with full collections counted are shown too: where those come often (fetch) they are a real share of the cost, and a configuration that holds more objects pays more of them.",
  '- Instructions are not time: a cache miss costs many cycles for one instruction. This is a low-noise companion to the timed ratios in RESULTS.md, not a replacement. Read a small difference against the A/A row (two identical configurations).',
  '',
  `| configuration | client | instructions / request${REPEAT > 1 ? ` (median of ${REPEAT} [range])` : ''} | full GC (left out) | compiling and hash seeds (left out) |`,
  '|---|---|---|---|---|',
  ...pairs.map(({ config, client }) => {
    const r = perRequest.get(`${config} ${client}`);
    const range = REPEAT > 1 ? ` [${k(r.low)}-${k(r.high)}]` : '';
    return `| ${config} | ${client} | ${k(r.steady)}${range} | ${k(r.majorGc)} | ${k(r.leftOut)} |`;
  }),
  '',
  '## Ratios',
  '',
  '| comparison | client | ratio | delta / request | goal | ratio with full GC |',
  '|---|---|---|---|---|---|',
];
for (const goal of GOALS) {
  for (const client of clients) {
    const a = perRequest.get(`${goal.a} ${client}`);
    const b = perRequest.get(`${goal.b} ${client}`);
    if (!a || !b) continue;
    const ratio = a.steady / b.steady;
    const mark = goal.goal === undefined ? '-' : `<= ${goal.goal}: ${ratio <= goal.goal ? 'pass' : '**miss**'}`;
    const withGc = (a.steady + a.majorGc) / (b.steady + b.majorGc);
    lines.push(
      `| ${goal.title} | ${client} | ${ratio.toFixed(3)}x | ${k(a.steady - b.steady)} | ${mark} | ${withGc.toFixed(3)}x |`,
    );
  }
}
writeFileSync(opts.out, `${lines.join('\n')}\n`);
log(`wrote ${opts.out}`);
