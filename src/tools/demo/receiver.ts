import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseOtlpJsonMetrics, type ExportedPoint } from './otlp-json.js';

export interface DemoReceiver {
  /** OTLP/HTTP metrics URL to give the workload (`.../v1/metrics`). */
  readonly metricsUrl: string;
  /** The latest point per metric and attribute set (exports are cumulative). */
  latest(): ExportedPoint[];
  /** Exports received, and forwards that failed. */
  readonly counts: { received: number; forwardFailures: number };
  close(): Promise<void>;
}

/**
 * The demo's end of the workload's OTLP metrics export. It keeps the latest cumulative points for the
 * table and, when the user set an OTLP endpoint, passes each payload on unchanged, so the user's Collector
 * gets exactly what the demo shows.
 */
export async function startDemoReceiver(forwardTo: URL | undefined): Promise<DemoReceiver> {
  const latest = new Map<string, ExportedPoint>();
  const counts = { received: 0, forwardFailures: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      try {
        for (const p of parseOtlpJsonMetrics(JSON.parse(body.toString('utf8')))) {
          latest.set(`${p.metric} ${JSON.stringify(p.attributes)}`, p);
        }
        counts.received++;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        res.writeHead(400).end();
        return;
      }
      if (forwardTo) forward(forwardTo, body).catch(() => counts.forwardFailures++);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    metricsUrl: `http://127.0.0.1:${port}/v1/metrics`,
    latest: () => [...latest.values()],
    counts,
    close: () => new Promise<void>((resolve) => {
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
