/**
 * zdx-otel in applications that already run OpenTelemetry, on the 2.x line and on the 3.x line: each app is
 * installed from the npm registry with its own NodeSDK and @opentelemetry/auto-instrumentations-node, then adds
 * the packed zdx-otel with a plain `npm install <tarball>`. npm must resolve without ERESOLVE and reuse every
 * @opentelemetry/* package the app already has (no new versions), and the app's own SDK, wired with
 * `zdxOtel()`, must export the documented spans and exact metric counts for fetch and node:http calls.
 * Slow (real installs from the registry): CI tier.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';
import { exited, ROOT, runApp } from '../support/run-app.js';
import { startZdxLikeServer, type TestServer } from '../support/zdx-server.js';

const LINES = [
  {
    line: '2.x',
    // auto-instrumentations-node 0.81 is the last release on the 2.x line; it needs sdk-node ^0.223.0.
    packages: [
      '@opentelemetry/sdk-node@0.223.0',
      '@opentelemetry/auto-instrumentations-node@0.81.2',
      '@opentelemetry/api@~1.9.0',
    ],
    api: /^1\.9\./,
  },
  {
    line: '3.x',
    packages: [
      '@opentelemetry/sdk-node@0.301.0',
      '@opentelemetry/auto-instrumentations-node@0.82.0',
      '@opentelemetry/api@1.10.0',
    ],
    api: /^1\.10\./,
  },
];

// npm runs on the tests' Node (>= 22.15), as it would in the application, so engine checks see that Node.
const ENV = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund'];

let work: string;
let tarball: string;
let zdx: TestServer;

function npm(args: string[], cwd: string): { status: number | null; output: string } {
  const r = spawnSync('npm', args, { cwd, env: ENV, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** name -> versions of every @opentelemetry/* package in the app's tree. */
function otelVersions(cwd: string): Map<string, Set<string>> {
  const tree = JSON.parse(
    spawnSync('npm', ['ls', '--all', '--json'], { cwd, env: ENV, encoding: 'utf8' }).stdout,
  ) as Tree;
  const found = new Map<string, Set<string>>();
  const walk = (node: Tree) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      if (name.startsWith('@opentelemetry/') && child.version) {
        found.set(name, (found.get(name) ?? new Set()).add(child.version));
      }
      walk(child);
    }
  };
  walk(tree);
  return found;
}
interface Tree {
  version?: string;
  dependencies?: Record<string, Tree>;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'zdx-otel-compat-'));
  const packed = npm(['pack', ROOT, '--pack-destination', work], work);
  expect(packed.status, packed.output).toBe(0);
  tarball = path.join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  zdx = await startZdxLikeServer();
}, 120_000);

afterAll(async () => {
  await zdx?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.each(LINES)(
  'an application on the $line line with its own NodeSDK and auto-instrumentations',
  ({ line, packages, api }) => {
    let app: string;
    let before: Map<string, Set<string>>;
    let added: { status: number | null; output: string };
    let receiver: OtlpReceiver;
    let other: OtlpReceiver; // for the register entry's run

    afterAll(async () => {
      await receiver?.close();
      await other?.close();
    });

    beforeAll(async () => {
      receiver = await startOtlpReceiver();
      other = await startOtlpReceiver();
      app = path.join(work, `app-${line}`);
      rmSync(app, { recursive: true, force: true });
      mkdirSync(app);
      writeFileSync(
        path.join(app, 'package.json'),
        JSON.stringify({ name: `app-${line}`, version: '1.0.0', private: true }),
      );
      const base = npm(['install', '-E', ...NPM_FLAGS, ...packages], app);
      expect(base.status, base.output).toBe(0);
      before = otelVersions(app);
      added = npm(['install', ...NPM_FLAGS, tarball], app);
      for (const file of ['own-sdk-app.cjs', 'register-app.cjs']) {
        copyFileSync(path.join(ROOT, 'test/fixtures/compat', file), path.join(app, file));
      }
    }, 300_000);

    it('adds zdx-otel with npm install: no ERESOLVE, no new version of any @opentelemetry/* package it had', () => {
      expect(added.output).not.toMatch(/ERESOLVE/);
      expect(added.status, added.output).toBe(0);
      expect([...(before.get('@opentelemetry/api') ?? [])]).toEqual([expect.stringMatching(api)]);
      const after = otelVersions(app);
      const changed: string[] = [];
      for (const [name, versions] of after) {
        const had = before.get(name);
        if (!had) continue; // a package the app did not have at all (none expected, but not a second copy)
        for (const v of versions) if (!had.has(v)) changed.push(`${name}@${v}`);
      }
      expect(changed).toEqual([]);
      expect([...after.keys()].filter((name) => !before.has(name))).toEqual([]);
    });

    it('exports the documented ZDX spans and exact metric counts for fetch and node:http', async () => {
      const r = runApp(
        ['own-sdk-app.cjs'],
        {
          ZDX_URL: zdx.url,
          ZDX_HOST: zdx.hostPort,
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        },
        app,
      );
      const { code } = await exited(r, 30_000);
      expect(r.stderr()).toBe('');
      expect(code).toBe(0);

      const points = receiver
        .latest('zdx.api.requests')
        .filter((p) => p.attributes['url.template'] === '/v1/devices/{deviceid}');
      const total = (status: number) =>
        points.filter((p) => p.attributes['http.response.status_code'] === status).reduce((n, p) => n + p.value, 0);
      expect([total(200), total(429), total(503)]).toEqual([4, 2, 2]);
      for (const p of points) {
        expect(p.attributes).toMatchObject({ 'http.request.method': 'GET', 'server.address': '127.0.0.1' });
        const status = p.attributes['http.response.status_code'] as number;
        expect(p.attributes['zdx.status_class']).toBe(`${String(status)[0]}xx`);
        expect(p.attributes['error.type']).toBe(status >= 400 ? String(status) : undefined);
      }

      const spans = receiver.spans().filter((s) => s.attributes['server.address'] === '127.0.0.1' && s.kind === 3);
      // One CLIENT span per call (fetch and node:http), none doubled, each completed by ZdxSpanProcessor.
      expect(spans).toHaveLength(8);
      for (const s of spans) {
        expect(s.name).toBe('GET /v1/devices/{deviceid}');
        expect(s.attributes['url.template']).toBe('/v1/devices/{deviceid}');
        const status = s.attributes['http.response.status_code'] as number;
        expect(s.attributes['zdx.status_class']).toBe(`${String(status)[0]}xx`);
        expect(s.attributes['zdx.retryable']).toBe(status === 429 || status === 503);
      }
      expect(spans.filter((s) => String(s.attributes['url.full']).includes('/devices/7'))).toHaveLength(4);
      expect(spans.filter((s) => String(s.attributes['url.full']).includes('/devices/8'))).toHaveLength(4);
    });

    it('runs node --require zdx-otel/register with the packages of its own line', async () => {
      const r = runApp(
        ['--require', 'zdx-otel/register', 'register-app.cjs'],
        {
          ZDX_URL: zdx.url,
          ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
          OTEL_EXPORTER_OTLP_ENDPOINT: other.url,
        },
        app,
      );
      const { code } = await exited(r, 30_000);
      expect(r.stderr()).toBe('');
      expect(code).toBe(0);
      const points = other.latest('zdx.api.requests');
      const total = (status: number) =>
        points.filter((p) => p.attributes['http.response.status_code'] === status).reduce((n, p) => n + p.value, 0);
      expect([total(200), total(429)]).toEqual([2, 2]);
      expect(other.spans().filter((s) => s.name === 'GET /v1/devices/{deviceid}')).toHaveLength(4);
    });
  },
);

// The core's own floor: the first 2.x release with SpanProcessor.onEnding. npm cannot add the whole package to
// such an app (its start-up needs sdk-trace, from 2.9), so the built core is copied in, as a bundler would.
describe('the core on the oldest supported SDK (sdk-trace-base 2.3.0, api 1.9.0), wired by hand', () => {
  const packages = [
    '@opentelemetry/api@1.9.0',
    '@opentelemetry/sdk-trace-base@2.3.0',
    '@opentelemetry/sdk-metrics@2.3.0',
    '@opentelemetry/instrumentation@0.209.0',
    '@opentelemetry/instrumentation-http@0.209.0',
    '@opentelemetry/context-async-hooks@2.3.0',
    '@opentelemetry/core@2.3.0',
  ];

  it('names and classifies the span and counts the calls', async () => {
    const app = path.join(work, 'app-floor');
    mkdirSync(app);
    writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({ name: 'app-floor', version: '1.0.0', private: true }),
    );
    const base = npm(['install', '-E', ...NPM_FLAGS, ...packages], app);
    expect(base.status, base.output).toBe(0);
    const target = path.join(app, 'node_modules', 'zdx-otel');
    cpSync(path.join(ROOT, 'dist'), path.join(target, 'dist'), { recursive: true });
    copyFileSync(path.join(ROOT, 'package.json'), path.join(target, 'package.json'));
    copyFileSync(path.join(ROOT, 'test/fixtures/compat/core-floor-app.cjs'), path.join(app, 'core-floor-app.cjs'));

    const r = runApp(['core-floor-app.cjs'], { ZDX_URL: zdx.url, ZDX_HOST: zdx.hostPort }, app);
    const { code } = await exited(r, 30_000);
    expect(r.stderr()).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(r.stdout()) as {
      spans: { name: string; attributes: Record<string, unknown> }[];
      points: { attributes: Record<string, unknown>; value: number }[];
    };
    expect(out.spans.map((s) => [s.name, s.attributes['zdx.status_class']])).toEqual([
      ['GET /v1/devices/{deviceid}', '2xx'],
      ['GET /v1/devices/{deviceid}', '4xx'],
      ['GET /v1/devices/{deviceid}', '5xx'],
    ]);
    expect(out.points.map((p) => [p.attributes['http.response.status_code'], p.value]).sort()).toEqual([
      [200, 1],
      [429, 1],
      [503, 1],
    ]);
  });
});
