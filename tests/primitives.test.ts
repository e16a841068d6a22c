/**
 * TensorData primitives against PyTorch: one `it` per row of tests/fixtures/primitives.json (written by
 * scripts/generate_fixtures.py), on every backend of tests/helpers/backends.ts; then the properties a
 * table cannot show: which movement ops are views, in-place `assign`, and the seeded `rand`.
 */
import { TensorData, allOps, referenceBackend, manualSeed, useBackend, type OpName } from '../src/data';
import { backends } from './helpers/backends';
import { defaultTolerance, expectClose, loadFixture, tableMismatch, type Tolerance } from './helpers/fixtures';

type DataFn = (...inputs: TensorData[]) => TensorData;

/** The tsgrad side of each fixture row; inputs arrive in the fixture's order. */
const primitiveTable: Record<string, DataFn> = {
  neg: (x) => x.neg(),
  exp: (x) => x.exp(),
  exp_permuted_view: (x) => x.permute([1, 0]).exp(),
  log: (x) => x.log(),
  sin: (x) => x.sin(),
  sqrt: (x) => x.sqrt(),
  recip: (x) => x.recip(),
  add: (a, b) => a.add(b),
  add_expanded_view: (a, b) => a.add(b.expand([3, 4])),
  sub: (a, b) => a.sub(b),
  mul: (a, b) => a.mul(b),
  div: (a, b) => a.div(b),
  max: (a, b) => a.max(b),
  max_ties: (a, b) => a.max(b),
  cmplt: (a, b) => a.cmplt(b),
  where: (c, a, b) => c.where(a, b),
  mulacc: (a, b) => a.mulacc(b, [1]),
  mulacc_axes: (a, b) => a.mulacc(b, [0, 2]),
  mulacc_neg_axis: (a, b) => a.mulacc(b, [-1]),
  mulacc_expanded_matmul: (a, b) => a.expand([2, 3, 4]).mulacc(b.expand([2, 3, 4]), [1]),
  sum: (x) => x.sum([1]),
  sum_axes: (x) => x.sum([0, 2]),
  sum_all_axes: (x) => x.sum([0, 1, 2]),
  sum_no_axes: (x) => x.sum([]),
  sum_permuted_view: (x) => x.permute([2, 0, 1]).sum([1]),
  amax: (x) => x.amax([0]),
  amax_axes: (x) => x.amax([1, 2]),
  amax_neg_axis: (x) => x.amax([-1]),
  reshape: (x) => x.reshape([6, 4]),
  reshape_split: (x) => x.reshape([2, 3, 2, 2]),
  reshape_noncontiguous: (x) => x.permute([1, 0, 2]).reshape([3, 8]),
  permute: (x) => x.permute([2, 0, 1]),
  expand: (x) => x.expand([3, 4]),
  shrink: (x) => x.shrink([[1, 3], [0, 2], [1, 4]]),
  stride: (x) => x.stride([2, 1]),
  stride_negative: (x) => x.stride([-1, 2]),
  stride_negative_2: (x) => x.stride([1, -2]),
  window_1d: (x) => x.window([2], [3], [2], [1]),
  window_2d: (x) => x.window([2, 3], [3, 2], [2, 1], [1, 2]),
  window_axes_reversed: (x) => x.window([3, 2], [2, 3], [1, 2], [2, 1]),
  pad: (x) => x.pad([[1, 0], [2, 1]]),
  pad_value: (x) => x.pad([[2, 0], [1, 1], [0, 1]], -1.5),
  const: () => TensorData.const(2.5, [2, 3]),
  fromArray: () => TensorData.fromArray([0.1, -0.2, 1 / 3, 1e-3, 2.5, -7], [2, 3]),
};

/** Rows that need more than the default tolerance (atol 1e-5, rtol 1e-4), with the reason. None yet. */
const tolerances: Record<string, Tolerance> = {};

/** Where each primitive op is tested; a `Record<OpName, ...>`, so a new op without a test is a compile error. */
const coverage: Record<OpName, string[]> = {
  neg: ['neg'], exp: ['exp', 'exp_permuted_view'], log: ['log'], sin: ['sin'], sqrt: ['sqrt'], recip: ['recip'],
  add: ['add', 'add_expanded_view'], sub: ['sub'], mul: ['mul'], div: ['div'], max: ['max', 'max_ties'], cmplt: ['cmplt'],
  where: ['where'], mulacc: ['mulacc', 'mulacc_axes', 'mulacc_neg_axis', 'mulacc_expanded_matmul'],
  sum: ['sum', 'sum_axes', 'sum_all_axes', 'sum_no_axes', 'sum_permuted_view'], amax: ['amax', 'amax_axes', 'amax_neg_axis'],
  reshape: ['reshape', 'reshape_split', 'reshape_noncontiguous'], permute: ['permute'], expand: ['expand'], pad: ['pad', 'pad_value'],
  shrink: ['shrink'], stride: ['stride', 'stride_negative', 'stride_negative_2'],
  window: ['window_1d', 'window_2d', 'window_axes_reversed'],
  const: ['const'], fromArray: ['fromArray'], rand: [], assign: [], generate: [], // rand, assign, generate: the named tests below
  indexSelect: [], indexAdd: [], // against PyTorch in tests/indexops.test.ts
};

const rows = loadFixture('primitives.json');

const data = (values: number[], shape: number[]): TensorData => TensorData.fromArray(values, shape);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('primitives table', () => {
  it('has a tsgrad lambda for every fixture row and a fixture row for every lambda', () => {
    expect(tableMismatch(rows, primitiveTable)).toEqual({ missingLambda: [], missingFixture: [] });
  });

  it('covers every primitive op with rows that exist', () => {
    expect([...allOps].sort()).toEqual(Object.keys(coverage).sort());
    const missing = Object.values(coverage).flat().filter((name) => !(name in primitiveTable));
    expect(missing).toEqual([]);
    expect(Object.keys(tolerances).filter((n) => !(n in primitiveTable))).toEqual([]);
  });
});

describe.each(backends)('primitives on the %s backend', (_name, backend) => {
  beforeAll(() => useBackend(backend));
  afterAll(() => useBackend(referenceBackend));

  it.each(rows.map((row) => [row.name, row] as const))('%s', (name, row) => {
    const fn = primitiveTable[name];
    if (fn === undefined) throw new Error(`no tsgrad lambda for fixture row ${name}`);
    const out = fn(...row.inputs.map((x) => data(x.values, x.shape)));
    expectClose(`${name}: output`, { shape: out.shape, values: out.toFlat() }, row.output, tolerances[name] ?? defaultTolerance);
  });

  // ---- views ---------------------------------------------------------------------------------

  it('movement ops other than pad are views of the same storage', () => {
    const x = data(range(24), [2, 3, 4]);
    expect(x.permute([2, 0, 1]).sharesStorageWith(x)).toBe(true);
    expect(x.reshape([6, 4]).sharesStorageWith(x)).toBe(true);
    expect(x.shrink([[0, 1], [1, 3], [0, 4]]).sharesStorageWith(x)).toBe(true);
    expect(x.stride([1, -1, 2]).sharesStorageWith(x)).toBe(true);
    expect(x.window([2], [2], [1], [1]).sharesStorageWith(x)).toBe(true);
    const column = data([1, 2, 3], [3, 1]);
    expect(column.expand([3, 5]).sharesStorageWith(column)).toBe(true);
    expect(column.expand([3, 5]).strides[1]).toBe(0);
    expect(x.pad([[0, 0], [1, 0], [0, 0]]).sharesStorageWith(x)).toBe(false);
  });

  it('compute ops write new storage', () => {
    const x = data(range(6), [2, 3]);
    expect(x.exp().sharesStorageWith(x)).toBe(false);
    expect(x.add(x).sharesStorageWith(x)).toBe(false);
    expect(x.sum([1]).sharesStorageWith(x)).toBe(false);
  });

  it('reshape of a non-contiguous view copies, and of a contiguous one does not', () => {
    const x = data(range(24), [2, 3, 4]);
    const permuted = x.permute([1, 0, 2]);
    expect(permuted.isContiguous).toBe(false);
    const reshaped = permuted.reshape([3, 8]);
    expect(reshaped.sharesStorageWith(x)).toBe(false);
    expect(reshaped.isContiguous).toBe(true);
    expect(reshaped.toFlat()).toEqual([0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 16, 17, 18, 19, 8, 9, 10, 11, 20, 21, 22, 23]);
    // Merging dims that are still adjacent in memory needs no copy, even in a permuted view.
    expect(permuted.reshape([3, 2, 2, 2]).sharesStorageWith(x)).toBe(true);
    expect(x.reshape([4, 6]).isContiguous).toBe(true);
  });

  it('const stores one value broadcast with stride 0', () => {
    const c = TensorData.const(2.5, [2, 3]);
    expect(c.strides).toEqual([0, 0]);
    expect(c.toFlat()).toEqual([2.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
  });

  it('fromArray rounds to float32 and rejects a size mismatch', () => {
    expect(data([0.1], [1]).toFlat()).toEqual([Math.fround(0.1)]);
    expect(() => data([1, 2, 3], [2, 2])).toThrow(RangeError);
  });

  // ---- assign --------------------------------------------------------------------------------

  it('assign writes through a shrunk, strided view into the base and bumps the version', () => {
    const base = data(range(12), [3, 4]);
    const other = base.reshape([12]);
    const view = base.shrink([[0, 3], [1, 3]]).stride([2, 1]); // rows 0 and 2, columns 1 and 2
    const before = base.version;
    view.assign(data([100, 101, 102, 103], [2, 2]));
    expect(base.toFlat()).toEqual([0, 100, 101, 3, 4, 5, 6, 7, 8, 102, 103, 11]);
    expect(other.toFlat()).toEqual(base.toFlat());
    expect(base.version).toBe(before + 1);
    expect(other.version).toBe(base.version);
  });

  it('assign through a flipped view writes in view order', () => {
    const base = data(range(4), [4]);
    base.stride([-1]).assign(data([10, 11, 12, 13], [4]));
    expect(base.toFlat()).toEqual([13, 12, 11, 10]);
  });

  it('assign from a view of the same storage reads before it writes', () => {
    const base = data(range(4), [4]);
    base.assign(base.stride([-1]));
    expect(base.toFlat()).toEqual([3, 2, 1, 0]);
  });

  it('assign refuses a broadcast view and a shape mismatch', () => {
    const column = data([1, 2], [2, 1]).expand([2, 3]);
    expect(() => column.assign(data(range(6), [2, 3]))).toThrow(RangeError);
    expect(() => data(range(4), [4]).assign(data(range(3), [3]))).toThrow(RangeError);
  });

  // ---- rand ----------------------------------------------------------------------------------

  it('rand draws from [0, 1), repeats under manualSeed, and has mean about 0.5', () => {
    manualSeed(2024);
    const a = TensorData.rand([100, 100]);
    expect(a.shape).toEqual([100, 100]);
    const values = a.toFlat();
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    // mean of 10000 uniforms: standard deviation 0.289 / 100 ≈ 0.003.
    expect(Math.abs(values.reduce((s, v) => s + v, 0) / values.length - 0.5)).toBeLessThan(0.02);
    manualSeed(2024);
    expect(TensorData.rand([100, 100]).toFlat()).toEqual(values);
    manualSeed(2025);
    expect(TensorData.rand([100, 100]).toFlat()).not.toEqual(values);
  });

  // ---- generate ------------------------------------------------------------------------------

  it('generate fills new packed storage from a function of the row-major cell index', () => {
    const t = TensorData.generate([2, 3], (i) => i * 10 + 1);
    expect(t.toNested()).toEqual([[1, 11, 21], [31, 41, 51]]);
    expect(t.isContiguous).toBe(true);
    expect(TensorData.generate([0, 4], () => 1).size).toBe(0);
  });

  it('generate refuses a bad shape and one past MAX_CELLS, naming the op', () => {
    expect(() => TensorData.generate([2, -1], () => 0)).toThrow(TypeError);
    expect(() => TensorData.generate([1e6, 1e6], () => 0, 'eye')).toThrow('eye: shape [1000000,1000000] has 1000000000000 cells');
  });
});
