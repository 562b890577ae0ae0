/**
 * Every code block of the README's "Use it in your service" runs as it stands. The blocks are marked:
 * `<!-- snippet: install -->` (an install line: every package a later snippet imports must be named in it),
 * `<!-- snippet: file NAME -->` (written to NAME), `<!-- snippet: script NAME -->` (written to NAME and run with
 * node), `<!-- snippet: run -->` (shell commands, run with bash). All run in one temp application that has the
 * packed package and the named packages installed (from npm's cache), against a loopback ZDX-like HTTPS server and
 * an OTLP receiver; what they export is checked.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { ROOT } from '../support/run-app.js';
import { selfSignedCertificate, startZdxLikeHttpsServer, type TestServer } from '../support/zdx-server.js';

interface Snippet {
  kind: 'install' | 'file' | 'script' | 'run';
  name?: string;
  lang: string;
  code: string;
  heading: string;
}

/** The marked code blocks of the README section, in order; throws on a code block without a marker. */
function readmeSnippets(): Snippet[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Use it in your service');
  const end = readme.indexOf('\n## ', start + 1);
  const lines = readme.slice(start, end).split('\n');
  const snippets: Snippet[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('### ')) heading = line.slice(4);
    const fence = /^```(\w*)$/.exec(line);
    if (!fence) continue;
    const marker = /^<!-- snippet: (install|file|script|run)(?: (\S+))? -->$/.exec(lines[i - 1] ?? '');
    const close = lines.indexOf('```', i + 1);
    if (!marker) throw new Error(`README code block without a snippet marker under "${heading}": ${lines[i + 1]}`);
    snippets.push({
      kind: marker[1] as Snippet['kind'],
      name: marker[2],
      lang: fence[1]!,
      code: `${lines.slice(i + 1, close).join('\n')}\n`,
      heading,
    });
    i = close;
  }
  return snippets;
}

const packagesOf = (install: string) =>
  install
    .replace(/\\\n/g, ' ')
    .split(/\s+/)
    .filter((w) => /^(@[\w.-]+\/)?[\w.-]+$/.test(w) && !['npm', 'install'].includes(w));
const importsOf = (code: string) =>
  [...code.matchAll(/(?:from |import\(|require\()'([^']+)'/g)]
    .map((m) => m[1]!)
    .filter((s) => !s.startsWith('node:') && !s.startsWith('.'))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));

// The application the run snippets start when no snippet writes it: one ZDX call with fetch, one with an ESM
// named import of node:https (CommonJS: require), the forms the README promises spans for.
const APP_MJS = `import { request } from 'node:https';
const base = process.env.ZDX_API_URL;
await (await fetch(base + '/v1/devices/7')).text();
await new Promise((resolve, reject) => request(base + '/v1/users/9', (res) => { res.resume(); res.on('end', resolve); }).on('error', reject).end());
`;
const APP_JS = `const { request } = require('node:https');
const base = process.env.ZDX_API_URL;
(async () => {
  await (await fetch(base + '/v1/devices/7')).text();
  await new Promise((resolve, reject) => request(base + '/v1/users/9', (res) => { res.resume(); res.on('end', resolve); }).on('error', reject).end());
})();
`;

const snippets = readmeSnippets();
let app: string;
let zdx: TestServer;

beforeAll(async () => {
  app = mkdtempSync(path.join(tmpdir(), 'zdx-otel-readme-'));
  execFileSync('npm', ['pack', ROOT, '--pack-destination', app], { stdio: 'ignore' });
  const tarball = readdirSync(app).find((f) => f.endsWith('.tgz'))!;
  writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'readme-app', version: '1.0.0', private: true }),
  );
  // What the install lines name, at the versions this repository tests with (so npm's cache has them).
  const named = [...new Set(snippets.filter((s) => s.kind === 'install').flatMap((s) => packagesOf(s.code)))].filter(
    (n) => n !== 'zdx-otel',
  );
  const pinned = named.map(
    (name) =>
      `${name}@${JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version}`,
  );
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${tarball}`, ...pinned], {
    cwd: app,
    stdio: 'ignore',
  });
  const tls = selfSignedCertificate();
  writeFileSync(path.join(app, 'ca.pem'), tls.cert);
  zdx = await startZdxLikeHttpsServer(tls);
}, 180_000);

afterAll(async () => {
  await zdx?.close();
  if (app) rmSync(app, { recursive: true, force: true });
});

async function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string; receiver: OtlpReceiver }> {
  const receiver = await startOtlpReceiver();
  const child = spawn(command, args, {
    cwd: app,
    env: {
      // The Node that runs the tests comes first, so `node` in a snippet is the same Node.
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      ZDX_OTEL_EXTRA_HOSTS: zdx.hostPort,
      ZDX_API_URL: zdx.url,
      NODE_EXTRA_CA_CERTS: path.join(app, 'ca.pem'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  await receiver.close();
  return { code, stdout, stderr, receiver };
}

const zdxSpans = (r: OtlpReceiver) =>
  r.spans().filter((s) => s.kind === 3 && s.attributes['url.template'] !== undefined);
const zdxRequests = (r: OtlpReceiver) => r.latest('zdx.api.requests').reduce((n, p) => n + p.value, 0);

describe('README "Use it in your service"', () => {
  it('marks every code block and names every imported package in an install line before it', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(8);
    let installed: string[] = [];
    for (const snippet of snippets) {
      if (snippet.kind === 'install') installed = packagesOf(snippet.code);
      if (snippet.kind === 'file' || snippet.kind === 'script') {
        expect(installed, `${snippet.name} under "${snippet.heading}"`).toEqual(
          expect.arrayContaining(importsOf(snippet.code)),
        );
      }
    }
  });

  // One test per subsection: its files are written, then its script and run blocks run in order.
  const headings = [...new Set(snippets.map((s) => s.heading))];
  for (const heading of headings) {
    const own = snippets.filter((s) => s.heading === heading);
    if (!own.some((s) => s.kind === 'run' || s.kind === 'script')) continue;
    it(`"${heading}" runs as written`, async () => {
      writeFileSync(path.join(app, 'app.mjs'), APP_MJS);
      writeFileSync(path.join(app, 'app.js'), APP_JS);
      for (const snippet of own) {
        if (snippet.kind === 'file' || snippet.kind === 'script')
          writeFileSync(path.join(app, snippet.name!), snippet.code);
        if (snippet.kind === 'install' || snippet.kind === 'file') continue;
        const result =
          snippet.kind === 'script' ? await run('node', [snippet.name!]) : await run('bash', ['-euc', snippet.code]);
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        checkOutcome(heading, result);
      }
    });
  }
});

function checkOutcome(heading: string, { stdout, receiver }: { stdout: string; receiver: OtlpReceiver }) {
  const names = zdxSpans(receiver)
    .map((s) => s.name)
    .sort();
  for (const span of zdxSpans(receiver)) expect(span.attributes['zdx.status_class']).toBe('2xx');
  if (heading.startsWith('Zero code')) {
    // app.mjs under --import, then app.js under --require: each made one fetch and one node:https call.
    expect(names).toEqual([
      'GET /v1/devices/{deviceid}',
      'GET /v1/devices/{deviceid}',
      'GET /v1/users/{userid}',
      'GET /v1/users/{userid}',
    ]);
    // Two processes with the same attributes: each exported its count once, at exit.
    expect(receiver.points('zdx.api.requests').reduce((n, p) => n + p.value, 0)).toBe(4);
  } else if (heading.startsWith('From code')) {
    expect(stdout.trim()).toBe('200');
    expect(names).toEqual(['GET /v1/devices']);
    expect(zdxRequests(receiver)).toBe(1);
  } else if (heading.startsWith('With your own NodeSDK') || heading.startsWith('One options object')) {
    // One span per call (no second http/undici instrumentation), the ESM node:https import included.
    expect(names).toEqual(['GET /v1/devices/{deviceid}', 'GET /v1/users/{userid}']);
    expect(zdxRequests(receiver)).toBe(2);
    expect(receiver.bodies.join('\n')).toContain('device-sync');
  } else if (heading.startsWith('Tenants')) {
    // Each call carries the tenant it was made for, on its span and its count.
    expect(
      zdxSpans(receiver)
        .map((s) => s.attributes['zdx.tenant'])
        .sort(),
    ).toEqual(['acme', 'globex']);
    const counted = receiver.latest('zdx.api.requests');
    for (const tenant of ['acme', 'globex']) {
      expect(counted.filter((p) => p.attributes['zdx.tenant'] === tenant).reduce((n, p) => n + p.value, 0)).toBe(1);
    }
  } else if (heading.startsWith('Pure helpers')) {
    expect(stdout).toContain("statusClass: '4xx'");
    expect(stdout).toContain('/v1/devices/{deviceid}/apps/{appid}');
  } else {
    throw new Error(`no expectations for the README subsection "${heading}"`);
  }
}
