/*
 * HTTP plumbing: the server with size and time limits, ZDX-shaped answers for requests Node rejects before
 * they reach a handler (431, 400, 408, 417), bounded body reading (413), and sending an answer with injected
 * latency, a slow body or a connection reset. Nothing here knows about ZDX endpoints.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { errorBody } from './errors.js';

export interface ServerLimits {
  /** Largest request head (request line + headers) in bytes; beyond it Node's parser stops and we answer 431. */
  readonly maxHeaderBytes: number;
}

export interface Answer {
  readonly status: number;
  /** JSON-serialisable; undefined = no body. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

// Requests that never finish their head or body are answered 408 instead of holding a socket forever.
const HEADERS_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 60_000;
// Idle keep-alive sockets are closed after this long, like most API gateways.
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
// A slow body is sent in this many pieces, spread evenly over the configured time.
const SLOW_BODY_PIECES = 10;

export function createServer(
  tls: { key: string | Buffer; cert: string | Buffer } | undefined,
  limits: ServerLimits,
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
  onRejected: (status: number) => void,
): Server {
  const options = {
    maxHeaderSize: limits.maxHeaderBytes,
    requestTimeout: REQUEST_TIMEOUT_MS,
    headersTimeout: HEADERS_TIMEOUT_MS,
  };
  const server: Server =
    tls === undefined ? createHttpServer(options, onRequest) : createHttpsServer({ ...options, ...tls }, onRequest);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

  // Without this listener Node answers 431/400/408 with an empty body; ZDX clients expect `{code, message}`.
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    const status = clientErrorStatus(err.code);
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (status === undefined || !socket.writable || inFlight?.headersSent === true) {
      socket.destroy();
      return;
    }
    onRejected(status);
    socket.end(rawResponse(status, errorBody(status, clientErrorMessage(status, err.code))));
  });

  // Any `Expect` other than 100-continue (which Node answers itself) cannot be met.
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    onRejected(417);
    writeAnswer(res, { status: 417, body: errorBody(417), headers: { Connection: 'close' } });
  });
  return server;
}

function clientErrorStatus(code: string | undefined): number | undefined {
  switch (code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return undefined; // the client is gone; there is nobody to answer
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400; // any other parse error (bad request line, bad header, bad chunk encoding)
  }
}

function clientErrorMessage(status: number, code: string | undefined): string {
  if (status === 431) return 'the request header fields are too large';
  if (status === 408) return 'the request was not received completely in time';
  return `the request could not be parsed (${code ?? 'unknown error'})`;
}

function rawResponse(status: number, body: unknown): string {
  const text = JSON.stringify(body);
  const reason = statusReason(status);
  return (
    `HTTP/1.1 ${status} ${reason}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(text)}\r\n` +
    'Connection: close\r\n\r\n' +
    text
  );
}

function statusReason(status: number): string {
  return status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
}

export type BodyResult = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly status: 413 };

/**
 * Reads the request body up to `maxBytes`. Over the limit (declared or actual) it resolves 413 at once and
 * keeps discarding what the client still sends, so the 413 can be read instead of the client seeing a reset.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      req.resume();
      resolve({ ok: false, status: 413 });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        chunks.length = 0;
        resolve({ ok: false, status: 413 });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve({ ok: true, bytes: Buffer.concat(chunks) });
    });
    req.on('error', reject);
  });
}

/** Timers of delayed answers, cleared on close so the process is not kept alive by a pending slow body. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  private closed = false;

  /** Resolves after `ms`, or never once `clear()` was called. */
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      if (this.closed) return;
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve();
      }, ms);
      this.pending.add(timer);
    });
  }

  clear(): void {
    this.closed = true;
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}

/** Sends `answer` as JSON; `slowBodyMs` > 0 drips the body in pieces over that time. */
export async function writeAnswer(res: ServerResponse, answer: Answer, slowBodyMs = 0, timers?: Timers): Promise<void> {
  if (res.headersSent || res.destroyed) return;
  const noBody = answer.body === undefined || answer.status === 204 || answer.status === 304;
  const payload = noBody ? undefined : Buffer.from(JSON.stringify(answer.body));
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  if (payload !== undefined) {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', payload.length);
  }
  res.writeHead(answer.status);
  if (payload === undefined || slowBodyMs <= 0 || timers === undefined) {
    res.end(payload);
    return;
  }
  const pieceSize = Math.max(1, Math.ceil(payload.length / SLOW_BODY_PIECES));
  const pieces = Math.ceil(payload.length / pieceSize);
  for (let i = 0; i < pieces; i++) {
    if (res.destroyed) return;
    res.write(payload.subarray(i * pieceSize, (i + 1) * pieceSize));
    if (i < pieces - 1) await timers.sleep(slowBodyMs / (pieces - 1));
  }
  res.end();
}

/** Drops the connection with a TCP RST, the way a crashing gateway or middlebox does. */
export function resetConnection(req: IncomingMessage): void {
  const socket = req.socket as IncomingMessage['socket'] & { resetAndDestroy?: () => void };
  try {
    // TLS sockets cannot send an RST through their handle; a plain destroy is the closest there.
    if (typeof socket.resetAndDestroy === 'function' && !('encrypted' in socket)) socket.resetAndDestroy();
    else socket.destroy();
  } catch {
    socket.destroy();
  }
}
