/**
 * The fast CPU backend (src/data/fast) against the reference `referenceBackend`, op by op on random strided
 * views: small ones (JavaScript loops) and large ones (WebAssembly), packed, permuted, broadcast,
 * flipped and offset; mulacc in the patterns matmul and conv2d produce, in patterns that do not factor,
 * at tile-tail sizes and with empty dims; both thread paths of the GEMM; and the committed WebAssembly
 * binary against its source. The PyTorch op tables also run on this backend (tests/helpers/backends.ts).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Tensor } from '../src';
import { TensorData, referenceBackend, reclaimDeviceMemory, useBackend, type Backend, type StridedView } from '../src/data';
import { fastBackend, setFastThreads } from '../src/data/fast';
import { arrayPoolStats } from '../src/data/fast/arrayPool';
import { PACK_BUDGET, THREAD_MIN_FLOPS } from '../src/data/fast/gemm';
import { threadsAllowed } from '../src/data/fast/threads';
import { planLoop } from '../src/data/fast/strided';
import { SPARSE, WASM_MIN_CELLS, callKernel } from '../src/data/fast/wasmOps';
import { rowMajorStrides } from '../src/data/shape';
import { binaryOps, reduceMath, reduceOps, unaryOps } from '../src/data/ops';
import { genericBinaryRow, genericReduceRow, genericUnaryRow } from '../src/data/fast/elementwise';
import { usePlainSimdBuild, wasmRuntime } from '../src/data/fast/wasm';
import { wasmKernelOps } from '../src/data/fast/wasmBinary';
import { matmulData } from '../src/function/helpers';

// ---- random views -------------------------------------------------------------------------------

let seed = 12345;
/** Uniform in [-1, 1), seeded, so a failure reproduces. */
function random(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed / 2 ** 32) * 2 - 1;
}

interface ViewSpec {
  shape: number[];
  /** Storage order of the axes, outermost first (default: row-major). */
  order?: number[];
  /** Axes read with stride 0 (broadcast). */
  broadcast?: number[];
  /** Axes walked backwards (negative stride). */
  flip?: number[];
  /** Unused cells before the view's storage. */
  offset?: number;
  /** Round values to quarters (makes ties for max and amax). */
  coarse?: boolean;
}

function makeView(spec: ViewSpec): StridedView {
  const { shape } = spec;
  const order = spec.order ?? shape.map((_, i) => i);
  const broadcast = spec.broadcast ?? [];
  const strides = shape.map(() => 0);
  let size = 1;
  for (let j = order.length - 1; j >= 0; j--) {
    const axis = order[j];
    if (broadcast.includes(axis)) continue;
    strides[axis] = size;
    size *= shape[axis];
  }
  const base = spec.offset ?? 0;
  let offset = base;
  for (const axis of spec.flip ?? []) {
    offset += (shape[axis] - 1) * strides[axis];
    strides[axis] = -strides[axis];
  }
  const array = new Float32Array(base + size + 3);
  for (let i = 0; i < array.length; i++) array[i] = spec.coarse ? Math.round(random() * 8) / 4 : random();
  return { array, shape, strides, offset };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i])) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!Number.isFinite(e)) {
      expect(a).toBe(e);
    } else if (Math.abs(a - e) > 1e-6 + rtol * scale) {
      throw new Error(`cell ${i}: fast ${a}, reference ${e} (scale ${scale})`);
    }
  }
}

/** Shapes for elementwise tests: small ones run the JavaScript loops, large ones WebAssembly. */
const small: ViewSpec[] = [
  { shape: [3, 4] },
  { shape: [2, 3, 4], order: [2, 0, 1] },
  { shape: [5, 1, 3], flip: [0], offset: 2 },
  { shape: [] },
  { shape: [0, 3] },
];
const large: ViewSpec[] = [
  { shape: [64, 130] },
  { shape: [17, 7, 33], order: [1, 2, 0], offset: 5 },
  { shape: [40, 3, 30], flip: [2] },
  { shape: [8, 13, 13, 2, 2], order: [0, 1, 3, 2, 4] },
];

describe('fast backend: elementwise ops match the reference', () => {
  it('has the large test shapes above the WebAssembly threshold', () => {
    for (const spec of large) expect(spec.shape.reduce((a, b) => a * b, 1)).toBeGreaterThanOrEqual(WASM_MIN_CELLS);
  });

  // The op lists come from ops.ts: a new op is tested here without an edit.
  it.each(unaryOps)('unary %s, on signed and non-negative inputs', (op) => {
    for (const spec of [...small, ...large]) {
      const x = makeView(spec);
      const magnitude = { ...x, array: x.array.map(Math.abs) };
      expectClose(fastBackend.unary(op, x), referenceBackend.unary(op, x));
      expectClose(fastBackend.unary(op, magnitude), referenceBackend.unary(op, magnitude));
    }
  });

  it.each(binaryOps)('binary %s, with broadcast, permuted, flipped and NaN inputs', (op) => {
    for (const spec of [...small, ...large]) {
      const last = spec.shape.length - 1;
      const a = makeView({ ...spec, coarse: true });
      const b = makeView({ shape: spec.shape, broadcast: last >= 0 ? [last] : [], coarse: true });
      const c = makeView({ shape: spec.shape, order: spec.shape.map((_, i) => last - i), coarse: true });
      if (a.array.length > 4) a.array[a.offset] = NaN;
      expectClose(fastBackend.binary(op, a, b), referenceBackend.binary(op, a, b));
      expectClose(fastBackend.binary(op, b, a), referenceBackend.binary(op, b, a));
      expectClose(fastBackend.binary(op, a, c), referenceBackend.binary(op, a, c));
      expectClose(fastBackend.binary(op, a, a), referenceBackend.binary(op, a, a));
    }
  });

  it('max keeps the reference rule: a NaN in the first input wins, ties take the second', () => {
    const a = { array: Float32Array.from({ length: 4096 }, (_, i) => [NaN, 1, -0, 2][i % 4]), shape: [4096], strides: [1], offset: 0 };
    const b = { array: Float32Array.from({ length: 4096 }, (_, i) => [1, NaN, 0, 2][i % 4]), shape: [4096], strides: [1], offset: 0 };
    const fast = fastBackend.binary('max', a, b);
    const ref = referenceBackend.binary('max', a, b);
    expect(Array.from(fast.slice(0, 4)).map(String)).toEqual(Array.from(ref.slice(0, 4)).map(String));
    expect(Object.is(fast[2], ref[2])).toBe(true);
  });

  it('sparse views (a span over SPARSE times their cells) agree too', () => {
    const base = makeView({ shape: [64, 400] });
    const sparse: StridedView = { ...base, shape: [64, 40], strides: [400, 7], offset: 3 };
    expect(64 * 400).toBeGreaterThan(SPARSE * 64 * 40);
    const dense = makeView({ shape: [64, 40] });
    expectClose(fastBackend.binary('add', sparse, dense), referenceBackend.binary('add', sparse, dense));
    expectClose(fastBackend.reduce('sum', sparse, [1]), referenceBackend.reduce('sum', sparse, [1]));
    expectClose(fastBackend.gather(sparse), referenceBackend.gather(sparse));
    const expected = base.array.slice();
    referenceBackend.scatter({ ...sparse, array: expected }, dense);
    fastBackend.scatter(sparse, dense);
    expectClose(base.array, expected);
  });

  it('where', () => {
    for (const spec of [...small, ...large]) {
      const cond = makeView({ ...spec, coarse: true });
      const a = makeView({ shape: spec.shape, flip: spec.shape.length ? [0] : [] });
      const b = makeView({ shape: spec.shape, broadcast: spec.shape.map((_, i) => i) });
      expectClose(fastBackend.where(cond, a, b), referenceBackend.where(cond, a, b));
    }
  });

  it('gather packs every kind of view', () => {
    for (const spec of [...small, ...large, { shape: [300, 20], broadcast: [0, 1] }]) {
      const x = makeView(spec);
      expectClose(fastBackend.gather(x), referenceBackend.gather(x));
    }
  });

  it('scatter writes into strided targets, also from a view of the same storage', () => {
    for (const spec of [...small, ...large]) {
      const target = makeView({ ...spec, order: spec.order ? undefined : spec.shape.map((_, i) => spec.shape.length - 1 - i) });
      const source = makeView({ shape: spec.shape, flip: spec.shape.length ? [0] : [] });
      const expected = target.array.slice();
      referenceBackend.scatter({ ...target, array: expected }, source);
      fastBackend.scatter(target, source);
      expectClose(target.array, expected);
      // Aliased: the source is the target read backwards.
      if (spec.shape.length > 0 && spec.shape[0] > 0) {
        const alias = { ...target, strides: [...target.strides], offset: target.offset + (spec.shape[0] - 1) * target.strides[0] };
        alias.strides[0] = -alias.strides[0];
        const reference = target.array.slice();
        referenceBackend.scatter({ ...target, array: reference }, { ...alias, array: reference });
        fastBackend.scatter(target, alias);
        expectClose(target.array, reference);
      }
    }
  });

  it.each(reduceOps)('reduce %s over every subset of axes', (op) => {
    for (const spec of [...small, ...large]) {
      const x = makeView({ ...spec, coarse: op === 'amax' });
      const rank = spec.shape.length;
      for (let mask = 0; mask < 1 << rank; mask++) {
        const axes = spec.shape.map((_, i) => i).filter((i) => mask & (1 << i));
        expectClose(fastBackend.reduce(op, x, axes), referenceBackend.reduce(op, x, axes));
      }
    }
  });

  describe('pooling windows: rows that repeat a view broadcast over the window', () => {
    // x [B, C, oh, w, ow, w] as a pooling op tiles it, and the pooled [B, C, oh, 1, ow, 1] expanded back.
    // positions: one value per cell of a window, the same in every window (maxPool's tie-break scores).
    const windows = (w: number): { x: StridedView; pooled: StridedView; positions: StridedView } => {
      const shape = [4, 4, 5, w, 7, w];
      const x = makeView({ shape, coarse: true });
      x.array[x.offset + 11] = NaN;
      const pooled = makeView({ shape, broadcast: [3, 5], coarse: true });
      const positions = makeView({ shape, broadcast: [0, 1, 2, 4], coarse: true });
      return { x, pooled, positions };
    };

    it.each([2, 3, 4])('the plan merges the window into rows of w·ow cells (w = %i)', (w) => {
      const { x, pooled, positions } = windows(w);
      const plan = planLoop(x.shape, [rowMajorStrides(x.shape), x.strides, pooled.strides], { repeatedRows: true });
      expect([plan.rowLength, ...plan.rowRepeats]).toEqual([7 * w, 1, 1, w]);
      expect(planLoop(x.shape, [rowMajorStrides(x.shape), x.strides, pooled.strides]).rowRepeats).toEqual([1, 1, 1]);
      const tiled = planLoop(x.shape, [rowMajorStrides(x.shape), positions.strides, pooled.strides], { repeatedRows: true, tiledRows: true });
      expect([tiled.rowLength, ...tiled.rowRepeats, ...tiled.rowTiles]).toEqual([7 * w, 1, 1, w, 1, w, 1]);
      expect(planLoop(x.shape, [rowMajorStrides(x.shape), positions.strides], { repeatedRows: true }).rowTiles).toEqual([1, 1]);
    });

    it.each([2, 3, 4])('binary ops, where and reductions match the reference (w = %i)', (w) => {
      const { x, pooled, positions } = windows(w);
      expect(x.shape.reduce((n, d) => n * d, 1)).toBeGreaterThanOrEqual(WASM_MIN_CELLS);
      for (const op of binaryOps) {
        for (const [a, b] of [[x, pooled], [pooled, x], [positions, x], [x, positions], [positions, pooled], [pooled, positions]]) {
          expectClose(fastBackend.binary(op, a, b), referenceBackend.binary(op, a, b));
        }
      }
      const zero: StridedView = { array: Float32Array.of(0), shape: x.shape, strides: x.shape.map(() => 0), offset: 0 };
      const mask = fastBackend.binary('cmplt', x, pooled);
      const maskView: StridedView = { array: mask, shape: x.shape, strides: rowMajorStrides(x.shape), offset: 0 };
      for (const [c, a, b] of [[maskView, zero, pooled], [pooled, x, zero], [maskView, pooled, x], [positions, pooled, x], [maskView, positions, zero]]) {
        expectClose(fastBackend.where(c, a, b), referenceBackend.where(c, a, b));
      }
      for (const op of reduceOps) {
        expectClose(fastBackend.reduce(op, x, [3, 5]), referenceBackend.reduce(op, x, [3, 5]));
        expectClose(fastBackend.reduce(op, x, [5]), referenceBackend.reduce(op, x, [5]));
      }
    });
  });

  it('amax lets NaN win, as the reference does', () => {
    const x = makeView({ shape: [64, 64] });
    x.array[100] = NaN;
    expectClose(fastBackend.reduce('amax', x, [1]), referenceBackend.reduce('amax', x, [1]));
    expectClose(fastBackend.reduce('amax', x, [0]), referenceBackend.reduce('amax', x, [0]));
  });
});

// ---- mulacc -------------------------------------------------------------------------------------

/** The views matmul hands to mulacc: out[b, m, n] = Σ_k A[b, m, k]·B[b, k, n], shapes [..., m, n, k]. */
function matmulViews(m: number, k: number, n: number, options: { batch?: number; transposeA?: boolean; transposeB?: boolean; shareA?: boolean } = {}): [StridedView, StridedView] {
  const batch = options.batch ?? 0;
  const lead = batch ? [batch] : [];
  const shape = [...lead, m, n, k];
  const r = lead.length;
  // A is [batch?, m, k] in storage ([batch?, k, m] when transposed), read with stride 0 over n.
  const a = makeView({
    shape, broadcast: options.shareA ? [r + 1, 0].slice(0, batch ? 2 : 1) : [r + 1],
    order: options.transposeA ? [...lead.map((_, i) => i), r + 2, r, r + 1] : [...lead.map((_, i) => i), r, r + 1, r + 2],
  });
  // B is [batch?, k, n] in storage ([batch?, n, k] when transposed), read with stride 0 over m.
  const b = makeView({
    shape, broadcast: [r],
    order: options.transposeB ? [...lead.map((_, i) => i), r, r + 1, r + 2] : [...lead.map((_, i) => i), r, r + 2, r + 1],
  });
  return [a, b];
}

function checkMulacc(a: StridedView, b: StridedView, axes: number[]): void {
  expectClose(fastBackend.mulacc(a, b, axes), referenceBackend.mulacc(a, b, axes), 1e-5);
}

describe('fast backend: mulacc matches the reference', () => {
  const sizes = [1, 3, 7, 17, 130];
  it('2-D matmul at tile-tail sizes (M, K, N in 1, 3, 7, 17, 130)', () => {
    for (const m of sizes) for (const k of sizes) for (const n of sizes) {
      const [a, b] = matmulViews(m, k, n);
      checkMulacc(a, b, [2]);
    }
  });

  it('transposed operands (views of [k, m] and [n, k] storage)', () => {
    for (const [m, k, n] of [[17, 130, 7], [130, 17, 33], [64, 64, 64]]) {
      for (const transposeA of [false, true]) for (const transposeB of [false, true]) {
        const [a, b] = matmulViews(m, k, n, { transposeA, transposeB });
        checkMulacc(a, b, [2]);
      }
    }
  });

  it('batched, and with a batch operand broadcast', () => {
    const [a, b] = matmulViews(17, 33, 9, { batch: 5 });
    checkMulacc(a, b, [3]);
    const [c, d] = matmulViews(17, 33, 9, { batch: 5, shareA: true });
    checkMulacc(c, d, [3]);
  });

  it('a matmul larger than one cache block (K, M and N over the kernel blocks)', () => {
    const [a, b] = matmulViews(150, 600, 300);
    checkMulacc(a, b, [2]);
  });

  it('the plain SIMD build (engines without relaxed SIMD) and the relaxed one agree with the reference', () => {
    const products = [matmulViews(130, 300, 17), matmulViews(17, 33, 9, { batch: 5 })];
    for (const plainOnly of [true, false]) {
      usePlainSimdBuild(plainOnly);
      try {
        for (const [a, b] of products) checkMulacc(a, b, [a.shape.length - 1]);
      } finally {
        usePlainSimdBuild(false);
      }
    }
  });

  it('reductions over several, permuted and flipped axes', () => {
    const shape = [6, 5, 7, 9];
    const a = makeView({ shape, broadcast: [1], order: [3, 0, 1, 2], flip: [2] });
    const b = makeView({ shape, broadcast: [0], offset: 7 });
    checkMulacc(a, b, [2, 3]);
    checkMulacc(a, b, [3, 2].sort());
    checkMulacc(a, b, [0, 2]);
  });

  it('an output axis where both inputs have stride 0 (does not factor: reference fallback)', () => {
    const shape = [4, 30, 40, 20];
    const a = makeView({ shape, broadcast: [0, 2] });
    const b = makeView({ shape, broadcast: [0, 1] });
    checkMulacc(a, b, [3]);
  });

  it('no broadcast at all: every kept axis is a batch axis', () => {
    const shape = [40, 30, 60];
    checkMulacc(makeView({ shape }), makeView({ shape, order: [2, 1, 0] }), [2]);
  });

  it('empty dims: M, N, K or the batch of size 0', () => {
    for (const [m, k, n] of [[0, 50, 60], [50, 0, 60], [50, 60, 0]]) {
      const [a, b] = matmulViews(m, k, n);
      checkMulacc(a, b, [2]);
    }
    const [c, d] = matmulViews(40, 50, 60, { batch: 1 });
    checkMulacc({ ...c, shape: [0, 40, 60, 50] }, { ...d, shape: [0, 40, 60, 50] }, [3]);
  });

  it('both thread paths: split by blocks of C, and split over K', () => {
    setFastThreads(2);
    try {
      const [a, b] = patternedMatmul2d(400, 300, 160);
      expect(2 * 400 * 300 * 160).toBeGreaterThanOrEqual(THREAD_MIN_FLOPS);
      expectClose(fastBackend.mulacc(a, b, [2]), plainMatmul(a, b), 1e-5);
      const [c, d] = patternedMatmul2d(16, 16_000, 72);
      expect(2 * 16 * 16_000 * 72).toBeGreaterThanOrEqual(THREAD_MIN_FLOPS);
      expectClose(fastBackend.mulacc(c, d, [2]), plainMatmul(c, d), 1e-5);
      expect(threadsAllowed()).toBe(true); // the worker started: the split paths ran
    } finally {
      setFastThreads(2);
    }
  });

  /** out[m, n] = Σ_k a·b for views of shape [m, n, k], by a plain loop (the reference is slow at these sizes). */
  function plainMatmul(a: StridedView, b: StridedView): Float32Array {
    const [m, n, k] = a.shape;
    const out = new Float32Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let pa = a.offset + i * a.strides[0] + j * a.strides[1];
        let pb = b.offset + i * b.strides[0] + j * b.strides[1];
        let sum = 0;
        for (let q = 0; q < k; q++, pa += a.strides[2], pb += b.strides[2]) sum += a.array[pa] * b.array[pb];
        out[i * n + j] = sum;
      }
    }
    return out;
  }

  /** Like matmulViews (A stored transposed) but filled with a cheap pattern: these operands hold millions of cells. */
  function patternedMatmulViews(m: number, k: number, n: number, batch = 1): [StridedView, StridedView] {
    const fill = (count: number, step: number): Float32Array => {
      const array = new Float32Array(count);
      for (let i = 0; i < count; i++) array[i] = ((i * step) % 17) / 8 - 1;
      return array;
    };
    const shape = [batch, m, n, k];
    return [
      { array: fill(batch * k * m, 5), shape, strides: [k * m, 1, 0, m], offset: 0 },
      { array: fill(batch * k * n, 3), shape, strides: [k * n, 0, 1, n], offset: 0 },
    ];
  }

  /** The same without the batch axis: views of shape [m, n, k]. */
  function patternedMatmul2d(m: number, k: number, n: number): [StridedView, StridedView] {
    const drop = (v: StridedView): StridedView => ({ ...v, shape: v.shape.slice(1), strides: v.strides.slice(1) });
    const [a, b] = patternedMatmulViews(m, k, n);
    return [drop(a), drop(b)];
  }

  it.each([1, 2])('products whose packs pass PACK_BUDGET go in chunks (%i threads): K slices, lines of X and Y, batch groups', (threads) => {
    setFastThreads(threads);
    try {
      const packFloats = (m: number, k: number, n: number, batch: number): number => Math.max(1, batch) * (Math.ceil(m / 4) * 4 + Math.ceil(n / 8) * 8) * k;
      const cases: [number, number, number][] = [
        [4, 360_000, 8], // K slices summed into one C (split between the threads inside each slice)
        [2200, 2000, 8], // chunks of X's lines
        [1, 2000, 2200], // chunks of Y's lines
        [3000, 1500, 5], // lines, with the operands swapped (that pads less)
      ];
      for (const [m, k, n] of cases) {
        expect(packFloats(m, k, n, 0)).toBeGreaterThan(PACK_BUDGET);
        const [a, b] = patternedMatmul2d(m, k, n);
        expectClose(fastBackend.mulacc(a, b, [2]), plainMatmul(a, b), 1e-5);
      }
      expect(packFloats(4, 1000, 8, 400)).toBeGreaterThan(PACK_BUDGET); // groups of batch items
      const [a, b] = patternedMatmulViews(4, 1000, 8, 400);
      checkMulacc(a, b, [3]);
    } finally {
      setFastThreads(2);
    }
  });

  it('one thread gives the same numbers', () => {
    setFastThreads(1);
    try {
      const [a, b] = matmulViews(200, 150, 160);
      checkMulacc(a, b, [2]);
    } finally {
      setFastThreads(2);
    }
  });
});

// ---- through tsgrad's ops ------------------------------------------------------------------------

/** Runs `fn` on a backend and returns what it returns (arrays of numbers). */
function on<T>(backend: Backend, fn: () => T): T {
  useBackend(backend);
  try {
    return fn();
  } finally {
    useBackend(referenceBackend);
  }
}

function values(shape: number[], salt: number): Tensor {
  seed = salt;
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(TensorData.fromArray(Float32Array.from({ length: n }, random), shape), { requiresGrad: true });
}

interface ConvCase {
  name: string;
  x: number[];
  w: number[];
  args: { stride?: number; padding?: number; dilation?: number; groups?: number };
}

const convCases: ConvCase[] = [
  { name: 'model A conv1 (1->8 3x3)', x: [16, 1, 28, 28], w: [8, 1, 3, 3], args: {} },
  { name: 'model A conv2 (8->16 3x3)', x: [16, 8, 13, 13], w: [16, 8, 3, 3], args: {} },
  { name: 'stride 2, padding 1', x: [4, 3, 17, 15], w: [6, 3, 3, 3], args: { stride: 2, padding: 1 } },
  { name: 'dilation 2', x: [4, 3, 17, 15], w: [5, 3, 3, 2], args: { dilation: 2 } },
  { name: 'groups 2', x: [3, 4, 12, 12], w: [6, 2, 3, 3], args: { groups: 2 } },
  { name: 'depthwise, stride 2, padding 2', x: [2, 6, 19, 19], w: [6, 1, 5, 5], args: { groups: 6, stride: 2, padding: 2 } },
];

describe('fast backend: conv2d and matmul through the Tensor API', () => {
  it.each(convCases)('conv2d forward and backward: $name', ({ x: xShape, w: wShape, args }) => {
    const run = (backend: Backend): number[][] => on(backend, () => {
      const x = values(xShape, 7);
      const w = values(wShape, 11);
      const y = x.conv2d(w, undefined, args);
      const g = values(y.shape, 13).detach();
      y.mul(g).sum().backward();
      return [y.data.toFlat(), x.grad!.data.toFlat(), w.grad!.data.toFlat()];
    });
    const [fast, ref] = [run(fastBackend), run(referenceBackend)];
    fast.forEach((got, i) => expectClose(got, ref[i], 1e-5));
  });

  it('matmul with broadcast batch dims, forward and backward', () => {
    const run = (backend: Backend): number[][] => on(backend, () => {
      const a = values([3, 1, 37, 70], 5);
      const b = values([4, 70, 20], 6);
      const y = a.matmul(b);
      y.mul(values(y.shape, 9).detach()).sum().backward();
      return [y.data.toFlat(), a.grad!.data.toFlat(), b.grad!.data.toFlat()];
    });
    const [fast, ref] = [run(fastBackend), run(referenceBackend)];
    fast.forEach((got, i) => expectClose(got, ref[i], 1e-5));
  });

  it('matmulData on permuted views', () => {
    const run = (backend: Backend): number[] => on(backend, () => {
      const a = values([40, 30], 1).data.permute([1, 0]);
      const b = values([50, 40], 2).data.permute([1, 0]);
      return matmulData(a, b).toFlat();
    });
    expectClose(run(fastBackend), run(referenceBackend));
  });
});

// ---- the committed binary -------------------------------------------------------------------------

describe('fast backend: the WebAssembly module', () => {
  it('wasmBinary.ts and opCodes.as are what ops.ts and kernels.as build to', () => {
    const script = join(__dirname, '..', 'src', 'data', 'fast', 'buildWasm.mjs');
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  }, 120_000);

  it('the kernels handle ops of ops.ts under their codes there (the index in the list)', () => {
    const lists: Record<keyof typeof wasmKernelOps, readonly string[]> = { unary: unaryOps, binary: binaryOps, reduce: reduceOps };
    for (const [family, handled] of Object.entries(wasmKernelOps)) {
      for (const [op, code] of Object.entries(handled)) expect([family, op, lists[family as keyof typeof lists].indexOf(op)]).toEqual([family, op, code]);
    }
  });

  it('a code without a case traps, and the trap becomes an error naming the op', () => {
    const missing = unaryOps.find((op) => wasmKernelOps.unary[op] === undefined);
    expect(missing).toBeDefined();
    const code = unaryOps.indexOf(missing!);
    const rt = wasmRuntime();
    expect(() => rt.kernels.unary(code)).toThrow(/unreachable/);
    expect(() => callKernel(missing!, code, rt.kernels.unary)).toThrow(new RegExp(`^${missing}: the WebAssembly kernel has no case for code ${code}`));
    expect(() => callKernel('pow', 99, rt.kernels.binary)).toThrow(/^pow: the WebAssembly kernel has no case for code 99/);
  });
});

describe('fast backend: the generic rows, built from the math of ops.ts, run every op', () => {
  // An op without a specialised row or kernel runs on these: check them on every op, against the reference.
  const x = makeView({ shape: [3, 5], order: [1, 0] });
  const y = makeView({ shape: [3, 5], broadcast: [0], coarse: true });
  const run = (row: (out: Float32Array, ...rest: never[]) => void, out: Float32Array, ...args: unknown[]): Float32Array => {
    (row as (...all: unknown[]) => void)(out, ...args);
    return out;
  };
  const packed = (v: StridedView): StridedView => ({ array: referenceBackend.gather(v), shape: v.shape, strides: rowMajorStrides(v.shape), offset: 0 });

  it.each(unaryOps)('unary %s', (op) => {
    const input = packed(x);
    expectClose(run(genericUnaryRow(op), new Float32Array(15), 0, 1, input.array, 0, 1, 15), referenceBackend.unary(op, x));
  });

  it.each(binaryOps)('binary %s', (op) => {
    const [a, b] = [packed(x), packed(y)];
    expectClose(run(genericBinaryRow(op), new Float32Array(15), 0, 1, a.array, 0, 1, b.array, 0, 1, 15), referenceBackend.binary(op, x, y));
  });

  it.each(reduceOps)('reduce %s', (op) => {
    const acc = new Float64Array(1).fill(reduceMath[op].init);
    genericReduceRow(op)(acc, 0, 0, packed(x).array, 0, 1, 15);
    expectClose(Float32Array.from(acc), referenceBackend.reduce(op, x, [0, 1]));
  });
});

describe('fast backend: recycled output arrays', () => {
  const big = (seed: number): StridedView => ({
    array: Float32Array.from({ length: 1 << 16 }, (_, i) => ((i * 7 + seed) % 13) - 6), shape: [1 << 16], strides: [1], offset: 0,
  });

  it('reuses the buffers of outputs that were garbage-collected, and never those of live ones', () => {
    const [a, b] = [big(1), big(2)];
    const kept = fastBackend.binary('mul', a, b);
    const expected = Array.from(kept);
    const before = arrayPoolStats();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20; i++) fastBackend.binary('add', a, b); // dropped at once
      reclaimDeviceMemory(); // a full garbage collection: the dropped outputs' buffers come back
    }
    const after = arrayPoolStats();
    expect(after.reused - before.reused).toBeGreaterThan(50);
    expect(Array.from(kept)).toEqual(expected);
    expect(Array.from(fastBackend.binary('sub', a, b))).toEqual(Array.from(referenceBackend.binary('sub', a, b)));
  });
});
