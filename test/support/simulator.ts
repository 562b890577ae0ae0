// What the simulator tests share: a clock they move by hand, and simulators started without rate limiting
// (those tests are about tokens, routes and shapes, not budgets) and closed after each test.
import { afterEach } from 'vitest';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/tools/simulator/index.js';

export const T0 = 1_800_000_000_000;

export function manualClock(start = T0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const running: RunningSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

/** A simulator with rate limiting off, closed after the current test. */
export async function start(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const s = await startSimulator({ scenario: { rateLimit: { enabled: false } }, ...options });
  running.push(s);
  return s;
}
