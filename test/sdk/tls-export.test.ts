// zdx-otel gives the OTLP exporters its own HTTP agent (its sockets never keep the process alive), which
// replaces the one the exporter would build from the environment; the TLS variables must still work with it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPS, exited, runApp } from '../support/run-app.js';
import { selfSignedCertificate, startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

let zdx: TestServer;
let collector: Server;
let url: string;
let exports = 0;
let dir: string;
let caFile: string;

beforeAll(async () => {
  zdx = await startZdxLikeServer();
  const tls = selfSignedCertificate();
  dir = mkdtempSync(join(tmpdir(), 'zdx-otel-ca-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, tls.cert);
  collector = createServer(tls, (req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/v1/metrics') exports++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  collector.closeAllConnections();
  await new Promise((resolve) => collector.close(resolve));
  await zdx.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OTLP over https with a private CA', () => {
  for (const withCa of [true, false]) {
    it(
      withCa
        ? 'OTEL_EXPORTER_OTLP_CERTIFICATE names the CA: metrics arrive'
        : 'without it (control): the certificate is refused, nothing arrives',
      async () => {
        exports = 0;
        const run = runApp(['--import', 'zdx-otel/register', `${APPS}exit-app.mjs`], {
          ZDX_URL: zdx.url,
          ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
          RUN_MS: '200',
          OTEL_TRACES_EXPORTER: 'none',
          OTEL_EXPORTER_OTLP_ENDPOINT: url,
          ZDX_OTEL_SHUTDOWN_TIMEOUT: '2000',
          ...(withCa ? { OTEL_EXPORTER_OTLP_CERTIFICATE: caFile } : {}),
        });
        expect((await exited(run)).code).toBe(0);
        if (withCa) expect(exports).toBeGreaterThan(0);
        else expect(exports).toBe(0);
      },
    );
  }
});
