/*
 * A loopback ZDX API simulator for tests, benchmarks and the demo, and the engine of `zdx-otel simulate`.
 * It serves every endpoint of the catalog (src/core/catalog/endpoints.ts) at `/v1/...` and `/zdx/v1/...`,
 * issues and checks tokens like the ZDX direct host (and like ZIdentity for OneAPI clients, identity.ts),
 * enforces the licence tier's rate limits, and injects faults from a scenario, deterministically for a given
 * seed. It uses only Node built-ins and never OpenTelemetry: it plays the server the instrumented client talks to.
 */
import type { AddressInfo } from 'node:net';
import { ZDX_ENDPOINTS } from '../../core/catalog/endpoints.js';
import { DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET, TokenAuthority, type ApiKeyConfig } from './auth.js';
import { Dataset } from './data.js';
import { FaultInjector } from './faults.js';
import { createPipeline } from './pipeline.js';
import { RateLimiter, TIER_BUDGETS, type RateBudgets, type ZdxTier } from './rate-limit.js';
import { Router } from './router.js';
import { parseScenario, type Scenario } from './scenario.js';
import { createServer, Timers } from './server.js';
import { StatsRecorder, type SimulatorStats } from './stats.js';

export { DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET, HASH_WINDOW_SECONDS, type ApiKeyConfig } from './auth.js';
export { TIER_BUDGETS, type RateBudgets, type RateWindowName, type ZdxTier } from './rate-limit.js';
export {
  loadScenario,
  parseScenario,
  ScenarioError,
  type FaultProfile,
  type LatencySpec,
  type OutageWindow,
  type RateLimitSettings,
  type Scenario,
} from './scenario.js';
export type { SimulatorStats } from './stats.js';
export { scenarioFromFlags, type ScenarioFlags } from './flags.js';
export { MAX_ACTIVE_TRACES } from './routes.js';
export { DEFAULT_WINDOW_SECONDS, MAX_WINDOW_SECONDS, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './query.js';

export interface SimulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. Non-loopback addresses need `allowRemote: true`. */
  host?: string;
  /** Allow listening on a non-loopback address (the simulator has well-known credentials). */
  allowRemote?: boolean;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Licence tier whose rate limits apply (1-4); default the scenario's, else 1. */
  tier?: ZdxTier;
  /** Seed of data and faults; default the scenario's, else 1. Same seed + same request order = same answers. */
  seed?: number | string;
  /** Faults, latency, outages and rate-limit overrides (validated like a scenario file). */
  scenario?: Scenario;
  /** API keys: key_id → secret and state. Default: one key, `DEFAULT_API_KEY_ID` / `DEFAULT_API_KEY_SECRET`. */
  apiKeys?: Readonly<Record<string, ApiKeyConfig>>;
  /** Token lifetime, default 3600 s (ZDX's). */
  tokenTtlSeconds?: number;
  /** Require bearer tokens (default true); false serves everything without a token, for quick experiments. */
  auth?: boolean;
  /** Time source in ms (default `Date`); drives token expiry, rate windows, outages and deep-trace progress. */
  clock?: { now(): number };
  /** Largest request head in bytes before 431 (default 16 KiB, Node's own default). */
  maxHeaderBytes?: number;
  /** Largest request body in bytes before 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /** Longest request target before 414 (default 8192; below `maxHeaderBytes` so 414 is reachable). */
  maxUrlLength?: number;
}

export interface RunningSimulator {
  /** Base URL without a path, e.g. `http://127.0.0.1:43127`; add `/v1/...` or `/zdx/v1/...`. */
  readonly url: string;
  readonly port: number;
  /** The first configured API key, for clients that need credentials. */
  readonly credentials: { readonly keyId: string; readonly secret: string };
  /** A valid token for `keyId` (default: the first key), without an HTTP round trip. */
  issueToken(keyId?: string): string;
  /** Counts of answers so far, per endpoint and status. */
  stats(): SimulatorStats;
  /** Stops listening and drops every connection, idle keep-alive ones included. */
  close(): Promise<void>;
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost|::ffff:127(\.\d{1,3}){3})$/i;

/** Starts a simulator; resolves once it is listening. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const scenario = parseScenario(options.scenario ?? {}, 'options.scenario');
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.test(host) && options.allowRemote !== true) {
    throw new RangeError(
      `zdx simulator: host ${host} is not a loopback address; pass allowRemote: true to listen on it`,
    );
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`zdx simulator: invalid port ${port}`);
  const tier = options.tier ?? scenario.tier ?? 1;
  if (!(tier in TIER_BUDGETS)) throw new RangeError(`zdx simulator: tier must be 1, 2, 3 or 4, got ${String(tier)}`);
  const ttl = options.tokenTtlSeconds ?? 3600;
  if (!Number.isInteger(ttl) || ttl <= 0)
    throw new RangeError(`zdx simulator: tokenTtlSeconds must be a positive integer`);
  const apiKeys = options.apiKeys ?? { [DEFAULT_API_KEY_ID]: { secret: DEFAULT_API_KEY_SECRET } };
  const [firstKey] = Object.entries(apiKeys);
  if (firstKey === undefined) throw new RangeError('zdx simulator: apiKeys must hold at least one key');

  const clock = options.clock ?? Date;
  const now = (): number => clock.now();
  const seed = options.seed ?? scenario.seed ?? 1;
  const startMs = now();
  const timers = new Timers();
  const stats = new StatsRecorder();
  const tokens = new TokenAuthority(apiKeys, ttl, now);

  const handler = createPipeline({
    router: new Router(ZDX_ENDPOINTS),
    tokens,
    limiter: new RateLimiter(budgets(tier, scenario), now),
    faults: new FaultInjector(scenario, startMs),
    data: new Dataset(seed, startMs),
    stats,
    timers,
    now,
    seed,
    authRequired: options.auth !== false,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    maxUrlLength: options.maxUrlLength ?? 8192,
  });
  const server = createServer(options.tls, { maxHeaderBytes: options.maxHeaderBytes ?? 16 * 1024 }, handler, (status) =>
    stats.record('unparsed', status),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.address.includes(':') ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;

  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://${urlHost}:${address.port}`,
    port: address.port,
    credentials: { keyId: firstKey[0], secret: firstKey[1].secret },
    issueToken: (keyId = firstKey[0]) => tokens.issue(keyId),
    stats: () => stats.snapshot(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        timers.clear();
        server.close(() => resolve());
        // close() alone waits for keep-alive sockets to time out; drop them now.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function budgets(tier: ZdxTier, scenario: Scenario): RateBudgets {
  const rl = scenario.rateLimit;
  if (rl?.enabled === false) return {};
  const base = TIER_BUDGETS[tier];
  return {
    second: rl?.perSecond ?? base.second,
    minute: rl?.perMinute ?? base.minute,
    hour: rl?.perHour ?? base.hour,
    day: rl?.perDay ?? base.day,
  };
}
