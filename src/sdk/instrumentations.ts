/*
 * Which span instrumentations `startZdxTelemetry()` (and so `zdx-otel/register`) builds. By default what the
 * standard OpenTelemetry set-up traces: incoming requests (SERVER spans, the caller's traceparent honoured),
 * every outgoing http/undici call, and `@opentelemetry/auto-instrumentations-node`'s instrumentations when the
 * application has that package installed, so the register entry can replace its `register` one for one.
 */
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation, type HttpInstrumentationConfig } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation, type UndiciInstrumentationConfig } from '@opentelemetry/instrumentation-undici';
import { ZdxConfigError } from '../core/errors.js';
import { compileHostMatcher } from '../core/route/hosts.js';

/**
 * `all`: SERVER spans, every outgoing call, plus auto-instrumentations-node's instrumentations if installed.
 * `http`: the same without auto-instrumentations-node. `zdx`: only the outgoing ZDX calls (no SERVER spans).
 */
export type TracingScope = 'all' | 'http' | 'zdx';
const SCOPES: readonly TracingScope[] = ['all', 'http', 'zdx'];
const AUTO = '@opentelemetry/auto-instrumentations-node';

type Env = Readonly<Record<string, string | undefined>>;

export function tracingScope(option: TracingScope | undefined, env: Env = process.env): TracingScope {
  const raw = option ?? env.ZDX_OTEL_TRACING?.trim().toLowerCase();
  if (raw === undefined || raw === '') return 'all';
  if (!(SCOPES as readonly string[]).includes(raw)) {
    throw new ZdxConfigError(
      option !== undefined ? 'tracing' : 'ZDX_OTEL_TRACING',
      `expected all, http or zdx, got ${JSON.stringify(raw)}`,
    );
  }
  return raw as TracingScope;
}

/**
 * The span instrumentations for `scope`. `ignoredServerPorts` are local ports of zdx-otel's own servers (the
 * Prometheus endpoint), whose scrapes must not become SERVER spans.
 */
export function traceInstrumentations(
  scope: TracingScope,
  extraHosts: readonly string[],
  ignoredServerPorts: () => readonly number[],
  env: Env = process.env,
): Instrumentation[] {
  const http: HttpInstrumentationConfig =
    scope === 'zdx'
      ? { disableIncomingRequestInstrumentation: true, ignoreOutgoingRequestHook: notZdxHttp(extraHosts) }
      : { ignoreIncomingRequestHook: (request) => ignoredServerPorts().includes(request.socket?.localPort ?? -1) };
  const undici: UndiciInstrumentationConfig = scope === 'zdx' ? { ignoreRequestHook: notZdxUndici(extraHosts) } : {};
  return [
    ...(enabledByEnv('http', env) ? [new HttpInstrumentation(http)] : []),
    ...(enabledByEnv('undici', env) ? [new UndiciInstrumentation(undici)] : []),
    ...(scope === 'all' ? autoInstrumentations() : []),
  ];
}

/**
 * `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS` as auto-instrumentations-node
 * reads them (short names such as `http,undici`; the enabled list first, then the disabled one), applied to
 * zdx-otel's own http and undici instrumentations too, so the variables mean the same with either register.
 */
function enabledByEnv(name: string, env: Env): boolean {
  const list = (variable: string) =>
    (env[variable] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  if (list('OTEL_NODE_DISABLED_INSTRUMENTATIONS').includes(name)) return false;
  const enabled = list('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  return enabled.length === 0 || enabled.includes(name);
}

/**
 * auto-instrumentations-node's instrumentations other than http and undici (zdx-otel builds those itself,
 * once), resolved from the application's directory: it is an optional package of the application, not a
 * dependency of zdx-otel. It applies the OTEL_NODE_* variables itself.
 */
function autoInstrumentations(): Instrumentation[] {
  const bases = [...(process.argv[1] ? [dirname(resolve(process.argv[1]))] : []), process.cwd()];
  for (const base of bases) {
    const require = createRequire(join(base, 'zdx-otel-register.cjs'));
    let path: string;
    try {
      path = require.resolve(AUTO);
    } catch {
      continue;
    }
    try {
      const auto = require(path) as { getNodeAutoInstrumentations(config: object): Instrumentation[] };
      return auto.getNodeAutoInstrumentations({
        '@opentelemetry/instrumentation-http': { enabled: false },
        '@opentelemetry/instrumentation-undici': { enabled: false },
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      process.stderr.write(
        `zdx-otel: ${AUTO} is installed but could not be loaded (${reason}); tracing continues` +
          " with zdx-otel's http and undici instrumentations only (ZDX_OTEL_TRACING=http skips it).\n",
      );
      return [];
    }
  }
  return [];
}

/** In scope `zdx`: node:http calls to other hosts get no span (ZdxInstrumentation's metrics are unaffected). */
function notZdxHttp(extraHosts: readonly string[]): (options: import('node:http').RequestOptions) => boolean {
  const hosts = compileHostMatcher(extraHosts);
  return (options) => {
    const hostname = options.hostname ?? options.host ?? 'localhost';
    const port =
      options.port === undefined || options.port === null || options.port === '' ? undefined : Number(options.port);
    return hosts.match(hostname, port, options.path ?? '/') < 0;
  };
}

function notZdxUndici(extraHosts: readonly string[]): (request: { origin: string; path: string }) => boolean {
  const hosts = compileHostMatcher(extraHosts);
  return (request) => {
    const origin = new URL(request.origin);
    return hosts.match(origin.hostname, origin.port === '' ? undefined : Number(origin.port), request.path) < 0;
  };
}
