/**
 * Lab task 6: a view op on TensorData, permute: new strides over the same storage, no copy
 * (docs/lab/06-views.md).
 *
 * May import: src, ./rows.
 */
import { TensorData } from '../../src/data';
import { checkRows } from './rows';

describe('TensorData.permute', () => {
  const x = (): TensorData => TensorData.fromArray(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);

  it('reorders shape and strides and keeps the offset: [2, 3, 4] with order [2, 0, 1]', () => {
    const y = x().permute([2, 0, 1]);
    expect(y.shape).toEqual([4, 2, 3]);
    expect(y.strides).toEqual([1, 12, 4]);
    expect(y.offset).toBe(0);
  });

  it('is a view: it shares the storage, so no value is copied', () => {
    const a = x();
    const y = a.permute([1, 2, 0]);
    expect(y.sharesStorageWith(a)).toBe(true);
  });

  it('reads the right cells: y[k, i, j] = x[i, j, k]', () => {
    const y = x().permute([2, 0, 1]).toNested() as number[][][];
    expect(y[3][1][2]).toBe(1 * 12 + 2 * 4 + 3);
    expect(y[0][0][1]).toBe(4);
  });

  it('composes with another view: permuting a slice keeps the slice\'s offset', () => {
    const slice = x().shrink([[1, 2], [0, 3], [1, 3]]);
    const y = slice.permute([2, 1, 0]);
    expect(y.offset).toBe(slice.offset);
    expect(y.toNested()).toEqual([[[13], [17], [21]], [[14], [18], [22]]]);
  });

  it('refuses an order that is not a permutation, naming permute, the order and the shape', () => {
    expect(() => x().permute([0, 0, 1])).toThrow(/permute.*\[0,0,1\].*\[2, ?3, ?4\]/);
    expect(() => x().permute([1, 0])).toThrow(/permute/);
  });

  checkRows('ops.json', {
    permute: (t) => t.permute([2, 0, 1]),
    transpose: (t) => t.transpose(0, 2),
    T_2d: (t) => t.T,
    T_3d: (t) => t.T,
  });
});
