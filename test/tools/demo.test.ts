import { describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import { exited, ROOT, runApp } from '../support/run-app.js';

const CLI = `${ROOT}dist/esm/tools/cli.js`;
const SMOKE = `${ROOT}test/fixtures/demo-smoke-scenario.json`;

/** The columns of one row of the demo's final table. */
function row(output: string, name: string): number[] {
  const final = output.slice(output.lastIndexOf('final numbers'));
  const line = final.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no row ${name} in:\n${final}`);
  return line.slice(name.length).trim().split(/\s+/).map(Number);
}

describe('zdx-otel demo', () => {
  it('a short run exits 0 and its table lists the workload templates with 429s and 5xx, counted exactly', async () => {
    const run = runApp([CLI, 'demo', '--duration', '6', '--rate', '20', '--refresh', '1', '--scenario', SMOKE], {});
    const { code } = await exited(run, 60_000);
    const out = run.stdout();
    expect(run.stderr()).toBe('');
    expect(code).toBe(0);
    for (const template of ['/v1/oauth/token', '/v1/devices', '/v1/devices/{deviceid}', '/v1/users', '/v1/apps']) {
      expect(row(out, template)[0], template).toBeGreaterThan(0);
    }
    const [requests, ok, , throttled, server] = row(out, 'all endpoints');
    expect(ok).toBeGreaterThan(0);
    expect(throttled).toBeGreaterThan(0);
    expect(server).toBeGreaterThan(0);
    // What zdx-otel exported matches what the simulator answered, request for request.
    expect(out).toContain(`simulator answered ${requests} requests; the table counts ${requests}.`);
    expect(out).toMatch(/\[\ds\] requests \d+/); // live progress while it ran
  });

  it('forwards exactly what it shows to OTEL_EXPORTER_OTLP_ENDPOINT, and sends spans there', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const run = runApp([CLI, 'demo', '--duration', '3', '--rate', '10', '--scenario', SMOKE], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
      expect((await exited(run, 60_000)).code).toBe(0);
      const [requests] = row(run.stdout(), 'all endpoints');
      const forwarded = receiver.latest('zdx.api.requests').reduce((n, p) => n + p.value, 0);
      expect(forwarded).toBe(requests);
      expect(receiver.spans().some((s) => s.name === 'POST /v1/oauth/token')).toBe(true);
      expect(run.stdout()).toMatch(/forwarded to http:\/\/127\.0\.0\.1:\d+\/v1\/metrics: \d+ ok, 0 failed/);
    } finally {
      await receiver.close();
    }
  });

  it('Ctrl-C stops the run early and still prints the final numbers', async () => {
    const run = runApp([CLI, 'demo', '--duration', '120', '--rate', '10', '--refresh', '1', '--scenario', SMOKE], {});
    await run.waitFor('requests', 30_000);
    run.child.kill('SIGINT');
    const { code } = await exited(run, 30_000);
    expect(code).toBe(0);
    const [requests] = row(run.stdout(), 'all endpoints');
    expect(requests).toBeGreaterThan(0);
    expect(run.stdout()).toContain(`simulator answered ${requests} requests; the table counts ${requests}.`);
  });

  it('explains its options, and rejects bad ones with a clear message', async () => {
    const help = runApp([CLI, 'demo', '--help'], {});
    expect((await exited(help)).code).toBe(0);
    expect(help.stdout()).toContain('--duration <seconds>');
    const bad = runApp([CLI, 'demo', '--rate', 'fast'], {});
    expect((await exited(bad)).code).toBe(1);
    expect(bad.stderr()).toContain('--rate must be a number');
    const unknown = runApp([CLI, 'deploy'], {});
    expect((await exited(unknown)).code).toBe(1);
    expect(unknown.stderr()).toContain('unknown command "deploy"');
  });
});

describe('zdx-otel simulate', () => {
  it('rejects a bad flag naming it', async () => {
    const run = runApp([CLI, 'simulate', '--latency', 'slow'], {});
    expect((await exited(run)).code).toBe(1);
    expect(run.stderr()).toContain('--latency');
  });

  it('serves the ZDX API, with flag-injected faults, until Ctrl-C', async () => {
    const run = runApp([CLI, 'simulate', '--port', '0', '--tier', '4', '--no-auth', '--error-rate', '503=1', '--latency', 'fixed:1'], {});
    await run.waitFor('ZDX simulator listening at');
    const url = /listening at (http:\/\/\S+) /.exec(run.stdout())![1]!;
    const devices = await fetch(`${url}/zdx/v1/devices?limit=2`);
    // --error-rate 503=1 answers every call with an injected 503, in ZDX's error shape.
    expect(devices.status).toBe(503);
    expect(devices.headers.get('x-ratelimit-limit-minute')).toBe('180');
    expect(await devices.json()).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    const users = await fetch(`${url}/v1/users`);
    expect(users.status).toBe(503);
    await users.arrayBuffer();
    run.child.kill('SIGINT');
    expect((await exited(run)).code).toBe(0);
    expect(run.stdout()).toContain('answered 2 requests');
  });
});
