/**
 * The index ops' loops, shared by every backend: `indexSelect` copies rows of a view (along dim 0)
 * into a packed result, `indexAdd` adds packed-or-strided rows into rows of a view, in place.
 * A row is the sub-view x[r] (shape x.shape[1:]); the storage offsets of its cells relative to the
 * row's first cell are worked out once, so each row costs one pass over its cells, whatever its strides.
 *
 * May import: ./backend, ./view.
 */
import type { StridedView } from './backend';
import { cellOffsets } from './view';

/** Storage offsets of the cells of a row (row-major), relative to the row's first cell. */
function rowCellOffsets(view: StridedView): Int32Array {
  return cellOffsets(view.shape.slice(1), view.strides.slice(1), 0);
}

/** Rows `rows[i]` of `x` along dim 0, packed into a new array of rows.length · (cells per row) values. */
export function indexSelectRows(x: StridedView, rows: Int32Array, out: Float32Array): Float32Array {
  const cells = rowCellOffsets(x);
  const width = cells.length;
  const { array, offset } = x;
  const rowStride = x.strides[0];
  for (let i = 0; i < rows.length; i++) {
    const start = offset + rows[i] * rowStride;
    const base = i * width;
    for (let j = 0; j < width; j++) out[base + j] = array[start + cells[j]];
  }
  return out;
}

/** Adds row i of `source` into row rows[i] of `target` (both along dim 0), in order: repeated rows sum. */
export function indexAddRows(target: StridedView, rows: Int32Array, source: StridedView): void {
  const targetCells = rowCellOffsets(target);
  const sourceCells = rowCellOffsets(source);
  const width = targetCells.length;
  const { array } = target;
  for (let i = 0; i < rows.length; i++) {
    const to = target.offset + rows[i] * target.strides[0];
    const from = source.offset + i * source.strides[0];
    for (let j = 0; j < width; j++) array[to + targetCells[j]] += source.array[from + sourceCells[j]];
  }
}
