/**
 * Indexing, index assignment, gather/scatter, cat/stack, the ops added for PyTorch parity and
 * zero-size tensors, against PyTorch: one `it` per row of tests/fixtures/indexing.json (written by
 * scripts/generate_indexing_fixtures.py), on every backend of tests/helpers/backends.ts and on the gpu
 * backend's webasm mode. Each row with gradients also gets a finite-difference gradcheck.
 *
 * Below the table: PyTorch's errors (by their sense), in-place index assignment, the cost of cat and
 * stack (cells written, counted by a wrapping backend), and statistical tests of the random ops.
 */
import { Tensor, ellipsis, manualSeed, mask, newAxis, noGrad, slice, tensor } from '../src';
import { referenceBackend, gpuBackend, useBackend, type Backend, type StridedView } from '../src/data';
import { backends } from './helpers/backends';
import { defaultTolerance, expectClose, loadFixture, tableMismatch } from './helpers/fixtures';
import { expectRowMatches, unpack, type TensorFn } from './helpers/gradcheck';

/** Piece k times k + 1, joined again along `dim` (the generator's weighted_pieces). */
const weightedPieces = (pieces: Tensor[], dim: number): Tensor => Tensor.cat(pieces.map((p, k) => p.mul(k + 1)), dim);

/** The tsgrad side of each fixture row; inputs arrive in the fixture's order. */
const indexingTable: Record<string, TensorFn> = {
  // basic indexing
  at_int: (x) => x.at(1),
  at_negative_ints: (x) => x.at(-1, -2),
  at_slice_step: (x) => x.at(slice(1, null, 2), slice(null, null, 3)),
  at_slice_negative_bounds: (x) => x.at(slice(-4, -1), slice(2)),
  at_slice_clamped: (x) => x.at(slice(2, 10)),
  at_slice_empty: (x) => x.at(slice(3, 1)),
  at_newaxis: (x) => x.at(newAxis, ':', null),
  at_ellipsis: (x) => x.at(ellipsis, 1),
  at_ellipsis_middle: (x) => x.at(0, '...', slice(1, 3)),
  at_scalar_tensor: (x) => x.at(null, '...'),

  // advanced indexing
  at_index_tensor: (x, i) => x.at(i),
  at_index_tensor_2d: (x, i) => x.at(i),
  at_index_list_negative: (x) => x.at([-1, 0, -1]),
  at_index_dim1: (x, i) => x.at(':', i),
  at_index_0d: (x, i) => x.at(i),
  at_two_indices_broadcast: (x, i, j) => x.at(i, j),
  at_indices_separated: (x, i, j) => x.at(i, ':', j),
  at_indices_around_slice: (x) => x.at([0, 2], slice(1, 3), [1, 4]),
  at_int_then_index: (x) => x.at(0, ':', [0, 1]),
  at_index_newaxis_ellipsis: (x, i) => x.at('...', null, i),
  at_index_empty_list: (x) => x.at(Tensor.zeros([0])),
  at_expanded_view: (x) => x.expand([4, 3]).at([0, 2, 2], slice(1, null)),
  at_twice_then_add: (x) => x.at([0, 0, 3]).add(x.at(slice(1, null), slice(0, 1)).sum()),
  at_mask: (x, m) => x.at(mask(m)),
  at_mask_rows: (x, m) => x.at(mask(m)),
  at_mask_bool_list: (x) => x.at([true, false, true]),
  at_mask_bool_nested: (x) => x.at([[true, false], [false, false], [true, true]]),
  at_mask_after_slice: (x, m) => x.at(slice(1, null), mask(m)),
  at_mask_and_index: (x, m, i) => x.at(mask(m), i),

  // index assignment
  indexPut_int: (x, v) => x.indexPut([1], v),
  indexPut_slice_broadcast: (x, v) => x.indexPut([slice(1, 3), slice(null, null, 2)], v),
  indexPut_number: (x) => x.indexPut([':', 1], 2.5),
  indexPut_index_list: (x, v) => x.indexPut([[4, 1]], v),
  indexPut_two_indices: (x, v) => x.indexPut([[0, 2, 3], [4, 0, 1]], v),
  indexPut_mask: (x, m) => x.indexPut([mask(m)], 0),
  indexPut_accumulate: (x, v, i) => x.indexPut([i], v, true),
  indexPut_accumulate_two_indices: (x, v, i, j) => x.indexPut([i, j], v, true),
  indexAdd: (x, i, s) => x.indexAdd(0, i, s),
  indexAdd_dim1: (x, i, s) => x.indexAdd(1, i, s),

  // gather and scatter
  gather_dim1: (x, i) => x.gather(1, i),
  gather_dim0: (x, i) => x.gather(0, i),
  gather_smaller_index: (x, i) => x.gather(1, i),
  scatter_dim1: (x, s) => x.scatter(1, tensor([[0, 4], [1, 2], [3, 0]]), s),
  scatter_number: (x) => x.scatter(1, tensor([[0, 4], [1, 2], [3, 0]]), 1.5),
  scatterAdd_dim0: (x, i, s) => x.scatterAdd(0, i, s),
  scatterAdd_src_larger: (x, i, s) => x.scatterAdd(0, i, s),

  // cat and stack
  cat_dim1: (a, b, c) => Tensor.cat([a, b, c], 1),
  cat_negative_dim: (a, b) => Tensor.cat([a, b], -2),
  cat_one: (a) => Tensor.cat([a], 0),
  cat_repeated_input: (a) => Tensor.cat([a, a.mul(2), a], 0),
  cat_legacy_empty: (a) => Tensor.cat([Tensor.zeros([0]), a], 0),
  stack_dim0: (a, b) => Tensor.stack([a, b]),
  stack_dim1: (a, b, c) => Tensor.stack([a, b, c], 1),
  stack_negative_dim: (a, b) => Tensor.stack([a, b], -1),

  // ops a PyTorch user reaches for
  mm: (a, b) => a.mm(b),
  mv: (a, v) => a.mv(v),
  bmm: (a, b) => a.bmm(b),
  mT: (x) => x.mT,
  chunk_uneven: (x) => weightedPieces(x.chunk(3, 0), 0),
  chunk_fewer: (x) => weightedPieces(x.chunk(4), 0),
  split_size: (x) => weightedPieces(x.split(3, 1), 1),
  split_sections: (x) => weightedPieces(x.split([1, 3, 2], 0), 0),
  repeat: (x) => x.repeat(2, 1, 2),
  repeat_1d: (x) => x.repeat(2, 2),
  cumsum: (x) => x.cumsum(1),
  cumsum_dim0: (x) => x.cumsum(0),
  cumsum_long: (x) => x.cumsum(0),
  cumsum_negative_dim: (x) => x.cumsum(-2),
  cumsum_scalar: (x) => x.cumsum(0),
  elu: (x) => x.elu(),
  elu_alpha: (x) => x.elu(0.5),
  squeeze_dims: (x) => x.squeeze([0, 2]),
  squeeze_dims_not_one: (x) => x.squeeze([0, 1]),
  unsqueeze_dims: (x) => x.unsqueeze([1, 3]),
  unsqueeze_negative_dims: (x) => x.unsqueeze([0, -1]),
  broadcastTensors: (a, b) => Tensor.stack(Tensor.broadcastTensors(a, b)),
  empty_shape: () => Tensor.zeros(Tensor.empty([2, 3]).shape),

  // zero-size tensors
  zero_cat: (a, b) => Tensor.cat([a, b], 1),
  zero_cat_piece: (a, b) => Tensor.cat([a, b], 1),
  zero_fill: () => Tensor.zeros([2, 0]).fill_(1),
  zero_sum: (x) => x.sum(),
  zero_sum_dim: (x) => x.sum(1),
  zero_sum_kept_dim: (x) => x.sum(0),
  zero_pad: (x) => x.pad([1, 2], 1.5),
  zero_reshape_infer: (x) => x.reshape([-1]),
  zero_reshape_infer_known: (x) => x.reshape([-1, 3, 1]),
  zero_matmul_inner: (a, b) => a.matmul(b),
  zero_matmul_outer: (a, b) => a.matmul(b),
  zero_max_dim: (x) => x.max(0),
  zero_exp: (x) => x.exp().mul(2),
  zero_index: (x) => x.at(':', slice(1, null)),
};

const rows = loadFixture('indexing.json');
const allBackends: [string, Backend][] = [...backends, ['gpu webasm', gpuBackend({ mode: 'webasm' })]];

describe('indexing table', () => {
  it('has a tsgrad lambda for every fixture row and a fixture row for every lambda', () => {
    expect(tableMismatch(rows, indexingTable)).toEqual({ missingLambda: [], missingFixture: [] });
  });
});

describe.each(allBackends)('indexing on the %s backend', (_name, backend) => {
  beforeAll(() => useBackend(backend));
  afterAll(() => useBackend(referenceBackend));

  it.each(rows.map((row) => [row.name, row] as const))('%s', (name, row) => {
    const fn = indexingTable[name];
    if (fn === undefined) throw new Error(`no tsgrad lambda for fixture row ${name}`);
    expectRowMatches(row, fn);
  });

  it('gives a mean of NaN over an empty dim, as PyTorch does', () => {
    expect(Number.isNaN(Tensor.zeros([2, 0]).mean().item())).toBe(true);
    const rowMeans = unpack(Tensor.zeros([0, 3]).mean(0));
    expect(rowMeans.shape).toEqual([3]);
    expect(rowMeans.values.every(Number.isNaN)).toBe(true);
  });
});

describe('PyTorch errors, by their sense', () => {
  const x = Tensor.zeros([2, 3, 4]);
  it.each([
    ['an index out of range', () => x.at(5), /at: index 5 is out of bounds for dimension 0 with size 2/],
    ['a list index out of range', () => x.at(':', [0, -4]), /at: index -4 is out of bounds for dimension 1 with size 3/],
    ['too many indices', () => x.at(0, 0, 0, 0), /too many indices for a tensor of dimension 3/],
    ['two ellipses', () => x.at('...', 0, '...'), /single ellipsis/],
    ['a negative step', () => x.at(slice(null, null, -1)), /step -1 .* must be a positive integer/],
    ['a mask of the wrong shape', () => x.at([true, false, true]), /shape of the mask \[3\] at index 0 does not match the shape of the indexed tensor \[2,3,4\] at index 0/],
    ['a 0-d mask', () => x.at(mask(tensor(1))), /at: a 0-d mask is not supported/],
    ['something that is no index', () => x.at({} as never), /at: cannot index with \[object Object\]/],
    ['indexPut without a list of indices (plain JavaScript)', () => x.indexPut(0 as never, 1), /indexPut: indices must be a list of index entries/],
    ['split by a string (plain JavaScript)', () => x.split('2' as never), /split: split_size_or_sections must be a number or a list of sizes/],
    ['gather with a list for an index (plain JavaScript)', () => x.gather(0, [0] as never), /gather: index must be a Tensor/],
    ['mm with a number (plain JavaScript)', () => Tensor.zeros([2, 2]).mm(2 as never), /mm: mat2 must be a Tensor, got 2/],
    ['indexPut with null values (plain JavaScript)', () => x.indexPut([0], null as never), /indexPut: values must be a Tensor or a number, got null/],
    ['a fractional index', () => x.at(tensor([0.5])), /index 0.5 for dimension 0 is not an integer/],
    ['index tensors that do not broadcast', () => x.at([0, 1], [0, 1, 2]), /at \(index tensors\): shapes \[2\] and \[3\] cannot be broadcast/],
    ['values that do not broadcast', () => x.indexPut([0], Tensor.zeros([2])), /indexPut: shape mismatch: value tensor of shape \[2\] cannot be broadcast to indexing result of shape \[3,4\]/],
    ['gather with an index of another rank', () => x.gather(1, tensor([0])), /gather: index tensor must have the same number of dimensions as input tensor/],
    ['gather with an index out of range', () => Tensor.zeros([3, 4]).gather(1, tensor([[5]])), /gather: index 5 is out of bounds for dimension 1 with size 4/],
    ['mm of shapes that do not chain', () => Tensor.zeros([2, 3]).mm(Tensor.zeros([2, 3])), /mm: mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/],
    ['mm of a 3-D tensor', () => x.mm(Tensor.zeros([4, 2])), /mm: self must be a 2-D tensor, got shape \[2,3,4\]/],
    ['bmm of mismatched batches', () => x.bmm(Tensor.zeros([3, 4, 5])), /bmm: expected batch2 of shape \[2, 4, \*\]/],
    ['mv with a wrong vector', () => Tensor.zeros([2, 3]).mv(Tensor.zeros([2])), /mv: size mismatch/],
    ['split sizes that do not add up', () => Tensor.zeros([2, 3]).split([1, 1], 1), /split: split_sizes \[1,1\] .* sum exactly to 3/],
    ['zero chunks', () => x.chunk(0), /chunk: chunks must be a positive integer, got 0/],
    ['fewer repeats than dims', () => x.repeat(2), /repeat: the number of repeats \(1\) can not be smaller than the number of dims/],
    ['max of an empty tensor', () => Tensor.zeros([2, 0]).max(), /max: .*empty tensor.*give a dim/],
    ['min of an empty tensor', () => Tensor.zeros([2, 0]).min(), /min: .*empty tensor.*give a dim/],
    ['max over an empty dim', () => Tensor.zeros([2, 0]).max(1), /max: .*dim 1 has size 0/],
    ['an ambiguous -1 with zero cells', () => Tensor.zeros([0, 3]).reshape([-1, 0]), /reshape: cannot reshape .*0 cells.* -1 .* ambiguous/],
    ['a -1 next to a 0 with cells to place', () => Tensor.zeros([2, 3]).reshape([-1, 0]), /reshape: cannot reshape \[2,3\] \(6 cells\) into \[-1,0\]$/],
    ['a cat of 0-d tensors', () => Tensor.cat([tensor(1), tensor(2)]), /cat: a zero-dimensional tensor cannot be concatenated/],
    ['a cat of mismatched shapes', () => Tensor.cat([Tensor.zeros([2, 3]), Tensor.zeros([3, 3])], 1), /cat: tensor 1 has shape \[3,3\], which does not match \[2,3\] outside dim 1/],
    ['multinomial of too many samples without replacement', () => tensor([0.5, 0.5]).multinomial(3), /multinomial: cannot sample numSamples 3 > prob_dist size 2/],
    ['randint with high ≤ low', () => Tensor.randint(3, 3, [2]), /randint: expected integers low < high/],
  ])('%s', (_what, run, message) => {
    expect(run).toThrow(message);
  });
});

describe('index assignment in place', () => {
  it('indexPut_ writes into the tensor and every view of it', () => {
    const x = Tensor.zeros([3, 4]);
    const row = x.at(1);
    x.indexPut_([1, slice(1, 3)], tensor([5, 6]));
    x.indexPut_([[0, 0], [3, 3]], 1, true);
    expect(x.toArray()).toEqual([[0, 0, 0, 2], [0, 5, 6, 0], [0, 0, 0, 0]]);
    expect(row.toArray()).toEqual([0, 5, 6, 0]);
  });

  it('refuses a tensor that requires grad outside noGrad, like the other in-place ops, and works inside it', () => {
    const w = Tensor.zeros([3], { requiresGrad: true });
    expect(() => w.indexPut_([0], 1)).toThrow(/indexPut_: cannot modify a leaf tensor that requires grad in place/);
    noGrad(() => w.indexPut_([0], 1));
    expect(w.toArray()).toEqual([1, 0, 0]);
  });

  it('basic indexing is a view: at() shares storage, like PyTorch a[0, 1:]', () => {
    const x = Tensor.arange(6).reshape([2, 3]);
    expect(x.at(0, slice(1, null)).data.sharesStorageWith(x.data)).toBe(true);
    expect(x.at([0]).data.sharesStorageWith(x.data)).toBe(false);
  });

  it('a gather sends repeated picks their summed gradient (scatter-add)', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.at([2, 0, 2, 2]).sum().backward();
    expect(x.grad?.toArray()).toEqual([1, 0, 3]);
  });
});

describe('the cost of cat and stack', () => {
  /** A cpu backend that counts the cells each op writes (results and scatters). */
  function countingBackend(): { backend: Backend; cells: () => number } {
    let cells = 0;
    const count = (out: Float32Array): Float32Array => { cells += out.length; return out; };
    const backend: Backend = {
      name: 'counting',
      unary: (op, x) => count(referenceBackend.unary(op, x)),
      binary: (op, a, b) => count(referenceBackend.binary(op, a, b)),
      where: (c, a, b) => count(referenceBackend.where(c, a, b)),
      mulacc: (a, b, axes) => count(referenceBackend.mulacc(a, b, axes)),
      reduce: (op, x, axes) => count(referenceBackend.reduce(op, x, axes)),
      gather: (x) => count(referenceBackend.gather(x)),
      scatter: (target: StridedView, source: StridedView) => {
        cells += target.shape.reduce((a, b) => a * b, 1);
        referenceBackend.scatter(target, source);
      },
      indexSelect: (x, rows) => count(referenceBackend.indexSelect(x, rows)),
      indexAdd: (target, rows, source) => {
        cells += source.shape.reduce((a, b) => a * b, 1);
        referenceBackend.indexAdd(target, rows, source);
      },
    };
    return { backend, cells: () => cells };
  }

  afterEach(() => useBackend(referenceBackend));

  it('stack of 10,000 one-element tensors writes O(total) cells, forward and backward', () => {
    const n = 10000;
    const pieces = Array.from({ length: n }, (_, i) => tensor([i], { requiresGrad: true }));
    const { backend, cells } = countingBackend();
    useBackend(backend);
    const stacked = Tensor.stack(pieces);
    const forwardCells = cells();
    stacked.backward(Tensor.ones([n, 1]));
    // The old pad-and-add wrote about n·n = 10⁸ cells; writing each piece once is about 2n.
    expect(forwardCells).toBeLessThanOrEqual(3 * n);
    expect(cells()).toBeLessThanOrEqual(10 * n);
    expect(stacked.shape).toEqual([n, 1]);
    expect(pieces[n - 1].grad?.toArray()).toEqual([1]);
  });

  it('cat of N pieces writes each piece once', () => {
    const { backend, cells } = countingBackend();
    const pieces = Array.from({ length: 50 }, () => Tensor.rand([4, 3]));
    useBackend(backend);
    const out = Tensor.cat(pieces, 1);
    expect(out.shape).toEqual([4, 150]);
    expect(cells()).toBeLessThanOrEqual(2 * 4 * 150);
  });
});

describe('indexing cost', () => {
  it('picks MNIST-sized batch rows one assign per run of consecutive indices', () => {
    const images = Tensor.rand([6000, 784]);
    const batch = Tensor.randint(0, 6000, [64]);
    const rows = images.at(batch);
    expect(rows.shape).toEqual([64, 784]);
    const first = batch.at(0).item();
    expect(rows.at(0).toArray()).toEqual(images.at(first).toArray());
  });
});

describe('large gathers and scatters, where the fast backend runs WebAssembly', () => {
  afterEach(() => useBackend(referenceBackend));

  /** Output and input gradient of a gather and an index assignment with long runs (over 2048 cells each). */
  function run(backend: Backend): number[][] {
    useBackend(backend);
    manualSeed(21);
    const x = Tensor.rand([40, 3000], { requiresGrad: true });
    const rows = tensor([5, 6, 7, 7, 0, 39]);
    const picked = x.at(rows, slice(10, null));
    const put = x.indexPut([slice(1, 3)], Tensor.rand([1, 3000]), true);
    picked.mul(Tensor.randLike(picked)).sum().add(put.mul(Tensor.randLike(put)).sum()).backward();
    return [unpack(picked).values, unpack(put).values, unpack(x.grad as Tensor).values];
  }

  it.each(allBackends.filter(([name]) => name !== 'cpu'))('the %s backend matches the reference cpu backend', (_name, backend) => {
    const expected = run(referenceBackend);
    const actual = run(backend);
    actual.forEach((values, k) => expectClose(`result ${k}`, { shape: [values.length], values }, { shape: [expected[k].length], values: expected[k] }, defaultTolerance));
  });
});

describe('random ops, checked statistically', () => {
  it('randint draws integers in [low, high) with each value about equally often', () => {
    manualSeed(11);
    const values = unpack(Tensor.randint(-2, 3, [5000])).values;
    expect(values.every((v) => Number.isInteger(v) && v >= -2 && v < 3)).toBe(true);
    for (let v = -2; v < 3; v++) {
      // 5000 draws, p = 0.2: standard deviation sqrt(5000·0.16) ≈ 28; 150 is over 5σ.
      expect(Math.abs(values.filter((x) => x === v).length - 1000)).toBeLessThan(150);
    }
  });

  it('normal has the asked mean and standard deviation', () => {
    manualSeed(12);
    const values = unpack(Tensor.normal(3, 0.5, [100, 100])).values;
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
    expect(Math.abs(mean - 3)).toBeLessThan(0.03);
    expect(Math.abs(std - 0.5)).toBeLessThan(0.03);
  });

  it('multinomial with replacement draws categories in proportion to the weights, never a zero weight', () => {
    manualSeed(13);
    const draws = unpack(tensor([[1, 0, 3], [0, 2, 2]]).multinomial(4000, true));
    expect(draws.shape).toEqual([2, 4000]);
    const first = draws.values.slice(0, 4000);
    const second = draws.values.slice(4000);
    // p = 0.75 over 4000 draws: standard deviation sqrt(4000·0.1875) ≈ 27; 150 is over 5σ.
    expect(Math.abs(first.filter((v) => v === 2).length - 3000)).toBeLessThan(150);
    expect(first.includes(1)).toBe(false);
    expect(Math.abs(second.filter((v) => v === 1).length - 2000)).toBeLessThan(150);
    expect(second.includes(0)).toBe(false);
  });

  it('multinomial without replacement never repeats a category in a row', () => {
    manualSeed(14);
    const draws = tensor([[1, 1, 1, 1, 1], [5, 1, 0, 1, 1]]).multinomial(4).toArray() as number[][];
    for (const row of draws) expect(new Set(row).size).toBe(4);
    expect(draws[1].includes(2)).toBe(false);
    expect(Tensor.randint(0, 10, [2, 3]).shape).toEqual([2, 3]);
    expect(tensor([0.2, 0.8]).multinomial(1).shape).toEqual([1]);
  });
});
