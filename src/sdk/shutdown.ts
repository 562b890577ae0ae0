/*
 * Why a process with zdx-otel in it always exits on time, whatever the Collector does.
 *
 * What can keep a Node process alive is a ref'd handle. The OTel pieces hold these: the export's HTTP socket
 * while a request is in flight (a hung Collector holds it until the request timeout), the OTLP exporter's retry
 * timers (backoff and Retry-After after a refused connection, a reset, a 429 or a 503), and the metric reader's
 * export timeout timer. The periodic reader's interval is unref'd, but when a ref'd export outlives the interval
 * the next tick starts another one, the loop never drains, and 'beforeExit' (where the final flush happens)
 * never fires. So:
 *  - the exporters' sockets are unref'd (`exporterAgentFactory`): an export in flight never holds the process;
 *  - the per-export timeout (which bounds the retries too) is capped below half the interval and half the
 *    shutdown bound (export-config.ts), so the remaining ref'd timers end before the next export starts;
 *  - flush and shutdown hold one ref'd timer of their own while they run (`bounded`), so the final export
 *    is not cut short by the unref'd sockets, and give up at the bound.
 */
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { resolve } from 'node:path';
import { diag } from '@opentelemetry/api';

type Env = Readonly<Record<string, string | undefined>>;

/** Marks the agents of zdx-otel's own exporters, so their traffic can be told from the application's. */
export const TELEMETRY_AGENT = Symbol.for('zdx-otel.telemetry-agent');

/**
 * An `httpAgentOptions` factory for the OTLP exporters: a keep-alive agent whose sockets never keep the process
 * alive. Giving a factory replaces the one the exporter builds from the environment, so the TLS files the
 * specification's variables name (`OTEL_EXPORTER_OTLP_[SIGNAL_]CERTIFICATE`, `_CLIENT_CERTIFICATE`,
 * `_CLIENT_KEY`) are read here the same way.
 */
export function exporterAgentFactory(signal: 'METRICS' | 'TRACES', env: Env = process.env): (protocol: string) => Promise<Agent> {
  return async (protocol) => {
    // Loaded when first needed, as the exporter does, so instrumentation-http has patched the module by then.
    const http = protocol === 'http:' ? await import('node:http') : await import('node:https');
    const tls = protocol === 'http:' ? {} : {
      ca: file(env, `OTEL_EXPORTER_OTLP_${signal}_CERTIFICATE`, 'OTEL_EXPORTER_OTLP_CERTIFICATE'),
      cert: file(env, `OTEL_EXPORTER_OTLP_${signal}_CLIENT_CERTIFICATE`, 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE'),
      key: file(env, `OTEL_EXPORTER_OTLP_${signal}_CLIENT_KEY`, 'OTEL_EXPORTER_OTLP_CLIENT_KEY'),
    };
    const agent: Agent = new http.Agent({ keepAlive: true, ...tls });
    // Node's agent re-refs a keep-alive socket when it reuses it, so unref on both paths.
    const createConnection = agent.createConnection;
    agent.createConnection = function (this: Agent, ...args: Parameters<Agent['createConnection']>) {
      const socket = createConnection.apply(this, args);
      (socket as Socket | undefined)?.unref();
      return socket;
    };
    const reuseSocket = agent.reuseSocket;
    agent.reuseSocket = function (this: Agent, socket: Socket, request: Parameters<Agent['reuseSocket']>[1]) {
      reuseSocket.call(this, socket, request);
      socket.unref();
    };
    Object.defineProperty(agent, TELEMETRY_AGENT, { value: true });
    return agent;
  };
}

function file(env: Env, signalName: string, generalName: string): Buffer | undefined {
  const path = env[signalName]?.trim() || env[generalName]?.trim();
  if (!path) return undefined;
  try {
    return readFileSync(resolve(process.cwd(), path));
  } catch {
    diag.warn(`zdx-otel: cannot read the file named by ${env[signalName]?.trim() ? signalName : generalName}`);
    return undefined;
  }
}

/**
 * Waits for `work` at most until `deadline` (ms since the epoch); logs instead of rejecting. Holds one ref'd
 * timer meanwhile: with the exporters' sockets unref'd, it is what keeps a draining process alive until the
 * final export is done or the bound is reached, and not a moment longer.
 */
export async function bounded(deadline: number, what: string, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((done) => {
    timer = setTimeout(() => {
      diag.warn(`zdx-otel: ${what} did not finish in time; telemetry not yet exported is dropped`);
      done();
    }, Math.max(0, deadline - Date.now()));
  });
  const finished = work.then(() => undefined, (error: unknown) => {
    diag.error(`zdx-otel: ${what} failed: ${error instanceof Error ? error.message : String(error)}`);
  });
  try {
    await Promise.race([finished, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `flush()` and `shutdown()` of a started setup, each bounded by `boundMillis`. A shutdown that starts while a
 * flush is still running (SIGTERM flushed, then the application drained and ended) shares that flush's deadline
 * instead of starting a new one, so the two together still end within the bound.
 */
export function lifecycle(boundMillis: number, flushWork: () => Promise<unknown>, shutdownWork: () => Promise<unknown>):
{ flush(): Promise<void>; shutdown(): Promise<void> } {
  let flushing: { deadline: number; done: Promise<void> } | undefined;
  let stopped: Promise<void> | undefined;
  const flush = (): Promise<void> => {
    if (stopped) return stopped;
    if (flushing) return flushing.done;
    const deadline = Date.now() + boundMillis;
    const done = bounded(deadline, 'flush', Promise.resolve().then(flushWork)).finally(() => { flushing = undefined; });
    flushing = { deadline, done };
    return done;
  };
  const shutdown = (): Promise<void> => (stopped ??= (async () => {
    const deadline = flushing?.deadline ?? Date.now() + boundMillis;
    await bounded(deadline, 'shutdown', Promise.all([flushing?.done, Promise.resolve().then(shutdownWork)]));
  })());
  return { flush, shutdown };
}
