/**
 * View plumbing for the gpu kernels, in plain TypeScript (no gpu.js here): it turns views into the
 * scalar arguments of kernels.ts. It never looks inside a view's array, so the same code serves host
 * Float32Arrays (webasm, and uploads on GL) and GL textures.
 *
 * Every kernel indexes its inputs over exactly KERNEL_RANK = 8 dims. To get there:
 * - `mergeAxes` (../view.ts) drops size-1 dims and merges neighbouring dims that every input walks as one
 *   (a packed view of any rank becomes one dim), so real views rarely need more than 3 dims;
 *   more than 8 after merging throws, naming the op and the shape;
 * - the remaining dims are padded in front with size-1 dims of stride 0.
 * Before that, runner.ts cuts each host input to the part of its array it touches (`windowOf`): a
 * row of a big matrix uploads one row, a broadcast scalar uploads one value.
 * gpu.js computes indices in float32 (even on webasm), exact only below 2^24: `checkIndexRange`
 * refuses bigger outputs and windows instead of reading wrong cells.
 *
 * May import: ../backend, ../shape, ../view.
 */
import type { Placement, StridedView } from '../backend';
import { formatShape, numel, stridedSpan, type Shape } from '../shape';
import { mergeAxes, type MergedAxes } from '../view';

/** Dims every kernel indexes over. */
export const KERNEL_RANK = 8;
/** Indices from here on are not exact in float32 (2^24 + 1 rounds to 2^24). */
export const MAX_INDEX = 2 ** 24;

/** A view onto any kind of array `A` (a Float32Array, or a GL texture in runner.ts). */
export interface ViewOf<A> extends Placement {
  readonly array: A;
}

/** An input as a kernel reads it: its array, and offset and KERNEL_RANK strides into it. */
export interface KernelInput<A> {
  readonly array: A;
  readonly offset: number;
  readonly strides: readonly number[];
}

/** Inputs over one shape of exactly KERNEL_RANK dims, walked in row-major order. */
export interface KernelLayout<A> {
  readonly shape: readonly number[];
  readonly inputs: readonly KernelInput<A>[];
}

/** Throws when a kernel would compute an index of `count` or more (not exact in float32). */
export function checkIndexRange(op: string, what: string, count: number, shape: Shape): void {
  if (count > MAX_INDEX) {
    throw new RangeError(
      `${op}: ${what} of ${count} cells (shape ${formatShape(shape)}) is too big for the gpu backend: ` +
        `gpu.js computes indices in float32, exact only up to 2^24 = ${MAX_INDEX} cells. Use setDevice('cpu') for this op.`,
    );
  }
}

/** The part of the view's array it touches, with the offset moved into that part. */
export function windowOf(op: string, view: StridedView): StridedView {
  if (numel(view.shape) === 0) return { ...view, array: view.array.subarray(0, 0), offset: 0 };
  const [low, high] = stridedSpan(view.shape, view.strides, view.offset);
  checkIndexRange(op, 'an input spanning', high - low + 1, view.shape);
  return { ...view, array: view.array.subarray(low, high + 1), offset: view.offset - low };
}

/** Throws, naming the op, when merged dims are still more than the kernels index. */
function checkRank(op: string, merged: readonly number[], original: Shape): void {
  if (merged.length > KERNEL_RANK) {
    throw new RangeError(
      `${op}: a view of shape ${formatShape(original)} still has ${merged.length} dims after merging ` +
        `neighbouring dims (${formatShape(merged)}); the gpu kernels index at most ${KERNEL_RANK}.`,
    );
  }
}

/** Prepends size-1 dims (with `fill` as their stride) up to KERNEL_RANK. */
function padded(op: string, list: readonly number[], fill: number, original: Shape): number[] {
  checkRank(op, list, original);
  return [...new Array<number>(KERNEL_RANK - list.length).fill(fill), ...list];
}

/** The layout of views that all have one `shape` (inputs of an elementwise op, or a gather). */
export function elementwiseLayout<A>(op: string, shape: Shape, views: readonly ViewOf<A>[]): KernelLayout<A> {
  checkIndexRange(op, 'an output', numel(shape), shape);
  return mergedLayout(op, shape, views, mergeAxes(shape, views.map((view) => view.strides)));
}

/** Views laid out over their merged axes, padded to KERNEL_RANK (`original` names the shape in errors). */
function mergedLayout<A>(op: string, original: Shape, views: readonly ViewOf<A>[], merged: MergedAxes): KernelLayout<A> {
  return {
    shape: padded(op, merged.shape, 1, original),
    inputs: views.map((view, v) => ({ array: view.array, offset: view.offset, strides: padded(op, merged.stridesOf[v], 0, original) })),
  };
}

/** One reduction pass over the last dim: the outer dims as a layout, plus the reduced dim. */
export interface ReduceLayout<A> extends KernelLayout<A> {
  /** Cells in the reduced dim, and each input's stride along it. */
  readonly length: number;
  readonly steps: readonly number[];
}

/** The layout of a pass that reduces the last dim of `views` (all of one `shape`). */
export function reduceLayout<A>(op: string, shape: Shape, views: readonly ViewOf<A>[]): ReduceLayout<A> {
  const merged = mergeAxes(shape.slice(0, -1), views.map((view) => view.strides.slice(0, -1)));
  return {
    ...mergedLayout(op, shape, views, merged),
    length: shape[shape.length - 1],
    steps: views.map((view) => view.strides[view.strides.length - 1]),
  };
}

/** Where a scatter writes: `length` cells of the target array from `start`, and how to fill them. */
export interface ScatterLayout<A> {
  readonly start: number;
  readonly length: number;
  /** The target view's sizes and strides, largest stride first (what scatterKernel divides by). */
  readonly sizes: readonly number[];
  readonly targetStrides: readonly number[];
  /** The source, with its dims in the same order. */
  readonly source: KernelInput<A>;
}

/**
 * Prepares a scatter of `source` into the cells of `target` (same shape). The kernel computes every
 * cell of the target's touched range and must find out which view cell (if any) lands there, so the
 * view is normalized: size-1 dims dropped, negative strides flipped (in the source too, so the pairing
 * of cells stays), dims sorted by stride, largest first. Division then finds the digits of a cell,
 * provided each stride is larger than the reach of all smaller ones, i.e. no two cells of the view
 * share a place in memory. Views that overlap (a broadcast, overlapping windows) throw.
 */
export function scatterLayout<A>(op: string, target: Placement, source: ViewOf<A>): ScatterLayout<A> {
  let targetOffset = target.offset;
  let sourceOffset = source.offset;
  const dims = target.shape.map((size, k) => {
    const [t, s] = [target.strides[k], source.strides[k]];
    if (t >= 0) return { size, t, s };
    targetOffset += (size - 1) * t;
    sourceOffset += (size - 1) * s;
    return { size, t: -t, s: -s };
  });
  dims.sort((x, y) => y.t - x.t);
  const sorted = mergeAxes(dims.map((d) => d.size), [dims.map((d) => d.t), dims.map((d) => d.s)]);
  const [sizes, targetStrides, sourceStrides] = [sorted.shape, sorted.stridesOf[0], sorted.stridesOf[1]];
  checkNoOverlap(op, target, sizes, targetStrides);
  checkRank(op, sizes, target.shape);
  const length = stridedSpan(sizes, targetStrides)[1] + 1;
  checkIndexRange(op, 'a target view spanning', length, target.shape);
  // Pad at the end (below the smallest stride): size 1 with stride 1 makes the kernel check that no remainder is left.
  const pad = (list: number[], value: number): number[] => [...list, ...new Array<number>(KERNEL_RANK - list.length).fill(value)];
  return {
    start: targetOffset,
    length,
    sizes: pad(sizes, 1),
    targetStrides: pad(targetStrides, 1),
    source: { array: source.array, offset: sourceOffset, strides: pad(sourceStrides, 0) },
  };
}

/** Throws unless each stride (largest first) exceeds the farthest reach of the dims after it. */
function checkNoOverlap(op: string, target: Placement, sizes: readonly number[], strides: readonly number[]): void {
  let reach = 0;
  for (let k = sizes.length - 1; k >= 0; k--) {
    if (strides[k] <= reach) {
      throw new RangeError(
        `${op}: cannot write into a view of shape ${formatShape(target.shape)} with strides ${formatShape(target.strides)}: ` +
          'some of its cells share one place in memory (a broadcast or overlapping windows)',
      );
    }
    reach += (sizes[k] - 1) * strides[k];
  }
}

/** The kernels' n1..n7 (n0, the first size, is never needed to split an index). */
export function shapeArgs<A>(layout: KernelLayout<A>): number[] {
  return layout.shape.slice(1);
}

/** The kernels' xo, x0..x7 for one input. */
export function inputArgs<A>(input: KernelInput<A>): number[] {
  return [input.offset, ...input.strides];
}
