/*
 * `zdx-otel simulate`: the ZDX API simulator as a standalone server, for trying clients, dashboards and
 * alerts against something that answers like ZDX.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadScenario, scenarioFromFlags, startSimulator, type SimulatorOptions } from './simulator/index.js';

export const SIMULATE_USAGE = `Usage: zdx-otel simulate [options]

Serves every ZDX API endpoint (at /v1/... and /zdx/v1/...) on loopback, with tokens (direct host:
POST /v1/oauth/token; OneAPI: POST /oauth2/v1/token, client_credentials), the licence tier's rate limits
and the faults of a scenario. Runs until Ctrl-C.

Options:
  --port <n>          port (default 8787; 0 picks a free one)
  --host <addr>       loopback address to listen on (default 127.0.0.1)
  --tier <1-4>        licence tier whose rate limits apply (default: the scenario's, else 1)
  --seed <value>      seed for data and faults (default: the scenario's, else 1)
  --scenario <file>   scenario JSON: error rates, latency, resets, outages (see scenarios/)
  --error-rate <list> injected answers, e.g. 503=0.05,500=0.01 (status=probability)
  --latency <spec>    fixed:50 | uniform:20:200 | lognormal:120:0.6[:4000] (ms)
  --slow-body <spec>  800 or 800:0.1 (spread bodies over 800 ms, for 10% of answers)
  --reset-rate <p>    probability of a connection reset instead of an answer
  --outage <spec>     20s+30s | 1m+15s:502 | 2m+10s:reset (start+duration[:status|reset]); repeatable
  --rate-limit <spec> off | 5/30/1000[/10000] (per second/minute/hour[/day])
  --no-auth           answer without bearer tokens
  --tls-key <file>    serve HTTPS with this PEM key ...
  --tls-cert <file>   ... and certificate
  -h, --help          this text`;

export async function runSimulate(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      tier: { type: 'string' },
      seed: { type: 'string' },
      scenario: { type: 'string' },
      'no-auth': { type: 'boolean' },
      'tls-key': { type: 'string' },
      'error-rate': { type: 'string' },
      latency: { type: 'string' },
      'slow-body': { type: 'string' },
      'reset-rate': { type: 'string' },
      outage: { type: 'string', multiple: true },
      'rate-limit': { type: 'string' },
      'tls-cert': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
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
  // Flags are laid over the scenario file, and validated (and named in errors) like it.
  const scenario = scenarioFromFlags(
    {
      ...(values.seed !== undefined ? { seed: values.seed } : {}),
      ...(values.tier !== undefined ? { tier: values.tier } : {}),
      ...(values['error-rate'] !== undefined ? { errorRate: values['error-rate'] } : {}),
      ...(values.latency !== undefined ? { latency: values.latency } : {}),
      ...(values['slow-body'] !== undefined ? { slowBody: values['slow-body'] } : {}),
      ...(values['reset-rate'] !== undefined ? { resetRate: values['reset-rate'] } : {}),
      ...(values.outage !== undefined ? { outage: values.outage } : {}),
      ...(values['rate-limit'] !== undefined ? { rateLimit: values['rate-limit'] } : {}),
    },
    values.scenario !== undefined ? loadScenario(values.scenario) : {},
  );
  const options: SimulatorOptions = {
    port: values.port === undefined ? 8787 : Number(values.port),
    ...(values.host !== undefined ? { host: values.host } : {}),
    scenario,
    ...(values['no-auth'] ? { auth: false } : {}),
    ...(values['tls-key'] !== undefined
      ? { tls: { key: readFileSync(values['tls-key']), cert: readFileSync(values['tls-cert']!) } }
      : {}),
  };
  const simulator = await startSimulator(options);
  process.stdout.write(
    `ZDX simulator listening at ${simulator.url} (direct: ${simulator.url}/v1/..., OneAPI: ${simulator.url}/zdx/v1/...)\n` +
      `API key: key_id=${simulator.credentials.keyId} key_secret=${simulator.credentials.secret} (POST /v1/oauth/token)\n` +
      `OneAPI: client_id=${simulator.credentials.keyId} client_secret=${simulator.credentials.secret} ` +
      `(POST ${simulator.url}/oauth2/v1/token, grant_type=client_credentials)\n` +
      `Instrument a client with: ZDX_OTEL_EXTRA_HOSTS=${new URL(simulator.url).host} node --import zdx-otel/register app.js\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const stats = simulator.stats();
  await simulator.close();
  process.stdout.write(`\nanswered ${stats.requests} requests\n`);
  return 0;
}
