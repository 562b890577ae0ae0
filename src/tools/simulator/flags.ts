/*
 * Command-line style fault settings (for `zdx-otel simulate` and quick experiments), turned into a Scenario
 * and laid over a scenario file. Compact forms, so that one flag says one thing:
 *   errorRate  "503=0.05,500=0.01"            status=probability, comma-separated
 *   latency    "fixed:50" | "uniform:20:200" | "lognormal:120:0.6[:4000]"   (ms, sigma, cap ms)
 *   slowBody   "800" | "800:0.1"              spread the body over 800 ms, for 10 % of answers
 *   resetRate  "0.01"
 *   outage     "20s+30s" | "20000+30000:502" | "1m+15s:reset"   start+duration[:status|reset], repeatable
 *   rateLimit  "off" | "5/30/1000" | "5/30/1000/10000"           per second/minute/hour[/day]
 * Invalid values throw ScenarioError naming the flag (`--latency` ...).
 */
import {
  parseScenario,
  ScenarioError,
  type LatencySpec,
  type OutageWindow,
  type RateLimitSettings,
  type Scenario,
} from './scenario.js';

export interface ScenarioFlags {
  readonly seed?: string;
  readonly tier?: string;
  readonly errorRate?: string;
  readonly latency?: string;
  readonly slowBody?: string;
  readonly resetRate?: string;
  readonly outage?: string | readonly string[];
  readonly rateLimit?: string;
}

/** The scenario described by `flags`, laid over `base` (flags win; outages are added to the base's). */
export function scenarioFromFlags(flags: ScenarioFlags, base: Scenario = {}): Scenario {
  const out: { -readonly [K in keyof Scenario]: Scenario[K] } = { ...base };
  if (flags.seed !== undefined) out.seed = /^-?\d+$/.test(flags.seed) ? Number(flags.seed) : flags.seed;
  if (flags.tier !== undefined) out.tier = Number(flags.tier) as Scenario['tier'];
  if (flags.errorRate !== undefined) out.errors = errorRates(flags.errorRate);
  if (flags.latency !== undefined) out.latency = latency(flags.latency);
  if (flags.slowBody !== undefined) {
    const [ms, rate, extra] = flags.slowBody.split(':');
    if (extra !== undefined) fail('--slow-body', 'expected MS or MS:RATE');
    out.slowBody =
      rate === undefined
        ? { ms: num(ms, '--slow-body') }
        : { ms: num(ms, '--slow-body'), rate: num(rate, '--slow-body') };
  }
  if (flags.resetRate !== undefined) out.resetRate = num(flags.resetRate, '--reset-rate');
  const outages = flags.outage === undefined ? [] : typeof flags.outage === 'string' ? [flags.outage] : flags.outage;
  if (outages.length > 0) out.outages = [...(base.outages ?? []), ...outages.map(outage)];
  if (flags.rateLimit !== undefined) out.rateLimit = rateLimit(flags.rateLimit);
  // Range checks (probabilities, codes, tiers) are the scenario's; report them under the flag's name.
  try {
    return parseScenario(out, 'flags');
  } catch (err) {
    if (err instanceof ScenarioError)
      throw new ScenarioError(flagFor(err.field), err.message.replace(/^flags: [^:]+: /, ''), 'flags');
    throw err;
  }
}

function fail(flag: string, message: string): never {
  throw new ScenarioError(flag, message, 'flags');
}

function num(text: string | undefined, flag: string): number {
  if (text === undefined || text.trim() === '' || !Number.isFinite(Number(text)))
    fail(flag, `${JSON.stringify(text ?? '')} is not a number`);
  return Number(text);
}

/** "1500", "1500ms", "20s", "2m" → ms. */
function duration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (m === null) fail(flag, `${JSON.stringify(text)} is not a duration (e.g. 1500, 1500ms, 20s, 2m)`);
  const factor = m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1;
  return Math.round(Number(m[1]) * factor);
}

function errorRates(text: string): Record<string, number> {
  const rates: Record<string, number> = {};
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const [code, rate, extra] = part.split('=');
    if (code === undefined || rate === undefined || extra !== undefined)
      fail('--error-rate', `expected CODE=RATE, got ${JSON.stringify(part)}`);
    rates[code.trim()] = num(rate, '--error-rate');
  }
  return rates;
}

function latency(text: string): LatencySpec {
  const [kind, ...args] = text.split(':');
  const n = (i: number) => num(args[i], '--latency');
  if (kind === 'fixed' && args.length === 1) return { distribution: 'fixed', ms: n(0) };
  if (kind === 'uniform' && args.length === 2) return { distribution: 'uniform', minMs: n(0), maxMs: n(1) };
  if (kind === 'lognormal' && (args.length === 2 || args.length === 3)) {
    return args.length === 3
      ? { distribution: 'lognormal', medianMs: n(0), sigma: n(1), maxMs: n(2) }
      : { distribution: 'lognormal', medianMs: n(0), sigma: n(1) };
  }
  fail('--latency', 'expected fixed:MS, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA[:MAX]');
}

function outage(text: string): OutageWindow {
  const [span = '', mode, extra] = text.split(':');
  const [start, length, more] = span.split('+');
  if (start === undefined || length === undefined || more !== undefined || extra !== undefined) {
    fail('--outage', `expected START+DURATION[:STATUS|reset], got ${JSON.stringify(text)}`);
  }
  const window = { startMs: duration(start, '--outage'), durationMs: duration(length, '--outage') };
  if (mode === undefined) return window;
  if (mode === 'reset') return { ...window, reset: true };
  return { ...window, status: num(mode, '--outage') };
}

function rateLimit(text: string): RateLimitSettings {
  if (text === 'off') return { enabled: false };
  const parts = text.split('/');
  if (parts.length < 3 || parts.length > 4) fail('--rate-limit', 'expected off, or SECOND/MINUTE/HOUR[/DAY]');
  const [perSecond, perMinute, perHour] = parts.map((p) => num(p, '--rate-limit'));
  const settings = { perSecond: perSecond!, perMinute: perMinute!, perHour: perHour! };
  return parts[3] === undefined ? settings : { ...settings, perDay: num(parts[3], '--rate-limit') };
}

// Maps a scenario field path back to the flag that set it.
function flagFor(field: string): string {
  const top = field.split(/[.[]/)[0] ?? field;
  const names: Record<string, string> = {
    seed: '--seed',
    tier: '--tier',
    errors: '--error-rate',
    latency: '--latency',
    slowBody: '--slow-body',
    resetRate: '--reset-rate',
    outages: '--outage',
    rateLimit: '--rate-limit',
  };
  return names[top] ?? field;
}
