/**
 * Real metrics backends for end-to-end tests: VictoriaMetrics (OTLP/HTTP receiver),
 * Prometheus (scrape + rules/alerts) and Alertmanager (notifications), started as
 * child processes on loopback.
 *
 * The binaries are installed by `bash .ci/install-backends.sh` (CI calls it from
 * .ci/run). When one is missing the helpers throw, so tests FAIL rather than skip:
 * a green run must mean the code really talked to a real backend.
 *
 * Every process gets its own temp dir (config + storage) that is removed on stop().
 * Processes are killed on stop(), on test-process exit, and, if the test process
 * dies without running exit hooks (SIGKILL, vitest tearing a fork down), by a tiny
 * shell watchdog that notices the parent is gone.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, realpathSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INSTALL_HINT = 'Run `bash .ci/install-backends.sh` (as root) to install the test backends.';

/** Where .ci/install-backends.sh unpacks Debian trixie's victoria-metrics .deb. */
export const DEFAULT_BACKENDS_CACHE = path.join(REPO_ROOT, '.cache', 'backends');

/** Bounded waits: generous for a loaded 2-core CI machine, but never unbounded. */
const DEFAULT_START_TIMEOUT_MS = 30_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const HTTP_TIMEOUT_MS = 10_000;
/** Keep at most this much child output (the tail); enough for any test run. */
const MAX_LOG_CHARS = 1_000_000;

// ---------------------------------------------------------------------------
// Binary lookup

export type BackendBinary = 'victoria-metrics' | 'prometheus' | 'promtool' | 'alertmanager' | 'amtool';

/** File names a binary goes by: Debian calls Alertmanager's server prometheus-alertmanager. */
const BINARY_NAMES: Partial<Record<BackendBinary, string[]>> = {
  alertmanager: ['prometheus-alertmanager', 'alertmanager'],
};

export interface LocateOptions {
  /** Directory searched before PATH (default: <repo>/.cache/backends). */
  cacheDir?: string;
  /** PATH-style list searched after the cache (default: process.env.PATH). */
  searchPath?: string;
}

function isExecutableFile(p: string): boolean {
  try {
    accessSync(p, fsConstants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds a backend binary in the project cache, then on PATH. Throws an error that
 * says how to install it; never returns undefined, so a missing backend fails tests.
 */
export function locateBinary(name: BackendBinary, opts: LocateOptions = {}): string {
  const cacheDir = opts.cacheDir ?? DEFAULT_BACKENDS_CACHE;
  const searchPath = opts.searchPath ?? process.env.PATH ?? '';
  // Only VictoriaMetrics comes from the cache: Prometheus is an ordinary apt install.
  const cached = name === 'victoria-metrics' ? [path.join(cacheDir, 'victoria-metrics', 'usr', 'bin', name)] : [];
  const onPath = searchPath
    .split(path.delimiter)
    .filter((d) => d !== '')
    .flatMap((d) => (BINARY_NAMES[name] ?? [name]).map((file) => path.join(d, file)));
  for (const candidate of [...cached, ...onPath]) {
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new Error(
    `Test backend binary "${name}" not found (looked in ${[...cached, 'PATH'].join(', ')}). ${INSTALL_HINT}`,
  );
}

const checkedVmBinaries = new Map<string, true>();

/**
 * Debian bookworm's own victoria-metrics (1.79) could be on PATH, but it has no OTLP
 * receiver (added in 1.92). Check for the naming flag the tests depend on, once.
 */
function assertVmSupportsOtlp(bin: string): void {
  if (checkedVmBinaries.has(bin)) return;
  // `-help` prints to stderr and may exit non-zero; read both streams regardless.
  const r = spawnSync(bin, ['-help'], { encoding: 'utf8', timeout: 10_000 });
  const help = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (!help.includes('-opentelemetry.usePrometheusNaming')) {
    throw new Error(
      `${bin} does not support OTLP ingestion with -opentelemetry.usePrometheusNaming ` +
        `(need VictoriaMetrics >= 1.92, e.g. Debian trixie's). ${INSTALL_HINT}`,
    );
  }
  checkedVmBinaries.set(bin, true);
}

/** Path of `promtool` (for `promtool check rules` / `test rules` in other tests). */
export function locatePromtool(opts?: LocateOptions): string {
  return locateBinary('promtool', opts);
}

// ---------------------------------------------------------------------------
// Small utilities

/**
 * A free TCP port on 127.0.0.1, for servers that can't report the port they bound
 * (e.g. @opentelemetry/exporter-prometheus treats port 0 as "default 9464").
 * Racy by nature: callers should retry on EADDRINUSE.
 */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr && typeof addr === 'object') resolve(addr.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Included in the timeout error. */
  description?: string;
}

/**
 * Retries `fn` until it resolves without throwing (put `expect`s inside it), or
 * rethrows the last failure after `timeoutMs`. For data that becomes visible
 * asynchronously (a scrape, an ingest flush, an alert evaluation).
 */
export async function eventually<T>(fn: () => Promise<T> | T, opts: EventuallyOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
  const what = opts.description ? ` waiting for ${opts.description}` : '';
  const msg = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`timed out after ${timeoutMs} ms${what}: ${msg}`, { cause: lastError });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves true if `p` settles within `ms`, false otherwise; leaves no timer behind. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function tail(text: string, lines = 60): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

// ---------------------------------------------------------------------------
// Child process management

interface LiveEntry {
  child: ChildProcess;
  watchdog?: ChildProcess;
}

/** Processes started and still running, for the exit hook. */
const live = new Set<LiveEntry>();
/** Temp dirs not yet removed (they outlive their process until stop() finishes). */
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL and rmSync are.
  process.on('exit', cleanUpSync);
  // A signal's default action skips 'exit' handlers (vitest ends its fork workers
  // with a signal). Clean up, then restore the default unless someone else handles it.
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      cleanUpSync();
      process.off(sig, onSignal);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

function cleanUpSync(): void {
  for (const e of live) {
    try {
      e.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
    try {
      e.watchdog?.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

/**
 * Kills the backend (and removes its temp dir) if the test process disappears
 * without running exit hooks. Polls once a second; exits by itself as soon as the
 * backend is gone. Checks /proc/<pid>/exe before killing so a reused PID is safe.
 */
const WATCHDOG_SH = `
parent=$1; child=$2; exe=$3; dir=$4
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
if kill -0 "$child" 2>/dev/null && [ "$(readlink "/proc/$child/exe")" = "$exe" ]; then
  kill -TERM "$child"; sleep 3
  [ "$(readlink "/proc/$child/exe" 2>/dev/null)" = "$exe" ] && kill -KILL "$child" 2>/dev/null
  case "$dir" in */zdx-backend-*) rm -rf "$dir";; esac
fi
exit 0
`;

class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private output = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private spawnError: Error | undefined;
  private readonly entry: LiveEntry;
  private readonly listeners = new Set<() => void>();
  private stopping: Promise<void> | undefined;

  constructor(
    readonly name: string,
    readonly bin: string,
    readonly args: string[],
    readonly dir: string,
  ) {
    installExitHook();
    this.child = spawn(bin, args, {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    const onData = (chunk: Buffer): void => {
      this.output += chunk.toString('utf8');
      if (this.output.length > MAX_LOG_CHARS) this.output = `[…truncated…]\n${this.output.slice(-MAX_LOG_CHARS)}`;
      for (const l of this.listeners) l();
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this.entry);
        for (const l of this.listeners) l();
        resolve({ code, signal });
      });
    });
    this.child.once('error', (err) => {
      // ENOENT/EACCES: 'exit' never comes, so settle waiters here.
      this.spawnError = err;
      this.exitInfo ??= { code: null, signal: null };
      live.delete(this.entry);
      for (const l of this.listeners) l();
    });
    this.entry = { child: this.child };
    live.add(this.entry);
    if (this.child.pid !== undefined) {
      let exe = bin;
      try {
        exe = realpathSync(bin);
      } catch {
        /* keep bin */
      }
      const wd = spawn(
        'sh',
        ['-c', WATCHDOG_SH, 'zdx-backend-watchdog', String(process.pid), String(this.child.pid), exe, dir],
        {
          stdio: 'ignore',
          detached: true, // own process group: survives whatever kills the test process
        },
      );
      wd.on('error', () => {
        /* no sh: exit hook + stop() still cover the normal paths */
      });
      wd.unref();
      this.entry.watchdog = wd;
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  logs(): string {
    return this.output;
  }

  /** Resolves with the first match of `re` in the output; rejects on exit or timeout. */
  waitForOutput(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = this.output.match(re);
        if (m) {
          done();
          resolve(m);
        } else if (this.exitInfo) {
          done();
          reject(this.failure(`exited before it was ready (${this.describeExit()})`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(this.failure(`did not print ${re} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  describeExit(): string {
    if (this.spawnError) return `spawn failed: ${this.spawnError.message}`;
    if (!this.exitInfo) return 'running';
    return this.exitInfo.signal ? `signal ${this.exitInfo.signal}` : `exit code ${this.exitInfo.code}`;
  }

  isRunning(): boolean {
    return this.exitInfo === undefined;
  }

  failure(what: string): Error {
    return new Error(
      `${this.name} ${what}.\ncommand: ${this.bin} ${this.args.join(' ')}\n--- last output ---\n${tail(this.output)}`,
    );
  }

  /** SIGTERM, then SIGKILL after a grace period; then remove the temp dir. Idempotent. */
  stop(timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<void> {
    this.stopping ??= (async () => {
      if (this.isRunning() && !this.spawnError) {
        this.child.kill('SIGTERM');
        // Both servers shut down cleanly on SIGTERM in well under a second.
        if (!(await settlesWithin(this.exited, timeoutMs))) {
          this.child.kill('SIGKILL');
          await settlesWithin(this.exited, 5_000);
        }
      }
      try {
        this.entry.watchdog?.kill('SIGKILL');
      } catch {
        /* already exited */
      }
      live.delete(this.entry);
      await removeTempDir(this.dir);
    })();
    return this.stopping;
  }
}

async function makeTempDir(kind: string): Promise<string> {
  installExitHook();
  // The 'zdx-backend-' prefix is what the watchdog checks before rm -rf.
  const dir = await mkdtemp(path.join(tmpdir(), `zdx-backend-${kind}-`));
  tempDirs.add(dir);
  return dir;
}

async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Starts a process, waits for its listen address and a readiness URL. Cleans up on failure. */
async function startManaged(params: {
  name: string;
  bin: string;
  args: string[];
  dir: string;
  addressPattern: RegExp;
  readyPath: string;
  timeoutMs: number;
}): Promise<{ proc: ManagedProcess; url: string; startedMs: number }> {
  const t0 = performance.now();
  const proc = new ManagedProcess(params.name, params.bin, params.args, params.dir);
  try {
    const deadline = Date.now() + params.timeoutMs;
    // Both servers are started on 127.0.0.1:0 and log the port the kernel picked,
    // which avoids the race of choosing a "free" port up front.
    const m = await proc.waitForOutput(params.addressPattern, params.timeoutMs);
    const url = `http://${m[1]}`;
    // Poll the readiness URL; a process that exits meanwhile fails at once (with its
    // output) instead of after the whole timeout.
    let lastProblem = 'not polled yet';
    for (;;) {
      if (!proc.isRunning()) throw proc.failure(`exited while starting (${proc.describeExit()})`);
      try {
        const res = await fetch(url + params.readyPath, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        if (res.status === 200) break;
        lastProblem = `${params.readyPath} returned ${res.status}`;
      } catch (err) {
        lastProblem = `${params.readyPath}: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (Date.now() >= deadline) throw proc.failure(`was not ready within ${params.timeoutMs} ms (${lastProblem})`);
      await sleep(50);
    }
    return { proc, url, startedMs: performance.now() - t0 };
  } catch (err) {
    // A server that never got ready leaves nothing behind: neither its process nor its temp dir.
    await proc.stop(2_000);
    await removeTempDir(params.dir);
    throw err;
  }
}

// ---------------------------------------------------------------------------
// Prometheus HTTP API client (shared by both backends: VM implements it too)

export type Labels = Record<string, string>;

export interface Sample {
  metric: Labels;
  /** Parsed value (NaN/±Inf included). */
  value: number;
  /** Unix seconds. */
  timestamp: number;
}

export interface RangeSeries {
  metric: Labels;
  values: Array<{ timestamp: number; value: number }>;
}

export interface QueryOptions {
  /**
   * Evaluation time, Date or unix ms. Default: the client's Date.now() at ms
   * precision. (Left to itself VictoriaMetrics evaluates at "now" rounded down to
   * the second, which hides a sample pushed in the current second for up to 1 s.)
   */
  time?: Date | number;
}

export interface QueryRangeOptions {
  start: Date | number;
  end: Date | number;
  /** Seconds, or a duration string like '1s'. */
  step: number | string;
}

export interface SeriesOptions {
  start?: Date | number;
  end?: Date | number;
}

/** A Date or unix *milliseconds* as the API's unix-seconds string. */
function apiTime(t: Date | number): string {
  const ms = t instanceof Date ? t.getTime() : t;
  return (ms / 1000).toFixed(3);
}

type ApiParams = Record<string, string | string[] | undefined>;

class PromApiClient {
  constructor(
    readonly url: string,
    private readonly proc: ManagedProcess,
  ) {}

  /** GET/POST `path` and return the `data` field of a Prometheus-style API response. */
  async api<T>(apiPath: string, params: ApiParams = {}, method: 'GET' | 'POST' = 'GET'): Promise<T> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [v]) qs.append(k, item);
    }
    const target = `${this.url}${apiPath}`;
    let res: Response;
    try {
      res =
        method === 'GET'
          ? await fetch(`${target}?${qs}`, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) })
          : await fetch(target, {
              method: 'POST',
              body: qs,
              signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
            });
    } catch (err) {
      throw this.proc.failure(
        `request ${apiPath} failed: ${err instanceof Error ? err.message : String(err)} (${this.proc.describeExit()})`,
      );
    }
    const text = await res.text();
    let body: { status?: string; data?: T; error?: string; errorType?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new Error(
        `${this.proc.name} ${apiPath} ${JSON.stringify(params)}: HTTP ${res.status}, non-JSON body: ${text.slice(0, 500)}`,
      );
    }
    if (!res.ok || body.status !== 'success') {
      throw new Error(
        `${this.proc.name} ${apiPath} ${JSON.stringify(params)}: HTTP ${res.status} ${body.errorType ?? ''} ${body.error ?? text.slice(0, 500)}`,
      );
    }
    return body.data as T;
  }

  async query(promql: string, opts: QueryOptions = {}): Promise<Sample[]> {
    const data = await this.api<{ resultType: string; result: unknown }>('/api/v1/query', {
      query: promql,
      time: apiTime(opts.time ?? Date.now()),
    });
    if (data.resultType === 'vector') {
      return (data.result as Array<{ metric: Labels; value: [number, string] }>).map((r) => ({
        metric: r.metric,
        timestamp: r.value[0],
        value: Number.parseFloat(r.value[1]),
      }));
    }
    if (data.resultType === 'scalar') {
      const [ts, v] = data.result as [number, string];
      return [{ metric: {}, timestamp: ts, value: Number.parseFloat(v) }];
    }
    throw new Error(`query ${promql} returned resultType ${data.resultType}; use queryRange() for range results`);
  }

  async queryRange(promql: string, opts: QueryRangeOptions): Promise<RangeSeries[]> {
    const data = await this.api<{
      resultType: string;
      result: Array<{ metric: Labels; values: Array<[number, string]> }>;
    }>('/api/v1/query_range', {
      query: promql,
      start: apiTime(opts.start),
      end: apiTime(opts.end),
      step: String(opts.step),
    });
    return data.result.map((r) => ({
      metric: r.metric,
      values: r.values.map(([timestamp, v]) => ({ timestamp, value: Number.parseFloat(v) })),
    }));
  }

  /** `/api/v1/series`; default window: the last hour (VM otherwise only looks at the last day, Prometheus at all). */
  async series(match: string | string[], opts: SeriesOptions = {}): Promise<Labels[]> {
    const now = Date.now();
    return this.api<Labels[]>('/api/v1/series', {
      'match[]': Array.isArray(match) ? match : [match],
      start: apiTime(opts.start ?? now - 3_600_000),
      end: apiTime(opts.end ?? now + 60_000),
    });
  }
}

export interface BackendBase {
  /** Base URL, e.g. http://127.0.0.1:40123 (loopback only). */
  readonly url: string;
  readonly pid: number | undefined;
  /** Temp dir with config + storage; removed by stop(). */
  readonly dir: string;
  /** Time from spawn to ready, in ms. */
  readonly startupMs: number;
  /** Instant query (vector or scalar result). */
  query(promql: string, opts?: QueryOptions): Promise<Sample[]>;
  queryRange(promql: string, opts: QueryRangeOptions): Promise<RangeSeries[]>;
  series(match: string | string[], opts?: SeriesOptions): Promise<Labels[]>;
  /** Raw Prometheus-style API call returning `data`. */
  api<T>(apiPath: string, params?: ApiParams, method?: 'GET' | 'POST'): Promise<T>;
  /** Everything the process printed so far (tail), for diagnostics. */
  logs(): string;
  /** Kills the process and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------
// VictoriaMetrics

export interface VictoriaMetricsOptions {
  /** Extra command-line flags (e.g. '-usePromCompatibleNaming'). */
  extraFlags?: string[];
  /** Set false to keep VM's native OTLP names (dots, no unit/_total suffixes). Default true. */
  prometheusNaming?: boolean;
  startTimeoutMs?: number;
  binary?: string;
}

/** VM reads flush ingested data first unless `flush: false`. */
export interface VmReadOptions {
  /**
   * Call flush() before reading (default true). Without it, freshly pushed samples
   * take about 3 s (existing series) to 10 s (new series) to become searchable.
   */
  flush?: boolean;
}

export interface VictoriaMetrics extends BackendBase {
  /** POST OTLP/HTTP metrics here; VM only accepts protobuf (application/x-protobuf). */
  readonly otlpMetricsUrl: string;
  /** Makes everything ingested so far searchable now (VM's /internal/force_flush). */
  flush(): Promise<void>;
  query(promql: string, opts?: QueryOptions & VmReadOptions): Promise<Sample[]>;
  queryRange(promql: string, opts: QueryRangeOptions & VmReadOptions): Promise<RangeSeries[]>;
  series(match: string | string[], opts?: SeriesOptions & VmReadOptions): Promise<Labels[]>;
}

/** Flags used for every VictoriaMetrics test instance (exported for docs/diagnostics). */
export function victoriaMetricsFlags(
  dataDir: string,
  opts: Pick<VictoriaMetricsOptions, 'prometheusNaming' | 'extraFlags'> = {},
): string[] {
  return [
    // Loopback only; port 0 = kernel picks, VM logs "started server at http://127.0.0.1:<port>/".
    '-httpListenAddr=127.0.0.1:0',
    `-storageDataPath=${dataDir}`,
    // Smallest allowed retention; test data is thrown away anyway.
    '-retentionPeriod=1d',
    // OTLP names the way Prometheus/the Collector name them: dots -> '_', unit and
    // `_total` suffixes (zdx.api.request.duration [s] -> zdx_api_request_duration_seconds_*).
    ...(opts.prometheusNaming === false ? [] : ['-opentelemetry.usePrometheusNaming']),
    // By default VM hides points younger than 30 s from queries (latencyOffset) and
    // caches responses; tests query data they pushed a moment ago.
    '-search.latencyOffset=0',
    '-search.disableCache',
    // Keep caches small: tests store a handful of series and share a 2-core machine.
    '-memory.allowedBytes=256MiB',
    ...(opts.extraFlags ?? []),
  ];
}

export async function startVictoriaMetrics(opts: VictoriaMetricsOptions = {}): Promise<VictoriaMetrics> {
  const bin = opts.binary ?? locateBinary('victoria-metrics');
  assertVmSupportsOtlp(bin);
  const dir = await makeTempDir('vm');
  const args = victoriaMetricsFlags(path.join(dir, 'data'), opts);
  const started = await startManaged({
    name: 'victoria-metrics',
    bin,
    args,
    dir,
    addressPattern: /started server at http:\/\/(127\.0\.0\.1:\d+)\//,
    readyPath: '/health',
    timeoutMs: opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
  });
  const { proc, url, startedMs } = started;
  const client = new PromApiClient(url, proc);
  const flush = async (): Promise<void> => {
    // Ingested rows sit in in-memory buffers for seconds before they become
    // searchable (measured: ~3 s for an existing series, ~10 s for a new one);
    // this endpoint makes them searchable immediately (measured: 10-30 ms).
    let res: Response;
    try {
      res = await fetch(`${url}/internal/force_flush`, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    } catch (err) {
      throw proc.failure(
        `/internal/force_flush failed: ${err instanceof Error ? err.message : String(err)} (${proc.describeExit()})`,
      );
    }
    const body = await res.text();
    if (!res.ok) throw proc.failure(`/internal/force_flush returned ${res.status}: ${body.slice(0, 300)}`);
  };
  const maybeFlush = async (o?: VmReadOptions): Promise<void> => {
    if (o?.flush !== false) await flush();
  };
  return {
    url,
    otlpMetricsUrl: `${url}/opentelemetry/v1/metrics`,
    pid: proc.pid,
    dir,
    startupMs: startedMs,
    api: (p, params, method) => client.api(p, params, method),
    query: async (q, o) => {
      await maybeFlush(o);
      return client.query(q, o);
    },
    queryRange: async (q, o) => {
      await maybeFlush(o);
      return client.queryRange(q, o);
    },
    series: async (m, o) => {
      await maybeFlush(o);
      return client.series(m, o);
    },
    flush,
    logs: () => proc.logs(),
    stop: () => proc.stop(),
  };
}

// ---------------------------------------------------------------------------
// Prometheus

export interface ScrapeJob {
  job: string;
  /** host:port entries; keep them on loopback. */
  targets: string[];
  metricsPath?: string;
  scrapeInterval?: string;
  /** Extra target labels. */
  labels?: Labels;
  /** Raw Prometheus `metric_relabel_configs` entries. */
  metricRelabelConfigs?: unknown[];
  honorLabels?: boolean;
}

export interface PrometheusOptions {
  /** 'host:port' strings (scraped as job "test") or full jobs. May be empty. */
  scrapeTargets: Array<string | ScrapeJob>;
  /** Rule files (paths, relative to cwd or absolute), loaded as-is. */
  ruleFiles?: string[];
  /** Default '1s': tests want data quickly. */
  scrapeInterval?: string;
  /** Default '1s': alerts become pending/firing within seconds. */
  evaluationInterval?: string;
  /** Alertmanager base URLs (e.g. `Alertmanager.url`) Prometheus sends its alerts to. */
  alertmanagers?: string[];
  extraFlags?: string[];
  startTimeoutMs?: number;
  binary?: string;
}

export interface PromTarget {
  labels: Labels;
  discoveredLabels?: Labels;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}

export interface PromAlert {
  labels: Labels;
  annotations: Labels;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: string;
  value: string;
}

export interface PromRule {
  type: 'alerting' | 'recording';
  name: string;
  query: string;
  health: string;
  lastError?: string;
  state?: 'pending' | 'firing' | 'inactive';
  alerts?: PromAlert[];
  labels?: Labels;
  annotations?: Labels;
  duration?: number;
}

export interface PromRuleGroup {
  name: string;
  file: string;
  interval: number;
  rules: PromRule[];
}

export interface Prometheus extends BackendBase {
  /** Path of the generated prometheus.yml (in `dir`). */
  readonly configFile: string;
  /** Active targets (`/api/v1/targets`). */
  targets(): Promise<PromTarget[]>;
  /** Pending and firing alerts (`/api/v1/alerts`). */
  alerts(): Promise<PromAlert[]>;
  /** Rule groups with per-rule state and alerts (`/api/v1/rules`). */
  rules(): Promise<PromRuleGroup[]>;
  /** Re-reads the config and rule files (`POST /-/reload`; lifecycle API is enabled). */
  reload(): Promise<void>;
  /** Resolves once every target has been scraped successfully at least once. */
  waitForTargetsUp(timeoutMs?: number): Promise<PromTarget[]>;
}

export function prometheusConfig(opts: PrometheusOptions, ruleFiles: string[]): Record<string, unknown> {
  const scrapeInterval = opts.scrapeInterval ?? '1s';
  const plain = opts.scrapeTargets.filter((t): t is string => typeof t === 'string');
  const jobs = opts.scrapeTargets.filter((t): t is ScrapeJob => typeof t !== 'string');
  if (plain.length > 0) jobs.unshift({ job: 'test', targets: plain });
  return {
    global: {
      scrape_interval: scrapeInterval,
      // The 10 s default timeout would exceed a 1 s interval, which Prometheus rejects.
      scrape_timeout: scrapeInterval,
      evaluation_interval: opts.evaluationInterval ?? '1s',
    },
    rule_files: ruleFiles,
    ...(opts.alertmanagers?.length
      ? {
          alerting: {
            alertmanagers: [{ static_configs: [{ targets: opts.alertmanagers.map((u) => new URL(u).host) }] }],
          },
        }
      : {}),
    scrape_configs: jobs.map((j) => ({
      job_name: j.job,
      ...(j.metricsPath ? { metrics_path: j.metricsPath } : {}),
      ...(j.scrapeInterval ? { scrape_interval: j.scrapeInterval, scrape_timeout: j.scrapeInterval } : {}),
      ...(j.honorLabels !== undefined ? { honor_labels: j.honorLabels } : {}),
      static_configs: [{ targets: j.targets, ...(j.labels ? { labels: j.labels } : {}) }],
      ...(j.metricRelabelConfigs ? { metric_relabel_configs: j.metricRelabelConfigs } : {}),
    })),
  };
}

export async function startPrometheus(opts: PrometheusOptions): Promise<Prometheus> {
  const bin = opts.binary ?? locateBinary('prometheus');
  const ruleFiles = (opts.ruleFiles ?? []).map((f) => path.resolve(f));
  for (const f of ruleFiles) {
    if (!existsSync(f)) throw new Error(`startPrometheus: rule file not found: ${f}`);
  }
  const dir = await makeTempDir('prom');
  const configFile = path.join(dir, 'prometheus.yml');
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
    '--storage.tsdb.retention.time=1d',
    // Loopback only; port 0 = kernel picks, logged as msg="Listening on" address=127.0.0.1:<port>.
    '--web.listen-address=127.0.0.1:0',
    // POST /-/reload lets a test swap rule files without a restart.
    '--web.enable-lifecycle',
    // Prometheus sends a firing alert again only after this delay (1m by default). An alert whose first send
    // is lost (those firing at the first evaluation after a rule reload can be) would then reach Alertmanager
    // a minute late: seconds here, as the test Alertmanager's group_wait is seconds too.
    ...(opts.alertmanagers?.length ? ['--rules.alert.resend-delay=2s'] : []),
    ...(opts.extraFlags ?? []),
  ];
  let started: Awaited<ReturnType<typeof startManaged>>;
  try {
    await writeFile(configFile, toYaml(prometheusConfig(opts, ruleFiles)));
    started = await startManaged({
      name: 'prometheus',
      bin,
      args,
      dir,
      addressPattern: /msg="Listening on" address=(127\.0\.0\.1:\d+)/,
      readyPath: '/-/ready',
      timeoutMs: opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
    });
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
  const { proc, url, startedMs } = started;
  const client = new PromApiClient(url, proc);
  const targets = async (): Promise<PromTarget[]> =>
    (await client.api<{ activeTargets: PromTarget[] }>('/api/v1/targets', { state: 'active' })).activeTargets;
  return {
    url,
    configFile,
    pid: proc.pid,
    dir,
    startupMs: startedMs,
    api: (p, params, method) => client.api(p, params, method),
    query: (q, o) => client.query(q, o),
    queryRange: (q, o) => client.queryRange(q, o),
    series: (m, o) => client.series(m, o),
    targets,
    alerts: async () => (await client.api<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts,
    rules: async () => (await client.api<{ groups: PromRuleGroup[] }>('/api/v1/rules')).groups,
    async reload() {
      const res = await fetch(`${url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
      const body = await res.text();
      if (!res.ok) throw proc.failure(`/-/reload returned ${res.status}: ${body.slice(0, 300)}`);
    },
    waitForTargetsUp: (timeoutMs = 15_000) =>
      eventually(
        async () => {
          const ts = await targets();
          const notUp = ts.filter((t) => t.health !== 'up');
          if (ts.length === 0 || notUp.length > 0) {
            throw new Error(
              `targets not up: ${JSON.stringify(notUp.map((t) => [t.scrapeUrl, t.health, t.lastError]))}`,
            );
          }
          return ts;
        },
        { timeoutMs, intervalMs: 200, description: 'all Prometheus targets up' },
      ),
    logs: () => proc.logs(),
    stop: () => proc.stop(),
  };
}

// ---------------------------------------------------------------------------
// Alertmanager

export interface AlertmanagerOptions {
  /** The alertmanager.yml text (routes, receivers, inhibit rules), written into the temp dir. */
  config: string;
  extraFlags?: string[];
  startTimeoutMs?: number;
  binary?: string;
}

/** An alert as Alertmanager's API v2 lists it (`GET /api/v2/alerts`). */
export interface AmAlert {
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; inhibitedBy: string[]; silencedBy: string[] };
  receivers: Array<{ name: string }>;
  fingerprint: string;
}

export interface Alertmanager {
  readonly url: string;
  readonly pid: number | undefined;
  readonly dir: string;
  readonly configFile: string;
  readonly startupMs: number;
  /** Alerts Alertmanager holds, with their inhibition state (`GET /api/v2/alerts`). */
  alerts(params?: Record<string, string>): Promise<AmAlert[]>;
  /** Sends alerts straight to Alertmanager, as Prometheus does (`POST /api/v2/alerts`). */
  postAlerts(
    alerts: Array<{ labels: Labels; annotations?: Labels; startsAt?: string; endsAt?: string }>,
  ): Promise<void>;
  logs(): string;
  stop(): Promise<void>;
}

export async function startAlertmanager(opts: AlertmanagerOptions): Promise<Alertmanager> {
  const bin = opts.binary ?? locateBinary('alertmanager');
  const dir = await makeTempDir('am');
  const configFile = path.join(dir, 'alertmanager.yml');
  const args = [
    `--config.file=${configFile}`,
    `--storage.path=${path.join(dir, 'data')}`,
    // Loopback only; port 0 = kernel picks, logged as msg="Listening on" address=127.0.0.1:<port>.
    '--web.listen-address=127.0.0.1:0',
    // No HA gossip: it would bind :9094 on every interface.
    '--cluster.listen-address=',
    ...(opts.extraFlags ?? []),
  ];
  let started: Awaited<ReturnType<typeof startManaged>>;
  try {
    await writeFile(configFile, opts.config);
    started = await startManaged({
      name: 'alertmanager',
      bin,
      args,
      dir,
      addressPattern: /msg="Listening on" address=(127\.0\.0\.1:\d+)/,
      readyPath: '/-/ready',
      timeoutMs: opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
    });
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
  const { proc, url, startedMs } = started;
  const call = async (method: 'GET' | 'POST', apiPath: string, body?: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${url}${apiPath}`, {
        method,
        ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
    } catch (err) {
      throw proc.failure(
        `request ${apiPath} failed: ${err instanceof Error ? err.message : String(err)} (${proc.describeExit()})`,
      );
    }
    const text = await res.text();
    if (!res.ok) throw proc.failure(`${method} ${apiPath} returned ${res.status}: ${text.slice(0, 300)}`);
    return text === '' ? undefined : JSON.parse(text);
  };
  return {
    url,
    pid: proc.pid,
    dir,
    configFile,
    startupMs: startedMs,
    alerts: async (params = {}) => (await call('GET', `/api/v2/alerts?${new URLSearchParams(params)}`)) as AmAlert[],
    postAlerts: async (alerts) => {
      await call('POST', '/api/v2/alerts', alerts);
    },
    logs: () => proc.logs(),
    stop: () => proc.stop(),
  };
}
