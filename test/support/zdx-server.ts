// A small ZDX-like server for the instrumentation tests: the status, delay and faults of each answer are
// chosen by the request itself (`?status=429&delay=20&reset=1&ratelimit=1&remaining=7&size=100000`), so
// concurrent requests can each be checked against what they asked for. The full simulator lives in src/simulator.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestServer {
  /** `http://127.0.0.1:PORT` (or https). */
  url: string;
  port: number;
  /** `127.0.0.1:PORT`, for `extraHosts`. */
  hostPort: string;
  requests: number;
  /** Requests that arrived with a `traceparent` header (an instrumentation traced and propagated them). */
  traced: number;
  /** Closes every open connection (as a server's keep-alive timeout would), keeping the server up. */
  dropConnections(): void;
  close(): Promise<void>;
}

/** The session cookie the token endpoint sets: a secret in a response header (see test/core/secrets.test.ts). */
export const TOKEN_SESSION_COOKIE = 'set-cookie-planted-44';

interface State {
  requests: number;
  traced: number;
}

function handle(server: State, req: IncomingMessage, res: ServerResponse): void {
  server.requests++;
  if (req.headers.traceparent !== undefined) server.traced++;
  const url = new URL(req.url ?? '/', 'http://x');
  const status = Number(url.searchParams.get('status') ?? 200);
  const delay = Number(url.searchParams.get('delay') ?? 0);
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  const answer = () => {
    if (url.searchParams.has('reset')) {
      req.socket.destroy();
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (url.searchParams.has('ratelimit')) {
      Object.assign(headers, {
        'RateLimit-Limit': '30',
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': String(Math.floor(Date.now() / 1000) + 42),
        'X-Ratelimit-Limit-Second': '5',
        'X-Ratelimit-Remaining-Second': '0',
        'X-Ratelimit-Limit-Minute': '30',
        'X-Ratelimit-Remaining-Minute': '7',
        'Retry-After': '3',
      });
    }
    // A remaining count chosen by the request, so each concurrent request's span can be checked for its own.
    if (url.searchParams.has('remaining')) headers['RateLimit-Remaining'] = url.searchParams.get('remaining')!;
    if (url.pathname.endsWith('/oauth/token')) headers['Set-Cookie'] = `session=${TOKEN_SESSION_COOKIE}; HttpOnly`;
    if (status === 204) {
      res.writeHead(status, headers).end();
      return;
    }
    // The token endpoint answers with a token made from the request body, so a secret sent in the body
    // comes back in the response too: telemetry must read neither.
    const body =
      status >= 400
        ? { code: 'ERROR', message: `status ${status}` }
        : url.pathname.endsWith('/oauth/token')
          ? { token: Buffer.concat(chunks).toString('base64'), token_type: 'Bearer', expires_in: 3600 }
          : { ok: true, path: url.pathname };
    res.writeHead(status, headers);
    if (url.searchParams.has('size')) {
      // A large body, for clients that never read it.
      res.end(Buffer.alloc(Number(url.searchParams.get('size')), 0x20));
    } else if (url.searchParams.has('slowbody')) {
      res.write('{"part":');
      setTimeout(() => res.end(`${JSON.stringify(body)}}`), Number(url.searchParams.get('slowbody')));
    } else {
      res.end(JSON.stringify(body));
    }
  };
  req.on('end', () => {
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  });
}

async function listen(server: Server, scheme: 'http' | 'https', state: State): Promise<TestServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    hostPort: `127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    set requests(n) {
      state.requests = n;
    },
    get traced() {
      return state.traced;
    },
    set traced(n) {
      state.traced = n;
    },
    dropConnections: () => server.closeAllConnections(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function startZdxLikeServer(): Promise<TestServer> {
  const state = { requests: 0, traced: 0 };
  const server = createHttpServer({ keepAliveTimeout: 5000 }, (req, res) => handle(state, req, res));
  return listen(server, 'http', state);
}

/** A self-signed certificate for 127.0.0.1/localhost, made with openssl for this test run only. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'zdx-otel-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function startZdxLikeHttpsServer(tls: { key: string; cert: string }): Promise<TestServer> {
  const state = { requests: 0, traced: 0 };
  const server = createHttpsServer({ ...tls, keepAliveTimeout: 5000 }, (req, res) => handle(state, req, res));
  return listen(server as unknown as Server, 'https', state);
}
