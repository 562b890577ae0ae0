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

const SPANS_TITLE = 'one exported span per status class, as a Collector receives it';

/** The span blocks printed after `from` in the output: class, name, and attributes as printed (JSON values). */
function spanBlocks(
  text: string,
): Array<{ cls: string; name: string; status: string; attributes: Record<string, unknown> }> {
  const blocks = [];
  for (const block of text.split('\n\n')) {
    const [head, ...lines] = block.trim().split('\n');
    const m = /^\[(\w+)\] span "([^"]+)"\s+kind=(\w+)\s+status=(\w+)/.exec(head ?? '');
    if (m === null) continue;
    const attributes: Record<string, unknown> = {};
    for (const line of lines) {
      const a = /^\s+(\S+)\s+(.+)$/.exec(line);
      if (a !== null) attributes[a[1]!] = JSON.parse(a[2]!);
    }
    expect(m[3]).toBe('client');
    blocks.push({ cls: m[1]!, name: m[2]!, status: m[4]!, attributes });
  }
  return blocks;
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

    // The span view at the end: one exported span per status class, with the attributes a Collector gets.
    const final = out.slice(out.indexOf(SPANS_TITLE));
    expect(final).toMatch(new RegExp(`${SPANS_TITLE} \\((\\d+) ZDX spans exported\\)`));
    expect(Number(/\((\d+) ZDX spans exported\)/.exec(final)![1])).toBe(requests);
    const blocks = spanBlocks(final);
    expect(blocks.map((b) => b.cls)).toEqual(['2xx', '4xx', '429', '5xx']);
    for (const b of blocks) {
      const a = b.attributes;
      expect(b.name).toBe(`${a['http.request.method']} ${a['url.template']}`);
      expect(a['zdx.status_class']).toBe(b.cls === '429' ? '4xx' : b.cls);
      expect(String(a['http.response.status_code'])[0]).toBe(b.cls === '429' ? '4' : b.cls[0]);
      expect(a['zdx.status_text']).toEqual(expect.any(String));
      expect(String(a['zdx.status_description']).length).toBeGreaterThan(10);
      expect(typeof a['zdx.retryable']).toBe('boolean');
      // The smoke scenario's budgets (see the fixture): the per-second or the per-minute one.
      expect([12, 600]).toContain(a['zdx.rate_limit.limit']);
      expect(a['zdx.rate_limit.remaining']).toEqual(expect.any(Number));
      expect(a['zdx.rate_limit.reset']).toBeGreaterThan(1e9);
      expect(b.status).toBe(b.cls === '2xx' ? 'unset' : 'error');
    }
    const [ok2xx, client4xx, limited, server5xx] = blocks;
    expect(ok2xx!.attributes['zdx.retryable']).toBe(false);
    // Client errors only where a real service answers them: 404 on a device drill-down (injected by the smoke
    // scenario), or the real 400 for the workload's over-long alert history window.
    const c4 = client4xx!.attributes;
    expect(c4['zdx.retryable']).toBe(false);
    expect(c4['error.type']).toBe(String(c4['http.response.status_code']));
    if (c4['http.response.status_code'] === 404)
      expect(String(c4['url.template'])).toMatch(/^\/v1\/devices\/\{deviceid\}/);
    else expect(c4).toMatchObject({ 'http.response.status_code': 400, 'url.template': '/v1/alerts/historical' });
    expect(limited!.attributes).toMatchObject({
      'zdx.retryable': true,
      'zdx.rate_limit.remaining': 0,
      'zdx.retry_after': expect.any(Number),
    });
    expect(server5xx!.attributes['zdx.retryable']).toBe(true);
  });

  it('--spans shows the span view while it runs', async () => {
    const run = runApp(
      [CLI, 'demo', '--duration', '3', '--rate', '10', '--refresh', '1', '--spans', '--scenario', SMOKE],
      {},
    );
    expect((await exited(run, 60_000)).code).toBe(0);
    const live = run.stdout().slice(0, run.stdout().indexOf('final numbers'));
    const blocks = spanBlocks(live);
    expect(blocks.length).toBeGreaterThan(0);
    expect(
      blocks.every(
        (b) => typeof b.attributes['url.template'] === 'string' && b.attributes['zdx.status_class'] !== undefined,
      ),
    ).toBe(true);
  });

  it('forwards exactly what it shows to OTEL_EXPORTER_OTLP_ENDPOINT, and sends spans there', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const run = runApp([CLI, 'demo', '--duration', '3', '--rate', '10', '--scenario', SMOKE], {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      });
      expect((await exited(run, 60_000)).code).toBe(0);
      const [requests] = row(run.stdout(), 'all endpoints');
      const forwarded = receiver.latest('zdx.api.requests').reduce((n, p) => n + p.value, 0);
      expect(forwarded).toBe(requests);
      // Spans reach the user's endpoint through the demo, exactly as the demo counted them.
      const zdxSpans = receiver.spans().filter((s) => s.attributes['url.template'] !== undefined);
      expect(zdxSpans.some((s) => s.name === 'POST /v1/oauth/token')).toBe(true);
      expect(run.stdout()).toContain(`(${zdxSpans.length} ZDX spans exported)`);
      expect(run.stdout()).toMatch(/forwarded to http:\/\/127\.0\.0\.1:\d+\/v1\/metrics: \d+ ok, 0 failed/);
      expect(run.stdout()).toMatch(/forwarded to http:\/\/127\.0\.0\.1:\d+\/v1\/traces: [1-9]\d* ok, 0 failed/);
    } finally {
      await receiver.close();
    }
  });

  it('Ctrl-C stops the run early and still prints the final numbers', async () => {
    const run = runApp([CLI, 'demo', '--duration', '120', '--rate', '10', '--refresh', '1', '--scenario', SMOKE], {});
    // A live line with a count: the first lines read 0 until the first export, and on a slow machine an
    // interrupt then would leave nothing to print.
    await run.waitFor(/requests [1-9]/, 30_000);
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
    const run = runApp(
      [CLI, 'simulate', '--port', '0', '--tier', '4', '--no-auth', '--error-rate', '503=1', '--latency', 'fixed:1'],
      {},
    );
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
