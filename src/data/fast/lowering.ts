/**
 * Lowering `mulacc(a, b, axes)` to a batched matrix product C[batch][m][n] = Σ_k X[batch][m][k]·Y[batch][n][k].
 *
 * Every axis of the (common) shape falls in one group, read off the two views' strides:
 *   - reduced axes                      -> K       (summed over)
 *   - a varies, b has stride 0          -> M       ("rows": b is broadcast over them)
 *   - b varies, a has stride 0          -> N       ("columns": a is broadcast over them)
 *   - both vary                         -> batch
 *   - size 1                            -> ignored
 * A kept axis of size > 1 where both strides are 0 does not factor (the output repeats along it):
 * `planGemm` returns null and the caller falls back to the reference loop.
 *
 * Each group becomes a table of element offsets (one per index, for each operand and for the output),
 * so the packing and unpacking loops never care how many axes a group had: matmul has one axis per
 * group, a convolution's M is (batch, outH, outW) and its K is (channels, kh, kw): packing X through
 * such tables is im2col. The tables depend only on shapes, strides and axes, so they are cached.
 *
 * May import: ../backend, ../shape, ../view.
 */
import type { Placement } from '../backend';
import { cellOffsets, reducedShape } from '../view';
import { numel, rowMajorStrides, stridedSpan } from '../shape';

/** Offsets of one operand for each index of the batch, M (or N) and K groups, and the span they reach. */
export interface OperandTables {
  readonly batch: Int32Array;
  readonly lines: Int32Array;
  readonly k: Int32Array;
  /** The lowest and highest offset the tables reach (relative to the view's offset). */
  readonly lo: number;
  readonly hi: number;
}

/** The matrix product that computes a mulacc, independent of the arrays: sizes, and where each cell lives. */
export interface GemmLayout {
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** True when X (the M side, read as [batch][m][k]) is b, and Y (the N side, [batch][n][k]) is a. */
  readonly swapped: boolean;
  readonly x: OperandTables;
  readonly y: OperandTables;
  /** Where C[batch][m][n] goes in the packed output: out[batch[b] + rows[m] + cols[n]]. */
  readonly out: { readonly batch: Int32Array; readonly rows: Int32Array; readonly cols: Int32Array };
}

type Group = 'batch' | 'm' | 'n' | 'k';

/** The group of each axis, or null when the pattern does not factor. */
export function classifyAxes(a: Placement, b: Placement, axes: readonly number[]): (Group | null)[] | null {
  const groups: (Group | null)[] = [];
  for (let i = 0; i < a.shape.length; i++) {
    const sa = a.strides[i];
    const sb = b.strides[i];
    if (axes.includes(i)) groups.push('k');
    else if (a.shape[i] === 1) groups.push(null);
    else if (sa === 0 && sb === 0) return null;
    else if (sb === 0) groups.push('m');
    else if (sa === 0) groups.push('n');
    else groups.push('batch');
  }
  return groups;
}

/** Offsets, in row-major order of the axes in `group`, of a view with these strides. */
function table(shape: readonly number[], strides: readonly number[], groups: readonly (Group | null)[], group: Group): Int32Array {
  const picked = groups.map((g, i) => (g === group ? i : -1)).filter((i) => i >= 0);
  return cellOffsets(picked.map((i) => shape[i]), picked.map((i) => strides[i]), 0);
}

function sizeOf(shape: readonly number[], groups: readonly (Group | null)[], group: Group): number {
  return numel(shape.filter((_, i) => groups[i] === group));
}

/** Padded work of a plan with `rows` on the MR side and `cols` on the NR side. */
function paddedCells(rows: number, cols: number, mr: number, nr: number): number {
  return Math.ceil(rows / mr) * mr * Math.ceil(cols / nr) * nr;
}

function operand(shape: readonly number[], strides: readonly number[], groups: readonly (Group | null)[], lines: Group): OperandTables {
  const [lo, hi] = stridedSpan(shape, strides);
  return { batch: table(shape, strides, groups, 'batch'), lines: table(shape, strides, groups, lines), k: table(shape, strides, groups, 'k'), lo, hi };
}

/** Lays out mulacc(a, b, axes) as a GEMM (see planGemm), ignoring the arrays and offsets. */
function layout(a: Placement, b: Placement, axes: readonly number[], mr: number, nr: number): GemmLayout | null {
  const groups = classifyAxes(a, b, axes);
  if (!groups) return null;
  const shape = a.shape;
  const outStrides = rowMajorStrides(reducedShape(shape, axes));
  const aLines = sizeOf(shape, groups, 'm');
  const bLines = sizeOf(shape, groups, 'n');
  const [aFirst, bFirst] = [paddedCells(aLines, bLines, mr, nr), paddedCells(bLines, aLines, mr, nr)];
  // On a tie, the side that holds the output's last axis (its contiguous one) becomes the columns, which
  // unpack writes in runs: a convolution's pixels rather than its 8 channels 676 floats apart.
  const lastLines = groups.filter((g) => g === 'm' || g === 'n').pop();
  const swapped = bFirst < aFirst || (bFirst === aFirst && lastLines === 'm');
  const [x, y, xGroup, yGroup]: [Placement, Placement, Group, Group] = swapped ? [b, a, 'n', 'm'] : [a, b, 'm', 'n'];
  return {
    batch: sizeOf(shape, groups, 'batch'),
    m: sizeOf(shape, groups, xGroup),
    n: sizeOf(shape, groups, yGroup),
    k: sizeOf(shape, groups, 'k'),
    swapped,
    x: operand(shape, x.strides, groups, xGroup),
    y: operand(shape, y.strides, groups, yGroup),
    out: {
      batch: table(shape, outStrides, groups, 'batch'),
      rows: table(shape, outStrides, groups, xGroup),
      cols: table(shape, outStrides, groups, yGroup),
    },
  };
}

/** Layouts of recent mulaccs: a training step repeats the same few patterns every step. */
const cache = new Map<string, GemmLayout | null>();
const CACHE_SIZE = 64;

/**
 * Plans mulacc(a, b, axes) as a GEMM, or returns null when it does not factor. C = X·Yᵀ with X = a,
 * or X = b when that pads less, or pads as little and puts the output's contiguous axis on Y's side
 * (the product commutes; `mr` and `nr` are the kernel's tile sides).
 * Layouts depend only on the shape, strides and axes, and are cached.
 */
export function planGemm(a: Placement, b: Placement, axes: readonly number[], mr: number, nr: number): GemmLayout | null {
  const key = `${a.shape.join(',')}|${a.strides.join(',')}|${b.strides.join(',')}|${axes.join(',')}|${mr},${nr}`;
  let found = cache.get(key);
  if (found === undefined) {
    found = layout(a, b, axes, mr, nr);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  } else {
    cache.delete(key);
  }
  cache.set(key, found);
  return found;
}
