/**
 * The gpu backend against the cpu reference backend: every compute op of ops.ts, on seeded random
 * inputs, over packed and non-packed views (permuted, broadcast with stride 0, flipped with negative
 * strides, stepped slices with an offset, overlapping windows), plus long reductions and matmul.
 *
 * `npx jest tests/gpu.test.ts` runs the webasm mode (plain node has no GL context).
 * `TSGRAD_TEST_GL=1 xvfb-run -a npx jest tests/gpu.test.ts` (after .ci/gl-setup.sh) runs headlessgl
 * as well, and fails, not skips, when headlessgl is not what runs.
 *
 * Tolerances: the cpu backend computes each value in float64 and rounds it once to float32.
 * - webasm: elementwise ops are bit-exact (wasm f32 arithmetic is correctly rounded, and exp, log,
 *   sin are imported from JS Math and rounded once, like the cpu backend).
 * - headlessgl: GLSL's exp, log and sin are not correctly rounded; the bounds are about 4x the
 *   largest error measured on Mesa llvmpipe (see `glUnaryTolerance`).
 * - sums (sum, mulacc) accumulate in float32 on the gpu, in float64 on the cpu. A float32 sum or dot
 *   product of n terms is off by at most about n·2^-24·Σ|terms| (Higham, Accuracy and Stability of
 *   Numerical Algorithms, §3.1 and §4.2); with the cpu's own final rounding that makes the bound
 *   (n+1)·2^-24·Σ|terms| per output cell. amax and gather are exact.
 */
import type { DeviceBuffer, DeviceMemory, DeviceView, StridedView } from '../src/data/backend';
import { referenceBackend } from '../src/data/reference';
import { currentBackend, getDevice, gpuBackend, setDevice, useBackend, type GpuMode } from '../src/data/device';
import { isGpuModeAvailable } from '../src/data/gpu/backend';
import type { Backend } from '../src/data/backend';
import type { BinaryOp, ReduceOp, UnaryOp } from '../src/data/ops';
import { binaryOps as allBinaryOps, reduceOps as allReduceOps, unaryOps as allUnaryOps } from '../src/data/ops';
import { checkKernelCases } from '../src/data/gpu/kernelTable';
import { binaryCode, binaryKernel, kernelCases, reduceCode, reduceKernel, unaryCode, unaryKernel } from '../src/data/gpu/kernels';
import { manualSeed, uniformArray } from '../src/data/random';
import { numel, rowMajorStrides, type Shape } from '../src/data/shape';
import { TensorData } from '../src/data/tensorData';

// ---- views ------------------------------------------------------------------------------------

/** A packed view of values uniform in [low, high). */
function packed(shape: Shape, low = -1, high = 1): StridedView {
  const array = uniformArray(numel(shape)).map((u) => low + (high - low) * u);
  return { array, shape, strides: rowMajorStrides(shape), offset: 0 };
}

/** Axis k of the result is axis order[k] of `v`. */
function permute(v: StridedView, order: number[]): StridedView {
  return { ...v, shape: order.map((k) => v.shape[k]), strides: order.map((k) => v.strides[k]) };
}

/** What TensorData.stride([-1, ...]) makes: every axis walked backwards (negative strides). */
function flip(v: StridedView): StridedView {
  const offset = v.shape.reduce((at, size, k) => at + (size - 1) * v.strides[k], v.offset);
  return { ...v, offset, strides: v.strides.map((s) => -s) };
}

/** The ways a view of `shape` can lie in memory. Each takes the value range of the op under test. */
type Layout = (shape: Shape, low: number, high: number) => StridedView;
const layouts: Record<string, Layout> = {
  packed: (shape, low, high) => packed(shape, low, high),
  // stored with the axes reversed, then permuted back
  permuted: (shape, low, high) => {
    const reversed = shape.map((_, k) => shape.length - 1 - k);
    return permute(packed(reversed.map((k) => shape[k]), low, high), reversed);
  },
  // axis 1 (or 0) stored once, stride 0
  broadcast: (shape, low, high) => {
    const axis = shape.length > 1 ? 1 : 0;
    const stored = packed(shape.map((d, k) => (k === axis ? 1 : d)), low, high);
    return { ...stored, shape, strides: stored.strides.map((s, k) => (k === axis ? 0 : s)) };
  },
  flipped: (shape, low, high) => flip(packed(shape, low, high)),
  // every other cell of a bigger array, starting one cell in on each axis
  stepped: (shape, low, high) => {
    const big = packed(shape.map((d) => 2 * d), low, high);
    return { ...big, shape, strides: big.strides.map((s) => 2 * s), offset: big.strides.reduce((a, s) => a + s, 0) };
  },
  // sliding windows over the last axis: neighbouring windows share cells
  windows: (shape, low, high) => {
    if (shape.length < 2) return packed(shape, low, high);
    const [positions, size] = shape.slice(-2);
    const base = packed([...shape.slice(0, -2), positions + size - 1], low, high);
    const step = base.strides[base.strides.length - 1];
    return { ...base, shape, strides: [...base.strides.slice(0, -1), step, step] };
  },
};
const layoutNames = Object.keys(layouts);

/** The same view over its values' absolute values (for summation error bounds). */
function absolute(v: StridedView): StridedView {
  return { ...v, array: v.array.map(Math.abs) };
}

// ---- comparing ------------------------------------------------------------------------------

/** Cells where |got - want| > bound(i) (NaN matches NaN), as readable lines; [] when all match. */
function mismatches(got: Float32Array, want: Float32Array, bound: (i: number) => number): string[] {
  if (got.length !== want.length) return [`got ${got.length} values, want ${want.length}`];
  const bad: string[] = [];
  for (let i = 0; i < want.length && bad.length < 5; i++) {
    const same = Number.isNaN(want[i]) ? Number.isNaN(got[i]) : Math.abs(got[i] - want[i]) <= bound(i);
    if (!same) bad.push(`cell ${i}: got ${got[i]}, want ${want[i]} (bound ${bound(i)})`);
  }
  return bad;
}

const exact = (): number => 0;

/** Input range per unary op: inside each op's domain, wide enough to exercise range reduction. */
const unaryRange: Record<UnaryOp, [number, number]> = {
  neg: [-100, 100], exp: [-20, 20], log: [1e-3, 1e3], sin: [-100, 100], sqrt: [0, 1e4], recip: [0.01, 100],
};

/**
 * headlessgl bound |gpu - cpu| ≤ atol + rtol·|cpu|, about 4x the worst error measured on Mesa llvmpipe
 * over 2e5 random inputs in `unaryRange` (measured: exp rel 1.1e-6; log abs 4.8e-7 near x = 1 and rel
 * 2.7e-6 elsewhere; sin abs 6e-8; neg, sqrt, recip exact). GLSL promises no correct rounding, so
 * sqrt and recip get one float32 ulp (2^-23) although llvmpipe gave them exact.
 */
const glUnaryTolerance: Record<UnaryOp, { rtol: number; atol: number }> = {
  neg: { rtol: 0, atol: 0 },
  exp: { rtol: 5e-6, atol: 0 },
  log: { rtol: 1e-5, atol: 2e-6 },
  sin: { rtol: 0, atol: 2.4e-7 },
  sqrt: { rtol: 2 ** -23, atol: 0 },
  recip: { rtol: 2 ** -23, atol: 0 },
};
/** headlessgl binary ops were exact on llvmpipe; division gets one ulp, as sqrt and recip do. */
const glBinaryRtol: Record<BinaryOp, number> = { add: 0, sub: 0, mul: 0, div: 2 ** -23, max: 0, cmplt: 0 };

/** Every op of each kind: the Records above make a new op in ops.ts a compile error here until it has a row. */
const unaryOps = Object.keys(unaryRange) as UnaryOp[];
const binaryOps = Object.keys(glBinaryRtol) as BinaryOp[];
const reduceOps = Object.keys({ sum: 0, amax: 0 } satisfies Record<ReduceOp, number>) as ReduceOp[];

/**
 * The float32 error bound (n+1)·2^-24·Σ|terms| per output cell, from the terms' absolute sums: n-1
 * roundings while adding n terms, one more per product in mulacc, one for the cpu's final rounding.
 */
function summationBound(absoluteSums: Float32Array, terms: number): (i: number) => number {
  return (i) => (terms + 1) * 2 ** -24 * absoluteSums[i] * (1 + 1e-6);
}

// ---- device selection (mode-independent) ------------------------------------------------------

describe('gpu kernels: one line per op of ops.ts, under its code there', () => {
  it('each kernel function has a line for exactly the ops of its code table', () => {
    expect(kernelCases(unaryKernel).sort()).toEqual([...allUnaryOps, 'copy'].sort());
    expect(kernelCases(binaryKernel).sort()).toEqual([...allBinaryOps].sort());
    expect(kernelCases(reduceKernel).sort()).toEqual([...allReduceOps].sort());
  });

  it('the codes are the indices of the lists of ops.ts', () => {
    allUnaryOps.forEach((op, code) => expect([op, unaryCode[op]]).toEqual([op, code]));
    allBinaryOps.forEach((op, code) => expect([op, binaryCode[op]]).toEqual([op, code]));
    allReduceOps.forEach((op, code) => expect([op, reduceCode[op]]).toEqual([op, code]));
  });

  it('a kernel function without a line for an op is refused, naming the op and the function', () => {
    const withoutCmplt = function binaryKernel(this: { constants: Record<string, number> }, u: number, v: number): number {
      const op = this.constants.op;
      if (op === this.constants.add) return u + v;
      return 0;
    };
    expect(() => checkKernelCases({ add: 0, cmplt: 1 }, withoutCmplt as never)).toThrow(/^gpu: binaryKernel \(src\/data\/gpu\/kernels.ts\) has no line for 'cmplt'/);
    expect(() => checkKernelCases({}, withoutCmplt as never)).toThrow(/has lines for 'add', which ops.ts does not list/);
  });
});

describe('device selection', () => {
  afterEach(() => useBackend(referenceBackend));

  it('defaults to the cpu backend, and setDevice switches and reports', () => {
    expect(getDevice()).toBe('cpu');
    setDevice('gpu', { mode: 'webasm' });
    expect(getDevice()).toBe('webasm');
    setDevice('cpu');
    expect(getDevice()).toBe('cpu');
  });

  it("setDevice('reference') runs the reference backend, the one the others are tested against", () => {
    setDevice('reference');
    expect(getDevice()).toBe('reference');
    expect(currentBackend()).toBe(referenceBackend);
    expect(() => setDevice('reference', { mode: 'webasm' })).toThrow(/setDevice\('reference', \{ mode: 'webasm' \}\): a mode is only for the gpu device/);
    setDevice('cpu');
    expect(getDevice()).toBe('cpu');
  });

  it("setDevice('gpu') prefers headlessgl and falls back to webasm only when GL cannot run", () => {
    setDevice('gpu');
    expect(getDevice()).toBe(isGpuModeAvailable('headlessgl') ? 'headlessgl' : 'webasm');
  });

  it('accepts a mode exactly when it can run here, and otherwise names what was asked and what exists', () => {
    const before = getDevice();
    if (isGpuModeAvailable('headlessgl')) {
      setDevice('gpu', { mode: 'headlessgl' });
      expect(getDevice()).toBe('headlessgl');
      setDevice('cpu');
      return;
    }
    expect(() => setDevice('gpu', { mode: 'headlessgl' })).toThrow(
      /setDevice\('gpu', \{ mode: 'headlessgl' \}\): gpu.js mode 'headlessgl' is not available.*available: webasm/,
    );
    expect(getDevice()).toBe(before);
  });

  it('gpuBackend hands out the backend setDevice uses, without switching', () => {
    const before = getDevice();
    const webasm = gpuBackend({ mode: 'webasm' });
    expect(webasm.name).toBe('webasm');
    expect(getDevice()).toBe(before);
    setDevice('gpu', { mode: 'webasm' });
    expect(currentBackend()).toBe(webasm);
  });

  it('rejects unknown devices and modes, and a mode for the cpu', () => {
    expect(() => setDevice('tpu' as 'gpu')).toThrow(/unknown device 'tpu'/);
    expect(() => setDevice('gpu', { mode: 'webgpu' as GpuMode })).toThrow(/unknown gpu mode 'webgpu'/);
    expect(() => setDevice('cpu', { mode: 'webasm' })).toThrow(/a mode is only for the gpu device/);
  });

  it('reads TSGRAD_DEVICE on first use, and creates no gpu.js kernel on import', () => {
    const saved = process.env.TSGRAD_DEVICE;
    try {
      jest.isolateModules(() => {
        const gpujs = require('gpu.js') as typeof import('gpu.js');
        // createGpuBackend makes the GPU and its kernels together: no kernel means no GPU either
        const created = jest.spyOn(gpujs.GPU.prototype, 'createKernel');
        process.env.TSGRAD_DEVICE = 'gpu:webasm';
        const device = require('../src/data/index') as typeof import('../src/data/index');
        expect(created).not.toHaveBeenCalled();
        expect(device.getDevice()).toBe('webasm');
        expect(created).toHaveBeenCalled();
      });
      jest.isolateModules(() => {
        process.env.TSGRAD_DEVICE = 'quantum';
        const device = require('../src/data/device') as typeof import('../src/data/device');
        expect(() => device.getDevice()).toThrow(/TSGRAD_DEVICE=quantum: expected cpu, reference, gpu, or gpu:<mode>/);
      });
    } finally {
      if (saved === undefined) delete process.env.TSGRAD_DEVICE;
      else process.env.TSGRAD_DEVICE = saved;
    }
  });
});

// ---- the ops, in each mode ------------------------------------------------------------------

const modes: GpuMode[] = process.env.TSGRAD_TEST_GL === '1' ? ['webasm', 'headlessgl'] : ['webasm'];

describe.each(modes)('gpu backend in mode %s', (mode) => {
  let gpu: Backend;
  const gl = mode === 'headlessgl';

  beforeAll(() => {
    setDevice('gpu', { mode }); // throws (failing every test below) when the mode cannot run
    gpu = currentBackend();
  });
  afterAll(() => useBackend(referenceBackend));
  beforeEach(() => manualSeed(1234));

  it(`runs in gpu.js mode ${mode}`, () => {
    expect(getDevice()).toBe(mode);
    expect(gpu.name).toBe(mode);
  });

  /**
   * Shapes for elementwise ops: tiny, rank 3, rank 8 (distinct neighbouring sizes, so every one of
   * the kernels' 8 index digits matters once a layout prevents merging), and one large enough for
   * GL's highp textures (above 2^15 cells).
   */
  const shapes: Shape[] = [[7], [2, 3, 4], [2, 3, 2, 1, 3, 2, 3, 2, 3], [190, 181]];
  const rank8 = [2, 3, 2, 3, 2, 3, 2, 3];

  it.each(unaryOps)('unary %s matches the cpu backend on every layout', (op) => {
    const [low, high] = unaryRange[op];
    const tol = gl ? glUnaryTolerance[op] : { rtol: 0, atol: 0 };
    for (const shape of shapes) {
      for (const name of layoutNames) {
        const x = layouts[name](shape, low, high);
        const want = referenceBackend.unary(op, x);
        const bad = mismatches(gpu.unary(op, x), want, (i) => tol.atol + tol.rtol * Math.abs(want[i]));
        expect({ shape, name, bad }).toEqual({ shape, name, bad: [] });
      }
    }
  });

  it.each(binaryOps)('binary %s matches on mixed layouts', (op) => {
    const rtol = gl ? glBinaryRtol[op] : 0;
    for (const shape of shapes) {
      layoutNames.forEach((name, k) => {
        const other = layoutNames[(k + 1) % layoutNames.length];
        const a = layouts[name](shape, -10, 10);
        const b = layouts[other](shape, op === 'div' ? 0.5 : -10, 10);
        const want = referenceBackend.binary(op, a, b);
        const bad = mismatches(gpu.binary(op, a, b), want, (i) => rtol * Math.abs(want[i]));
        expect({ shape, layouts: [name, other], bad }).toEqual({ shape, layouts: [name, other], bad: [] });
      });
    }
  });

  it('max and amax let NaN win, as the cpu backend does', () => {
    const a: StridedView = { array: Float32Array.of(NaN, 1, 2, NaN), shape: [4], strides: [1], offset: 0 };
    const b: StridedView = { array: Float32Array.of(1, NaN, 0, NaN), shape: [4], strides: [1], offset: 0 };
    expect(Array.from(gpu.binary('max', a, b))).toEqual(Array.from(referenceBackend.binary('max', a, b)));
    expect(Array.from(gpu.reduce('amax', b, [0]))).toEqual([NaN]);
  });

  it('where matches on mixed layouts', () => {
    for (const shape of shapes) {
      layoutNames.forEach((name, k) => {
        const cond = referenceBackend.binary('cmplt', layouts[name](shape, 0, 1), layouts[name](shape, 0, 1));
        const c: StridedView = { array: cond, shape, strides: rowMajorStrides(shape), offset: 0 };
        const a = layouts[layoutNames[(k + 1) % layoutNames.length]](shape, -1, 1);
        const b = layouts[layoutNames[(k + 2) % layoutNames.length]](shape, -1, 1);
        expect(mismatches(gpu.where(c, a, b), referenceBackend.where(c, a, b), exact)).toEqual([]);
      });
    }
  });

  it('gather packs every layout exactly, including 8 unmergeable dims, a scalar and an empty view', () => {
    const eight = permute(packed(rank8), [7, 6, 5, 4, 3, 2, 1, 0]);
    const scalar: StridedView = { array: Float32Array.of(5, 6, 7), shape: [], strides: [], offset: 2 };
    const empty: StridedView = { array: new Float32Array(4), shape: [2, 0, 3], strides: [0, 3, 1], offset: 0 };
    const views = [...shapes.flatMap((shape) => layoutNames.map((name) => layouts[name](shape, -1, 1))), eight, scalar, empty];
    for (const x of views) expect(mismatches(gpu.gather(x), referenceBackend.gather(x), exact)).toEqual([]);
  });

  it('names the op and shape when a view has more than 8 dims after merging', () => {
    const nine = permute(packed([2, 2, 2, 2, 2, 2, 2, 2, 2]), [8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(() => gpu.unary('exp', nine)).toThrow(/exp: a view of shape \[2,2,2,2,2,2,2,2,2\] still has 9 dims/);
  });

  it('refuses outputs past 2^24 cells, where float32 indices stop being exact', () => {
    const huge: StridedView = { array: Float32Array.of(1), shape: [2 ** 24 + 1], strides: [0], offset: 0 };
    expect(() => gpu.unary('neg', huge)).toThrow(/neg: an output of 16777217 cells .* exact only up to 2\^24/);
  });

  /** Runs one reduction on both backends and checks it against the summation bound (or exactly). */
  function checkReduce(op: ReduceOp, x: StridedView, axes: number[]): string[] {
    const want = referenceBackend.reduce(op, x, axes);
    const terms = numel(axes.map((k) => x.shape[k]));
    const bound = op === 'sum' ? summationBound(referenceBackend.reduce('sum', absolute(x), axes), terms) : exact;
    return mismatches(gpu.reduce(op, x, axes), want, bound);
  }

  it.each(reduceOps)('%s over any axes of every layout', (op) => {
    const axesList = [[], [0], [1], [2], [0, 2], [1, 2], [0, 1, 2]];
    for (const name of layoutNames) {
      for (const axes of axesList) {
        const x = layouts[name]([3, 4, 5], -1, 1);
        expect({ name, axes, bad: checkReduce(op, x, axes) }).toEqual({ name, axes, bad: [] });
      }
    }
  });

  it.each(reduceOps)('%s over more than 1000 cells (a loop bound past gpu.js\'s default cap)', (op) => {
    expect(checkReduce(op, packed([3, 5000]), [1])).toEqual([]);
    expect(checkReduce(op, permute(packed([5000, 3]), [1, 0]), [1])).toEqual([]);
    expect(checkReduce(op, packed([40, 50, 3]), [0, 1])).toEqual([]);
  });

  it.each(reduceOps)('%s keeps 7 unmerged outer dims apart', (op) => {
    for (const axes of [[7], [0], [2, 5]]) {
      expect({ axes, bad: checkReduce(op, layouts.stepped(rank8, -1, 1), axes) }).toEqual({ axes, bad: [] });
    }
  });

  it.each(reduceOps)('%s over more than 65,535 cells (GL\'s per-shader loop cap): chunked passes', (op) => {
    expect(checkReduce(op, packed([100_000], 0, 1), [0])).toEqual([]);
    expect(checkReduce(op, permute(packed([70_000, 2]), [1, 0]), [1])).toEqual([]);
    expect(checkReduce(op, flip(packed([2, 70_000])), [0, 1])).toEqual([]);
  });

  it('reductions of empty dims give the identity (0 for sum, -Infinity for amax)', () => {
    const x: StridedView = { array: new Float32Array(0), shape: [2, 0], strides: [0, 1], offset: 0 };
    expect(Array.from(gpu.reduce('sum', x, [1]))).toEqual([0, 0]);
    expect(Array.from(gpu.reduce('amax', x, [1]))).toEqual([-Infinity, -Infinity]);
    expect(Array.from(gpu.mulacc(x, x, [1]))).toEqual([0, 0]);
  });

  /** mulacc on both backends, checked against the summation bound of Σ|a·b|. */
  function checkMulacc(a: StridedView, b: StridedView, axes: number[]): string[] {
    const want = referenceBackend.mulacc(a, b, axes);
    const terms = numel(axes.map((k) => a.shape[k]));
    const bound = summationBound(referenceBackend.mulacc(absolute(a), absolute(b), axes), terms);
    return mismatches(gpu.mulacc(a, b, axes), want, bound);
  }

  it('mulacc as matmul 64x300x32 over broadcast views (a[i,k]·b[k,j] summed over k)', () => {
    const a = packed([64, 1, 300]);
    const bT = permute(packed([300, 1, 32]), [1, 2, 0]); // b stored [300, 32], viewed as [1, 32, 300]
    const shape = [64, 32, 300];
    const expandA: StridedView = { ...a, shape, strides: [a.strides[0], 0, a.strides[2]] };
    const expandB: StridedView = { ...bT, shape, strides: [0, bT.strides[1], bT.strides[2]] };
    expect(checkMulacc(expandA, expandB, [2])).toEqual([]);
  });

  it('mulacc over several axes, long axes, and size-1 axes, on mixed layouts', () => {
    layoutNames.forEach((name, k) => {
      const a = layouts[name]([3, 4, 5], -1, 1);
      const b = layouts[layoutNames[(k + 1) % layoutNames.length]]([3, 4, 5], -1, 1);
      for (const axes of [[0], [2], [0, 2], [0, 1, 2], []]) expect({ name, axes, bad: checkMulacc(a, b, axes) }).toEqual({ name, axes, bad: [] });
    });
    expect(checkMulacc(packed([2, 70_000]), flip(packed([2, 70_000])), [1])).toEqual([]);
    expect(checkMulacc(packed([4, 1, 3]), packed([4, 1, 3]), [1])).toEqual([]);
    expect(checkMulacc(layouts.stepped(rank8, -1, 1), layouts.permuted(rank8, -1, 1), [3])).toEqual([]);
  });

  /** Scatters `source` into `target` on both backends (each on its own copy); compares whole arrays. */
  function checkScatter(target: StridedView, source: StridedView): string[] {
    const onCpu = { ...target, array: target.array.slice() };
    const onGpu = { ...target, array: target.array.slice() };
    const sharesStorage = source.array === target.array;
    referenceBackend.scatter(onCpu, sharesStorage ? { ...source, array: onCpu.array } : source);
    gpu.scatter(onGpu, sharesStorage ? { ...source, array: onGpu.array } : source);
    return mismatches(onGpu.array, onCpu.array, exact);
  }

  it('scatter writes into stepped, flipped, permuted and 8-dim views, and leaves other cells alone', () => {
    const shape = [3, 4, 5];
    const targets = ['packed', 'permuted', 'flipped', 'stepped'].map((name) => layouts[name](shape, -1, 1));
    const eight = layouts.stepped(rank8, -1, 1);
    targets.forEach((target, k) => {
      const source = layouts[layoutNames[k]](shape, 5, 6);
      expect(checkScatter(target, source)).toEqual([]);
    });
    expect(checkScatter(eight, packed(eight.shape, 5, 6))).toEqual([]);
  });

  it('scatter reads the source before writing when both share storage', () => {
    const storage = packed([20]);
    const target: StridedView = { ...storage, shape: [10], strides: [1], offset: 0 };
    const source: StridedView = { ...storage, shape: [10], strides: [-1], offset: 12 };
    expect(checkScatter(target, source)).toEqual([]);
  });

  it('scatter refuses views whose cells share memory (broadcast, overlapping windows)', () => {
    const source = packed([3, 4, 5]);
    expect(() => gpu.scatter(layouts.broadcast([3, 4, 5], 0, 1), source)).toThrow(/scatter: cannot write into a view of shape \[3,4,5\]/);
    expect(() => gpu.scatter(layouts.windows([3, 4, 5], 0, 1), source)).toThrow(/share one place in memory/);
  });

  // ---- through TensorData, with the device switched ---------------------------------------

  /** The values `build` gives on this gpu backend and on the cpu backend. */
  function onBoth(build: () => TensorData): [number[], number[]] {
    useBackend(gpu);
    const fromGpu = build().toFlat();
    useBackend(referenceBackend);
    const fromCpu = build().toFlat();
    useBackend(gpu);
    return [fromGpu, fromCpu];
  }

  it('TensorData views made by stride([-1, 2]), window and pad give the cpu values', () => {
    const x = TensorData.fromArray(Array.from({ length: 24 }, (_, i) => i * 0.25 - 3), [4, 6]);
    const [flipped, flippedCpu] = onBoth(() => x.stride([-1, 2]).mul(x.stride([1, -2])));
    expect(flipped).toEqual(flippedCpu);
    const [pooled, pooledCpu] = onBoth(() => x.window([0, 1], [2, 3], [1, 1], [1, 1]).amax([2, 3]));
    expect(pooled).toEqual(pooledCpu);
    const [padded, paddedCpu] = onBoth(() => x.stride([-1, 1]).pad([[1, 2], [0, 1]], 7));
    expect(padded).toEqual(paddedCpu);
  });
});

// ---- data kept on the device (headlessgl's textures) -----------------------------------------

it('the webasm backend keeps no device buffers (a pipeline kernel there returns arrays anyway)', () => {
  expect(gpuBackend({ mode: 'webasm' }).device).toBeUndefined();
  expect(referenceBackend.device).toBeUndefined();
});

/**
 * The `device` face of the headlessgl backend: the same kernels as the host face, so results must be
 * bit-identical to it; what changes is where they stay. GL needs the native `gl` package and an X
 * server: .ci/run installs both and sets TSGRAD_TEST_GL=1, where a missing GL fails every test below.
 * A plain `npm test` has neither, so there this suite reports as skipped.
 */
(modes.includes('headlessgl') ? describe : describe.skip)('device memory on headlessgl (TSGRAD_TEST_GL=1 under xvfb-run)', () => {
  let gpu: Backend;
  let memory: DeviceMemory;
  beforeAll(() => {
    gpu = gpuBackend({ mode: 'headlessgl' });
    if (!gpu.device) throw new Error('the headlessgl backend has no device memory');
    memory = gpu.device;
  });
  beforeEach(() => manualSeed(99));

  /** The same view over a texture uploaded from its array. */
  const onDevice = (view: StridedView): DeviceView => ({ ...view, array: memory.upload(view.array) });
  const read = (buffer: DeviceBuffer): Float32Array => memory.download(buffer);

  it('uploads and downloads exactly, and counts both', () => {
    const values = Float32Array.of(0, -1.5, 3.4028234e38, 1e-38, -0, 7, NaN, 2 ** 24);
    const before = memory.counters;
    const buffer = memory.upload(values);
    expect(Array.from(read(buffer))).toEqual(Array.from(values));
    expect(memory.counters).toMatchObject({ uploads: before.uploads + 1, downloads: before.downloads + 1, live: before.live + 1 });
    memory.release(buffer);
    expect(memory.counters.live).toBe(before.live);
  });

  it('gives the host face\'s values for every op, on textures and on mixed texture/array inputs, and leaves one texture per result', () => {
    const shape = [3, 4, 5];
    const [a, b] = [layouts.permuted(shape, -1, 1), layouts.flipped(shape, 0.5, 2)];
    const [da, db] = [onDevice(a), b]; // b stays a host array: uploaded for each op only
    const long = packed([100_000]);
    const dlong = onDevice(long);
    const cases: [string, () => DeviceBuffer, () => Float32Array][] = [
      ['exp', () => memory.unary('exp', da), () => gpu.unary('exp', a)],
      ['div', () => memory.binary('div', da, db), () => gpu.binary('div', a, b)],
      ['where', () => memory.where(da, db, da), () => gpu.where(a, b, a)],
      ['sum', () => memory.reduce('sum', da, [0, 2]), () => gpu.reduce('sum', a, [0, 2])],
      ['amax of 100,000 cells (two passes)', () => memory.reduce('amax', dlong, [0]), () => gpu.reduce('amax', long, [0])],
      ['mulacc', () => memory.mulacc(da, db, [1]), () => gpu.mulacc(a, b, [1])],
      ['gather', () => memory.gather(da), () => gpu.gather(a)],
    ];
    for (const [name, device, host] of cases) {
      const live = memory.counters.live;
      const buffer = device();
      expect({ name, live: memory.counters.live }).toEqual({ name, live: live + 1 }); // intermediate passes and uploads freed
      expect({ name, bad: mismatches(read(buffer), host(), exact) }).toEqual({ name, bad: [] });
    }
  });

  it('scatters into a texture: a new texture of the whole storage, the old one unchanged', () => {
    const storage = packed([6, 7]);
    const target: StridedView = { ...storage, shape: [3, 4], strides: [14, -1], offset: 10 };
    const source = layouts.permuted([3, 4], 5, 6);
    const old = memory.upload(storage.array);
    const written = memory.scatter({ ...target, array: old }, onDevice(source));
    const want = storage.array.slice();
    referenceBackend.scatter({ ...target, array: want }, source);
    expect(mismatches(read(written), want, exact)).toEqual([]);
    expect(mismatches(read(old), storage.array, exact)).toEqual([]);
    const fromHost = memory.scatter(target, source); // a host target is uploaded whole
    expect(mismatches(read(fromHost), want, exact)).toEqual([]);
  });

  it('feeds a kernel its own latest output, at changing sizes', () => {
    for (const n of [7, 1000, 40_000, 33, 100_000, 5]) {
      const x = onDevice(packed([n]));
      const view = (buffer: DeviceBuffer): DeviceView => ({ array: buffer, shape: [n], strides: [1], offset: 0 });
      const twice = memory.binary('add', x, x);
      const four = memory.binary('add', view(twice), view(twice));
      const five = memory.binary('add', view(four), x);
      const want = Array.from(read(x.array as DeviceBuffer), (v) => 5 * v);
      expect({ n, bad: mismatches(read(five), Float32Array.from(want), (i) => 4 * 2 ** -24 * Math.abs(want[i])) }).toEqual({ n, bad: [] });
      [x.array as DeviceBuffer, twice, four, five].forEach((buffer) => memory.release(buffer));
    }
  });

  it('releases once, and refuses released and foreign buffers by name', () => {
    const buffer = memory.upload(Float32Array.of(1, 2, 3));
    memory.release(buffer);
    expect(() => memory.release(buffer)).not.toThrow();
    expect(memory.owns(buffer)).toBe(false);
    const view = (array: DeviceBuffer): DeviceView => ({ array, shape: [3], strides: [1], offset: 0 });
    expect(() => memory.unary('neg', view(buffer))).toThrow(/released/);
    const foreign: DeviceBuffer = { length: 3 };
    expect(memory.owns(foreign)).toBe(false);
    expect(() => memory.unary('neg', view(foreign))).toThrow(/another device/);
  });

  it('makes empty results and reductions of nothing without a kernel', () => {
    const empty: StridedView = { array: new Float32Array(0), shape: [2, 0], strides: [0, 1], offset: 0 };
    expect(read(memory.unary('exp', empty)).length).toBe(0);
    expect(Array.from(read(memory.reduce('sum', empty, [1])))).toEqual([0, 0]);
  });
});
