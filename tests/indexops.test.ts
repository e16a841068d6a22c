/**
 * The index primitives (TensorData.indexSelect, TensorData.indexAdd) and the Tensor indexing built
 * on them, against PyTorch: one `it` per row of tests/fixtures/indexops.json (written by
 * scripts/generate_indexops_fixtures.py), on every backend of tests/helpers/backends.ts and on the gpu
 * backend's webasm mode. Tensor rows with gradients also get a finite-difference gradcheck.
 * Below the table: the primitives' errors, and that bad input changes nothing.
 */
import { TensorData, mask, type Tensor } from '../src';
import { gpuBackend, referenceBackend, useBackend, type Backend } from '../src/data';
import { backends } from './helpers/backends';
import { defaultTolerance, expectClose, loadFixture, tableMismatch } from './helpers/fixtures';
import { analyticGrads, gradcheck } from './helpers/gradcheck';

/** Index values arrive as floats; the primitives take them as row numbers. */
const rowsOf = (t: TensorData): number[] => t.toFlat();

/** The tsgrad side of each primitive row, on TensorData. */
const primTable: Record<string, (...inputs: TensorData[]) => TensorData> = {
  prim_indexSelect_rows: (x, r) => x.indexSelect(rowsOf(r)),
  prim_indexSelect_transposed: (x, r) => x.permute([1, 0]).indexSelect(rowsOf(r)),
  prim_indexSelect_3d: (x, r) => x.indexSelect(rowsOf(r)),
  prim_indexSelect_scalars: (x, r) => x.indexSelect(rowsOf(r)),
  prim_indexSelect_none: (x) => x.indexSelect([]),
  prim_indexAdd_rows: (t, r, s) => { const out = t.clone(); out.indexAdd(rowsOf(r), s); return out; },
  prim_indexAdd_transposed: (t, r, s) => { const out = t.clone().permute([1, 0]); out.indexAdd(rowsOf(r), s); return out; },
  prim_indexAdd_scalars: (t, r, s) => { const out = t.clone(); out.indexAdd(rowsOf(r), s); return out; },
};

/** The tsgrad side of each Tensor row. */
const opTable: Record<string, (...inputs: Tensor[]) => Tensor> = {
  op_embedding_lookup: (w, i) => w.at(i),
  op_mask_half: (x, m) => x.at(mask(m)),
  op_two_indices: (x, i, j) => x.at(i, j),
  op_index_dim1: (x, i) => x.at(':', i),
  op_gather: (x, i) => x.gather(1, i),
};

const rows = loadFixture('indexops.json');
const allBackends: [string, Backend][] = [...backends, ['gpu webasm', gpuBackend({ mode: 'webasm' })]];

describe('index ops table', () => {
  it('has a tsgrad lambda for every fixture row and a fixture row for every lambda', () => {
    expect(tableMismatch(rows, { ...primTable, ...opTable })).toEqual({ missingLambda: [], missingFixture: [] });
  });
});

describe.each(allBackends)('index ops on the %s backend', (_name, backend) => {
  beforeAll(() => useBackend(backend));
  afterAll(() => useBackend(referenceBackend));

  it.each(rows.map((row) => [row.name, row] as const))('%s', (name, row) => {
    const prim = primTable[name];
    if (prim !== undefined) {
      const out = prim(...row.inputs.map((x) => TensorData.fromArray(x.values, x.shape)));
      expectClose(`${name}: output`, { shape: [...out.shape], values: out.toFlat() }, row.output, defaultTolerance);
      return;
    }
    const fn = opTable[name];
    if (row.gradOut === undefined || row.grads === undefined) throw new Error(`${name}: a Tensor row records gradients`);
    const { output, grads } = analyticGrads(fn, row.inputs, row.gradOut);
    expectClose(`${name}: output`, output, row.output, defaultTolerance);
    row.grads.forEach((expected, i) => {
      if (expected === null) expect(grads[i]).toBeNull();
      else expectClose(`${name}: grad of input ${i}`, grads[i] ?? { shape: [], values: [] }, expected, defaultTolerance);
    });
    if (backend === referenceBackend) gradcheck(name, fn, row.inputs, row.gradOut, grads);
  });
});

describe('index primitives: errors, and bad input changes nothing', () => {
  const x = (): TensorData => TensorData.fromArray([1, 2, 3, 4, 5, 6], [3, 2]);
  it.each([
    ['a row out of range', () => x().indexSelect([0, 3]), /indexSelect: row index 3 at position 1 is not an integer in \[0, 3\) \(shape \[3,2\]\)/],
    ['a negative row', () => x().indexSelect([-1]), /indexSelect: row index -1 at position 0/],
    ['a fractional row', () => x().indexSelect([0.5]), /indexSelect: row index 0.5/],
    ['a scalar', () => TensorData.fromArray([1], []).indexSelect([0]), /indexSelect: a scalar has no rows/],
    ['a source of the wrong shape', () => x().indexAdd([0, 1], TensorData.fromArray([1, 2], [1, 2])), /indexAdd: source must have shape \[2,2\] \(one row per index\), got \[1,2\]/],
    ['a broadcast target', () => TensorData.const(0, [3, 2]).indexAdd([0], TensorData.fromArray([1, 2], [1, 2])), /indexAdd: cannot write into a broadcast view/],
  ])('%s', (_label, call, message) => {
    expect(call).toThrow(message);
  });

  it('leaves the target and its version as they were when a row is out of range', () => {
    const target = x();
    expect(() => target.indexAdd([1, 7], TensorData.fromArray([9, 9, 9, 9], [2, 2]))).toThrow(/indexAdd: row index 7/);
    expect(target.toFlat()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(target.version).toBe(0);
  });

  it('adds a source that shares the target storage as it was before the add', () => {
    const target = x();
    target.indexAdd([1, 2], target.shrink([[0, 2], [0, 2]]));
    expect(target.toFlat()).toEqual([1, 2, 4, 6, 8, 10]);
    expect(target.version).toBe(1);
  });
});
