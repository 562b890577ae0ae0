import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseOtlpJsonMetrics, parseOtlpJsonSpans, type ExportedPoint } from './otlp-json.js';
import { SpanSamples } from './spans.js';

export interface DemoReceiver {
  /** OTLP/HTTP metrics URL to give the workload (`.../v1/metrics`). */
  readonly metricsUrl: string;
  /** OTLP/HTTP traces URL to give the workload (`.../v1/traces`). */
  readonly tracesUrl: string;
  /** The latest point per metric and attribute set (exports are cumulative). */
  latest(): ExportedPoint[];
  /** The latest ZDX span per status class. */
  readonly spans: SpanSamples;
  /** Exports received, and forwards that failed, per signal. */
  readonly counts: { received: number; forwardFailures: number; traceExports: number; traceForwardFailures: number };
  close(): Promise<void>;
}

/** Where to pass each signal on, when the user set an OTLP endpoint. */
export interface ForwardTargets {
  readonly metrics?: URL;
  readonly traces?: URL;
}

/**
 * The demo's end of the workload's OTLP/HTTP JSON exports. It keeps the latest cumulative metric points for the
 * table and the latest span per status class for the span view and, when the user set an OTLP endpoint, passes
 * each payload on unchanged, so the user's Collector gets exactly what the demo shows.
 */
export async function startDemoReceiver(forwardTo: ForwardTargets = {}): Promise<DemoReceiver> {
  const latest = new Map<string, ExportedPoint>();
  const spans = new SpanSamples();
  const counts = { received: 0, forwardFailures: 0, traceExports: 0, traceForwardFailures: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const traces = (req.url ?? '').startsWith('/v1/traces');
      try {
        const payload = JSON.parse(body.toString('utf8')) as unknown;
        if (traces) {
          for (const s of parseOtlpJsonSpans(payload)) spans.add(s);
          counts.traceExports++;
        } else {
          for (const p of parseOtlpJsonMetrics(payload)) latest.set(`${p.metric} ${JSON.stringify(p.attributes)}`, p);
          counts.received++;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        res.writeHead(400).end();
        return;
      }
      const target = traces ? forwardTo.traces : forwardTo.metrics;
      if (target) {
        forward(target, body).catch(() => {
          if (traces) counts.traceForwardFailures++;
          else counts.forwardFailures++;
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    metricsUrl: `http://127.0.0.1:${port}/v1/metrics`,
    tracesUrl: `http://127.0.0.1:${port}/v1/traces`,
    latest: () => [...latest.values()],
    spans,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function forward(url: URL, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : request;
    const req = send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}
