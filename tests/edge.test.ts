/**
 * The edge-value table: tsgrad against PyTorch at kinks, ties, 0, ±inf, NaN and saturation, one `it`
 * per row of tests/fixtures/edge.json (written by scripts/generate_edge_fixtures.py), on every backend
 * of tests/helpers/backends.ts and on the gpu backend in webasm mode.
 *
 * A row checks the output and the input gradients of sum(out * gradOut); NaN must be NaN and ±inf
 * exactly ±inf. These rows have no finite-difference check: at a kink the two one-sided slopes differ,
 * and only PyTorch's number says which gradient is right. The Functions that give these numbers get a
 * finite-difference gradcheck at smooth points instead, at the end of this file.
 * `edgeTable` must have exactly the fixture's rows: adding a row on one side only fails the suite.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { Tensor, nn, tensor } from '../src';
import { referenceBackend, gpuBackend, useBackend, type Backend } from '../src/data';
import { backends } from './helpers/backends';
import { defaultTolerance, tableMismatch, type FixtureInput, type FixtureRow, type Packed, type Tolerance } from './helpers/fixtures';
import { analyticGrads, expectRowMatches, gradcheck, makeTensor, type TensorFn } from './helpers/gradcheck';

/** The tsgrad side of each fixture row; inputs arrive in the fixture's order. */
const edgeTable: Record<string, TensorFn> = {
  // clamp
  clamp_at_bounds: (x) => x.clamp(0, 1),
  clamp_min_at_bound: (x) => x.clamp(0),
  clamp_max_at_bound: (x) => x.clamp(undefined, 0),
  clamp_min_above_max: (x) => x.clamp(1, 0),
  clamp_min_equals_max: (x) => x.clamp(0.5, 0.5),
  clamp_infinities: (x) => x.clamp(-0.5, 0.5),

  // maximum / minimum
  maximum_ties_nan: (a, b) => a.maximum(b),
  minimum_ties_nan: (a, b) => a.minimum(b),
  maximum_scalar_tie: (x) => x.maximum(0),
  minimum_broadcast_ties: (a, b) => a.minimum(b),

  // max / min reductions
  max_dim_ties: (x) => x.max(1),
  max_dim_nan: (x) => x.max(1),
  max_all_ties: (x) => x.max(),
  max_all_nan: (x) => x.max(),
  max_dims_keepdim_ties: (x) => x.max([0, 2], true),
  min_dim_ties: (x) => x.min(1),
  min_all_ties: (x) => x.min(),
  argmax_ties_nan: (x) => x.argmax(1),
  argmin_ties_nan: (x) => x.argmin(1),
  lt_nan: (a, b) => a.lt(b),
  gt_nan: (a, b) => a.gt(b),
  le_nan: (a, b) => a.le(b),
  ge_nan: (a, b) => a.ge(b),
  eq_nan: (a, b) => a.eq(b),
  ne_nan: (a, b) => a.ne(b),

  // maxPool2d
  maxPool2d_ties: (x) => x.maxPool2d(2),
  maxPool2d_ties_overlap: (x) => x.maxPool2d(2, 1),
  maxPool2d_ties_padding: (x) => x.maxPool2d(3, 2, 1),
  maxPool2d_padding_all_neg_inf: (x) => x.maxPool2d(3, 2, 1),
  maxPool2d_ties_tuple_floor: (x) => x.maxPool2d([2, 3]),
  maxPool2d_nan: (x) => x.maxPool2d(2),
  maxPool2d_infinities: (x) => x.maxPool2d(2),

  // pow
  pow_2_5_at_zero: (x) => x.pow(2.5),
  pow_half_at_zero: (x) => x.pow(0.5),
  pow_2_at_zero: (x) => x.pow(2),
  pow_3_negative: (x) => x.pow(3),
  pow_0: (x) => x.pow(0),
  pow_minus_2_at_zero: (x) => x.pow(-2),
  pow_minus_half_at_zero: (x) => x.pow(-0.5),
  pow_tensor_scalar_negative_base: (x, e) => x.pow(e),
  pow_tensor_negative_base: (x, e) => x.pow(e),
  pow_tensor_zero_base: (x, e) => x.pow(e),
  pow_tensor_negative_zero_base: (x, e) => x.pow(e),
  pow_tensor_one_nan: (x, e) => x.pow(e),
  pow_tensor_large_exponents: (x, e) => x.pow(e),
  pow_tensor_infinities: (x, e) => x.pow(e),
  pow_tensor_broadcast_negative_base: (x, e) => x.pow(e),

  // std / var
  std_constant_row: (x) => x.std(1),
  std_constant_all: (x) => x.std(),
  std_one_element: (x) => x.std(1),
  std_correction0_constant: (x) => x.std([0], false, 0),
  std_keepdim_constant: (x) => x.std(0, true),
  var_constant_row: (x) => x.var(1),
  var_one_element: (x) => x.var(1),

  // binary cross-entropy
  bce_at_0_and_1: (p, t) => p.binaryCrossEntropy(t, { reduction: 'none' }),
  bce_mean_at_0_and_1: (p, t) => p.binaryCrossEntropy(t),
  bce_sigmoid_20: (x, t) => x.sigmoid().binaryCrossEntropy(t),
  bce_sigmoid_saturated: (x, t) => x.sigmoid().binaryCrossEntropy(t, { reduction: 'none' }),
  bceWithLogits_at_zero: (x, t) => x.binaryCrossEntropyWithLogits(t, { reduction: 'none' }),
  bceWithLogits_near_zero: (x, t) => x.binaryCrossEntropyWithLogits(t, { reduction: 'none' }),
  bceWithLogits_saturation: (x, t) => x.binaryCrossEntropyWithLogits(t, { reduction: 'none' }),
  bceWithLogits_mean_at_zero: (x, t) => x.binaryCrossEntropyWithLogits(t),

  // tanh
  tanh_small_and_medium: (x) => x.tanh(),
  tanh_saturation: (x) => x.tanh(),

  // other kinks, saturation and infinities
  abs_at_zero: (x) => x.abs(),
  relu_at_zero: (x) => x.relu(),
  sqrt_at_zero: (x) => x.sqrt(),
  log_at_zero: (x) => x.log(),
  reciprocal_at_zero: (x) => x.reciprocal(),
  cos_sin_infinities: (x) => x.cos().add(x.sin()),
  exp_overflow: (x) => x.exp(),
  sigmoid_saturation: (x) => x.sigmoid(),
  div_by_zero: (a, b) => a.div(b),
  div_infinities: (a, b) => a.div(b),
  mul_inf_zero: (a, b) => a.mul(b),
  sum_mean_infinities: (x) => x.sum(1).add(x.mean(1)),
  avgPool2d_infinities: (x) => x.avgPool2d(2),
  matmul_infinities: (a, b) => a.matmul(b),
  softmax_infinities: (x) => x.softmax(-1),
  logSoftmax_infinities: (x) => x.logSoftmax(-1),
  softmax_large: (x) => x.softmax(-1),
  crossEntropy_large_logits: (x, t) => x.crossEntropy(t, { reduction: 'none' }),
  crossEntropy_smoothing_large_logits: (x, t) => x.crossEntropy(t, { reduction: 'none', labelSmoothing: 0.1 }),
  crossEntropy_neg_inf_logits: (x, t) => x.crossEntropy(t, { reduction: 'none' }),
  nllLoss_neg_inf: (x, t) => x.nllLoss(t, { reduction: 'none' }),
  mseLoss_equal_and_infinite: (x, t) => x.mseLoss(t, { reduction: 'none' }),
  gelu_extremes: (x) => nn.gelu(x),
  elu_edges: (x) => x.elu(),
  elu_alpha_edges: (x) => x.elu(0.5),
  minimum_maximum_chain_clamp: (x) => x.maximum(0).minimum(1),
};

/**
 * Rows whose output needs another tolerance than the default (atol 1e-5, rtol 1e-4), with the reason
 * (gradients always use the default).
 * tanh is checked against float64 tanh rounded once to float32: relative error at most 1e-6
 * (a few float32 ulps; 2σ(2x) − 1 was off by 7e-5 at 1e-3).
 */
const tolerances: Record<string, Tolerance> = {
  tanh_small_and_medium: { atol: 0, rtol: 1e-6 },
};

/** JSON has no NaN or ±inf; the generator writes them as strings. */
function loadEdgeRows(): FixtureRow[] {
  const text = readFileSync(join(__dirname, 'fixtures', 'edge.json'), 'utf8');
  const special: Record<string, number> = { NaN, Infinity, '-Infinity': -Infinity };
  return (JSON.parse(text, (_key, value: unknown) => (typeof value === 'string' && value in special ? special[value] : value)) as { rows: FixtureRow[] }).rows;
}

const rows = loadEdgeRows();

describe('edge table', () => {
  it('has a tsgrad lambda for every fixture row and a fixture row for every lambda', () => {
    expect(tableMismatch(rows, edgeTable)).toEqual({ missingLambda: [], missingFixture: [] });
  });

  it('names each tolerance override after a row', () => {
    expect(Object.keys(tolerances).filter((n) => !(n in edgeTable))).toEqual([]);
  });

  it('holds NaN and ±inf as numbers after loading', () => {
    const values = rows.flatMap((r) => r.inputs.flatMap((x) => x.values));
    expect(values.some(Number.isNaN)).toBe(true);
    expect(values).toContain(Infinity);
    expect(values).toContain(-Infinity);
    expect(values.every((v) => typeof v === 'number')).toBe(true);
  });
});

const edgeBackends: [string, Backend][] = [...backends, ['gpu (webasm)', gpuBackend({ mode: 'webasm' })]];

describe.each(edgeBackends)('edge values on the %s backend', (_name, backend) => {
  beforeAll(() => useBackend(backend));
  afterAll(() => useBackend(referenceBackend));

  it.each(rows.map((row) => [row.name, row] as const))('%s', (name, row) => {
    const fn = edgeTable[name];
    if (fn === undefined) throw new Error(`no tsgrad lambda for fixture row ${name}`);
    // A finite difference cannot check a kink: PyTorch's number is the reference here.
    expectRowMatches(row, fn, { tol: tolerances[name] ?? defaultTolerance, gradTol: defaultTolerance, finiteDifference: false });
  });
});

// ---- the Functions behind these rows, at smooth points: finite differences -----------------------

/** An input of explicit values (row-major) that requires grad unless told. */
function input(values: number[], shape: number[] = [values.length], requiresGrad = true): FixtureInput {
  return { shape, values, requiresGrad };
}

/** Distinct values 0.3 apart (well over the gradcheck step), scrambled: i ↦ i·k mod n with k prime to n. */
function distinct(shape: number[]): FixtureInput {
  const n = shape.reduce((a, b) => a * b, 1);
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const k = [7, 11, 13, 17].find((c) => gcd(c, n) === 1) ?? 1;
  return input(Array.from({ length: n }, (_, i) => ((i * k) % n) * 0.3 - 0.15 * n), shape);
}

const smoothTable: Record<string, { fn: TensorFn; inputs: FixtureInput[] }> = {
  tanh: { fn: (x) => x.tanh(), inputs: [input([-2.5, -0.7, -0.01, 0.003, 0.4, 1.9])] },
  clamp: { fn: (x) => x.clamp(-0.5, 0.5), inputs: [input([-1.2, -0.3, 0.1, 0.45, 0.9])] },
  clamp_min: { fn: (x) => x.clamp(0.2), inputs: [input([-1.2, 0.1, 0.45, 0.9])] },
  clamp_max: { fn: (x) => x.clamp(undefined, -0.3), inputs: [input([-1.2, -0.5, 0.1, 0.9])] },
  pow_number_2_5: { fn: (x) => x.pow(2.5), inputs: [input([0.3, 1.2, 2])] },
  pow_number_half: { fn: (x) => x.pow(0.5), inputs: [input([0.3, 1.2, 2])] },
  pow_number_3: { fn: (x) => x.pow(3), inputs: [input([-1.2, 0.4, 1.1])] },
  pow_number_minus_2: { fn: (x) => x.pow(-2), inputs: [input([-1.5, 0.7, 2])] },
  pow_tensor: { fn: (x, e) => x.pow(e), inputs: [input([0.5, 1.5, 2, 0.8]), input([-1.3, 0.4, 2.2, 3])] },
  pow_tensor_negative_base: { fn: (x, e) => x.pow(e), inputs: [input([-1.5, -0.7, -1.2]), input([2, 3, -1], [3], false)] },
  std_dim: { fn: (x) => x.std(1), inputs: [input([0.3, -1.2, 0.8, 1.5, 0.2, -0.4], [2, 3])] },
  std_all: { fn: (x) => x.std(), inputs: [input([0.3, -1.2, 0.8, 1.5, 0.2, -0.4], [2, 3])] },
  std_keepdim_correction0: { fn: (x) => x.std(0, true, 0), inputs: [input([0.3, -1.2, 0.8, 1.5, 0.2, -0.4], [2, 3])] },
  maxPool2d: { fn: (x) => x.maxPool2d(2), inputs: [distinct([1, 2, 4, 4])] },
  maxPool2d_overlap_padding: { fn: (x) => x.maxPool2d(3, 2, 1), inputs: [distinct([1, 1, 5, 5])] },
  maxPool2d_tuple_floor: { fn: (x) => x.maxPool2d([2, 3]), inputs: [distinct([1, 1, 5, 7])] },
  max_dim: { fn: (x) => x.max(1), inputs: [distinct([2, 3, 4])] },
  max_all: { fn: (x) => x.max(), inputs: [distinct([3, 4])] },
  maximum: { fn: (a, b) => a.maximum(b), inputs: [input([0.3, -1.2, 0.8, 1.5]), input([0.9, -0.2, -0.8, 1.1])] },
  relu: { fn: (x) => x.relu(), inputs: [input([-1.1, -0.2, 0.3, 1.7])] },
  binaryCrossEntropy: { fn: (p, t) => p.binaryCrossEntropy(t), inputs: [input([0.15, 0.5, 0.8, 0.35]), input([0.2, 0.9, 0.4, 0])] },
  binaryCrossEntropyWithLogits: { fn: (x, t) => x.binaryCrossEntropyWithLogits(t, { reduction: 'sum' }), inputs: [input([-2.1, -0.3, 0.4, 1.8]), input([0.2, 0.9, 0.4, 1])] },
};

/** A fixed upstream gradient of varied signs and sizes. */
function gradOutFor(out: Tensor): Packed {
  const n = out.numel();
  return { shape: out.shape, values: Array.from({ length: n }, (_, i) => [0.7, -1.3, 0.4, 1.1, -0.6][i % 5]) };
}

describe.each(backends)('gradcheck of the edge Functions at smooth points on the %s backend', (_name, backend) => {
  beforeAll(() => useBackend(backend));
  afterAll(() => useBackend(referenceBackend));

  it.each(Object.entries(smoothTable))('%s', (name, { fn, inputs }) => {
    const probe = fn(...inputs.map((x) => makeTensor(x.values, x.shape)));
    const gradOut = gradOutFor(probe);
    const { grads } = analyticGrads(fn, inputs, gradOut);
    gradcheck(name, fn, inputs, gradOut, grads);
  });
});

describe('edge cases named in the docs', () => {
  it('tanh keeps float32 accuracy near 0, where 2σ(2x) − 1 cancels', () => {
    const x = Math.fround(1e-3);
    const got = tensor([x]).tanh().item();
    expect(Math.abs(got - Math.tanh(x)) / Math.tanh(x)).toBeLessThanOrEqual(1e-6);
  });

  it('binaryCrossEntropy refuses inputs that are not probabilities, as PyTorch does', () => {
    const target = tensor([0.5, 0.5]);
    for (const bad of [1.5, -0.1, NaN]) {
      expect(() => tensor([0.2, bad]).binaryCrossEntropy(target)).toThrow(
        `binaryCrossEntropy: input ${Math.fround(bad)} at position 1 is not a probability in [0, 1]; for logits use binaryCrossEntropyWithLogits`,
      );
    }
  });

  it('tensor(-2).pow(tensor(2)) is 4 and its gradient for the base is -4', () => {
    const base = tensor(-2, { requiresGrad: true });
    const out = base.pow(tensor(2));
    out.backward();
    expect(out.item()).toBeCloseTo(4, 5);
    expect((base.grad as Tensor).item()).toBeCloseTo(-4, 4);
  });
});
