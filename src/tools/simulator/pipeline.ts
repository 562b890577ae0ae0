/*
 * The life of one request, in the order a ZDX gateway would apply its checks:
 * method known (501) → URL length (414) → outage window → route (404 / 405 / 400) → Accept (406) →
 * body (413 / 415 / 400) → rate limit (429) → bearer token (401 / 403) → from/to (400) → injected faults →
 * handler. Every step answers `{code, message}` on failure; an unexpected exception is a 500, never a crash.
 * The ZIdentity token endpoint of OneAPI clients (identity.ts) is answered before all of that: it is another
 * service, outside the ZDX gateway's limits and faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ZdxEndpoint } from '../../core/catalog/endpoints.js';
import type { TokenAuthority } from './auth.js';
import type { Dataset } from './data.js';
import { errorBody, HttpError } from './errors.js';
import type { FaultInjector, FaultPlan } from './faults.js';
import { timeWindow } from './query.js';
import { answerIdentity, IDENTITY_KEY, isIdentityPath } from './identity.js';
import { createRandom } from './random.js';
import type { RateLimiter } from './rate-limit.js';
import type { Router } from './router.js';
import { handle, usesTimeWindow } from './routes.js';
import { readBody, resetConnection, writeAnswer, type Answer, type Timers } from './server.js';
import type { StatsRecorder } from './stats.js';

export interface PipelineDeps {
  readonly router: Router;
  readonly tokens: TokenAuthority;
  readonly limiter: RateLimiter;
  readonly faults: FaultInjector;
  readonly data: Dataset;
  readonly stats: StatsRecorder;
  readonly timers: Timers;
  readonly now: () => number;
  readonly seed: number | string;
  readonly authRequired: boolean;
  readonly maxBodyBytes: number;
  readonly maxUrlLength: number;
}

// Methods this server understands at all; anything else is 501 ("not supported by the server").
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
// Endpoints a caller uses before it has a token.
const PUBLIC_ENDPOINTS = new Set(['POST /v1/oauth/token', 'GET /v1/oauth/jwks']);

const UNMATCHED = 'unmatched';

export function createPipeline(deps: PipelineDeps): (req: IncomingMessage, res: ServerResponse) => void {
  let sequence = 0;
  return (req, res) => {
    const seq = ++sequence;
    run(deps, seq, req, res).catch(() => {
      // Only reached if writing itself failed (socket gone); there is nobody left to answer.
      if (!res.headersSent && !res.destroyed) {
        void writeAnswer(res, { status: 500, body: errorBody(500) });
      }
    });
  };
}

async function run(deps: PipelineDeps, seq: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let key = UNMATCHED;
  let plan: FaultPlan | undefined;
  let rateHeaders: Readonly<Record<string, string>> = {};

  const finish = async (answer: Answer): Promise<void> => {
    if (plan !== undefined && plan.latencyMs > 0) await deps.timers.sleep(plan.latencyMs);
    if (plan?.reset === true) {
      deps.stats.record(key, 'reset');
      resetConnection(req);
      return;
    }
    deps.stats.record(key, answer.status);
    await writeAnswer(
      res,
      { ...answer, headers: { ...rateHeaders, ...answer.headers } },
      plan?.slowBodyMs ?? 0,
      deps.timers,
    );
  };
  const fail = (status: number, message?: string, details?: readonly string[], headers?: Record<string, string>) =>
    finish({ status, body: errorBody(status, message, details), ...(headers === undefined ? {} : { headers }) });

  try {
    const method = (req.method ?? '').toUpperCase();
    if (!KNOWN_METHODS.has(method)) return await fail(501, `the HTTP method ${method} is not supported by the server`);
    const target = req.url ?? '/';
    if (target.length > deps.maxUrlLength)
      return await fail(414, `the request URI is longer than ${deps.maxUrlLength} characters`);
    const { pathname, search, malformed } = splitTarget(target);
    if (malformed)
      return await fail(400, 'the query string has invalid percent-encoding', ['query: invalid percent-encoding']);
    const query = new URLSearchParams(search);

    if (isIdentityPath(pathname)) {
      key = IDENTITY_KEY;
      return await finish(await answerIdentity(req, method, deps.tokens, deps.maxBodyBytes));
    }

    const route = deps.router.match(method, pathname);
    const endpoint = route.kind === 'match' ? route.endpoint : undefined;
    if (endpoint !== undefined) {
      key = `${endpoint.method} ${endpoint.template}`;
      // Drawn here, from this request's own stream, so the decisions do not depend on other requests' timing.
      plan = deps.faults.plan(endpoint, createRandom(deps.seed, seq));
    }

    // An outage comes first: a gateway that is down answers nothing else, not even a 404.
    const outage = deps.faults.outage(endpoint, deps.now());
    if (outage !== undefined) {
      plan = { reset: outage.reset, latencyMs: plan?.latencyMs ?? 0, slowBodyMs: 0 };
      const retryAfter = Math.max(1, Math.ceil((outage.endsAtMs - deps.now()) / 1000));
      return await fail(outage.status, 'the service is unavailable (simulated outage)', undefined, {
        'Retry-After': String(retryAfter),
      });
    }

    if (route.kind === 'malformed') return await fail(400, route.message, ['path: invalid percent-encoding']);
    if (route.kind === 'none') return await fail(404, `no ZDX API endpoint at ${pathname}`);
    if (route.kind === 'method') {
      const allow = route.allow.join(', ');
      if (method === 'OPTIONS') return await finish({ status: 204, headers: { Allow: allow } });
      return await fail(405, `${method} is not allowed on ${pathname}; allowed: ${allow}`, undefined, { Allow: allow });
    }
    if (endpoint === undefined || plan === undefined) throw new Error('route matched without an endpoint');

    if (!acceptsJson(req.headers.accept)) return await fail(406, 'this endpoint only produces application/json');

    const body = await readJsonBody(req, method, deps.maxBodyBytes);
    if (body instanceof HttpError) {
      return await fail(
        body.status,
        body.message,
        body.details,
        body.status === 413 ? { Connection: 'close' } : undefined,
      );
    }

    const rate = deps.limiter.consume(callerOf(req, deps.tokens, key, body));
    if (rate !== undefined) {
      rateHeaders = rate.headers;
      if (!rate.allowed) {
        return await fail(429, `rate limit exceeded: ${rate.headers['RateLimit-Limit']} requests per ${rate.window}`);
      }
    }

    if (deps.authRequired && !PUBLIC_ENDPOINTS.has(key)) {
      const auth = deps.tokens.verify(
        req.headers.authorization,
        endpoint.group,
        route.kind === 'match' && route.oneApi,
      );
      if (!auth.ok) {
        return await fail(
          auth.status,
          auth.message,
          auth.details,
          auth.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : undefined,
        );
      }
    }

    if (usesTimeWindow(endpoint)) timeWindow(query, deps.now());

    const injected = plan.status;
    if (injected !== undefined && injected >= 300) {
      return await fail(
        injected,
        injectedMessage(injected, route.params),
        undefined,
        injectedHeaders(injected, endpoint),
      );
    }

    const result = handle({
      endpoint,
      params: route.params,
      query,
      body,
      nowMs: deps.now(),
      data: deps.data,
      tokens: deps.tokens,
    });
    // An injected 2xx keeps the real body (none for 204) under the injected status.
    return await finish(injected === undefined ? result : { ...result, status: injected });
  } catch (err) {
    if (err instanceof HttpError)
      return await fail(err.status, err.message, err.details, err.headers ? { ...err.headers } : undefined);
    return await fail(500, `unexpected simulator error: ${(err as Error)?.message ?? String(err)}`);
  }
}

/** Path and query of a request target, accepting absolute-form (`http://host/path`) as proxies send it. */
function splitTarget(target: string): { pathname: string; search: string; malformed: boolean } {
  let rest = target;
  const absolute = /^https?:\/\/[^/]*/i.exec(rest);
  if (absolute !== null) rest = rest.slice(absolute[0].length) || '/';
  const q = rest.indexOf('?');
  const pathname = q === -1 ? rest : rest.slice(0, q);
  const search = q === -1 ? '' : rest.slice(q + 1);
  return { pathname, search, malformed: /%(?![0-9a-fA-F]{2})/.test(search) };
}

function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    // `q=0` means "not acceptable".
    if (params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p))) return false;
    return type === '*/*' || type === 'application/*' || type === 'application/json' || type.endsWith('+json');
  });
}

async function readJsonBody(req: IncomingMessage, method: string, maxBytes: number): Promise<unknown> {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody) return undefined;
  const result = await readBody(req, maxBytes);
  if (!result.ok) return new HttpError(413, `the request body is larger than ${maxBytes} bytes`);
  // A body on GET/DELETE is read (so the connection stays usable) and ignored, as gateways do.
  if (!BODY_METHODS.has(method) || result.bytes.length === 0) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    return new HttpError(415, `the request body must be application/json, not ${type}`);
  }
  try {
    return JSON.parse(result.bytes.toString('utf8'));
  } catch (err) {
    return new HttpError(400, 'the request body is not valid JSON', [`body: ${(err as Error).message}`]);
  }
}

/** Who is rate-limited together: the remote address plus the API key (from the token, or the token request). */
function callerOf(req: IncomingMessage, tokens: TokenAuthority, key: string, body: unknown): string {
  let keyId: string | undefined;
  if (key === 'POST /v1/oauth/token') {
    const id = (body as { key_id?: unknown } | undefined)?.key_id;
    keyId = typeof id === 'string' ? id : undefined;
  } else {
    keyId = tokens.keyIdOf(req.headers.authorization);
  }
  return `${req.socket.remoteAddress ?? '?'}|${keyId ?? '-'}`;
}

/** An injected 404 names the resource that is gone, as a real one does (e.g. a device retired since listed). */
function injectedMessage(status: number, params: Readonly<Record<string, string>>): string | undefined {
  if (status !== 404) return undefined;
  const last = Object.entries(params).at(-1);
  return last === undefined ? undefined : `${last[0].replace(/_?id$/, '')} ${last[1]} not found`;
}

/** Headers HTTP expects with some statuses, so injected answers look like real ones. */
function injectedHeaders(status: number, endpoint: ZdxEndpoint): Record<string, string> | undefined {
  switch (status) {
    case 401:
      return { 'WWW-Authenticate': 'Bearer' };
    case 405:
      return { Allow: endpoint.method };
    case 407:
      return { 'Proxy-Authenticate': 'Basic realm="zdx"' };
    case 413:
      return { Connection: 'close' };
    // A delay in seconds, so a client that reads the epoch `RateLimit-Reset` only when `Retry-After` is absent
    // (the Python SDK reads it as a delay) waits a second, not decades. The Python SDK retries 429, 503, 504.
    case 429:
    case 503:
    case 504:
      return { 'Retry-After': '1' };
    default:
      return undefined;
  }
}
