// zdx-otel overhead benchmark (a benchmark: it reports, it never fails on a number).
// Every configuration runs in a fresh process; rounds are interleaved (and rotated) so machine drift hits all
// configurations alike; each goal is a ratio of two configurations of the same run, taken per round and then the
// median over rounds. Also: a hot-path micro-benchmark, 1M-request cardinality/memory, and the OpenTelemetry 2.x
// line from a cache dir. Writes bench/results/bench-<time>.json and bench/RESULTS.md. See bench/README.md.
//   npm run bench                        full run (under ten minutes on an idle 2-core machine)
//   npm run bench -- --quick             smoke run (under 2 minutes)
//   npm run bench -- --cpu-prof zdx-full [--client fetch] [--mode c32] [--otel2]   one profiled run
//   npm run bench -- --compare main~3    this build against an earlier commit, in the same rounds
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prepareCompare } from './compare.mjs';
import { OTEL2_DIR, otelVersions, prepareOtel2 } from './otel2.mjs';
import { CONFIGS, GOALS, median, renderResults } from './report.mjs';
import { summarizeProfile } from './profile.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = join(root, 'bench', 'results');
const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    'otel2-rounds': { type: 'string' },
    requests: { type: 'string' },
    'steady-warmup': { type: 'string' },
    'steady-requests': { type: 'string' },
    'same-warmup': { type: 'string' },
    'same-rounds': { type: 'string' },
    'same-requests': { type: 'string' },
    'same-processes': { type: 'string' },
    'cardinality-requests': { type: 'string' },
    'no-otel2': { type: 'boolean', default: false },
    'no-cardinality': { type: 'boolean', default: false },
    'no-micro': { type: 'boolean', default: false },
    'no-results-md': { type: 'boolean', default: false },
    note: { type: 'string' },
    'mark-by': { type: 'string', default: 'cpu' },
    configs: { type: 'string' },
    clients: { type: 'string' },
    modes: { type: 'string' },
    'cpu-prof': { type: 'string' },
    client: { type: 'string', default: 'fetch' },
    mode: { type: 'string', default: 'seq' },
    otel2: { type: 'boolean', default: false },
    compare: { type: 'string' },
  },
});
const int = (value, fallback) => (value === undefined ? fallback : Number.parseInt(value, 10));
const plan = {
  quick: opts.quick,
  rounds: int(opts.rounds, opts.quick ? 2 : 5),
  otel2Rounds: opts['no-otel2'] ? 0 : int(opts['otel2-rounds'], opts.quick ? 1 : 2),
  seqRequests: int(opts.requests, opts.quick ? 500 : 3000),
  // Steady state: the same sequential calls after the JIT has settled. The runs above start measuring a few
  // hundred requests in, while V8 is still compiling (a process's first 10,000-15,000 requests cost about twice
  // what later ones do); a service pays that once, and every later request the steady cost.
  steadyWarmup: int(opts['steady-warmup'], opts.quick ? 3000 : 20_000),
  steadyRequests: int(opts['steady-requests'], opts.quick ? 1000 : 5000),
  // One process per goal and client, switching between the goal's configurations in timed blocks after a warm-up
  // (bench/worker.mjs, mode `same`): the tightest ratios this benchmark takes.
  sameWarmup: int(opts['same-warmup'], opts.quick ? 10_000 : 20_000),
  // Each set has five configurations, whose balanced orders come in cycles of ten: fewer rounds round up to ten.
  sameRounds: int(opts['same-rounds'], 10),
  sameRequests: int(opts['same-requests'], opts.quick ? 500 : 2000),
  sameProcesses: int(opts['same-processes'], opts.quick ? 1 : 2),
  cardinalityRequests: opts['no-cardinality'] ? 0 : int(opts['cardinality-requests'], opts.quick ? 200_000 : 1_000_000),
  microBatches: opts['no-micro'] ? 0 : opts.quick ? 101 : 301,
  markBy: opts['mark-by'] === 'wall' ? 'wall' : 'cpu',
  compare: opts.compare,
};
// As many for 32 in flight: they finish faster than the sequential ones, and a full run stays under ten minutes.
plan.c32Requests = plan.seqRequests;
// Subsets (--configs zdx-metrics,sdk-only --clients fetch --modes seq) for a fast look while cutting the hot path.
const list = (value, all) =>
  value
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => all.includes(v))
    : all;
const CONFIG_NAMES = list(opts.configs, Object.keys(CONFIGS));
const CLIENTS = list(opts.clients, ['node:http', 'fetch']);
// `steady` (one configuration per process, measured after the same warm-up as `same`) is only run when asked for:
// `same` measures the same state with several times less noise.
const MODES = opts.modes ? list(opts.modes, ['seq', 'c32', 'steady', 'same']) : ['seq', 'c32', 'same'];
// A steady-state run takes several times as long as the others: only the configurations of the goals with a
// contract floor and of the SDK's A/A pair, on the 3.x line.
const SDK_AA = GOALS.find((goal) => goal.id === 'aa');
const STEADY_CONFIGS = new Set([
  ...GOALS.filter((goal) => goal.floor).flatMap((goal) => [goal.a, goal.b, goal.floor]),
  SDK_AA.a,
  SDK_AA.b,
]);
const log = (line) => process.stdout.write(`${line}\n`);

// Workers get no OTEL_* or ZDX_OTEL_* variables from the caller's shell: a stray ZDX_OTEL_EXTRA_HOSTS or
// OTEL_SDK_DISABLED would silently change what a configuration measures.
const workerEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(ZDX_)?OTEL_/.test(name)));

/** Runs one worker process; returns its parsed last JSON line, or { error } with the first useful stderr line. */
function runNode(args, { cwd = root, timeout = 300_000 } = {}) {
  const out = spawnSync(process.execPath, args, {
    cwd,
    env: workerEnv,
    encoding: 'utf8',
    timeout,
    maxBuffer: 64 << 20,
  });
  const last = out.stdout?.trim().split('\n').at(-1);
  if (out.status === 0 && last?.startsWith('{')) return JSON.parse(last);
  const stderr = (out.stderr ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const why =
    stderr.find((l) => /^\w*Error\b/.test(l)) ??
    stderr.find((l) => /Error|error:|Cannot|not /.test(l)) ??
    stderr[0] ??
    out.error?.message ??
    `exit ${out.status}`;
  // No machine paths in the report: paths inside the project are given relative to it.
  return { error: why.replaceAll(`file://${root}`, '').replaceAll(root, '').slice(0, 300) };
}

if (opts['cpu-prof'] !== undefined) {
  await profileOne();
  process.exit(0);
}

const started = performance.now();
const startedAt = new Date();
const cpuAtStart = machineCpu();
const loadAtStart = os.loadavg();
const results = {
  startedAt: startedAt.toISOString(),
  plan,
  note: opts.note,
  machine: {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAtStart,
  },
  lines: {},
  micro: undefined,
  cardinality: {},
};

const lines = [{ name: '3.x', dir: root, worker: join(root, 'bench', 'worker.mjs'), rounds: plan.rounds }];
if (plan.compare !== undefined) {
  const prepared = prepareCompare(plan.compare, { log });
  const name = `3.x, zdx-otel at ${plan.compare}`;
  results.compare = { ref: plan.compare, line: name, against: '3.x' };
  if (prepared.dir) {
    results.compare.commit = prepared.commit;
    // Run in the same rounds as the 3.x line, job by job (see `partners`): both see the same machine state.
    lines.push({
      name,
      dir: prepared.dir,
      worker: join(prepared.dir, 'worker.mjs'),
      rounds: plan.rounds,
      pairWith: '3.x',
      // Its OpenTelemetry packages are the project's own, found further up from its directory.
      packages: join(root, 'node_modules'),
    });
  } else {
    results.lines[name] = { notRunnable: prepared.notRunnable };
    log(`${name}: not runnable: ${prepared.notRunnable}`);
  }
}
if (plan.otel2Rounds > 0) {
  const prepared = prepareOtel2({ log });
  if (prepared.dir)
    lines.push({ name: '2.x', dir: prepared.dir, worker: join(prepared.dir, 'worker.mjs'), rounds: plan.otel2Rounds });
  else
    results.lines['2.x'] = {
      notRunnable: prepared.notRunnable,
      versions: otelVersions(join(OTEL2_DIR, 'node_modules')),
    };
}

/** The results entry of a line, made on first use. */
const entryOf = (line) =>
  (results.lines[line.name] ??= {
    versions: otelVersions(line.packages ?? join(line.dir, 'node_modules')),
    rounds: line.rounds,
    samples: {},
    failures: [],
  });

for (const line of lines) {
  if (line.pairWith) continue; // runs inside its partner's rounds
  const partners = lines.filter((l) => l.pairWith === line.name);
  // One run first: a line whose core does not load is reported, not crashed on.
  const runnable = [line, ...partners].filter((l) => {
    const probe = runNode([l.worker, 'zdx-full', 'node:http', 'seq', '200'], { cwd: l.dir });
    if (!probe.error) return true;
    results.lines[l.name] = {
      notRunnable: probe.error,
      versions: otelVersions(l.packages ?? join(l.dir, 'node_modules')),
    };
    log(`OpenTelemetry ${l.name}: not runnable: ${probe.error}`);
    return false;
  });
  if (runnable.length === 0) continue;
  for (const each of runnable) entryOf(each);
  const jobs = CLIENTS.flatMap((client) =>
    MODES.flatMap((mode) =>
      CONFIG_NAMES.filter(
        (config) => mode !== 'same' && (mode !== 'steady' || (line.name === '3.x' && STEADY_CONFIGS.has(config))),
      ).map((config) => ({ client, mode, config })),
    ),
  );
  for (let round = 0; round < line.rounds; round++) {
    // Rotate the order each round, so no configuration always runs first, last, or after the same neighbour;
    // partner lines run each job right beside it, taking turns at going first.
    const shift = Math.floor((round * jobs.length) / line.rounds);
    const order = round % 2 === 0 ? runnable : [...runnable].reverse();
    for (const job of [...jobs.slice(shift), ...jobs.slice(0, shift)]) {
      for (const each of order) {
        // The earlier build of --compare runs the sequential and concurrent jobs only.
        if (job.mode === 'steady' && each !== line) continue;
        const entry = entryOf(each);
        const args =
          job.mode === 'steady'
            ? [job.config, job.client, 'seq', String(plan.steadyRequests), String(plan.steadyWarmup)]
            : [job.config, job.client, job.mode, String(job.mode === 'seq' ? plan.seqRequests : plan.c32Requests)];
        const result = runNode([each.worker, ...args], { cwd: each.dir });
        const key = `${job.client} ${job.mode} ${job.config}`;
        if (result.error) {
          entry.failures.push({ round, key, error: result.error });
          log(`otel ${each.name} round ${round + 1}/${each.rounds} ${key.padEnd(32)} FAILED: ${result.error}`);
          continue;
        }
        (entry.samples[key] ??= Array(each.rounds).fill(null))[round] = {
          wall: result.wallUsPerReq,
          cpu: result.cpuUsPerReq,
        };
        log(
          `otel ${each.name} round ${round + 1}/${each.rounds} ${key.padEnd(32)} ${result.wallUsPerReq.toFixed(1).padStart(7)} us/req wall ${result.cpuUsPerReq.toFixed(1).padStart(7)} us/req cpu`,
        );
      }
    }
  }
}

// Mode `same`, on each OpenTelemetry line (not --compare's earlier build): each process returns one timed block per
// configuration and round; the blocks of all processes are kept in order, so block i of one configuration pairs
// with block i of another of the same process and round.
if (MODES.includes('same')) {
  // The worker's sets are named after the goals with a floor, and run all of a goal's configurations.
  const sets = GOALS.filter((g) => g.floor && [g.a, g.b, g.floor].some((c) => CONFIG_NAMES.includes(c)));
  for (const line of lines.filter((l) => !l.pairWith && !results.lines[l.name]?.notRunnable)) {
    const entry = entryOf(line);
    for (let run = 0; run < plan.sameProcesses; run++) {
      for (const client of CLIENTS) {
        for (const { id: set } of sets) {
          // A fetch block takes twice as many requests: they cost about twice as much, and shorter blocks left
          // the fetch A/A pair's interval at 0.90-1.13 where 4,000 requests made it 0.95-1.03.
          const requests = client === 'fetch' ? 2 * plan.sameRequests : plan.sameRequests;
          const args = [set, client, 'same', String(requests), String(plan.sameWarmup), String(plan.sameRounds)];
          const result = runNode([line.worker, ...args], { cwd: line.dir });
          const key = `${client} same ${set}`;
          const label = `otel ${line.name} same process ${run + 1}/${plan.sameProcesses} ${key.padEnd(24)}`;
          if (result.error) {
            entry.failures.push({ round: run, key, error: result.error });
            log(`${label} FAILED: ${result.error}`);
            continue;
          }
          const configs = Object.keys(result.blocks);
          for (const config of configs) {
            (entry.samples[`${client} same ${config}`] ??= []).push(...result.blocks[config]);
          }
          log(
            `${label} ${configs.map((c) => `${c} ${median(result.blocks[c].map((b) => b.cpu)).toFixed(1)}`).join(', ')}` +
              ' us/req cpu (median block)',
          );
        }
      }
    }
  }
}

if (plan.microBatches > 0) {
  log('hot-path micro-benchmark');
  results.micro = runNode([join(root, 'bench', 'micro.mjs'), String(plan.microBatches)]);
}

if (plan.cardinalityRequests > 0) {
  for (const line of lines) {
    if (line.pairWith || results.lines[line.name]?.notRunnable) continue;
    log(`cardinality and memory, OpenTelemetry ${line.name}: ${plan.cardinalityRequests} requests`);
    results.cardinality[line.name] = runNode(
      [
        '--expose-gc',
        join(line.dir, line.dir === root ? 'bench/cardinality.mjs' : 'cardinality.mjs'),
        String(plan.cardinalityRequests),
      ],
      { cwd: line.dir, timeout: 600_000 },
    );
  }
}

results.durationS = (performance.now() - started) / 1000;
results.machine.loadAtEnd = os.loadavg();
const cpuAtEnd = machineCpu();
results.machine.foreignCpu = foreignCpuShare(cpuAtStart, cpuAtEnd);
// CPU the benchmark itself used (this process and its workers, in USER_HZ ticks of 10 ms): about how long the
// run would take on an idle machine, where it does not wait for a CPU.
results.ownCpuS = cpuAtStart && cpuAtEnd ? (cpuAtEnd.own - cpuAtStart.own) / 100 : undefined;

mkdirSync(resultsDir, { recursive: true });
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const jsonPath = join(resultsDir, `bench-${stamp}.json`);
writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
const markdown = renderResults(results);
if (!opts['no-results-md']) writeFileSync(join(root, 'bench', 'RESULTS.md'), markdown);
log(`\n${markdown}`);
log(`raw results: bench/results/bench-${stamp}.json${opts['no-results-md'] ? '' : '; report: bench/RESULTS.md'}`);

// ---- machine sharing -------------------------------------------------------------------------------------------

/** Busy and total CPU ticks of the whole machine, and the ticks of this process and its finished children. */
function machineCpu() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = fields[3] + fields[4];
    const self = readFileSync('/proc/self/stat', 'utf8');
    const [utime, stime, cutime, cstime] = self
      .slice(self.lastIndexOf(')') + 2)
      .split(' ')
      .slice(11, 15)
      .map(Number);
    return { total, busy: total - idle, own: utime + stime + cutime + cstime };
  } catch {
    return undefined;
  }
}

/** Share of the machine's CPU that other processes used while the benchmark ran (Linux only). */
function foreignCpuShare(a, b) {
  if (!a || !b || b.total === a.total) return undefined;
  return Math.max(0, b.busy - a.busy - (b.own - a.own)) / (b.total - a.total);
}

// ---- --cpu-prof ------------------------------------------------------------------------------------------------

async function profileOne() {
  const config = opts['cpu-prof'] || 'zdx-full';
  if (!CONFIGS[config])
    throw new Error(`--cpu-prof: unknown configuration ${config}; known: ${Object.keys(CONFIGS).join(', ')}`);
  let dir = root;
  let worker = join(root, 'bench', 'worker.mjs');
  if (opts.otel2) {
    const prepared = prepareOtel2({ log });
    if (!prepared.dir) throw new Error(`--otel2: not runnable: ${prepared.notRunnable}`);
    ({ dir } = prepared);
    worker = join(dir, 'worker.mjs');
  }
  const profiles = join(resultsDir, 'profiles');
  mkdirSync(profiles, { recursive: true });
  const name = `${config}-${opts.client.replace(':', '')}-${opts.mode}${opts.otel2 ? '-otel2' : ''}-${Date.now()}.cpuprofile`;
  const n = int(opts.requests, 20_000);
  log(`profiling ${config}, ${opts.client}, ${opts.mode}, ${n} requests${opts.otel2 ? ', OpenTelemetry 2.x' : ''}`);
  const result = runNode(
    [
      '--cpu-prof',
      '--cpu-prof-dir',
      profiles,
      '--cpu-prof-name',
      name,
      worker,
      config,
      opts.client,
      opts.mode,
      String(n),
    ],
    { cwd: dir },
  );
  if (result.error) throw new Error(`profiled run failed: ${result.error}`);
  log(
    `${result.wallUsPerReq.toFixed(1)} us/req wall, ${result.cpuUsPerReq.toFixed(1)} us/req cpu (profiling inflates both)`,
  );
  const summary = summarizeProfile(JSON.parse(readFileSync(join(profiles, name), 'utf8')));
  writeFileSync(join(profiles, name.replace(/\.cpuprofile$/, '.txt')), `${summary}\n`);
  log(summary);
  log(`\nprofile: bench/results/profiles/${name} (open in Chrome DevTools > Performance, or VS Code)`);
}
