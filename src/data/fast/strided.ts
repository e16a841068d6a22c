/**
 * Loop plans for walking several strided views of one shape together (the inputs and the output of an
 * elementwise op or a reduction): as few, as long rows as their strides allow.
 *
 * 1. Axes of size 1 are dropped, and neighbouring axes are merged wherever every view steps through
 *    them as through one axis (packed views become a single row).
 * 2. Optionally (the WebAssembly walks), a pooling window's width merges with the axis outside it into
 *    one row, in which a view broadcast over the window repeats each of its cells (see `rowRepeats`),
 *    or a view of one window's cells, broadcast over the windows, repeats the window (`rowTiles`).
 * 3. The last axis is the row. When it is short (a 2×2 pooling window, say), a longer axis becomes the
 *    row instead, so the per-row cost is paid over more cells; the output is written through its
 *    strides, so any axis order works. Likewise the largest other axis becomes the last outer axis when
 *    that one is short: the kernels step along it by adding strides, and pay an odometer only between.
 * 4. `rowStarts` lists where each row begins, per view.
 *
 * Plans depend only on the shape, the strides and the options, and a training step repeats the same
 * few hundred every step: they are cached (planning took about a quarter of a small op's time).
 *
 * May import: ../shape, ../view.
 */
import type { Shape } from '../shape';
import { cellOffsets, mergeAxes } from '../view';

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
  /**
   * Per view, how many consecutive cells of the row read the same element (1: none): a row merged
   * from a pooling window's width w and the axis outside it, for a view broadcast over the window.
   * Such a view's step is 1 (it moves on by one element every w cells).
   */
  readonly rowRepeats: number[];
  /**
   * Per view, the width w of a window that the row repeats (1: none): cell i reads element i % w. A
   * view broadcast over all windows but not within one (a pooling window's positions). Its step is 1.
   */
  readonly rowTiles: number[];
}

/** Widest window that `repeatedRows` merges (the kernels have vector paths for 2 and 4). */
export const MAX_REPEAT = 4;

/**
 * Plans a joint walk over `shape` for views with these strides (one stride list per view). With
 * `repeatedRows`, rows may repeat cells of some views (see rowRepeats), and with `tiledRows` too,
 * windows of some views (rowTiles): only the WebAssembly walks read such rows (a reduction's only
 * repeated view is its accumulators).
 */
export function planLoop(shape: Shape, strides: readonly Shape[], options: { repeatedRows?: boolean; tiledRows?: boolean } = {}): LoopPlan {
  const patterns = options.repeatedRows ? (options.tiledRows ? 2 : 1) : 0;
  const key = `${shape.join(',')}|${strides.map((s) => s.join(',')).join('|')}|${patterns}`;
  let plan = plans.get(key);
  if (plan === undefined) {
    plan = newPlan(shape, strides, patterns);
    if (plans.size >= PLAN_CACHE_SIZE) plans.delete(plans.keys().next().value as string);
    plans.set(key, plan);
  }
  return plan;
}

/** Recent plans by shape, strides and options (plans are never changed once made). */
const plans = new Map<string, LoopPlan>();
const PLAN_CACHE_SIZE = 512;

/** A plan; `patterns` 0: plain rows, 1: rows may repeat cells, 2: rows may repeat cells or windows. */
function newPlan(shape: Shape, strides: readonly Shape[], patterns: number): LoopPlan {
  const views = strides.length;
  // Merged axes, innermost first: [size, stride of view 0, stride of view 1, ...].
  const merged = mergeAxes(shape, strides);
  const axes: number[][] = [];
  for (let k = merged.shape.length - 1; k >= 0; k--) {
    const axis = [merged.shape[k]];
    for (let v = 0; v < views; v++) axis.push(merged.stridesOf[v][k]);
    axes.push(axis);
  }
  if (axes.length === 0) axes.push([1, ...strides.map(() => 0)]);
  const rows = (patterns > 0 && mergeRepeatedRow(axes, patterns > 1)) || { repeats: strides.map(() => 1), tiles: strides.map(() => 1) };
  const rowRepeats = rows.repeats;
  const rowTiles = rows.tiles;
  if (axes[0][0] < SHORT_ROW && rowRepeats.every((r) => r === 1) && rowTiles.every((t) => t === 1)) {
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
    rowRepeats,
    rowTiles,
  };
}

/**
 * Merges a short innermost axis (a pooling window's width w, merged axes innermost first) into the
 * next one when every view either walks both as one contiguous run (steps 1 and w), repeats each
 * element w times (steps 0 and 1: broadcast over the window), repeats the window's w elements (steps
 * 1 and 0: broadcast over the windows), or is broadcast over both; at least one must repeat. Rows then
 * run w·n cells instead of n cells w apart. Returns the views' repeats and tiles, or null.
 */
function mergeRepeatedRow(axes: number[][], allowTiles: boolean): { repeats: number[]; tiles: number[] } | null {
  if (axes.length < 2) return null;
  const [inner, next] = axes;
  const w = inner[0];
  if (w < 2 || w > MAX_REPEAT) return null;
  const [repeats, tiles, steps]: number[][] = [[], [], []];
  for (let v = 1; v < inner.length; v++) {
    const [s0, s1] = [inner[v], next[v]];
    if (s0 === 1 && s1 === w) [repeats[v - 1], tiles[v - 1], steps[v - 1]] = [1, 1, 1];
    else if (s0 === 0 && s1 === 1) [repeats[v - 1], tiles[v - 1], steps[v - 1]] = [w, 1, 1];
    else if (allowTiles && s0 === 1 && s1 === 0) [repeats[v - 1], tiles[v - 1], steps[v - 1]] = [1, w, 1];
    else if (s0 === 0 && s1 === 0) [repeats[v - 1], tiles[v - 1], steps[v - 1]] = [1, 1, 0];
    else return null;
  }
  if (repeats.every((r) => r === 1) && tiles.every((t) => t === 1)) return null;
  axes.splice(0, 2, [w * next[0], ...steps]);
  return { repeats, tiles };
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
