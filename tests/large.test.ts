/**
 * Every compute op against PyTorch at 4,096 cells, on every backend: the sizes at which the fast
 * backend runs its WebAssembly kernels (WASM_MIN_CELLS is 2,048) and the gpu backend its gpu.js
 * kernels. Rows come from tests/fixtures/large.json (scripts/generate_large_fixtures.py); the ops
 * come from the lists of ops.ts, so a new op fails here until its row is generated.
 *
 * The calls go straight to each backend, over views as training makes them: unary ops read a
 * transposed input, binary ops a broadcast one (see the generator). Headlessgl runs with
 * TSGRAD_TEST_GL=1 under xvfb-run, as in tests/gpu.test.ts.
 *
 * Tolerance: the default (atol 1e-5, rtol 1e-4) of tests/helpers/fixtures.ts, except for sums, which
 * the gpu backend accumulates in float32: a float32 sum of n terms is off by at most about
 * (n+1)·2^-24·Σ|terms| (see tests/gpu.test.ts), taken here with Σ|terms| ≤ n·(largest |term|).
 */
import type { Backend, StridedView } from '../src/data/backend';
import { gpuBackend, type GpuMode } from '../src/data/device';
import { fastBackend } from '../src/data/fast';
import { WASM_MIN_CELLS } from '../src/data/fast/wasmOps';
import { binaryOps, reduceOps, unaryOps } from '../src/data/ops';
import { referenceBackend } from '../src/data/reference';
import { rowMajorStrides, type Shape } from '../src/data/shape';
import { reducedShape } from '../src/data/view';
import { defaultTolerance, expectClose, loadFixture, tableMismatch, type FixtureInput, type Tolerance } from './helpers/fixtures';

/** Axes the reduction rows reduce over (REDUCE_AXES in the generator). */
const REDUCE_AXES = [0, 2];
/** mulacc reduces axis 1 of [16, 16, 16]: 16 batches of 16×16 matrix products. */
const MULACC_AXES = [1];

type Run = (backend: Backend, ...inputs: StridedView[]) => { shape: Shape; values: Float32Array };

const packed = (input: FixtureInput): StridedView => ({
  array: Float32Array.from(input.values), shape: input.shape, strides: rowMajorStrides(input.shape), offset: 0,
});
/** The transpose of a stored [n, m] input. */
const transposed = (x: StridedView): StridedView => ({ ...x, shape: [x.shape[1], x.shape[0]], strides: [x.strides[1], x.strides[0]] });
/** A stored [1, m] input read as [m, m]. */
const broadcastRows = (x: StridedView): StridedView => ({ ...x, shape: [x.shape[1], x.shape[1]], strides: [0, x.strides[1]] });

/** The tsgrad side of each row, derived from the op lists of ops.ts. */
const largeTable: Record<string, Run> = {
  ...Object.fromEntries(unaryOps.map((op) => [`unary_${op}`, ((backend, x) => {
    const view = transposed(x);
    return { shape: view.shape, values: backend.unary(op, view) };
  }) satisfies Run])),
  ...Object.fromEntries(binaryOps.map((op) => [`binary_${op}`, ((backend, a, b) => {
    return { shape: a.shape, values: backend.binary(op, a, broadcastRows(b)) };
  }) satisfies Run])),
  ...Object.fromEntries(reduceOps.map((op) => [`reduce_${op}`, ((backend, x) => {
    return { shape: reducedShape(x.shape, REDUCE_AXES), values: backend.reduce(op, x, REDUCE_AXES) };
  }) satisfies Run])),
  where: (backend, c, a, b) => ({ shape: c.shape, values: backend.where(c, a, b) }),
  mulacc: (backend, a, b) => ({ shape: reducedShape(a.shape, MULACC_AXES), values: backend.mulacc(a, b, MULACC_AXES) }),
  gather: (backend, x) => ({ shape: transposed(x).shape, values: backend.gather(transposed(x)) }),
};

/** Sums accumulate in float32 on the gpu backend: (n+1)·2^-24·n·(largest |term|) for n terms. */
const summed = (terms: number, largest: number): Tolerance => ({ ...defaultTolerance, atol: (terms + 1) * 2 ** -24 * terms * largest });
const tolerances: Record<string, Tolerance> = {
  reduce_sum: summed(16 * 16, 2),
  mulacc: summed(16, 4),
};

const rows = loadFixture('large.json');

describe('large rows', () => {
  it('has a tsgrad side for every fixture row and a row for every op of ops.ts', () => {
    expect(tableMismatch(rows, largeTable)).toEqual({ missingLambda: [], missingFixture: [] });
  });

  it('reads at least 4,096 cells per row, above the WebAssembly threshold', () => {
    for (const row of rows) {
      // The cells an op walks: its output's, or a reduction's input's.
      const cells = Math.max(...row.inputs.map((input) => input.values.length), row.output.values.length);
      expect([row.name, cells >= Math.max(4096, WASM_MIN_CELLS)]).toEqual([row.name, true]);
    }
  });
});

const modes: GpuMode[] = process.env.TSGRAD_TEST_GL === '1' ? ['webasm', 'headlessgl'] : ['webasm'];
const backends: [string, () => Backend][] = [
  ['reference', () => referenceBackend],
  ['fast', () => fastBackend],
  ...modes.map((mode): [string, () => Backend] => [`gpu ${mode}`, () => gpuBackend({ mode })]),
];

describe.each(backends)('large rows on the %s backend', (_name, backend) => {
  it.each(rows.map((row) => [row.name, row] as const))('%s', (name, row) => {
    const run = largeTable[name];
    if (run === undefined) throw new Error(`no tsgrad side for fixture row ${name}`);
    const out = run(backend(), ...row.inputs.map(packed));
    expectClose(name, { shape: out.shape, values: Array.from(out.values) }, row.output, tolerances[name] ?? defaultTolerance);
  });
});
