/**
 * The benchmark's input: one fixed batch of MNIST-shaped data, made from a seed so every system sees the
 * same numbers. Step time does not depend on the pixel values, so synthetic digits stand in for real ones.
 *
 * May import: nothing.
 */

/** `labels.length` images of 28×28 pixels in [0, 1), row-major, and their class indices 0..9. */
export interface Batch {
  readonly images: Float32Array;
  readonly labels: Float32Array;
}

/** A small seeded generator (mulberry32), so the batch is the same in every run. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticBatch(size: number, seed = 1): Batch {
  const next = generator(seed);
  const images = Float32Array.from({ length: size * 784 }, next);
  const labels = Float32Array.from({ length: size }, () => Math.floor(next() * 10));
  return { images, labels };
}
