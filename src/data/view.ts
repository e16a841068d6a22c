/**
 * View arithmetic every backend shares: where the cells of a strided view are, whether they are
 * packed, how neighbouring axes merge, and the shapes and strides of a reduction's output.
 *
 * A view is an array with a shape, strides and an offset (`StridedView` in backend.ts): cell
 * [i0, i1, ...] lives at offset + Σ ik·strides[k]. Nothing here reads the array, so the same code
 * serves host arrays and device buffers.
 *
 * May import: ./shape.
 */
import { numel, rowMajorStrides, type Shape } from './shape';

/** True when the view's cells are packed row-major in the array (size-1 dims may have any stride). */
export function isPacked(shape: Shape, strides: Shape): boolean {
  const packed = rowMajorStrides(shape);
  return shape.every((d, i) => d === 1 || strides[i] === packed[i]);
}

/** The array offset of every cell of a view, in row-major order. */
export function cellOffsets(shape: Shape, strides: Shape, offset: number): Int32Array {
  const count = numel(shape);
  const out = new Int32Array(count);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let at = offset;
  for (let i = 0; i < count; i++) {
    out[i] = at;
    // Odometer: bump the last axis, carrying into earlier ones.
    for (let k = rank - 1; k >= 0; k--) {
      index[k]++;
      at += strides[k];
      if (index[k] < shape[k]) break;
      at -= strides[k] * shape[k];
      index[k] = 0;
    }
  }
  return out;
}

/** Views of one shape after `mergeAxes`: fewer axes, the same cells in the same row-major order. */
export interface MergedAxes {
  readonly shape: number[];
  /** Per view, its strides over `shape`. */
  readonly stridesOf: number[][];
  /** Per merged axis, the group of the axes it was made of. */
  readonly groups: number[];
}

/**
 * Drops size-1 axes and merges axis k into axis k+1 wherever every view has
 * stride[k] = size[k+1]·stride[k+1] and both axes are in the same group (e.g. kept and reduced
 * axes of a reduction never merge). Axes stay outermost first.
 */
export function mergeAxes(shape: Shape, stridesOf: readonly Shape[], groups: readonly number[] = shape.map(() => 0)): MergedAxes {
  const out: MergedAxes = { shape: [], stridesOf: stridesOf.map(() => []), groups: [] };
  for (let k = 0; k < shape.length; k++) {
    const size = shape[k];
    if (size === 1) continue;
    const last = out.shape.length - 1;
    let joins = last >= 0 && out.groups[last] === groups[k];
    for (let v = 0; joins && v < stridesOf.length; v++) joins = out.stridesOf[v][last] === size * stridesOf[v][k];
    if (joins) out.shape[last] *= size;
    else {
      out.shape.push(size);
      out.groups.push(groups[k]);
    }
    // A joined axis steps like its inner part; a new one brings its own strides.
    for (let v = 0; v < stridesOf.length; v++) {
      if (joins) out.stridesOf[v][last] = stridesOf[v][k];
      else out.stridesOf[v].push(stridesOf[v][k]);
    }
  }
  return out;
}

/** The output shape of a reduction over `axes`: the reduced axes become 1. */
export function reducedShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/**
 * Strides that map each input cell of a reduction over `axes` to its output cell in a packed
 * row-major output: the output's strides, with 0 on the reduced axes.
 */
export function accumulatorStrides(shape: Shape, axes: readonly number[]): number[] {
  return rowMajorStrides(reducedShape(shape, axes)).map((s, i) => (axes.includes(i) ? 0 : s));
}

/** The axes not in `axes`, in order (the kept axes of a reduction). */
export function keptAxes(rank: number, axes: readonly number[]): number[] {
  return Array.from({ length: rank }, (_, i) => i).filter((i) => !axes.includes(i));
}
