// The pieces the deploy end-to-end tests share: the shipped rules rendered with the fast example config, and
// the demo workload under `--import zdx-otel/register` serving its metrics on a pull endpoint for Prometheus.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '../../deploy/src/config.ts';
import { OUTPUTS, renderAll } from '../../deploy/src/render.ts';
import { ZDX_STATUS_CODES } from '../../src/core/catalog/status.js';
import type { RunningSimulator } from '../../src/tools/simulator/index.js';
import { ROOT, runApp, type AppRun } from './run-app.js';

/** The deploy kit rendered with deploy/examples/fast.json (short windows), as a map of output path to text. */
export function renderFast(): Map<string, string> {
  return renderAll(
    resolveConfig(JSON.parse(readFileSync(`${ROOT}deploy/examples/fast.json`, 'utf8'))),
    ZDX_STATUS_CODES,
  );
}

/**
 * Writes the recording rules and the alerts into `dir` (their rendered text, or `content` for both) and
 * returns their paths, for Prometheus' `rule_files`.
 */
export function writeRuleFiles(dir: string, files: Map<string, string>, content?: string): string[] {
  return [OUTPUTS.rules, OUTPUTS.alerts].map((name) => {
    const file = path.join(dir, path.basename(name));
    writeFileSync(file, content ?? files.get(name)!);
    return file;
  });
}

/** The demo's workload calling `simulator` for `durationMs` at `rate` calls per second, metrics on a pull endpoint at `port`. */
export function startDemoWorkload(simulator: RunningSimulator, port: number, durationMs: number, rate: number): AppRun {
  return runApp(['--import', 'zdx-otel/register', `${ROOT}dist/esm/tools/demo/workload.js`], {
    ZDX_DEMO_URL: simulator.url,
    ZDX_DEMO_KEY_ID: simulator.credentials.keyId,
    ZDX_DEMO_KEY_SECRET: simulator.credentials.secret,
    ZDX_DEMO_DURATION_MS: String(durationMs),
    ZDX_DEMO_RATE: String(rate),
    ZDX_OTEL_EXTRA_HOSTS: new URL(simulator.url).host,
    OTEL_SERVICE_NAME: 'zdx-demo',
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_METRICS_EXPORTER: 'prometheus',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
  });
}
