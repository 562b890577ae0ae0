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
 *    is not cut short by the unref'd sockets, and give up at the bound;
 *  - when shutdown gives up, the exports still in flight are abandoned (`Abandon`): their callbacks fire at
 *    once, which clears the SDK's own ref'd export-timeout timers (reader and batch span processor) that
 *    would otherwise hold the process until the export's own timeout.
 */
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { resolve } from 'node:path';
import { diag } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';

type Env = Readonly<Record<string, string | undefined>>;

/** Marks the agents of zdx-otel's own exporters, so their traffic can be told from the application's. */
export const TELEMETRY_AGENT = Symbol.for('zdx-otel.telemetry-agent');

/**
 * An `httpAgentOptions` factory for the OTLP exporters: a keep-alive agent whose sockets never keep the process
 * alive. Giving a factory replaces the one the exporter builds from the environment, so the TLS files the
 * specification's variables name (`OTEL_EXPORTER_OTLP_[SIGNAL_]CERTIFICATE`, `_CLIENT_CERTIFICATE`,
 * `_CLIENT_KEY`) are read here the same way.
 */
export function exporterAgentFactory(
  signal: 'METRICS' | 'TRACES',
  env: Env = process.env,
): (protocol: string) => Promise<Agent> {
  return async (protocol) => {
    // Loaded when first needed, as the exporter does, so instrumentation-http has patched the module by then.
    const http = protocol === 'http:' ? await import('node:http') : await import('node:https');
    const tls =
      protocol === 'http:'
        ? {}
        : {
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

/** Ends every export still in flight, once shutdown has given up on them. */
export class Abandon {
  private readonly pending = new Set<() => void>();
  private wake: (() => void) | undefined;
  done = false;
  /** Resolves when abandoned. Raced only by the exporters' shutdown (once each): per export it would pile up. */
  readonly abandoned = new Promise<void>((resolve) => {
    this.wake = resolve;
  });

  abandon(): void {
    this.done = true;
    for (const fail of this.pending) fail();
    this.pending.clear();
    this.wake?.();
  }

  /** Runs `start(callback)`; if abandoned first, `callback` gets a failure at once and the late result is ignored. */
  track(start: (callback: (result: ExportResult) => void) => void, callback: (result: ExportResult) => void): void {
    let called = false;
    const once = (result: ExportResult) => {
      if (called) return;
      called = true;
      this.pending.delete(fail);
      callback(result);
    };
    const fail = () =>
      once({ code: ExportResultCode.FAILED, error: new Error('zdx-otel: export abandoned at the shutdown bound') });
    if (this.done) {
      fail();
      return;
    }
    this.pending.add(fail);
    start(once);
  }
}

interface Exporter<T> {
  export(items: T, callback: (result: ExportResult) => void): void;
  forceFlush?(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * The same exporter (a Proxy, so whatever else the SDK reads from it, like the temporality selector, is
 * the original's) whose exports and shutdown end when `abandon` fires, and whose flush is a no-op after it.
 */
export function abandonable<E extends Exporter<never>>(exporter: E, abandon: Abandon): E {
  return new Proxy(exporter, {
    get(target, key) {
      if (key === 'export') {
        return (items: never, callback: (result: ExportResult) => void) =>
          abandon.track((cb) => target.export(items, cb), callback);
      }
      if (key === 'forceFlush')
        return () => (abandon.done ? Promise.resolve() : (target.forceFlush?.() ?? Promise.resolve()));
      if (key === 'shutdown') return () => Promise.race([target.shutdown(), abandon.abandoned]);
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Waits for `work` at most until `deadline` (ms since the epoch); logs instead of rejecting. Holds one ref'd
 * timer meanwhile: with the exporters' sockets unref'd, it is what keeps a draining process alive until the
 * final export is done or the bound is reached, and not a moment longer.
 */
export async function bounded(deadline: number, what: string, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((done) => {
    timer = setTimeout(
      () => {
        diag.warn(`zdx-otel: ${what} did not finish in time; telemetry not yet exported is dropped`);
        done(false);
      },
      Math.max(0, deadline - Date.now()),
    );
  });
  const finished = work.then(
    () => true,
    (error: unknown) => {
      diag.error(`zdx-otel: ${what} failed: ${error instanceof Error ? error.message : String(error)}`);
      return true;
    },
  );
  try {
    return await Promise.race([finished, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `flush()` and `shutdown()` of a started setup, each bounded by `boundMillis`. A shutdown that starts while a
 * flush is still running shares that flush's deadline instead of starting a new one. `flush(true)` (what the
 * register entry does when the application handles SIGTERM itself) also pins its deadline for the shutdown
 * that follows when the application then drains: signal to exit stays within one bound, not two.
 */
export function lifecycle(
  boundMillis: number,
  flushWork: () => Promise<unknown>,
  shutdownWork: () => Promise<unknown>,
  abandon: Abandon,
): { flush(pin?: boolean): Promise<void>; shutdown(): Promise<void> } {
  let flushing: { deadline: number; done: Promise<void>; gaveUp: boolean } | undefined;
  let pinned: { deadline: number; gaveUp: boolean } | undefined;
  let stopped: Promise<void> | undefined;
  const flush = (pin = false): Promise<void> => {
    if (stopped) return stopped;
    if (!flushing) {
      const current = { deadline: Date.now() + boundMillis, gaveUp: false, done: Promise.resolve() };
      current.done = bounded(current.deadline, 'flush', Promise.resolve().then(flushWork))
        .then((finished) => {
          current.gaveUp = !finished;
        })
        .finally(() => {
          flushing = undefined;
        });
      flushing = current;
    }
    if (pin) pinned = flushing;
    return flushing.done;
  };
  const shutdown = (): Promise<void> =>
    (stopped ??= (async () => {
      // The pinned deadline holds while it lasts, and after it if that flush gave up (the Collector is not
      // answering: another full bound would not help). A flush that finished leaves the shutdown a full bound.
      const keepPinned = pinned !== undefined && (pinned.gaveUp || pinned.deadline > Date.now());
      const shared = flushing?.deadline ?? (keepPinned ? pinned!.deadline : undefined);
      const finished = await bounded(
        shared ?? Date.now() + boundMillis,
        'shutdown',
        Promise.all([flushing?.done, Promise.resolve().then(shutdownWork)]),
      );
      if (!finished) abandon.abandon();
    })());
  return { flush, shutdown };
}
