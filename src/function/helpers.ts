/**
 * Small TensorData compositions that several Functions share: constants, equality, matmul and
 * the window "fold" (the adjoint of the window view, used by pooling and convolution backward).
 *
 * May import: src/data.
 */
import { TensorData } from '../data';

/** `value` broadcast to the shape of `like` (stored once). */
export function fill(value: number, like: TensorData): TensorData {
  return TensorData.const(value, like.shape);
}

/** A fresh, writable tensor of zeros. */
export function zeros(shape: readonly number[]): TensorData {
  return TensorData.const(0, shape).clone();
}

/** 1 where a = b, else 0: 1 − [a<b] − [b<a]. A NaN on either side also gives 1 (see `same`). */
export function equal(a: TensorData, b: TensorData): TensorData {
  return fill(1, a).sub(a.cmplt(b)).sub(b.cmplt(a));
}

/** 1 where x is NaN, else 0: NaN is the one value that is neither below +∞ nor above −∞. */
export function isNan(x: TensorData): TensorData {
  return fill(1, x).sub(x.cmplt(fill(Infinity, x)).max(fill(-Infinity, x).cmplt(x)));
}

/** 1 where a = b and neither is NaN, else 0 (IEEE equality, as PyTorch's `==`). */
export function same(a: TensorData, b: TensorData): TensorData {
  return equal(a, b).sub(isNan(a).max(isNan(b)));
}

/**
 * x rounded to the nearest integer (ties to even), exactly, for every float32: below 2^23 in size,
 * adding and then subtracting 2^23 (or −2^23) leaves the float32 sum no room for a fraction; from
 * 2^23 on every float32 is already an integer. NaN stays NaN.
 */
export function roundToInteger(x: TensorData): TensorData {
  const big = fill(2 ** 23, x);
  const shift = x.cmplt(fill(0, x)).where(big.neg(), big);
  const rounded = x.add(shift).sub(shift);
  return x.max(x.neg()).cmplt(big).where(rounded, x);
}

/** 1 where x is an integer (±∞ count as even integers), else 0. */
export function isInteger(x: TensorData): TensorData {
  return same(roundToInteger(x), x);
}

/** 1 where x is an odd integer, else 0: an integer whose half is not one. */
export function isOddInteger(x: TensorData): TensorData {
  return isInteger(x).sub(isInteger(x.mul(fill(0.5, x))));
}

/** Swaps the last two axes (a view). */
export function swapLastTwo(x: TensorData): TensorData {
  const order = x.shape.map((_, i) => i);
  const r = order.length;
  [order[r - 2], order[r - 1]] = [order[r - 1], order[r - 2]];
  return x.permute(order);
}

/**
 * Batched matrix product of [..., M, K] and [..., K, N] (same batch dims) with one mulacc:
 * out[..., m, n] = Σ_k a[..., m, k]·b[..., k, n], reading both through broadcast views.
 */
export function matmulData(a: TensorData, b: TensorData): TensorData {
  const batch = a.shape.slice(0, -2);
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1];
  const full = [...batch, m, n, k];
  const left = a.reshape([...batch, m, 1, k]).expand(full);
  const right = swapLastTwo(b).reshape([...batch, 1, n, k]).expand(full);
  return left.mulacc(right, [full.length - 1]).reshape([...batch, m, n]);
}

/** [..., h, w] → [..., (h−1)·sh + 1, (w−1)·sw + 1] with the values sh and sw cells apart, zeros between. */
export function spreadByStride(x: TensorData, [sh, sw]: readonly number[]): TensorData {
  if (sh === 1 && sw === 1) return x;
  const shape = [...x.shape];
  const r = shape.length;
  shape[r - 2] = (shape[r - 2] - 1) * sh + 1;
  shape[r - 1] = (shape[r - 1] - 1) * sw + 1;
  const out = zeros(shape);
  out.stride(shape.map((_, i) => (i === r - 2 ? sh : i === r - 1 ? sw : 1))).assign(x);
  return out;
}

/** Every multi-index of a shape, row-major: [[0,0],[0,1],...]. */
function allIndices(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of shape) out = out.flatMap((prefix) => Array.from({ length: d }, (_, i) => [...prefix, i]));
  return out;
}

/**
 * The adjoint of `TensorData.window`: adds each window cell of `windows` back onto the input cell it
 * was read from (cells read by several windows sum up). Returns a tensor of `inputShape`.
 */
export function fold(
  windows: TensorData, inputShape: readonly number[], axes: readonly number[],
  kernel: readonly number[], stride: readonly number[], dilation: readonly number[],
): TensorData {
  const out = zeros(inputShape);
  const rank = inputShape.length;
  for (const position of allIndices(kernel)) {
    const source = windows
      .shrink(windows.shape.map((d, i) => (i < rank ? [0, d] : [position[i - rank], position[i - rank] + 1])))
      .reshape(windows.shape.slice(0, rank));
    const ranges = inputShape.map((d): [number, number] => [0, d]);
    const steps = inputShape.map(() => 1);
    axes.forEach((axis, i) => {
      const start = position[i] * dilation[i];
      ranges[axis] = [start, start + (source.shape[axis] - 1) * stride[i] + 1];
      steps[axis] = stride[i];
    });
    const target = out.shrink(ranges).stride(steps);
    target.assign(target.add(source));
  }
  return out;
}
