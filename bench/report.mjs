// Turns a bench results object (bench/results/bench-*.json) into bench/RESULTS.md. Every sentence about a
// number is generated from the numbers. Re-render an old run with:  node bench/report.mjs bench/results/<file>.json
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CONFIGS = {
  baseline: 'no OpenTelemetry at all',
  'sdk-only':
    'MeterProvider, TracerProvider (not registered), AsyncLocalStorage context manager and W3C propagator; no instrumentation',
  'sdk-only-2': 'a second, identical sdk-only process in every round: its ratio to sdk-only is the noise floor (A/A)',
  'metrics-floor':
    "sdk-only + the least any implementation of zdx-otel's metrics contract does: the diagnostics channels zdx-otel observes, a start time kept on the request and one SDK histogram record per request at the end of its response body (undici's trailers; node:http's request 'close', one shared listener, as zdx-otel), with a fixed attribute set of the same shape (zdxViews); none of zdx-otel's own work",
  'zdx-metrics':
    'sdk-only + ZdxInstrumentation with zdxViews (tracing off); the loopback server is a ZDX host (extraHosts)',
  'nonzdx-metrics': 'zdx-metrics with default options: the loopback server is not a ZDX host',
  'otel-spans':
    'sdk-only + instrumentation-http (client side) and instrumentation-undici, BatchSpanProcessor; no zdx-otel',
  'otel-spans-2': 'a second, identical otel-spans configuration in every round: the noise floor with spans (A/A)',
  'full-floor':
    "otel-spans + metrics-floor + a span processor that renames each CLIENT span and sets as many fixed attributes as zdx-otel sets on these responses, in onEnding: the least any implementation of zdx-otel's span contract does",
  'zdx-full':
    'otel-spans + ZdxInstrumentation + ZdxSpanProcessor (first in the chain) + zdxViews, as zdx-otel/register runs',
  'nonzdx-full': 'zdx-full with default options: the loopback server is not a ZDX host',
};

export const GOALS = [
  {
    id: 'metrics',
    title: 'Metrics only: zdx-metrics vs sdk-only',
    a: 'zdx-metrics',
    b: 'sdk-only',
    goal: 1.05,
    stretch: 1.02,
    floor: 'metrics-floor',
  },
  {
    id: 'full',
    title: 'zdx-otel on top of the generic instrumentations: zdx-full vs otel-spans',
    a: 'zdx-full',
    b: 'otel-spans',
    goal: 1.05,
    stretch: 1.02,
    floor: 'full-floor',
    noise: 'aa-spans',
  },
  {
    id: 'nonzdx-metrics',
    title: 'Non-ZDX host, metrics set-up: nonzdx-metrics vs sdk-only',
    a: 'nonzdx-metrics',
    b: 'sdk-only',
    goal: 1.01,
  },
  {
    id: 'nonzdx-full',
    title: 'Non-ZDX host, full set-up: nonzdx-full vs otel-spans',
    a: 'nonzdx-full',
    b: 'otel-spans',
    goal: 1.01,
    noise: 'aa-spans',
  },
  // What the contract itself costs, and what zdx-otel adds on top of that: the goals above are the sum of both.
  {
    id: 'metrics-floor',
    title: 'Contract floor, metrics: metrics-floor vs sdk-only (no goal)',
    a: 'metrics-floor',
    b: 'sdk-only',
  },
  {
    id: 'metrics-own',
    title: "zdx-otel's own work, metrics: zdx-metrics vs metrics-floor (no goal)",
    a: 'zdx-metrics',
    b: 'metrics-floor',
  },
  {
    id: 'full-floor',
    title: 'Contract floor, full: full-floor vs otel-spans (no goal)',
    a: 'full-floor',
    b: 'otel-spans',
    noise: 'aa-spans',
  },
  {
    id: 'full-own',
    title: "zdx-otel's own work, full: zdx-full vs full-floor (no goal)",
    a: 'zdx-full',
    b: 'full-floor',
    noise: 'aa-spans',
  },
  { id: 'aa', title: 'Noise floor (A/A): sdk-only-2 vs sdk-only', a: 'sdk-only-2', b: 'sdk-only' },
  {
    id: 'aa-spans',
    title: 'Noise floor with spans (A/A): otel-spans-2 vs otel-spans',
    a: 'otel-spans-2',
    b: 'otel-spans',
  },
];
const SDK_AA = GOALS.find((g) => g.id === 'aa');
/** The A/A pair a goal's ratios are read against: the one of its own set-up (`noise`), else the SDK's alone. */
const noiseGoalOf = (goal) => GOALS.find((g) => g.id === goal.noise) ?? SDK_AA;
const HOT_PATH = 'classify + host match + template: deep known path';
const HOT_PATH_GOAL_NS = 300;
const HEAP_GROWTH_GOAL_MB = 5;
const RUNS = [
  ['node:http', 'seq'],
  ['fetch', 'seq'],
  ['node:http', 'c32'],
  ['fetch', 'c32'],
  ['node:http', 'steady'],
  ['fetch', 'steady'],
  ['node:http', 'same'],
  ['fetch', 'same'],
];
const MODE_NAMES = {
  seq: 'sequential',
  c32: '32 concurrent',
  steady: 'sequential, steady state',
  same: 'steady state, one process',
};
const runName = (client, mode) => `${client} ${MODE_NAMES[mode]}`;
/** The runs a line has samples of (older results have no steady state; --compare's earlier build neither). */
const runsOf = (line) =>
  RUNS.filter(([client, mode]) => Object.keys(line.samples ?? {}).some((key) => key.startsWith(`${client} ${mode} `)));
/** Whether a line has samples of `mode`, and whether any line of a run has. */
const lineHasMode = (line, mode) => runsOf(line).some(([, md]) => md === mode);
const hasMode = (res, mode) => Object.values(res.lines).some((line) => lineHasMode(line, mode));
/** Whether any line has samples under a key (`<client> <mode> <configuration>`) ending in `suffix`. */
const hasSamples = (res, suffix) =>
  Object.values(res.lines).some((line) => Object.keys(line.samples ?? {}).some((k) => k.endsWith(suffix)));
const wasRun = (res, config) => hasSamples(res, ` ${config}`);
/** Whether the one-process runs had the A/A pair with spans (runs before it had only the SDK's). */
const hasSameSpansPair = (res) => hasSamples(res, ' same otel-spans-2');

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const x = (r) => (Number.isFinite(r) ? `${r.toFixed(3)}x` : 'n/a');
const us = (v) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const signed = (v) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(1)}` : 'n/a');

function mark(ratio, goal, stretch) {
  if (goal === undefined || !Number.isFinite(ratio)) return '';
  if (stretch !== undefined && ratio <= stretch) return 'pass (stretch)';
  return ratio <= goal ? 'pass' : '**miss**';
}

/**
 * The distribution-free 95 % confidence interval of a median, from order statistics (normal approximation to
 * the binomial), for 10 or more values: what the one-process rows, with their 20 block pairs, show instead
 * of the range of single blocks.
 */
function medianInterval(values) {
  const n = values.length;
  if (n < 10) return undefined;
  const sorted = [...values].sort((p, q) => p - q);
  const k = Math.max(0, Math.floor(n / 2 - 0.98 * Math.sqrt(n)));
  return [sorted[k], sorted[n - 1 - k]];
}

/** Per-round ratios and differences of samples `a` to `b` (same round index) for one metric, and their medians. */
function paired(a, b, metric) {
  const ratios = [];
  const deltas = [];
  for (let r = 0; r < Math.min(a.length, b.length); r++) {
    if (!a[r] || !b[r]) continue;
    ratios.push(a[r][metric] / b[r][metric]);
    deltas.push(a[r][metric] - b[r][metric]);
  }
  return {
    ratio: median(ratios),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
    interval: medianInterval(ratios),
    rounds: ratios.length,
    deltaUs: median(deltas),
  };
}

/** Paired per-round ratios of configuration a to b for one client and mode, wall and cpu, and the medians behind them. */
export function compare(line, goal, client, mode, by = 'cpu') {
  const a = line.samples[`${client} ${mode} ${goal.a}`] ?? [];
  const b = line.samples[`${client} ${mode} ${goal.b}`] ?? [];
  const wall = paired(a, b, 'wall');
  const cpu = paired(a, b, 'cpu');
  return { ...(by === 'wall' ? wall : cpu), wall, cpu };
}

const range = (s) =>
  s.interval
    ? `${x(s.ratio)} [CI ${s.interval[0].toFixed(2)}-${s.interval[1].toFixed(2)}]`
    : `${x(s.ratio)} [${Number.isFinite(s.min) ? s.min.toFixed(2) : '?'}-${Number.isFinite(s.max) ? s.max.toFixed(2) : '?'}]`;

export function renderResults(res) {
  const out = [];
  const push = (...l) => out.push(...l);
  const m = res.machine;
  const shared = Number.isFinite(m.foreignCpu) && m.foreignCpu > 0.05;
  push(
    '# zdx-otel benchmark results',
    '',
    `Written by \`npm run bench${res.plan.quick ? ' -- --quick' : ''}\` (bench/run.mjs), not by hand. ` +
      `${res.plan.quick ? 'A **quick** smoke run: few rounds and requests, so ratios are rough.' : 'A full run.'}`,
    `Started ${res.startedAt}, took ${(res.durationS / 60).toFixed(1)} min` +
      (Number.isFinite(res.ownCpuS)
        ? `, of which it used ${(res.ownCpuS / 60).toFixed(1)} min of CPU itself (about its ` +
          'duration on an idle machine).'
        : '.'),
    '',
  );

  push(
    '## Machine',
    '',
    `- CPU: ${m.cpu}, ${m.cores} cores available, ${m.memoryGB} GB memory; ${m.os}`,
    `- Node ${m.node}`,
    `- Load average (1 min) at start ${m.loadAtStart[0].toFixed(2)}, at end ${m.loadAtEnd[0].toFixed(2)}`,
  );
  if (Number.isFinite(m.foreignCpu)) {
    push(
      `- Other processes used ${(100 * m.foreignCpu).toFixed(0)} % of the machine's CPU while this ran` +
        (shared
          ? ': **measured while the machine was shared**, so absolute numbers are inflated and ratios noisier ' +
            'than on an idle machine (the A/A row below shows by how much).'
          : ' (an idle machine).'),
    );
  }
  if (res.note) push(`- Note: ${res.note}`);
  for (const [name, line] of Object.entries(res.lines)) {
    const v = line.versions ?? {};
    const pick = [
      'api',
      'sdk-metrics',
      'sdk-trace',
      'instrumentation',
      'instrumentation-http',
      'instrumentation-undici',
    ]
      .filter((p) => v[p])
      .map((p) => `${p} ${v[p]}`)
      .join(', ');
    push(
      `- OpenTelemetry ${name} line: ${pick || 'not installed'}${line.notRunnable ? ` — **not runnable: ${line.notRunnable}**` : ''}`,
    );
  }
  push('');

  push(
    '## Method',
    '',
    '- Each configuration runs in its own fresh Node process (instrumentations patch and subscribe process-wide): a ' +
      'loopback HTTP server and the client in that process, keep-alive, a deep known ZDX path ' +
      '(`/v1/devices/{id}/apps/{id}/web-probes/{id}?from=...&to=...`, a new device id and time window per call, ' +
      'every tenth call a 429) and the ' +
      'rate-limit headers ZDX sends (X-Ratelimit-*-Second/-Hour and RateLimit-*). Exporters drop everything: the ' +
      'cost measured is recording, not I/O.',
    `- Two clients (node:http with a keep-alive Agent, global fetch) and two modes: sequential (one request at a ` +
      `time, ${res.plan.seqRequests} requests per run) and 32 concurrent (32 requests in flight, ` +
      `${res.plan.c32Requests} per run), after unmeasured warm-up requests, a quarter as many (200 to 1,000).`,
    ...(hasMode(res, 'steady')
      ? [
          `- Steady state (3.x line, sequential, the configurations of the two goals with a floor and the A/A pair): ` +
            `${res.plan.steadyRequests} requests measured after ${res.plan.steadyWarmup.toLocaleString('en')} ` +
            'unmeasured ones. V8 keeps compiling for the first 10,000-15,000 requests of a process, and those cost ' +
            'about twice what later ones do; the runs above measure inside that stretch, which a service goes ' +
            'through once, so their absolute times (and some of their differences) are start-up figures. The steady ' +
            'rows are what every later request costs.',
        ]
      : []),
    ...(hasMode(res, 'same')
      ? [
          `- Steady state, one process (each OpenTelemetry line, sequential): the configurations of each goal with a floor in one ` +
            'process that switches between them, since two processes of the same configuration differ by up to ' +
            '10-40 % (memory layout, machine state) and blocks of one process share all of that. After ' +
            `${res.plan.sameWarmup.toLocaleString('en')} warm-up requests spread over every configuration, at ` +
            `least ${res.plan.sameRounds} rounds (whole cycles of the orders) of one ` +
            `${res.plan.sameRequests.toLocaleString('en')}-request block (fetch: ` +
            `${(2 * res.plan.sameRequests).toLocaleString('en')}) per configuration, in orders where each ` +
            'configuration comes right after each other one equally often, each block timed on its own; ' +
            `${res.plan.sameProcesses} process(es) per goal and client. A ratio is taken per block pair of one ` +
            'round; the brackets show the 95 % confidence interval of the median ratio (order statistics) rather ' +
            'than the range of single blocks. Switching subscribes and unsubscribes ZdxInstrumentation ' +
            "(`disable()`/`enable()`) and the floor's channel handlers, and picks which span processor acts; each " +
            'process also runs zdx-otel with its default hosts (the nonzdx configurations), and ' +
            (hasSameSpansPair(res)
              ? 'its A/A pair (the set-up without zdx-otel twice: sdk-only, otel-spans), the measure of what two blocks ' +
                'of the same work differ by there. '
              : 'the metrics one the A/A pair (sdk-only twice). ') +
            "V8 keeps compiling for a process's first 10,000-15,000 requests, which cost " +
            'about twice what later ones do; a service goes through that once, so these rows are what every later ' +
            'request costs, and the runs above are start-up figures.',
        ]
      : []),
    '- Rounds are interleaved: every round runs every configuration once, in an order rotated each round, so drift ' +
      'hits all configurations alike. A ratio is taken per round between two runs of the same round, and the table ' +
      'shows the median over rounds (range in brackets); the delta is the median per-round difference. "cpu" is the process\'s CPU time per request (user + ' +
      'system, all threads); "wall" is elapsed time per request (for 32 concurrent: elapsed time / requests, i.e. ' +
      'inverse throughput).',
    `- Pass/miss marks use the median **${res.plan.markBy ?? 'cpu'}** ratio (\`--mark-by cpu|wall\`). Client and server ` +
      'share one process, so on an idle machine wall and cpu agree; when other processes compete for the CPU, wall ' +
      'time also counts the time spent waiting to be scheduled, while CPU time counts only work done.',
    '- A request here costs only 50-300 us, so these ratios are a worst case: a real ZDX call takes 100 ms or more, ' +
      'and the same microseconds are a far smaller share of it.',
    '- Times of two identical processes differ by several percent (the A/A rows), more than most differences ' +
      'between these set-ups. For differences of a few percent read bench/INSTRUCTIONS.md ' +
      '(`npm run bench:instructions`): instructions per request counted by valgrind for the same configurations, ' +
      "which do not move with the machine's load. Instructions are not time, though: the counts leave out V8's " +
      "compiling, which the early runs here pay (with spans, most of zdx-otel's time beyond its share of the " +
      'instructions; docs/design.md, "Measured overhead"); the goals are judged by the timed ratios here.',
    '- This is a benchmark, not a test: it never fails on a number.',
    '',
    'Configurations:',
    '',
    ...Object.entries(CONFIGS)
      .filter(([name]) => wasRun(res, name))
      .map(([name, what]) => `- \`${name}\`: ${what}`),
    '',
  );

  const misses = [];
  const by = res.plan.markBy ?? 'cpu';
  for (const [name, line] of Object.entries(res.lines)) {
    push(`## Ratios against the goals (OpenTelemetry ${name})`, '');
    if (line.notRunnable) {
      push(`Not runnable: ${line.notRunnable}`, '');
      misses.push(`OpenTelemetry ${name} line: not runnable (${line.notRunnable}).`);
      continue;
    }
    push(
      `${line.rounds} rounds${lineHasMode(line, 'same') ? ' (the one-process rows: block pairs, see Method)' : ''}; ` +
        `marks by the ${by} ratio.`,
      '',
      '| goal | run | cpu ratio [range or CI] | cpu delta us/req | wall ratio [range or CI] | wall delta us/req | goal | mark |',
      '|---|---|---|---|---|---|---|---|',
    );
    const runs = runsOf(line);
    // A goal's A/A pair in the same run: its own set-up's where that ran, else the SDK's alone (runs saved before
    // otel-spans-2 existed have no A/A pair with spans).
    const noiseOf = (goal, client, mode) => {
      const pair = noiseGoalOf(goal);
      const own = compare(line, pair, client, mode, by);
      if (own.rounds > 0) return { ...own, pair };
      return { ...compare(line, SDK_AA, client, mode, by), pair: SDK_AA };
    };
    for (const goal of GOALS) {
      const missed = [];
      let measured = 0;
      for (const [client, mode] of runs) {
        const c = compare(line, goal, client, mode, by);
        if (c.cpu.rounds === 0) continue; // not run (--configs, --clients, --modes)
        measured++;
        const verdict = mark(c.ratio, goal.goal, goal.stretch);
        push(
          `| ${goal.title} | ${runName(client, mode)} | ${range(c.cpu)} | ${signed(c.cpu.deltaUs)} | ${range(c.wall)} | ` +
            `${signed(c.wall.deltaUs)} | ${goal.goal ? `<= ${goal.goal}${goal.stretch ? ` (stretch ${goal.stretch})` : ''}` : '-'} | ${verdict} |`,
        );
        if (verdict === '**miss**') missed.push({ client, mode, ...c });
      }
      // The compare line is the earlier build: its misses are not this build's.
      if (missed.length > 0 && name !== res.compare?.line)
        misses.push(describeMiss(name, goal, missed, measured, noiseOf, by, line));
    }
    push('');
    push(
      `Median time per request (OpenTelemetry ${name}), wall / cpu in us:`,
      '',
      `| configuration | ${runs.map(([c, md]) => runName(c, md)).join(' | ')} |`,
      `|---|${runs.map(() => '---').join('|')}|`,
    );
    for (const config of Object.keys(CONFIGS)) {
      const cells = runs.map(([c, md]) => {
        const s = (line.samples[`${c} ${md} ${config}`] ?? []).filter(Boolean);
        return s.length ? `${us(median(s.map((v) => v.wall)))} / ${us(median(s.map((v) => v.cpu)))}` : 'n/a';
      });
      if (cells.some((cell) => cell !== 'n/a')) push(`| ${config} | ${cells.join(' | ')} |`);
    }
    if (line.failures?.length) {
      push('', `Failed runs: ${line.failures.map((f) => `${f.key} (round ${f.round + 1}): ${f.error}`).join('; ')}`);
      misses.push(`OpenTelemetry ${name}: ${line.failures.length} run(s) failed; see above.`);
    }
    push('');
  }

  if (res.compare) renderCompare(res, push);

  push('## Hot path (micro-benchmark)', '');
  if (!res.micro) {
    push('Not run.', '');
  } else if (res.micro.error) {
    push(`Not runnable: ${res.micro.error}`, '');
    misses.push(`Hot-path micro-benchmark: not runnable (${res.micro.error}).`);
  } else {
    push(
      `ns per operation over ${res.micro.batches} short batches after a warm-up (OpenTelemetry 3.x line): the median ` +
        'batch, the spread, and the mean (which also carries garbage collection).',
      '',
      '| operation | median ns | p10-p90 ns | mean ns | goal | mark |',
      '|---|---|---|---|---|---|',
    );
    for (const [op, r] of Object.entries(res.micro.results)) {
      const goal = op === HOT_PATH ? HOT_PATH_GOAL_NS : undefined;
      const verdict = goal ? (r.medianNs <= goal ? 'pass' : '**miss**') : '';
      push(
        `| ${op} | ${r.medianNs.toFixed(0)} | ${r.p10Ns.toFixed(0)}-${r.p90Ns.toFixed(0)} | ${r.meanNs?.toFixed(0) ?? 'n/a'} | ` +
          `${goal ? `<= ${goal}` : '-'} | ${verdict} |`,
      );
      if (verdict === '**miss**') {
        misses.push(
          `Hot path: ${op} takes ${r.medianNs.toFixed(0)} ns at the median, over the ${goal} ns goal by ` +
            `${(r.medianNs - goal).toFixed(0)} ns (route() and classifyStatus, src/core/route and src/core/catalog).`,
        );
      }
    }
    for (const [part, why] of Object.entries(res.micro.notRunnable ?? {})) {
      push(`| ${part} | not runnable: ${why} | | | | |`);
      misses.push(`Hot path, ${part}: not runnable (${why}).`);
    }
    push(
      '',
      'The two "per request" rows publish the three undici channel messages of one fetch() (create, headers, ' +
        "trailers) on the real channels to a real ZdxInstrumentation and MeterProvider with zdxViews: zdx-otel's whole " +
        'metric path without HTTP around it; the not-a-ZDX-host row is mostly the harness itself (three messages and ' +
        'their objects). `new URL()` is a yardstick: what every HTTP client already spends on a URL once per request. ' +
        'The span redaction row is what ZdxSpanProcessor does to the URL attributes of one span.',
      '',
    );
  }

  push('## Cardinality and memory', '');
  if (Object.keys(res.cardinality ?? {}).length === 0) push('Not run.', '');
  for (const [name, c] of Object.entries(res.cardinality ?? {})) {
    push(`### OpenTelemetry ${name}`, '');
    if (c.error) {
      push(`Not runnable: ${c.error}`, '');
      misses.push(`Cardinality, OpenTelemetry ${name}: not runnable (${c.error}).`);
      continue;
    }
    const names = [...new Set(c.checkpoints.flatMap((p) => Object.keys(p.series)))];
    push(
      `${c.requests.toLocaleString('en')} requests (${(c.nsPerRequest / 1000).toFixed(1)} us each, harness included), ` +
        'half as node:http and half as undici diagnostics-channel messages: random device and other ids in catalog ' +
        'paths (70 %), random unknown paths of random words and ids (30 %), random query strings, two ZDX hosts ' +
        '(direct and OneAPI), 85 % 200 and the rest 401/403/404/429/500/503 or a connection error. Series are counted ' +
        `in what a MetricReader collects (cumulative) at each checkpoint; heap is after two forced GCs. Bound: ` +
        `\`cardinalityLimit\` ${c.cardinalityLimit} series per stream (docs/telemetry.md).`,
      '',
      `| requests | counted | ${names.map((n) => `series ${n}`).join(' | ')} | overflow series | heap after GC MB |`,
      `|---|---|${names.map(() => '---').join('|')}|---|---|`,
    );
    for (const p of c.checkpoints) {
      push(
        `| ${p.requests.toLocaleString('en')} | ${p.counted.toLocaleString('en')} | ${names.map((n) => p.series[n] ?? 0).join(' | ')} | ` +
          `${p.overflow ? 'yes' : 'no'} | ${p.heapMB.toFixed(2)} |`,
      );
    }
    const verdicts = cardinalityVerdicts(c);
    push('', ...verdicts.map((v) => `- ${v.text}: ${v.pass ? 'pass' : '**miss**'}`), '');
    for (const v of verdicts) if (!v.pass) misses.push(`Cardinality/memory, OpenTelemetry ${name}: ${v.text}.`);
  }

  push('## Where a goal is missed', '');
  if (misses.length === 0) push('Every goal is met in this run.');
  else {
    push(
      ...misses.map((line) => `- ${line}`),
      '',
      'To see where the time goes in a configuration: `npm run bench -- --cpu-prof zdx-full` (or `zdx-metrics`; ' +
        'see bench/README.md), and compare with `otel-spans` / `sdk-only`.',
    );
  }
  push(
    '',
    '## Reproduce',
    '',
    '```sh',
    'npm run bench               # full run; add -- --quick for a smoke run',
    'npm run bench -- --cpu-prof zdx-full --client fetch   # where the time goes; see bench/README.md',
    '```',
    '',
  );
  return out.join('\n');
}

/** `--compare`: each configuration of this build against the same configuration of the earlier one, per round. */
function renderCompare(res, push) {
  const { ref, commit, line: name, against } = res.compare;
  push(`## This build against ${ref}${commit ? ` (${commit})` : ''}, same run`, '');
  const before = res.lines[name];
  const now = res.lines[against];
  if (!before || before.notRunnable || !now || now.notRunnable) {
    push(`Not runnable: ${before?.notRunnable ?? now?.notRunnable ?? 'no samples'}`, '');
    return;
  }
  const runs = runsOf(before);
  push(
    `The same workers and OpenTelemetry packages with zdx-otel as built from ${ref}, run job by job beside this ` +
      "build in every round (taking turns at going first). Ratio: this build's time per request over the earlier " +
      "build's, per round, median [range]; below 1 is faster. `sdk-only`, `otel-spans` and their A/A twins do not " +
      'install zdx-otel, and the floors use only its Views: their rows show the noise of such a comparison.',
    '',
    `| configuration | ${runs.map(([c, md]) => `${runName(c, md)}: cpu ratio, delta us`).join(' | ')} |`,
    `|---|${runs.map(() => '---').join('|')}|`,
  );
  for (const config of Object.keys(CONFIGS)) {
    const cells = runs.map(([client, mode]) => {
      const key = `${client} ${mode} ${config}`;
      const stats = paired(now.samples[key] ?? [], before.samples[key] ?? [], 'cpu');
      return stats.rounds === 0 ? 'n/a' : `${range(stats)}, ${signed(stats.deltaUs)}`;
    });
    if (cells.some((cell) => cell !== 'n/a')) push(`| ${config} | ${cells.join(' | ')} |`);
  }
  push('');
}

function describeMiss(lineName, goal, missed, measured, noiseOf, by, line) {
  const worst = missed.reduce((w, c) => (c.ratio > w.ratio ? c : w));
  const other = by === 'wall' ? 'cpu' : 'wall';
  const runs = missed
    .map(
      (c) =>
        `${runName(c.client, c.mode)} ${x(c.ratio)} (${signed(c.deltaUs)} us/req ${by}; ${other} ${x(c[other].ratio)})`,
    )
    .join('; ');
  let text =
    `${goal.title} (OpenTelemetry ${lineName}), goal <= ${goal.goal}x by ${by} time: missed in ${missed.length} of ` +
    `${measured} runs: ${runs}.`;
  // Say when the miss is within what two identical processes differ by in this same run; a run of many block
  // pairs says it with the confidence interval of its median instead.
  const noise = noiseOf(goal, worst.client, worst.mode);
  const interval = worst[by].interval;
  if (interval) {
    text +=
      ` Its 95 % confidence interval is ${interval[0].toFixed(3)}-${interval[1].toFixed(3)}x` +
      (interval[0] > goal.goal ? ', wholly over the goal.' : ', which reaches the goal: not a clear miss.');
    const aaInterval = noise[by].interval;
    if (aaInterval && noise.pair === noiseGoalOf(goal)) {
      text +=
        ` The A/A pair of the same processes (${noise.pair.a} vs ${noise.pair.b}) read ` +
        `${x(noise.ratio)} [CI ${aaInterval[0].toFixed(3)}-${aaInterval[1].toFixed(3)}].`;
    }
  } else if (noise && Number.isFinite(noise.ratio)) {
    const spread = Math.max(Math.abs(noise.max - 1), Math.abs(noise.min - 1));
    text += ` The A/A noise floor for ${runName(worst.client, worst.mode)} was ${x(noise.ratio)} [${noise.min.toFixed(2)}-${noise.max.toFixed(2)}]`;
    text +=
      worst.ratio - 1 <= spread ? ', so this miss is within noise here.' : ', so this miss is larger than the noise.';
  }
  // Split the worst run into what the contract itself costs (its floor configuration) and what zdx-otel adds.
  if (goal.floor) {
    const floor = compare(line, { a: goal.floor, b: goal.b }, worst.client, worst.mode, by);
    const own = compare(line, { a: goal.a, b: goal.floor }, worst.client, worst.mode, by);
    if (floor.rounds > 0 && own.rounds > 0) {
      text +=
        ` Of that, the contract floor (${goal.floor} vs ${goal.b}) was ${x(floor.ratio)} (${signed(floor.deltaUs)} us)` +
        ` and zdx-otel's own work above it (${goal.a} vs ${goal.floor}) ${x(own.ratio)} (${signed(own.deltaUs)} us)` +
        (floor.ratio > goal.goal ? `: the floor alone is over the ${goal.goal}x goal.` : '.');
    }
  }
  return text;
}

function growthPct(from, to) {
  const a = from.series['zdx.api.requests'] ?? 0;
  const b = to.series['zdx.api.requests'] ?? 0;
  return a === b ? 'constant' : `${b > a ? '+' : ''}${b - a} series, ${((100 * (b - a)) / a).toFixed(1)} %`;
}

export function cardinalityVerdicts(c) {
  const points = c.checkpoints;
  const last = points.at(-1);
  const warm = points.find((p) => p.requests === 100_000) ?? points[Math.min(1, points.length - 1)];
  const names = Object.keys(last.series);
  const verdicts = [];
  verdicts.push({
    text: `every published request counted (${last.counted.toLocaleString('en')} of ${last.requests.toLocaleString('en')})`,
    pass: points.every((p) => p.counted === p.requests),
  });
  const maxSeries = Math.max(...points.flatMap((p) => Object.values(p.series)));
  verdicts.push({
    text: `at most ${maxSeries} series per metric, under the bound of ${c.cardinalityLimit}`,
    pass: maxSeries <= c.cardinalityLimit,
  });
  const growth = names.map((n) => `${n} ${warm.series[n] ?? 0} -> ${last.series[n]}`).join(', ');
  const request = last.series['zdx.api.requests'] ?? 0;
  if (c.workloadBound !== undefined) {
    verdicts.push({
      text:
        `series after warm-up (${warm.requests.toLocaleString('en')} -> ${last.requests.toLocaleString('en')} requests): ` +
        `${growth} (${growthPct(warm, last)}). Growth after warm-up is rare combinations showing up for the first ` +
        `time (e.g. a connection error on a rarely called endpoint): the ${request} series stay within the ` +
        `${c.workloadBound} combinations this workload can make at all, so no device id, query or unknown path ` +
        'leaks into a label',
      pass: request <= c.workloadBound,
    });
  }
  const heapGrowth = last.heapMB - warm.heapMB;
  verdicts.push({
    text:
      `heap after GC grew ${heapGrowth.toFixed(2)} MB from ${warm.requests.toLocaleString('en')} to ${last.requests.toLocaleString('en')} requests ` +
      `(${points[0].heapMB.toFixed(1)} MB at ${points[0].requests.toLocaleString('en')}), goal under ${HEAP_GROWTH_GOAL_MB} MB`,
    pass: heapGrowth < HEAP_GROWTH_GOAL_MB,
  });
  return verdicts;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(renderResults(JSON.parse(readFileSync(process.argv[2], 'utf8'))));
}
