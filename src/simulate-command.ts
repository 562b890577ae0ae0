/*
 * `zdx-otel simulate`: the ZDX API simulator as a standalone server, for trying clients, dashboards and
 * alerts against something that answers like ZDX.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadScenario, startSimulator, type SimulatorOptions, type ZdxTier } from './simulator/index.js';

export const SIMULATE_USAGE = `Usage: zdx-otel simulate [options]

Serves every ZDX API endpoint (at /v1/... and /zdx/v1/...) on loopback, with tokens, the licence tier's
rate limits and the faults of a scenario. Runs until Ctrl-C.

Options:
  --port <n>          port (default 8787; 0 picks a free one)
  --host <addr>       loopback address to listen on (default 127.0.0.1)
  --tier <1-4>        licence tier whose rate limits apply (default: the scenario's, else 1)
  --seed <value>      seed for data and faults (default: the scenario's, else 1)
  --scenario <file>   scenario JSON: error rates, latency, resets, outages (see scenarios/)
  --no-auth           answer without bearer tokens
  --tls-key <file>    serve HTTPS with this PEM key ...
  --tls-cert <file>   ... and certificate
  -h, --help          this text`;

export async function runSimulate(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' }, host: { type: 'string' }, tier: { type: 'string' }, seed: { type: 'string' },
      scenario: { type: 'string' }, 'no-auth': { type: 'boolean' }, 'tls-key': { type: 'string' },
      'tls-cert': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${SIMULATE_USAGE}\n`);
    return 0;
  }
  if ((values['tls-key'] === undefined) !== (values['tls-cert'] === undefined)) {
    throw new RangeError('--tls-key and --tls-cert go together');
  }
  const options: SimulatorOptions = {
    port: values.port === undefined ? 8787 : Number(values.port),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values.tier !== undefined ? { tier: Number(values.tier) as ZdxTier } : {}),
    ...(values.seed !== undefined ? { seed: values.seed } : {}),
    ...(values.scenario !== undefined ? { scenario: await loadScenario(values.scenario) } : {}),
    ...(values['no-auth'] ? { auth: false } : {}),
    ...(values['tls-key'] !== undefined
      ? { tls: { key: readFileSync(values['tls-key']), cert: readFileSync(values['tls-cert']!) } }
      : {}),
  };
  const simulator = await startSimulator(options);
  process.stdout.write(`ZDX simulator listening at ${simulator.url} (direct: ${simulator.url}/v1/..., OneAPI: ${simulator.url}/zdx/v1/...)\n`
    + `API key: key_id=${simulator.credentials.keyId} key_secret=${simulator.credentials.secret} (POST /v1/oauth/token)\n`
    + `Instrument a client with: ZDX_OTEL_EXTRA_HOSTS=${new URL(simulator.url).host} node --import zdx-otel/register app.js\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const stats = simulator.stats();
  await simulator.close();
  process.stdout.write(`\nanswered ${stats.requests} requests\n`);
  return 0;
}
