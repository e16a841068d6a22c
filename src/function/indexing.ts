/**
 * Indexing on TensorData: the view an index expression makes (basic indexing), the gather that
 * integer-array indices make (advanced indexing), its adjoint the scatter-add, and the Functions
 * built on them (Index, IndexPut) plus Cat, which writes each piece into its place once.
 *
 * Advanced indices arrive already resolved to plain lists of cell numbers (the tensor layer reads
 * and checks them). The indexed dims are merged into one, and a gather is one `indexSelect` of its
 * rows, a scatter-add one `indexAdd`. A plain write (no accumulation), and a scatter-add into a view
 * whose indexed dims do not merge without a copy, are a series of `assign`s of views, one per run of
 * consecutive indices: O(cells moved) plus one backend call per run.
 *
 * May import: src/data, ./function, ./helpers.
 */
import { numel, type TensorData } from '../data';
import { Function } from './function';
import { zeros } from './helpers';

/** The basic (view) part of an index expression, resolved against the input's shape. */
export interface BasicIndex {
  /** Per input dim: the cells [start, stop) kept before striding (an integer index keeps one cell). */
  readonly ranges: readonly (readonly [number, number])[];
  /** Per input dim: the step (1 for an integer index). */
  readonly steps: readonly number[];
  /** The view's shape: integer-indexed dims dropped, new axes (None) inserted. */
  readonly viewShape: readonly number[];
}

/** The advanced (gather) part: index lists for some dims of the basic view. */
export interface AdvancedIndex {
  /** Dims of the basic view that are indexed by lists, ascending. */
  readonly dims: readonly number[];
  /** One list per dim in `dims`, all of one length: the cells picked, already broadcast and in range. */
  readonly indices: readonly (readonly number[])[];
  /** The broadcast shape of the index tensors (the lists are its cells, row-major). */
  readonly shape: readonly number[];
  /** Where the result's index dims go: at dims[0] when the dims are adjacent, else first (NumPy's rule). */
  readonly position: number;
}

/** A whole index expression: a view, then optionally a gather. */
export interface IndexPlan {
  readonly basic: BasicIndex;
  readonly advanced: AdvancedIndex | null;
}

/** The basic view of `x` (no copy). */
export function basicView(x: TensorData, basic: BasicIndex): TensorData {
  return x.shrink(basic.ranges).stride(basic.steps).reshape(basic.viewShape);
}

/** The dims of `shape` that the advanced index does not cover, in order. */
function restDims(rank: number, advanced: AdvancedIndex): number[] {
  return Array.from({ length: rank }, (_, i) => i).filter((i) => !advanced.dims.includes(i));
}

/** Runs of positions [first, first + length) whose cells follow each other along the last indexed dim. */
function runs(advanced: AdvancedIndex): [number, number][] {
  const { indices } = advanced;
  const last = indices[indices.length - 1];
  const count = last.length;
  const out: [number, number][] = [];
  for (let b = 0; b < count; b++) {
    const run = out[out.length - 1];
    const follows = run !== undefined && last[b] === last[b - 1] + 1 &&
      indices.every((list, k) => k === indices.length - 1 || list[b] === list[b - 1]);
    if (follows) run[1]++;
    else out.push([b, 1]);
  }
  return out;
}

/**
 * For one view and advanced index: a function from a run [first, length) to its cells in `view`, as
 * [length, ...rest dims] (a view: writes go through). The parts shared by every run are worked out once.
 */
function runCellsOf(view: TensorData, advanced: AdvancedIndex): (run: readonly [number, number]) => TensorData {
  const { dims, indices } = advanced;
  const last = dims.length - 1;
  const rest = restDims(view.shape.length, advanced);
  const order = [...dims, ...rest];
  const restShape = rest.map((i) => view.shape[i]);
  const ranges = view.shape.map((d): [number, number] => [0, d]);
  return ([first, length]) => {
    dims.forEach((dim, k) => {
      const start = indices[k][first];
      ranges[dim] = [start, start + (k === last ? length : 1)];
    });
    return view.shrink(ranges).permute(order).reshape([length, ...restShape]);
  };
}

/** The cells [first, first + length) of dim 0 of `x` (a view). */
function leading(x: TensorData, [first, length]: readonly [number, number]): TensorData {
  return x.shrink(x.shape.map((d, i): [number, number] => (i === 0 ? [first, first + length] : [0, d])));
}

/** The order that takes the gathered layout [...index shape, ...rest] to the result's layout. */
function resultOrder(advanced: AdvancedIndex, restCount: number): number[] {
  const b = advanced.shape.length;
  const restAxes = Array.from({ length: restCount }, (_, i) => b + i);
  const indexAxes = Array.from({ length: b }, (_, i) => i);
  const before = restAxes.slice(0, advanced.position);
  return [...before, ...indexAxes, ...restAxes.slice(advanced.position)];
}

/** The shape of `view` indexed by `advanced`. */
export function advancedShape(viewShape: readonly number[], advanced: AdvancedIndex): number[] {
  const rest = restDims(viewShape.length, advanced).map((i) => viewShape[i]);
  return [...rest.slice(0, advanced.position), ...advanced.shape, ...rest.slice(advanced.position)];
}

/**
 * `view` with the indexed dims first and merged into one, [cells of the indexed dims, ...rest], and
 * the row of that merged dim that each pick lands on (the picks' row-major number over the indexed dims).
 * The merged tensor is a view of `view` when the strides allow it, a copy otherwise.
 */
function indexedRows(view: TensorData, advanced: AdvancedIndex): { rows: TensorData; picks: Int32Array } {
  const { dims, indices } = advanced;
  const rest = restDims(view.shape.length, advanced);
  const dimSizes = dims.map((d) => view.shape[d]);
  const rows = view.permute([...dims, ...rest]).reshape([numel(dimSizes), ...rest.map((i) => view.shape[i])]);
  const picks = new Int32Array(numel(advanced.shape));
  for (let b = 0; b < picks.length; b++) {
    let row = 0;
    for (let k = 0; k < dims.length; k++) row = row * dimSizes[k] + indices[k][b];
    picks[b] = row;
  }
  return { rows, picks };
}

/** Gathers the cells that `advanced` picks from `view`, in a new tensor of `advancedShape`: one indexSelect. */
export function take(view: TensorData, advanced: AdvancedIndex): TensorData {
  const rest = restDims(view.shape.length, advanced).map((i) => view.shape[i]);
  const { rows, picks } = indexedRows(view, advanced);
  const out = rows.indexSelect(picks);
  return out.reshape([...advanced.shape, ...rest]).permute(resultOrder(advanced, rest.length));
}

/**
 * Writes `values` (of `advancedShape`) into the cells of `view` that `advanced` picks; with
 * `accumulate` adds them instead, so repeated indices sum up (the adjoint of `take`). Adding is one
 * indexAdd when the indexed dims merge into one without a copy; writing, where a repeated index
 * keeps the last value, is one `assign` per run of consecutive picks.
 */
export function put(view: TensorData, advanced: AdvancedIndex, values: TensorData, accumulate: boolean): void {
  const rest = restDims(view.shape.length, advanced).map((i) => view.shape[i]);
  const order = resultOrder(advanced, rest.length);
  const inverse = order.map((_, i) => order.indexOf(i));
  const gathered = values.permute(inverse).reshape([numel(advanced.shape), ...rest]);
  if (accumulate) {
    const { rows, picks } = indexedRows(view, advanced);
    if (rows.sharesStorageWith(view)) {
      rows.indexAdd(picks, gathered);
      return;
    }
  }
  const cellsOf = runCellsOf(view, advanced);
  for (const run of runs(advanced)) {
    const target = cellsOf(run);
    const source = leading(gathered, run);
    target.assign(accumulate ? target.add(source) : source);
  }
}

/** The shape of a tensor indexed by `plan`. */
export function indexedShape(plan: IndexPlan): number[] {
  const { viewShape } = plan.basic;
  return plan.advanced ? advancedShape(viewShape, plan.advanced) : [...viewShape];
}

/** The result of indexing `x` by `plan`: a view for basic indexing, a new tensor when it gathers. */
export function indexData(x: TensorData, plan: IndexPlan): TensorData {
  const view = basicView(x, plan.basic);
  return plan.advanced ? take(view, plan.advanced) : view;
}

/** Writes (or with `accumulate` adds) `values` into the cells of `target` that `plan` picks, in place. */
export function indexPutInto(target: TensorData, plan: IndexPlan, values: TensorData, accumulate: boolean): void {
  const view = basicView(target, plan.basic);
  if (plan.advanced) put(view, plan.advanced, values, accumulate);
  else view.assign(accumulate ? view.add(values) : values);
}

/** y = x[index]: ∂L/∂x is ∂L/∂y scatter-added back into the picked cells (repeated picks sum), zeros elsewhere */
export class Index extends Function {
  private inputShape: readonly number[] = [];
  constructor(private readonly plan: IndexPlan) {
    super();
  }
  forward(x: TensorData): TensorData {
    this.inputShape = x.shape;
    return indexData(x, this.plan);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const out = zeros(this.inputShape);
    indexPutInto(out, this.plan, grad, true);
    return [out];
  }
}

/**
 * y = x with x[index] replaced by v (or, accumulating, v added): ∂L/∂x = ∂L/∂y with the replaced cells
 * zeroed (all of it when accumulating), ∂L/∂v = (∂L/∂y)[index]. `v` arrives with the indexed shape.
 */
export class IndexPut extends Function {
  constructor(private readonly plan: IndexPlan, private readonly accumulate: boolean) {
    super();
  }
  forward(x: TensorData, values: TensorData): TensorData {
    const out = x.clone();
    indexPutInto(out, this.plan, values, this.accumulate);
    return out;
  }
  backward(grad: TensorData): (TensorData | null)[] {
    let baseGrad: TensorData | null = null;
    if (this.needsInputGrad[0]) {
      baseGrad = grad;
      if (!this.accumulate) {
        baseGrad = grad.clone();
        indexPutInto(baseGrad, this.plan, zeros(indexedShape(this.plan)), false);
      }
    }
    return [baseGrad, this.needsInputGrad[1] ? indexData(grad, this.plan) : null];
  }
}

/** y = the inputs joined along `axis`: each input's gradient is its own slice (a view) of ∂L/∂y */
export class Cat extends Function {
  private sizes: number[] = [];
  constructor(private readonly axis: number) {
    super();
  }
  forward(...pieces: TensorData[]): TensorData {
    this.sizes = pieces.map((p) => p.shape[this.axis]);
    const shape = [...pieces[0].shape];
    shape[this.axis] = this.sizes.reduce((a, b) => a + b, 0);
    const out = zeros(shape);
    let start = 0;
    for (const piece of pieces) {
      const size = piece.shape[this.axis];
      if (piece.size > 0) out.shrink(this.range(shape, start, size)).assign(piece);
      start += size;
    }
    return out;
  }
  backward(grad: TensorData): (TensorData | null)[] {
    let start = 0;
    return this.sizes.map((size, k) => {
      const slice = this.needsInputGrad[k] ? grad.shrink(this.range(grad.shape, start, size)) : null;
      start += size;
      return slice;
    });
  }
  private range(shape: readonly number[], start: number, size: number): [number, number][] {
    return shape.map((d, i): [number, number] => (i === this.axis ? [start, start + size] : [0, d]));
  }
}

/** y_i = Σ_{j≤i} x_j along `axis`: ∂L/∂x_j = Σ_{i≥j} ∂L/∂y_i, a cumulative sum of the flipped gradient, flipped back */
export class Cumsum extends Function {
  constructor(private readonly axis: number) {
    super();
  }
  forward(x: TensorData): TensorData {
    return cumsumData(x, this.axis);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const flip = grad.shape.map((_, i) => (i === this.axis ? -1 : 1));
    return [cumsumData(grad.stride(flip), this.axis).stride(flip)];
  }
}

/**
 * Cumulative sum along `axis` as a scan in log₂(n) steps (Hillis and Steele): after the step with
 * shift s, each cell holds the sum of the 2s cells ending at it. O(n log n) work per line.
 */
export function cumsumData(x: TensorData, axis: number): TensorData {
  const n = x.shape[axis];
  let sum = x.clone();
  for (let shift = 1; shift < n; shift *= 2) {
    const kept = sum.shrink(sum.shape.map((d, i): [number, number] => (i === axis ? [0, n - shift] : [0, d])));
    sum = sum.add(kept.pad(sum.shape.map((_, i): [number, number] => (i === axis ? [shift, 0] : [0, 0]))));
  }
  return sum;
}
