/**
 * Shape arithmetic shared by every layer: sizes, row-major strides, axis checks, and shape text for errors.
 *
 * May import: nothing.
 */

export type Shape = readonly number[];

/** Number of elements in a shape (1 for a scalar, shape []). */
export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The lowest and highest storage index a view of this shape and these strides reaches from `offset`. */
export function stridedSpan(shape: Shape, strides: Shape, offset = 0): [number, number] {
  let lo = offset;
  let hi = offset;
  shape.forEach((d, i) => {
    const reach = (d - 1) * strides[i];
    if (reach < 0) lo += reach;
    else hi += reach;
  });
  return [lo, hi];
}

/** Strides of a packed row-major array of this shape. */
export function rowMajorStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= shape[i];
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `[2,3]` as text, for error messages. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** Turns a possibly negative axis into 0..rank-1, or throws naming the op. */
export function normalizeAxis(axis: number, rank: number, op: string): number {
  const lowest = rank === 0 ? -1 : -rank;
  const highest = rank === 0 ? 0 : rank - 1;
  if (!Number.isInteger(axis) || axis < lowest || axis > highest) {
    throw new RangeError(`${op}: dim ${axis} is out of range for a tensor of rank ${rank} (expected ${lowest}..${highest})`);
  }
  return axis < 0 ? axis + Math.max(rank, 1) : axis;
}

/**
 * The most cells one tensor may hold: 2^31 − 1 (8 GiB of float32). Larger shapes are refused with a
 * named error before anything is allocated, instead of failing inside the allocator (or aborting Node).
 */
export const MAX_CELLS = 2 ** 31 - 1;

/** Throws a RangeError naming `op`, the shape and its cell count when the shape has more than MAX_CELLS cells. */
export function checkCellCount(shape: Shape, op: string): void {
  const cells = numel(shape);
  if (cells > MAX_CELLS) {
    throw new RangeError(`${op}: shape ${formatShape(shape)} has ${cells} cells (${cells * 4} bytes of float32); a tensor holds at most ${MAX_CELLS} (2^31 - 1) cells`);
  }
}

/** Checks that every entry is a non-negative integer. */
export function checkShape(shape: Shape, op: string): void {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError(`${op}: shape ${JSON.stringify(shape)} must be a list of non-negative integers`);
  }
}
