// An OTLP/HTTP receiver for tests: accepts JSON (http/json) and keeps every request body, so a test can see
// exactly what a real exporter sent over the wire. It can also misbehave (fail, throttle, hang, reset) to
// play a Collector outage. Protobuf payloads go to real backends (test/support/backends.ts) instead.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverMode = 'ok' | 'fail500' | 'throttle429' | 'hang' | 'reset';

interface OtlpAttribute { key: string; value: Record<string, unknown> }
interface OtlpDataPoint { attributes?: OtlpAttribute[]; asInt?: string | number; asDouble?: number; count?: string | number; sum?: number; timeUnixNano?: string }
interface OtlpMetric { name: string; unit?: string; sum?: { dataPoints: OtlpDataPoint[] }; gauge?: { dataPoints: OtlpDataPoint[] }; histogram?: { dataPoints: OtlpDataPoint[] } }

export interface ReceivedPoint { metric: string; attributes: Record<string, unknown>; value: number; resource: Record<string, unknown> }
export interface ReceivedSpan { name: string; kind: number; attributes: Record<string, unknown>; status?: { code?: number; message?: string } }

export interface OtlpReceiver {
  url: string;
  mode: ReceiverMode;
  /** Raw bodies, for searching planted secrets. */
  bodies: string[];
  /** Every data point received, in order (cumulative exports repeat points; use `latest`). */
  points(metric?: string): ReceivedPoint[];
  /** The last reported value per attribute set (cumulative temporality). */
  latest(metric: string): ReceivedPoint[];
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

function attributes(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    const v = value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue;
    out[key] = typeof v === 'string' && value.intValue !== undefined ? Number(v) : v;
  }
  return out;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const bodies: string[] = [];
  const points: ReceivedPoint[] = [];
  const spans: ReceivedSpan[] = [];
  const hanging: ServerResponse[] = [];
  const state = { mode: 'ok' as ReceiverMode };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (state.mode === 'reset') { req.socket.destroy(); return; }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.mode === 'hang') { hanging.push(res); return; }
      if (state.mode === 'fail500') { res.writeHead(500).end(); return; }
      if (state.mode === 'throttle429') { res.writeHead(429, { 'retry-after': '1' }).end(); return; }
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push(body);
      try {
        const json = JSON.parse(body) as Record<string, unknown>;
        for (const rm of (json.resourceMetrics as Array<Record<string, unknown>>) ?? []) {
          const resource = attributes((rm.resource as { attributes?: OtlpAttribute[] })?.attributes);
          for (const sm of (rm.scopeMetrics as Array<{ metrics: OtlpMetric[] }>) ?? []) {
            for (const m of sm.metrics) {
              const dps = m.sum?.dataPoints ?? m.gauge?.dataPoints ?? m.histogram?.dataPoints ?? [];
              for (const dp of dps) {
                const value = m.histogram ? Number(dp.count) : Number(dp.asInt ?? dp.asDouble);
                points.push({ metric: m.name, attributes: attributes(dp.attributes), value, resource });
              }
            }
          }
        }
        for (const rs of (json.resourceSpans as Array<Record<string, unknown>>) ?? []) {
          for (const ss of (rs.scopeSpans as Array<{ spans: Array<Record<string, unknown>> }>) ?? []) {
            for (const s of ss.spans) {
              spans.push({
                name: s.name as string, kind: s.kind as number,
                attributes: attributes(s.attributes as OtlpAttribute[]),
                status: s.status as { code?: number; message?: string },
              });
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get mode() { return state.mode; },
    set mode(m) {
      state.mode = m;
      if (m !== 'hang') for (const res of hanging.splice(0)) res.destroy();
    },
    bodies,
    points: (metric) => points.filter((p) => metric === undefined || p.metric === metric),
    latest(metric) {
      const byKey = new Map<string, ReceivedPoint>();
      for (const p of points) if (p.metric === metric) byKey.set(JSON.stringify(p.attributes), p);
      return [...byKey.values()];
    },
    spans: () => spans,
    close: () => new Promise<void>((resolve) => {
      for (const res of hanging.splice(0)) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
