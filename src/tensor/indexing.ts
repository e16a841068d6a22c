/**
 * PyTorch's `a[...]` for tsgrad: `a.at(0, slice(1, null, 2), null, '...', idx)` is Python's
 * `a[0, 1::2, None, ..., idx]`, and index assignment (`indexPut`, `indexPut_`), `gather`, `scatter`,
 * `scatterAdd` and `indexAdd`, all resolved here into one `IndexPlan` (src/function/indexing.ts):
 * a view for integers, slices, None and the ellipsis, then a gather for index tensors and masks.
 *
 * Index values are read on the host to be checked (an index out of range is an error naming the
 * dim, as in PyTorch, never a wrong cell). The Tensor methods delegate here in one line each.
 *
 * May import: src/data, src/function, ./inplace, ./tensor (used at call time only).
 */
import { formatShape, normalizeAxis, numel, type NestedArray } from '../data';
import * as F from '../function';
import { writeInPlace } from './inplace';
import { apply, broadcastShapes, Tensor, tensor } from './tensor';

/** Python's `slice(start, stop, step)`, i.e. `start:stop:step`; null leaves a bound at its default. */
export class Slice {
  constructor(
    /** First cell (default 0; negative counts from the end). */
    readonly start: number | null = null,
    /** Cell to stop before (default the dim's size; negative counts from the end). */
    readonly stop: number | null = null,
    /** Distance between cells (default 1; must be positive, as in PyTorch). */
    readonly step: number | null = null,
  ) {}
}

/**
 * Python's built-in `slice`: `slice()` is `:`, `slice(stop)` is `:stop`, `slice(start, stop, step)`
 * is `start:stop:step`; pass null to leave a bound out, e.g. `slice(1, null, 2)` for `1::2`.
 */
export function slice(startOrStop?: number | null, stop?: number | null, step?: number | null): Slice {
  if (stop === undefined && step === undefined) return new Slice(null, startOrStop ?? null, null);
  return new Slice(startOrStop ?? null, stop ?? null, step ?? null);
}

/** A boolean mask made from a 0/1 tensor: `a.at(mask(a.gt(0)))` is PyTorch's `a[a > 0]`. */
export class IndexMask {
  constructor(
    /** Non-zero cells are selected. */
    readonly tensor: Tensor,
  ) {}
}

/**
 * Marks a tensor as a boolean mask. tsgrad is float32 only, so a tensor of 0s and 1s could be either
 * a mask or a list of indices 0 and 1; `mask(t)` says which (PyTorch tells by the dtype).
 */
export function mask(t: Tensor): IndexMask {
  if (!(t instanceof Tensor)) throw new TypeError(`mask: expected a Tensor of 0s and 1s, got ${String(t)}`);
  return new IndexMask(t);
}

/** Python's `...` in an index. */
export const ellipsis = '...';
/** Python's `None` (`np.newaxis`) in an index: a new dim of size 1. */
export const newAxis = null;

/**
 * One entry of an index, as in Python: an integer, a `slice(...)` (or `':'` for a whole dim), null for
 * None, `'...'`, an integer tensor or nested list of integers (advanced indexing), or a boolean mask
 * (`mask(t)` or a list of booleans).
 */
export type IndexItem = number | Slice | ':' | '...' | null | Tensor | IndexMask | NestedArray | NestedBooleans;

/** Booleans, or nested lists of them: a mask written out, as `[true, false]` in Python. */
export type NestedBooleans = readonly boolean[] | readonly NestedBooleans[];

/** An advanced entry while parsing: the basic view's dim it indexes, its size, and its cells. */
interface AdvancedEntry {
  viewDim: number;
  /** The dim of the indexed tensor, for error messages. */
  dim: number;
  size: number;
  values: number[];
  shape: number[];
}

/** Row-major strides of a shape. */
function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/** How many dims of the indexed tensor an item uses. */
function dimsUsed(item: IndexItem): number {
  if (item === null || item === '...') return 0;
  if (item instanceof IndexMask) return item.tensor.ndim;
  if (isBooleanList(item)) return booleanTensor(item).ndim;
  return 1;
}

/** True for a (nested) list whose first innermost entry is a boolean. */
function isBooleanList(item: IndexItem): item is NestedBooleans {
  let first: unknown = item;
  while (Array.isArray(first) && first.length > 0) first = first[0];
  return Array.isArray(item) && typeof first === 'boolean';
}

/** A (nested) boolean list as a 0/1 tensor. */
function booleanTensor(list: NestedBooleans): Tensor {
  const toNumbers = (node: NestedBooleans | boolean): NestedArray => (Array.isArray(node) ? node.map(toNumbers) : Number(node));
  return tensor(toNumbers(list));
}

/** Resolves `items` against the shape of `x` into an IndexPlan, checking every index. */
export function indexPlan(x: Tensor, items: readonly IndexItem[], op: string): F.IndexPlan {
  if (!Array.isArray(items)) throw new TypeError(`${op}: indices must be a list of index entries, e.g. [0, slice(1, 3)], got ${String(items)}`);
  const shape = x.shape;
  if (items.filter((item) => item === '...').length > 1) throw new RangeError(`${op}: an index can only have a single ellipsis ('...')`);
  const used = items.reduce((n: number, item) => n + dimsUsed(item), 0);
  if (used > shape.length) {
    throw new RangeError(`${op}: too many indices for a tensor of dimension ${shape.length} (shape ${formatShape(shape)}): the index uses ${used} dims`);
  }
  const spread = items.flatMap((item) => (item === '...' ? new Array<IndexItem>(shape.length - used).fill(':') : [item]));
  const full = items.includes('...') ? spread : [...spread, ...new Array<IndexItem>(shape.length - used).fill(':')];

  const ranges = shape.map((d): [number, number] => [0, d]);
  const steps = shape.map(() => 1);
  const viewShape: number[] = [];
  const entries: AdvancedEntry[] = [];
  let dim = 0;
  for (const item of full) {
    if (item === null) {
      viewShape.push(1);
    } else if (item instanceof IndexMask || isBooleanList(item)) {
      const maskTensor = item instanceof IndexMask ? item.tensor : booleanTensor(item);
      const maskShape = maskTensor.shape;
      if (maskShape.length === 0) throw new RangeError(`${op}: a 0-d mask is not supported; use null for a new axis`);
      entries.push(...maskEntries(maskTensor.data.toFlat(), maskShape, shape, dim, viewShape.length, op));
      viewShape.push(...maskShape.map((_, k) => shape[dim + k]));
      dim += maskShape.length;
    } else if (typeof item === 'number') {
      const index = checkIndex(item, shape[dim], dim, op);
      ranges[dim++] = [index, index + 1];
    } else if (item === ':' || item instanceof Slice) {
      const [from, count, step] = resolveSlice(item === ':' ? new Slice() : item, shape[dim], dim, op);
      ranges[dim] = [from, from + Math.max(0, (count - 1) * step + 1)];
      steps[dim++] = step;
      viewShape.push(count);
    } else {
      const index = item instanceof Tensor ? item : listTensor(item, op);
      entries.push({ viewDim: viewShape.length, size: shape[dim], dim, values: index.data.toFlat(), shape: index.shape });
      viewShape.push(shape[dim++]);
    }
  }
  return { basic: { ranges, steps, viewShape }, advanced: entries.length ? advancedIndex(entries, op) : null };
}

/** A nested list of integers as an index tensor. */
function listTensor(item: IndexItem, op: string): Tensor {
  if (!Array.isArray(item)) throw new TypeError(`${op}: cannot index with ${String(item)}; expected a number, slice(...), ':', '...', null, a tensor, a list or mask(...)`);
  return tensor(item as NestedArray);
}

/** Checks an integer index against a dim of `size` and wraps a negative one. */
function checkIndex(index: number, size: number, dim: number, op: string): number {
  if (!Number.isInteger(index)) throw new TypeError(`${op}: index ${index} for dimension ${dim} is not an integer`);
  if (index < -size || index >= size) throw new RangeError(`${op}: index ${index} is out of bounds for dimension ${dim} with size ${size}`);
  return index < 0 ? index + size : index;
}

/** Python's slice rules for a positive step: [first cell, number of cells, step]. */
function resolveSlice({ start, stop, step }: Slice, size: number, dim: number, op: string): [number, number, number] {
  const by = step ?? 1;
  if (!Number.isInteger(by) || by <= 0) throw new RangeError(`${op}: slice step ${by} for dimension ${dim} must be a positive integer (PyTorch: step must be greater than zero; use flip to reverse)`);
  for (const bound of [start, stop]) {
    if (bound !== null && !Number.isInteger(bound)) throw new TypeError(`${op}: slice bound ${bound} for dimension ${dim} is not an integer`);
  }
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const from = start === null ? 0 : clamp(start);
  const to = stop === null ? size : clamp(stop);
  return [from, Math.max(0, Math.ceil((to - from) / by)), by];
}

/** A mask over dims dim..dim+k−1 as k advanced entries: the coordinates of its non-zero cells. */
function maskEntries(values: readonly number[], maskShape: readonly number[], shape: readonly number[], dim: number, viewDim: number, op: string): AdvancedEntry[] {
  maskShape.forEach((d, k) => {
    if (shape[dim + k] !== d) {
      throw new RangeError(`${op}: the shape of the mask ${formatShape(maskShape)} at index ${k} does not match the shape of the indexed tensor ${formatShape(shape)} at index ${dim + k}`);
    }
  });
  const strides = rowMajorStrides(maskShape);
  const picked: number[] = [];
  values.forEach((v, cell) => {
    if (v !== 0) picked.push(cell);
  });
  return maskShape.map((d, k) => ({
    viewDim: viewDim + k, size: d, dim: dim + k,
    values: picked.map((cell) => Math.floor(cell / strides[k]) % d), shape: [picked.length],
  }));
}

/** Broadcasts the index entries together, checks their cells, and finds where the result's index dims go. */
function advancedIndex(entries: readonly AdvancedEntry[], op: string): F.AdvancedIndex {
  const shape = entries.reduce((s: number[], e) => broadcastShapes(s, e.shape, `${op} (index tensors)`), []);
  const indices = entries.map((e) => broadcastList(e.values, e.shape, shape).map((v) => checkIndex(v, e.size, e.dim, op)));
  const dims = entries.map((e) => e.viewDim);
  const adjacent = dims.every((d, k) => k === 0 || d === dims[k - 1] + 1);
  return { dims, indices, shape, position: adjacent ? dims[0] : 0 };
}

/** The cells of a row-major `values` of `from`, broadcast to `to` (row-major). */
function broadcastList(values: readonly number[], from: readonly number[], to: readonly number[]): number[] {
  if (from.length === to.length && from.every((d, i) => d === to[i])) return [...values];
  const padded = [...new Array<number>(to.length - from.length).fill(1), ...from];
  const strides = rowMajorStrides(padded).map((s, i) => (padded[i] === 1 ? 0 : s));
  const outStrides = rowMajorStrides(to);
  return Array.from({ length: numel(to) }, (_, cell) =>
    values[to.reduce((at, d, i) => at + (Math.floor(cell / outStrides[i]) % d) * strides[i], 0)]);
}

// ---- the Tensor methods ----------------------------------------------------------------------------

/** `x.at(...items)`: PyTorch's `x[items]`. */
export function at(x: Tensor, items: readonly IndexItem[]): Tensor {
  return apply(new F.Index(indexPlan(x, items, 'at')), x);
}

/** The values for an index assignment, checked and broadcast to the indexed shape. */
function assignedValues(x: Tensor, plan: F.IndexPlan, values: Tensor | number, op: string): Tensor {
  const target = F.indexedShape(plan);
  const v = typeof values === 'number' ? new Tensor(Tensor.full([], values).data) : values;
  if (!(v instanceof Tensor)) throw new TypeError(`${op}: values must be a Tensor or a number, got ${String(values)}`);
  const fits = v.ndim <= target.length && v.shape.every((d, i) => d === 1 || d === target[target.length - v.ndim + i]);
  if (!fits) {
    throw new RangeError(`${op}: shape mismatch: value tensor of shape ${formatShape(v.shape)} cannot be broadcast to indexing result of shape ${formatShape(target)}`);
  }
  return v.expand(target);
}

/** `x.indexPut(items, values, accumulate)`: a copy of x with x[items] = values (or += with accumulate). */
export function indexPut(x: Tensor, items: readonly IndexItem[], values: Tensor | number, accumulate: boolean): Tensor {
  const plan = indexPlan(x, items, 'indexPut');
  return apply(new F.IndexPut(plan, accumulate), x, assignedValues(x, plan, values, 'indexPut'));
}

/** `x.indexPut_(items, values, accumulate)`: x[items] = values (or +=) in place, recorded in x's history like the other in-place ops. */
export function indexPutInPlace(x: Tensor, items: readonly IndexItem[], values: Tensor | number, accumulate: boolean): void {
  const plan = indexPlan(x, items, 'indexPut_');
  writeInPlace(x, 'indexPut_', new F.IndexPut(plan, accumulate), assignedValues(x, plan, values, 'indexPut_'));
}

/** The plan of `gather`/`scatter` along `dim`: out[i][j][k] = x[i][index[i][j][k]][k] (for dim 1). */
function alongDimPlan(x: Tensor, dim: number, index: Tensor, op: string): F.IndexPlan {
  const axis = normalizeAxis(dim, x.ndim, op);
  if (!(index instanceof Tensor)) throw new TypeError(`${op}: index must be a Tensor, got ${String(index)}`);
  if (index.ndim !== x.ndim) {
    throw new RangeError(`${op}: index tensor must have the same number of dimensions as input tensor: index ${formatShape(index.shape)}, input ${formatShape(x.shape)}`);
  }
  index.shape.forEach((d, i) => {
    if (i !== axis && d > x.shape[i]) {
      throw new RangeError(`${op}: size does not match at dimension ${i}: expected index ${formatShape(index.shape)} to be smaller than self ${formatShape(x.shape)} apart from dimension ${axis}`);
    }
  });
  const values = index.data.toFlat();
  const strides = rowMajorStrides(index.shape);
  const indices = x.shape.map((size, i) => values.map((v, cell) => (i === axis ? checkIndex(v, size, i, op) : Math.floor(cell / strides[i]) % index.shape[i])));
  const whole = x.shape.map((d): [number, number] => [0, d]);
  const basic = { ranges: whole, steps: x.shape.map(() => 1), viewShape: x.shape };
  if (x.ndim === 0) {
    values.forEach((v) => checkIndex(v, 1, 0, op));
    return { basic, advanced: null };
  }
  return { basic, advanced: { dims: x.shape.map((_, i) => i), indices, shape: index.shape, position: 0 } };
}

/** `x.gather(dim, index)`: torch.gather. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  return apply(new F.Index(alongDimPlan(x, dim, index, 'gather')), x);
}

/** `x.scatter(dim, index, src)` (torch.scatter) and, with accumulate, `x.scatterAdd(dim, index, src)`. */
export function scatter(x: Tensor, dim: number, index: Tensor, src: Tensor | number, accumulate: boolean): Tensor {
  const op = accumulate ? 'scatterAdd' : 'scatter';
  const plan = alongDimPlan(x, dim, index, op);
  let values = src;
  if (values instanceof Tensor) {
    if (values.ndim !== index.ndim || index.shape.some((d, i) => d > (values as Tensor).shape[i])) {
      throw new RangeError(`${op}: src ${formatShape(values.shape)} must have index's number of dims and be at least as large as index ${formatShape(index.shape)} in each`);
    }
    values = values.at(...index.shape.map((d) => slice(d)));
  }
  return apply(new F.IndexPut(plan, accumulate), x, assignedValues(x, plan, values, op));
}

/** `x.indexAdd(dim, index, source)`: torch.index_add, x[..., index[i], ...] += source[..., i, ...] along `dim`. */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor): Tensor {
  const axis = normalizeAxis(dim, x.ndim, 'indexAdd');
  if (!(index instanceof Tensor) || index.ndim > 1) throw new RangeError(`indexAdd: index must be a 1-D tensor, got ${index instanceof Tensor ? formatShape(index.shape) : String(index)}`);
  const expected = x.shape.map((d, i) => (i === axis ? index.numel() : d));
  if (!(source instanceof Tensor) || source.shape.length !== expected.length || source.shape.some((d, i) => d !== expected[i])) {
    throw new RangeError(`indexAdd: source must have shape ${formatShape(expected)} (input ${formatShape(x.shape)} with dim ${axis} of the index's length), got ${source instanceof Tensor ? formatShape(source.shape) : String(source)}`);
  }
  const items: IndexItem[] = [...new Array<IndexItem>(axis).fill(':'), index.reshape([-1])];
  return indexPut(x, items, source, true);
}
