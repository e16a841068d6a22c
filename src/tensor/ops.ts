/**
 * Ops a PyTorch user reaches for, as composites of other Tensor ops (and Cumsum, a Function):
 * mm, mv, bmm, chunk, split, repeat, cumsum, elu, squeeze/unsqueeze over several dims,
 * broadcastTensors, and the random creators randint, normal and multinomial.
 * The Tensor methods delegate here in one line each.
 *
 * May import: src/data, src/function, ./tensor and ./indexing (used at call time only).
 */
import { formatShape, normalizeAxis, TensorData } from '../data';
import * as F from '../function';
import { apply, broadcastShapes, Tensor, type TensorOptions } from './tensor';

/** Throws unless `t` has `rank` dims, naming the op and the argument. */
function expectRank(t: Tensor, rank: number, op: string, arg: string): void {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: ${arg} must be a Tensor, got ${String(t)}`);
  if (t.ndim !== rank) throw new RangeError(`${op}: ${arg} must be a ${rank}-D tensor, got shape ${formatShape(t.shape)}`);
}

/** Matrix product of two 2-D tensors (no broadcasting). */
export function mm(a: Tensor, b: Tensor): Tensor {
  expectRank(a, 2, 'mm', 'self');
  expectRank(b, 2, 'mm', 'mat2');
  if (a.shape[1] !== b.shape[0]) {
    throw new RangeError(`mm: mat1 and mat2 shapes cannot be multiplied (${a.shape.join('x')} and ${b.shape.join('x')})`);
  }
  return a.matmul(b);
}

/** Matrix [n, m] times vector [m]. */
export function mv(a: Tensor, v: Tensor): Tensor {
  expectRank(a, 2, 'mv', 'self');
  expectRank(v, 1, 'mv', 'vec');
  if (a.shape[1] !== v.shape[0]) throw new RangeError(`mv: size mismatch: matrix ${formatShape(a.shape)} and vector ${formatShape(v.shape)}`);
  return a.matmul(v);
}

/** Batched matrix product [b, n, m] · [b, m, p] (no broadcasting). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  expectRank(a, 3, 'bmm', 'self');
  expectRank(b, 3, 'bmm', 'mat2');
  if (a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1]) {
    throw new RangeError(`bmm: expected batch2 of shape [${a.shape[0]}, ${a.shape[2]}, *] for batch1 ${formatShape(a.shape)}, got ${formatShape(b.shape)}`);
  }
  return a.matmul(b);
}

/** Splits `dim` into pieces of `sizes` cells (views). */
function splitSizes(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
  let start = 0;
  return sizes.map((size) => {
    const piece = x.narrow(axis, start, size);
    start += size;
    return piece;
  });
}

/** torch.split: pieces of `size` cells along `dim` (the last may be smaller), or pieces of the listed sizes. */
export function split(x: Tensor, sizeOrSections: number | readonly number[], dim: number): Tensor[] {
  const axis = normalizeAxis(dim, x.ndim, 'split');
  const length = x.shape[axis];
  if (typeof sizeOrSections === 'number') {
    if (!Number.isInteger(sizeOrSections) || sizeOrSections < 0 || (sizeOrSections === 0 && length > 0)) {
      throw new RangeError(`split: split_size ${sizeOrSections} must be a positive integer for dim ${axis} of size ${length}`);
    }
    const count = length === 0 ? 1 : Math.ceil(length / sizeOrSections);
    return splitSizes(x, Array.from({ length: count }, (_, i) => Math.min(sizeOrSections, length - i * sizeOrSections)), axis);
  }
  if (!Array.isArray(sizeOrSections)) throw new TypeError(`split: split_size_or_sections must be a number or a list of sizes, got ${String(sizeOrSections)}`);
  const total = sizeOrSections.reduce((a, b) => a + b, 0);
  if (!sizeOrSections.every((s) => Number.isInteger(s) && s >= 0) || total !== length) {
    throw new RangeError(`split: split_sizes ${formatShape(sizeOrSections)} must be non-negative integers that sum exactly to ${length} (the size of dim ${axis} of ${formatShape(x.shape)})`);
  }
  return splitSizes(x, sizeOrSections, axis);
}

/** torch.chunk: at most `chunks` pieces of ceil(size / chunks) cells along `dim`. */
export function chunk(x: Tensor, chunks: number, dim: number): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const axis = normalizeAxis(dim, x.ndim, 'chunk');
  return split(x, Math.max(1, Math.ceil(x.shape[axis] / chunks)), axis);
}

/** torch.Tensor.repeat: tiles the tensor `sizes[i]` times along dim i (new leading dims allowed). */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  if (sizes.length < x.ndim) {
    throw new RangeError(`repeat: the number of repeats (${sizes.length}) can not be smaller than the number of dims of the tensor ${formatShape(x.shape)}`);
  }
  if (!sizes.every((s) => Number.isInteger(s) && s >= 0)) throw new RangeError(`repeat: repeats ${formatShape(sizes)} must be non-negative integers`);
  const shape = [...new Array<number>(sizes.length - x.ndim).fill(1), ...x.shape];
  // [a, b] repeated [r, s]: view as [1, a, 1, b], expand to [r, a, s, b], merge pairs into [r·a, s·b].
  const spread = shape.flatMap((d) => [1, d]);
  const tiled = shape.flatMap((d, i) => [sizes[i], d]);
  return x.reshape(spread).expand(tiled).reshape(shape.map((d, i) => d * sizes[i]));
}

/** Cumulative sum along `dim`. */
export function cumsum(x: Tensor, dim: number): Tensor {
  if (x.ndim === 0) return apply(new F.Cumsum(0), x.reshape([1])).reshape([]);
  return apply(new F.Cumsum(normalizeAxis(dim, x.ndim, 'cumsum')), x);
}

/**
 * ELU: α(eˣ − 1) for x ≤ 0, x otherwise; the exponential only sees x ≤ 0, so it never overflows.
 * As in PyTorch, the gradient at 0 is α (the x ≤ 0 side), and NaN takes the other side (gradient 1).
 */
export function elu(x: Tensor, alpha: number): Tensor {
  const atMostZero = x.le(0);
  const negative = Tensor.where(atMostZero, x, 0);
  return Tensor.where(atMostZero, negative.exp().sub(1).mul(alpha), x);
}

/** Removes the size-1 dims among `dims` (others stay, as in PyTorch). */
export function squeezeDims(x: Tensor, dims: readonly number[]): Tensor {
  const axes = dims.map((d) => normalizeAxis(d, x.ndim, 'squeeze'));
  if (new Set(axes).size !== axes.length) throw new RangeError(`squeeze: dims ${formatShape(dims)} repeat a dim`);
  return x.reshape(x.shape.filter((d, i) => !(d === 1 && axes.includes(i))));
}

/** Inserts size-1 dims so that they sit at `dims` of the result (like NumPy's expand_dims). */
export function unsqueezeDims(x: Tensor, dims: readonly number[]): Tensor {
  const rank = x.ndim + dims.length;
  const axes = dims.map((d) => normalizeAxis(d, rank, 'unsqueeze'));
  if (new Set(axes).size !== axes.length) throw new RangeError(`unsqueeze: dims ${formatShape(dims)} repeat a dim`);
  const own = [...x.shape];
  return x.reshape(Array.from({ length: rank }, (_, i) => (axes.includes(i) ? 1 : own.shift() as number)));
}

/** torch.broadcast_tensors: every tensor expanded (a view) to the shape they broadcast to together. */
export function broadcastTensors(tensors: readonly Tensor[]): Tensor[] {
  const shape = tensors.reduce((s: number[], t) => broadcastShapes(s, t.shape, 'broadcastTensors'), []);
  return tensors.map((t) => t.expand(shape));
}

/** Integers drawn uniformly from low..high−1 (as float32): ⌊low + u·(high − low)⌋ for u uniform in [0, 1). */
export function randint(low: number, high: number, shape: readonly number[], options?: TensorOptions): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new RangeError(`randint: expected integers low < high, got low ${low}, high ${high}`);
  }
  const draws = TensorData.rand(shape).toFlat().map((u) => low + Math.min(Math.floor(u * (high - low)), high - low - 1));
  return new Tensor(TensorData.fromArray(draws, shape), options);
}

/** Normal values with this mean and standard deviation: randn·std + mean. */
export function normal(mean: number, std: number, shape: readonly number[], options?: TensorOptions): Tensor {
  if (!(std >= 0)) throw new RangeError(`normal: std must be non-negative, got ${std}`);
  return new Tensor(Tensor.randn([...shape]).mul(std).add(mean).data, options);
}

/**
 * torch.multinomial: for each row of non-negative weights, `numSamples` category indices drawn in
 * proportion to the weights. Each draw compares one uniform number with the running sums (cumsum) of
 * the weights; without replacement, a drawn category's weight is then set to 0.
 */
export function multinomial(weights: Tensor, numSamples: number, replacement: boolean): Tensor {
  if (weights.ndim !== 1 && weights.ndim !== 2) throw new RangeError(`multinomial: prob_dist must be 1 or 2 dim, got ${formatShape(weights.shape)}`);
  const rows = weights.ndim === 1 ? weights.detach().reshape([1, -1]) : weights.detach();
  const categories = rows.shape[1];
  if (!Number.isInteger(numSamples) || numSamples <= 0) throw new RangeError(`multinomial: numSamples must be a positive integer, got ${numSamples}`);
  if (!replacement && numSamples > categories) {
    throw new RangeError(`multinomial: cannot sample numSamples ${numSamples} > prob_dist size ${categories} samples without replacement`);
  }
  if (!Number.isFinite(rows.sum().item()) || rows.lt(0).sum().item() > 0 || rows.sum(1).le(0).sum().item() > 0) {
    throw new RangeError('multinomial: every row of weights must be non-negative, finite and have a positive sum');
  }
  let samples: Tensor;
  if (replacement) {
    samples = draw(rows, numSamples);
  } else {
    let current = rows;
    const draws: Tensor[] = [];
    for (let s = 0; s < numSamples; s++) {
      draws.push(draw(current, 1));
      current = current.scatter(1, draws[s], 0);
    }
    samples = Tensor.cat(draws, 1);
  }
  return weights.ndim === 1 ? samples.reshape([-1]) : samples;
}

/**
 * `count` categories per row, drawn with replacement: for each uniform u in [0, 1), the number of
 * running sums of the weights that are ≤ u·total. A category of weight 0 adds nothing to the running
 * sum, so no u lands on it. Returns [rows, count].
 */
function draw(rows: Tensor, count: number): Tensor {
  const [n, categories] = rows.shape;
  const running = rows.cumsum(1).reshape([n, 1, categories]);
  const total = running.narrow(2, categories - 1, 1);
  const u = Tensor.rand([n, count, 1]).mul(total);
  return running.le(u).sum(2).minimum(categories - 1);
}
