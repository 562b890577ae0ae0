/*
 * `zdx-otel demo`: the simulator, a ZDX client workload under `--import zdx-otel/register`, and a live table
 * of what zdx-otel's metrics say, per endpoint template, plus one exported span per status class. The workload
 * exports its metrics and spans over OTLP/HTTP JSON to this process every second; the table and the span view
 * are drawn from exactly those payloads.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadScenario, startSimulator } from '../simulator/index.js';
import { startDemoReceiver } from './receiver.js';
import { renderSpans } from './spans.js';
import { summarize } from './summary.js';
import { renderTable } from './table.js';

const PACKAGE_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const WORKLOAD = fileURLToPath(new URL('./workload.js', import.meta.url));
const DEFAULT_SCENARIO = fileURLToPath(new URL('../../../../scenarios/default.json', import.meta.url));

export const DEMO_USAGE = `Usage: zdx-otel demo [options]

Runs a ZDX API simulator and an instrumented ZDX client against it, and shows zdx-otel's metrics per
endpoint template, refreshed every few seconds. At the end (and while it runs: press s in a terminal, or
pass --spans) it shows one exported span per status class, as a Collector receives it. Stop early with
Ctrl-C (or q).

Options:
  --duration <seconds>   how long the workload runs (default 30)
  --rate <per second>    calls per second the client makes (default 6; ZDX tier 1 allows 5)
  --scenario <file>      simulator scenario JSON (default: scenarios/default.json)
  --refresh <seconds>    table refresh interval (default 2)
  --spans                show the span view under the table on every refresh
  -h, --help             this text

Environment:
  OTEL_EXPORTER_OTLP_ENDPOINT   also send the metrics and spans to this OTLP/HTTP endpoint (e.g. a Collector)`;

export interface DemoOptions {
  durationSeconds: number;
  rate: number;
  scenarioFile: string;
  refreshSeconds: number;
  spans: boolean;
}

export function parseDemoArgs(argv: string[]): DemoOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      rate: { type: 'string' },
      scenario: { type: 'string' },
      refresh: { type: 'string' },
      spans: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const number = (name: string, raw: string | undefined, fallback: number, min: number, max: number) => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new RangeError(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    return n;
  };
  return {
    durationSeconds: number('duration', values.duration, 30, 1, 86_400),
    rate: number('rate', values.rate, 6, 0.1, 1000),
    scenarioFile: values.scenario ?? DEFAULT_SCENARIO,
    refreshSeconds: number('refresh', values.refresh, 2, 0.5, 60),
    spans: values.spans === true,
  };
}

export async function runDemo(options: DemoOptions, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const forwardTo = otlpTarget('METRICS', 'metrics');
  const forwardTraces = otlpTarget('TRACES', 'traces');
  const scenario = loadScenario(options.scenarioFile);
  const simulator = await startSimulator({ scenario });
  const receiver = await startDemoReceiver({ metrics: forwardTo, traces: forwardTraces });
  const tty = out.isTTY === true;
  const started = Date.now();

  out.write(
    `zdx-otel demo: simulator at ${simulator.url} (scenario "${scenario.name ?? options.scenarioFile}"), ` +
      `${options.rate} calls/s for ${options.durationSeconds} s${forwardTo ? `, exporting to ${forwardTo.href}` : ''}\n`,
  );

  const child = spawn(process.execPath, ['--import', 'zdx-otel/register', WORKLOAD], {
    // From the package root, `zdx-otel/register` resolves to this very package wherever it is installed.
    cwd: PACKAGE_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      ZDX_DEMO_URL: simulator.url,
      ZDX_DEMO_KEY_ID: simulator.credentials.keyId,
      ZDX_DEMO_KEY_SECRET: simulator.credentials.secret,
      ZDX_DEMO_DURATION_MS: String(options.durationSeconds * 1000),
      ZDX_DEMO_RATE: String(options.rate),
      ZDX_OTEL_EXTRA_HOSTS: new URL(simulator.url).host,
      OTEL_SERVICE_NAME: process.env.OTEL_SERVICE_NAME ?? 'zdx-otel-demo',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: receiver.metricsUrl,
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      // Spans come here too (and are passed on to the user's endpoint, if any), every second.
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.tracesUrl,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '1000',
    },
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  let showSpans = options.spans;
  const draw = () => {
    const summary = summarize(receiver.latest());
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (tty) {
      const spans = showSpans
        ? `\n\n${SPANS_TITLE}\n\n${renderSpans(receiver.spans.samples())}`
        : `\n\npress s to show one exported span per status class${keys ? '' : ' (needs a terminal on stdin)'}`;
      out.write(
        `\x1b[H\x1b[2J zdx-otel demo, ${elapsed}s of ${options.durationSeconds}s (Ctrl-C stops)\n\n${renderTable(summary)}${spans}\n`,
      );
    } else {
      const t = summary.total;
      out.write(
        `[${elapsed}s] requests ${t.requests}: 2xx ${t.ok2xx}, 4xx ${t.client4xx}, 429 ${t.throttled429}, 5xx ${t.server5xx}, failed ${t.failed}\n`,
      );
      if (showSpans) out.write(`${renderSpans(receiver.spans.samples())}\n\n`);
    }
  };
  const timer = setInterval(draw, options.refreshSeconds * 1000);
  // Ctrl-C reaches the workload too (same process group); it flushes its last export and exits. Here we
  // only stop waiting for the duration and go on to the summary.
  const onInterrupt = () => {
    child.kill('SIGINT');
  };
  process.on('SIGINT', onInterrupt);
  // In a terminal, s toggles the span view. Raw mode turns Ctrl-C into a key, so it is handled here too.
  const keys = tty && process.stdin.isTTY === true;
  const onKey = (data: Buffer) => {
    const key = data.toString('utf8');
    if (key === 's' || key === 'S') {
      showSpans = !showSpans;
      draw();
    } else if (key === '\u0003' || key === 'q') onInterrupt();
  };
  if (keys) {
    process.stdin.setRawMode(true);
    process.stdin.on('data', onKey).resume();
  }

  const code = await exited;
  clearInterval(timer);
  process.off('SIGINT', onInterrupt);
  if (keys) {
    process.stdin.off('data', onKey);
    process.stdin.setRawMode(false);
    process.stdin.pause();
  }
  const summary = summarize(receiver.latest());
  const served = simulator.stats();
  await receiver.close();
  await simulator.close();

  out.write(
    `\nzdx-otel demo: final numbers, as exported by zdx-otel (${receiver.counts.received} OTLP exports)\n\n${renderTable(summary)}\n`,
  );
  out.write(`\nsimulator answered ${served.requests} requests; the table counts ${summary.total.requests}.\n`);
  out.write(
    `\n${SPANS_TITLE} (${receiver.spans.received} ZDX spans exported)\n\n${renderSpans(receiver.spans.samples())}\n`,
  );
  const c = receiver.counts;
  if (forwardTo)
    out.write(`\nforwarded to ${forwardTo.href}: ${c.received - c.forwardFailures} ok, ${c.forwardFailures} failed\n`);
  if (forwardTraces)
    out.write(
      `forwarded to ${forwardTraces.href}: ${c.traceExports - c.traceForwardFailures} ok, ${c.traceForwardFailures} failed\n`,
    );
  return code === 0 || code === null ? 0 : 1;
}

const SPANS_TITLE = 'zdx-otel demo: one exported span per status class, as a Collector receives it';

/** The user's OTLP/HTTP endpoint for one signal: the signal's own variable, else the general one plus `/v1/<path>`. */
function otlpTarget(signal: 'METRICS' | 'TRACES', path: string): URL | undefined {
  const specific = process.env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`];
  const general = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  try {
    if (specific) return new URL(specific);
    if (general) return new URL(`${general.replace(/\/+$/, '')}/v1/${path}`);
  } catch {
    throw new RangeError(
      `OTEL_EXPORTER_OTLP_${specific ? `${signal}_` : ''}ENDPOINT is not a URL: ${JSON.stringify(specific ?? general)}`,
    );
  }
  return undefined;
}
