/**
 * docs/bundling.md: an ESM application bundled by esbuild with zdx-otel and the OpenTelemetry SDK inside runs
 * from a directory with no node_modules and exports tagged ZDX spans and exact metrics, given the documented
 * `createRequire` banner; without the banner the bundle cannot start.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { APPS, exited, runApp } from '../support/run-app.js';
import { selfSignedCertificate, startZdxLikeHttpsServer, type TestServer } from '../support/zdx-server.js';

// The banner docs/bundling.md shows: bundled CommonJS code calls require(), which an ES module lacks.
const BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

let dir: string;
let zdx: TestServer;
let receiver: OtlpReceiver;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'zdx-otel-bundle-'));
  const tls = selfSignedCertificate();
  writeFileSync(path.join(dir, 'ca.pem'), tls.cert);
  zdx = await startZdxLikeHttpsServer(tls);
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await zdx?.close();
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function bundleAndRun(name: string, banner: string | undefined) {
  const outfile = path.join(dir, name);
  await build({
    entryPoints: [`${APPS}bundle-app.mjs`],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'error',
    ...(banner !== undefined ? { banner: { js: banner } } : {}),
  });
  // Run from the bundle's directory, which has no node_modules: everything must be inside the bundle.
  const run = runApp(
    [outfile],
    {
      ZDX_API_URL: zdx.url,
      ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem'),
    },
    dir,
  );
  return { run, ...(await exited(run)) };
}

describe('an ESM bundle made by esbuild', () => {
  it('with the createRequire banner: runs and exports tagged spans (fetch and node:https) and exact metrics', async () => {
    const { run, code } = await bundleAndRun('app.mjs', BANNER);
    expect(run.stderr()).toBe('');
    expect(code).toBe(0);
    expect(run.stdout()).toContain('bundle done');
    const spans = receiver.spans().filter((s) => s.kind === 3 && s.attributes['zdx.status_class'] === '2xx');
    expect(spans.map((s) => s.name).sort()).toEqual(['GET /v1/devices/{deviceid}', 'GET /v1/users/{userid}']);
    expect(receiver.latest('zdx.api.requests').reduce((n, p) => n + p.value, 0)).toBe(2);
  });

  it('without it: the bundle stops at its first require() of a builtin', async () => {
    const { run, code } = await bundleAndRun('no-banner.mjs', undefined);
    expect(code).not.toBe(0);
    expect(run.stderr()).toMatch(/Dynamic require of "[^"]+" is not supported/);
  });
});
