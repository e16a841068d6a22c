/**
 * Lab task 7: one primitive op, where(cond, a, b), written twice: as the reference backend's loop
 * and as a gpu.js kernel (run here in gpu.js's webasm mode, which needs no GL), then checked
 * against hand-computed cells and against each other on strided views (docs/lab/07-kernel.md).
 *
 * May import: src, ./rows.
 */
import type { StridedView } from '../../src/data/backend';
import { Tensor } from '../../src';
import { referenceBackend } from '../../src/data/reference';
import { gpuBackend } from '../../src/data/device';
import { rowMajorStrides } from '../../src/data/shape';
import { checkRows } from './rows';

/** A packed view of `values` in `shape`. */
function view(values: number[], shape: number[]): StridedView {
  return { array: Float32Array.from(values), shape, strides: rowMajorStrides(shape), offset: 0 };
}

/** The layouts a kernel must read right, each with the cells it holds (row-major) for the same [2, 3] shape. */
const cond = view([1, 0, 0, 1, 1, 0], [2, 3]);
const layouts: [string, StridedView, number[]][] = [
  ['packed', view([1, 2, 3, 4, 5, 6], [2, 3]), [1, 2, 3, 4, 5, 6]],
  ['transposed (strides [1, 2])', { array: Float32Array.of(1, 4, 2, 5, 3, 6), shape: [2, 3], strides: [1, 2], offset: 0 }, [1, 2, 3, 4, 5, 6]],
  ['broadcast row (stride 0)', { array: Float32Array.of(7, 8, 9), shape: [2, 3], strides: [0, 1], offset: 0 }, [7, 8, 9, 7, 8, 9]],
  ['offset and a negative stride', { array: Float32Array.of(0, 0, 3, 2, 1, 6, 5, 4), shape: [2, 3], strides: [3, -1], offset: 4 }, [1, 2, 3, 4, 5, 6]],
];
const other = view([-1, -2, -3, -4, -5, -6], [2, 3]);
const expected = (cells: number[]): number[] => cells.map((v, i) => (cond.array[i] !== 0 ? v : other.array[i]));

describe('where (reference loop)', () => {
  it.each(layouts)('picks a where cond ≠ 0, else b, reading a %s view', (_, a, cells) => {
    expect(Array.from(referenceBackend.where(cond, a, other))).toEqual(expected(cells));
  });

  checkRows('ops.json', { where: (c, a, b) => Tensor.where(c, a, b), where_broadcast: (c, a, b) => Tensor.where(c, a, b) });
});

describe('whereKernel (gpu.js)', () => {
  const gpu = gpuBackend({ mode: 'webasm' });

  it.each(layouts)('picks a where cond ≠ 0, else b, reading a %s view', (_, a, cells) => {
    expect(Array.from(gpu.where(cond, a, other))).toEqual(expected(cells));
  });

  it('agrees with the reference loop cell for cell on a [3, 4, 5] permuted, broadcast mix', () => {
    const shape = [3, 4, 5];
    const values = Array.from({ length: 60 }, (_, i) => Math.sin(i) * 10);
    const c: StridedView = { array: Float32Array.from(values.map((v) => (v > 0 ? 1 : 0))), shape, strides: rowMajorStrides(shape), offset: 0 };
    const a: StridedView = { array: Float32Array.from(values), shape, strides: [1, 15, 3], offset: 0 };
    const b: StridedView = { array: Float32Array.from(values.slice(0, 5)), shape, strides: [0, 0, 1], offset: 0 };
    expect(Array.from(gpu.where(c, a, b))).toEqual(Array.from(referenceBackend.where(c, a, b)));
  });
});
