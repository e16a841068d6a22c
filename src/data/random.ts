/**
 * The seeded random number generator behind the `rand` load op and `manualSeed`.
 *
 * mulberry32: a 32-bit state, one multiply-xorshift mix per draw. Small, fast, and good enough to
 * initialize weights and shuffle data; not for cryptography.
 *
 * May import: nothing.
 */

let state = 0x9e3779b9;

/** Restarts the generator: the same seed gives the same sequence of `rand` draws. */
export function manualSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new TypeError(`manualSeed: seed must be a finite number, got ${seed}`);
  state = Math.trunc(seed) >>> 0;
}

/** The next uniform number in [0, 1). */
export function nextUniform(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** `count` uniform numbers in [0, 1), as float32. */
export function uniformArray(count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = nextUniform();
  // float32 rounding can turn 0.99999999 into 1; keep the interval half-open.
  for (let i = 0; i < count; i++) if (out[i] >= 1) out[i] = 0.99999994;
  return out;
}
