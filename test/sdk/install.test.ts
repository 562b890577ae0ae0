/**
 * `npm install zdx-otel` alone is enough: the packed tarball, installed into an empty application (its
 * dependencies from npm's cache), runs the register entry and the CLI with nothing else installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { exited, ROOT, runApp } from '../support/run-app.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

let app: string;
let zdx: TestServer;
let receiver: OtlpReceiver;
let installOutput: string;

beforeAll(async () => {
  app = mkdtempSync(path.join(tmpdir(), 'zdx-otel-consumer-'));
  execFileSync('npm', ['pack', ROOT, '--pack-destination', app], { stdio: 'ignore' });
  const tarball = readdirSync(app).find((f) => f.endsWith('.tgz'))!;
  writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }),
  );
  const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${tarball}`], {
    cwd: app,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}` },
  });
  installOutput = `${install.stdout}${install.stderr}`;
  if (install.status !== 0) throw new Error(installOutput);
  writeFileSync(
    path.join(app, 'app.mjs'),
    `
    for (const status of [200, 200, 429, 503]) await (await fetch(process.env.ZDX_URL + '/v1/devices/7?status=' + status)).text();
  `,
  );
  zdx = await startZdxLikeServer();
  receiver = await startOtlpReceiver();
}, 180_000);

afterAll(async () => {
  await receiver?.close();
  await zdx?.close();
  if (app) rmSync(app, { recursive: true, force: true });
});

describe('an application with only `npm install zdx-otel`', () => {
  it('installs without warnings: no install scripts (no protobufjs, no gRPC), no engine or peer complaints', () => {
    expect(installOutput).not.toMatch(/warn/i);
    for (const dir of ['protobufjs', '@grpc/grpc-js', '@opentelemetry/sdk-node']) {
      expect(existsSync(path.join(app, 'node_modules', dir)), dir).toBe(false);
    }
  });

  it('runs under node --import zdx-otel/register and exports its ZDX metrics', async () => {
    const r = runApp(
      ['--import', 'zdx-otel/register', 'app.mjs'],
      {
        ZDX_URL: zdx.url,
        ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      },
      app,
    );
    const { code } = await exited(r);
    expect(r.stderr()).toBe('');
    expect(code).toBe(0);
    const points = receiver.latest('zdx.api.requests');
    const total = (code: number) =>
      points.filter((p) => p.attributes['http.response.status_code'] === code).reduce((n, p) => n + p.value, 0);
    expect([total(200), total(429), total(503)]).toEqual([2, 1, 1]);
    expect(receiver.spans().filter((s) => s.name === 'GET /v1/devices/{deviceid}')).toHaveLength(4);
  });

  it('has the zdx-otel command', async () => {
    const r = runApp([path.join(app, 'node_modules', '.bin', 'zdx-otel'), '--help'], {}, app);
    expect((await exited(r)).code).toBe(0);
    expect(r.stdout()).toContain('zdx-otel <command>');
  });
});
