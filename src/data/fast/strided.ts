/**
 * Loop plans for walking several strided views of one shape together (the inputs and the output of an
 * elementwise op or a reduction): as few, as long rows as their strides allow.
 *
 * 1. Axes of size 1 are dropped, and neighbouring axes are merged wherever every view steps through
 *    them as through one axis (packed views become a single row).
 * 2. The last axis is the row. When it is short (a 2×2 pooling window, say), a longer axis becomes the
 *    row instead, so the per-row cost is paid over more cells; the output is written through its
 *    strides, so any axis order works. Likewise the largest other axis becomes the last outer axis when
 *    that one is short: the kernels step along it by adding strides, and pay an odometer only between.
 * 3. `rowStarts` lists where each row begins, per view.
 *
 * May import: ../cpu, ../shape.
 */
import { cellOffsets } from '../cpu';
import type { Shape } from '../shape';

/** Rows shorter than this are worth swapping for a longer axis. */
const SHORT_ROW = 8;
/** The kernels step through the last outer axis cheaply and use an odometer for the others: keep it long. */
const SHORT_BLOCK = 16;

/** How to walk the views: the outer axes (odometer order), and the row's length and per-view steps. */
export interface LoopPlan {
  readonly outerShape: number[];
  /** Per view, its strides over `outerShape`. */
  readonly outerStrides: number[][];
  readonly rowLength: number;
  /** Per view, the step between consecutive cells of a row. */
  readonly rowSteps: number[];
}

/** Plans a joint walk over `shape` for views with these strides (one stride list per view). */
export function planLoop(shape: Shape, strides: readonly Shape[]): LoopPlan {
  const views = strides.length;
  // Merged axes, innermost first: [size, stride of view 0, stride of view 1, ...].
  const axes: number[][] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    const inner = axes[axes.length - 1];
    if (inner && strides.every((s, v) => s[i] === inner[1 + v] * inner[0])) inner[0] *= shape[i];
    else axes.push([shape[i], ...strides.map((s) => s[i])]);
  }
  if (axes.length === 0) axes.push([1, ...strides.map(() => 0)]);
  if (axes[0][0] < SHORT_ROW) {
    const better = longerRow(axes);
    if (better > 0) [axes[0], axes[better]] = [axes[better], axes[0]];
  }
  if (axes.length > 2 && axes[1][0] < SHORT_BLOCK) {
    const largest = axes.reduce((best, a, i) => (i > 1 && a[0] > axes[best][0] ? i : best), 1);
    [axes[1], axes[largest]] = [axes[largest], axes[1]];
  }
  const outer = axes.slice(1).reverse();
  return {
    outerShape: outer.map((a) => a[0]),
    outerStrides: Array.from({ length: views }, (_, v) => outer.map((a) => a[1 + v])),
    rowLength: axes[0][0],
    rowSteps: Array.from({ length: views }, (_, v) => axes[0][1 + v]),
  };
}

/** The index of an axis long enough to be the row, with the smallest steps (the most local walk), or -1. */
function longerRow(axes: number[][]): number {
  let best = -1;
  let bestSpread = Infinity;
  for (let i = 1; i < axes.length; i++) {
    if (axes[i][0] < SHORT_ROW) continue;
    const spread = Math.max(...axes[i].slice(1).map(Math.abs));
    if (spread < bestSpread) {
      best = i;
      bestSpread = spread;
    }
  }
  return best;
}

/** Where each row of view `v` starts, in odometer order, from that view's `offset`. */
export function rowStarts(plan: LoopPlan, v: number, offset: number): Int32Array {
  return cellOffsets(plan.outerShape, plan.outerStrides[v], offset);
}
