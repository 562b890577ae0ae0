// An OTLP/HTTP receiver for tests: accepts JSON (http/json) and keeps every request body, so a test can see
// exactly what a real exporter sent over the wire. It can also misbehave (fail, throttle, hang, reset) to
// play a Collector outage. Protobuf payloads go to real backends (test/support/backends.ts) instead.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { attributesOf, parseOtlpJsonMetrics } from '../../src/tools/demo/otlp-json.js';

export type ReceiverMode = 'ok' | 'fail500' | 'throttle429' | 'unavailable503' | 'slow' | 'hang' | 'reset';

export interface ReceivedPoint {
  metric: string;
  attributes: Readonly<Record<string, unknown>>;
  value: number;
}
export interface ReceivedSpan {
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  status?: { code?: number; message?: string };
  /** Hex ids as OTLP/JSON carries them; parentSpanId is '' (or absent) for a root span. */
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  /** The instrumentation scope that made the span, e.g. `@opentelemetry/instrumentation-http`. */
  scope?: string;
}

export interface OtlpReceiver {
  url: string;
  mode: ReceiverMode;
  /** Raw bodies, for searching planted secrets. */
  bodies: string[];
  /** Export requests answered with a fault (any mode but `ok`). */
  readonly faults: number;
  /** Every data point received, in order (cumulative exports repeat points; use `latest`). */
  points(metric?: string): ReceivedPoint[];
  /** The last reported value per attribute set (cumulative temporality). */
  latest(metric: string): ReceivedPoint[];
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

/** `port` 0 picks a free one; a fixed port lets a test bring a Collector back where the app expects it. */
export async function startOtlpReceiver(port = 0): Promise<OtlpReceiver> {
  const bodies: string[] = [];
  const points: ReceivedPoint[] = [];
  const spans: ReceivedSpan[] = [];
  const hanging: ServerResponse[] = [];
  const state = { mode: 'ok' as ReceiverMode, faults: 0 };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (state.mode !== 'ok') state.faults++;
    if (state.mode === 'reset') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.mode === 'hang') {
        hanging.push(res);
        return;
      }
      if (state.mode === 'fail500') {
        res.writeHead(500).end();
        return;
      }
      if (state.mode === 'throttle429') {
        res.writeHead(429, { 'retry-after': '1' }).end();
        return;
      }
      if (state.mode === 'unavailable503') {
        res.writeHead(503, { 'retry-after': '1' }).end();
        return;
      }
      if (state.mode === 'slow') {
        setTimeout(() => accept(chunks, res), 400);
        return;
      }
      accept(chunks, res);
    });
  });
  const accept = (chunks: Buffer[], res: ServerResponse) => {
    const body = Buffer.concat(chunks).toString('utf8');
    bodies.push(body);
    try {
      const json = JSON.parse(body) as Record<string, unknown>;
      for (const p of parseOtlpJsonMetrics(json))
        points.push({ metric: p.metric, attributes: p.attributes, value: p.value });
      for (const rs of (json.resourceSpans as Array<Record<string, unknown>>) ?? []) {
        for (const ss of (rs.scopeSpans as Array<{
          scope?: { name?: string };
          spans: Array<Record<string, unknown>>;
        }>) ?? []) {
          for (const s of ss.spans) {
            spans.push({
              name: s.name as string,
              kind: s.kind as number,
              scope: ss.scope?.name,
              traceId: s.traceId as string,
              spanId: s.spanId as string,
              parentSpanId: s.parentSpanId as string | undefined,
              attributes: attributesOf(s.attributes as Parameters<typeof attributesOf>[0]),
              status: s.status as { code?: number; message?: string },
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } catch {
      res.writeHead(400).end();
    }
  };
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
      if (m !== 'hang') for (const res of hanging.splice(0)) res.destroy();
    },
    bodies,
    get faults() {
      return state.faults;
    },
    points: (metric) => points.filter((p) => metric === undefined || p.metric === metric),
    latest(metric) {
      const byKey = new Map<string, ReceivedPoint>();
      for (const p of points) if (p.metric === metric) byKey.set(JSON.stringify(p.attributes), p);
      return [...byKey.values()];
    },
    spans: () => spans,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging.splice(0)) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
