/*
 * Seeded pseudo-random numbers. The simulator must be reproducible: the same seed and the same sequence of
 * requests give the same faults, latencies and data. `Math.random` cannot be seeded, so this module derives
 * every number from a 32-bit integer hash of (seed, stream, counter). Being counter-based, a stream can be
 * re-created for "request #n" without replaying requests 1..n-1, which keeps per-request decisions stable
 * even when concurrent requests interleave their draws.
 */

/** A stream of deterministic pseudo-random numbers. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** Standard normal deviate (mean 0, standard deviation 1). */
  normal(): number;
}

// An integer avalanche hash: every input bit flips about half the output bits, so neighbouring counters
// give unrelated outputs. The multipliers are odd constants with good avalanche (found by search, widely used).
function hash32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Folds a number or string seed into 32 bits. Strings hash character by character. */
export function seedToInt(seed: number | string): number {
  if (typeof seed === 'number') {
    // Keep both halves of large integers (e.g. Date.now()) so that nearby seeds still differ.
    const low = seed >>> 0;
    const high = Math.floor(Math.abs(seed) / 0x100000000) >>> 0;
    return hash32(low ^ hash32(high + 0x9e3779b9));
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = hash32(h ^ seed.charCodeAt(i));
  return h;
}

/**
 * A stream for `seed`; `stream` selects an independent sub-stream (e.g. a request number), so
 * `createRandom(s, 7)` always yields the same numbers no matter what other streams were used.
 */
export function createRandom(seed: number | string, stream = 0): Random {
  const base = hash32(seedToInt(seed) ^ hash32(stream + 0x632be5ab));
  let counter = 0;
  let spareNormal: number | undefined;
  const next = (): number => {
    counter = (counter + 1) >>> 0;
    // Two hashes give 53 random bits, the full precision of a double in [0, 1).
    const hi = hash32(base + Math.imul(counter, 0x9e3779b9)) >>> 5;
    const lo = hash32(base ^ hash32(counter ^ 0x5bd1e995)) >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  };
  return {
    next,
    int(min, max) {
      return min + Math.floor(next() * (max - min + 1));
    },
    chance(p) {
      return p > 0 && next() < p;
    },
    pick(items) {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new RangeError('pick() needs a non-empty array');
      return item;
    },
    normal() {
      if (spareNormal !== undefined) {
        const value = spareNormal;
        spareNormal = undefined;
        return value;
      }
      // Box-Muller: two uniforms give two independent normals; keep the second for the next call.
      const u = 1 - next(); // (0, 1], so log(u) is finite
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spareNormal = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}
