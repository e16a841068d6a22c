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
 * such tables is im2col.
 *
 * May import: ../backend, ../cpu, ../shape.
 */
import type { StridedView } from '../backend';
import { cellOffsets } from '../cpu';
import { numel, rowMajorStrides } from '../shape';

/** Offsets of one operand (or the output) for each index of the batch, M (or N) and K groups. */
export interface OperandTables {
  readonly offset: number;
  readonly batch: Int32Array;
  readonly lines: Int32Array;
  readonly k: Int32Array;
}

/** The matrix product that computes a mulacc: sizes, and where each operand and output cell lives. */
export interface GemmPlan {
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** The M-side operand, read as [batch][m][k]. */
  readonly x: OperandTables & { readonly array: Float32Array };
  /** The N-side operand, read as [batch][n][k]. */
  readonly y: OperandTables & { readonly array: Float32Array };
  /** Where C[batch][m][n] goes in the packed output: out[batch[b] + rows[m] + cols[n]]. */
  readonly out: { readonly batch: Int32Array; readonly rows: Int32Array; readonly cols: Int32Array };
}

type Group = 'batch' | 'm' | 'n' | 'k';

/** The group of each axis, or null when the pattern does not factor. */
export function classifyAxes(a: StridedView, b: StridedView, axes: readonly number[]): (Group | null)[] | null {
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

/**
 * Plans mulacc(a, b, axes) as a GEMM, or returns null when it does not factor. C = X·Yᵀ with X = a,
 * or X = b when that pads less (the product commutes; `mr` and `nr` are the kernel's tile sides).
 */
export function planGemm(a: StridedView, b: StridedView, axes: readonly number[], mr: number, nr: number): GemmPlan | null {
  const groups = classifyAxes(a, b, axes);
  if (!groups) return null;
  const shape = a.shape;
  const outStrides = rowMajorStrides(shape.map((d, i) => (groups[i] === 'k' ? 1 : d)));
  const aLines = sizeOf(shape, groups, 'm');
  const bLines = sizeOf(shape, groups, 'n');
  const swap = paddedCells(bLines, aLines, mr, nr) < paddedCells(aLines, bLines, mr, nr);
  const [x, y, xGroup, yGroup]: [StridedView, StridedView, Group, Group] = swap ? [b, a, 'n', 'm'] : [a, b, 'm', 'n'];
  const operand = (v: StridedView, lines: Group): OperandTables & { array: Float32Array } => ({
    array: v.array,
    offset: v.offset,
    batch: table(shape, v.strides, groups, 'batch'),
    lines: table(shape, v.strides, groups, lines),
    k: table(shape, v.strides, groups, 'k'),
  });
  return {
    batch: sizeOf(shape, groups, 'batch'),
    m: sizeOf(shape, groups, xGroup),
    n: sizeOf(shape, groups, yGroup),
    k: sizeOf(shape, groups, 'k'),
    x: operand(x, xGroup),
    y: operand(y, yGroup),
    out: {
      batch: table(shape, outStrides, groups, 'batch'),
      rows: table(shape, outStrides, groups, xGroup),
      cols: table(shape, outStrides, groups, yGroup),
    },
  };
}
