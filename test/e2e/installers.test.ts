/**
 * The packed package installs cleanly with pnpm and yarn too (npm: test/sdk/install.test.ts), with the README's
 * install line, and the register entry works after each: no install-script warnings (nothing in zdx-otel's
 * tree has one), no peer or engine complaints. The package managers are fetched by npx at exact versions.
 * Needs the npm registry: CI tier.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';
import { exited, ROOT, runApp } from '../support/run-app.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

const ENV = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };

const INSTALLERS = [
  { name: 'pnpm', add: (tgz: string) => ['npx', '-y', 'pnpm@12.21.0', 'add', tgz, '@opentelemetry/api'] },
  { name: 'yarn', add: (tgz: string) => ['npx', '-y', 'yarn@1.22.22', 'add', `file:${tgz}`, '@opentelemetry/api'] },
];

let work: string;
let tarball: string;
let zdx: TestServer;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'zdx-otel-installers-'));
  const packed = spawnSync('npm', ['pack', ROOT, '--pack-destination', work], { env: ENV, encoding: 'utf8' });
  expect(packed.status, packed.stderr).toBe(0);
  tarball = path.join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  zdx = await startZdxLikeServer();
}, 120_000);

afterAll(async () => {
  await zdx?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.each(INSTALLERS)('$name add zdx-otel @opentelemetry/api in an empty application', ({ name, add }) => {
  let app: string;
  let install: { status: number | null; output: string };
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    app = path.join(work, name);
    mkdirSync(app);
    writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({ name: `app-${name}`, version: '1.0.0', private: true }),
    );
    const [command, ...args] = add(tarball);
    const r = spawnSync(command!, args, { cwd: app, env: ENV, encoding: 'utf8' });
    install = { status: r.status, output: `${r.stdout}${r.stderr}` };
    copyFileSync(path.join(ROOT, 'test/fixtures/compat/register-app.cjs'), path.join(app, 'register-app.cjs'));
  }, 300_000);

  afterAll(() => receiver?.close());

  it('succeeds with no warning (install scripts, peers, engines)', () => {
    expect(install.status, install.output).toBe(0);
    expect(install.output).not.toMatch(/warn|install script|build script|ignored/i);
  });

  it('runs node --require zdx-otel/register and exports the ZDX metrics and spans', async () => {
    const r = runApp(
      ['--require', 'zdx-otel/register', 'register-app.cjs'],
      { ZDX_URL: zdx.url, ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      app,
    );
    const { code } = await exited(r, 30_000);
    expect(r.stderr()).toBe('');
    expect(code).toBe(0);
    const points = receiver.latest('zdx.api.requests');
    const total = (status: number) =>
      points.filter((p) => p.attributes['http.response.status_code'] === status).reduce((n, p) => n + p.value, 0);
    expect([total(200), total(429)]).toEqual([2, 2]);
    expect(receiver.spans().filter((s) => s.name === 'GET /v1/devices/{deviceid}')).toHaveLength(4);
  });
});
