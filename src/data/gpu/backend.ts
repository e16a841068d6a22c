/**
 * The gpu backend: the `Backend` interface of ../backend.ts on gpu.js kernels, in one gpu.js mode.
 *
 * Modes: 'webasm' (WebAssembly with SIMD, on the CPU; works in plain node) and 'headlessgl' (WebGL
 * through the `gl` package; needs an X display such as xvfb-run, and on a machine without a GPU it is
 * Mesa's llvmpipe, also on the CPU). device.ts chooses between them.
 *
 * `createGpuBackend(mode)` makes one gpu.js `GPU` and one kernel object per op (kernels.ts): created
 * at once, compiled on first use, and reused for every shape. What that takes in gpu.js 2.24:
 * - `dynamicOutput` and `dynamicArguments`, or a kernel refuses a second size; on GL also
 *   `tactic: 'precision'`, or a resize can silently return the previous output length (every
 *   result's length is checked here anyway);
 * - on webasm every new combination of sizes is a new wasm module, cached per kernel in an LRU of 8;
 *   the cache is raised to WEBASM_MODULE_CACHE so a training loop's shapes do not recompile;
 * - shapes, strides and offsets go in as scalars (layout.ts), which never trigger a recompile;
 * - reductions run in passes over one dim, each output cell reducing at most REDUCE_CHUNK cells:
 *   a loop whose bound is an argument stops silently at `loopMaxIterations` (set to REDUCE_CHUNK), and
 *   GL stops a shader after 65,535 loop iterations whatever that setting says. A longer dim leaves one
 *   partial result per chunk, reduced by the next pass;
 * - gpu.js replaces a kernel that cannot run in its mode by a CPU kernel with a console warning;
 *   here that is an error, as is any kernel not of the mode's class: the gpu device never runs on
 *   something else without saying so.
 * gpu.js never frees kernels (`gpu.kernels` holds them): device.ts keeps one backend per mode for
 * the whole process.
 *
 * May import: gpu.js, ../backend, ../ops, ../shape, ./kernels, ./layout.
 */
import {
  GPU, HeadlessGLKernel, WebAssemblyKernel,
  type IGPUKernelSettings, type IKernelRunShortcut, type KernelFunction, type KernelVariable,
} from 'gpu.js';
import type { Backend, StridedView } from '../backend';
import { reduceMath, type BinaryOp, type ReduceOp, type UnaryOp } from '../ops';
import { formatShape, numel, rowMajorStrides, shapesEqual, type Shape } from '../shape';
import {
  binaryCode, binaryKernel, mulaccKernel, reduceCode, reduceKernel, scatterKernel, unaryCode, unaryKernel, whereKernel,
} from './kernels';
import { checkIndexRange, elementwiseLayout, inputArgs, mergeDims, reduceLayout, scatterLayout, shapeArgs } from './layout';

/** The gpu.js modes tsgrad runs on. */
export type GpuMode = 'headlessgl' | 'webasm';
/** In the order `setDevice('gpu')` prefers them when no mode is asked for. */
export const gpuModes: readonly GpuMode[] = ['headlessgl', 'webasm'];

/** Most cells one output cell of a reduction pass reduces: well under GL's 65,535 loop iterations. */
export const REDUCE_CHUNK = 16384;
/** Wasm modules (one per combination of sizes) each webasm kernel keeps; gpu.js's default is 8. */
export const WEBASM_MODULE_CACHE = 64;

/** True when gpu.js can run `mode` in this process (headlessgl opens a 2x2 test context to find out). */
export function isGpuModeAvailable(mode: GpuMode): boolean {
  return mode === 'headlessgl' ? GPU.isHeadlessGLSupported : GPU.isWebAssemblySupported;
}

/** The Backend, named after the gpu.js mode it runs in. */
export interface GpuBackend extends Backend {
  readonly name: GpuMode;
}

type Kernel = IKernelRunShortcut;

/** One kernel object per op. The Records make a missing op a compile error. */
interface KernelTable {
  readonly unary: Record<UnaryOp | 'copy', Kernel>;
  readonly binary: Record<BinaryOp, Kernel>;
  readonly reduce: Record<ReduceOp, Kernel>;
  readonly where: Kernel;
  readonly mulacc: Kernel;
  readonly scatter: Kernel;
}

/** A reduction as one kind of pass: mulacc's first pass multiplies, later ones are sums. */
type ReduceKind = ReduceOp | 'mulacc';

export function createGpuBackend(mode: GpuMode): GpuBackend {
  const kernels = createKernels(new GPU({ mode }));
  const run = (kernel: Kernel, op: string, cells: number, args: KernelVariable[]): Float32Array =>
    runKernel(mode, kernel, op, cells, args);

  /** Unary, binary, where and gather: one output cell per cell of the (common) shape. */
  function elementwise(op: string, kernel: Kernel, views: StridedView[]): Float32Array {
    checkSameShapes(op, views);
    const cells = numel(views[0].shape);
    if (cells === 0) return new Float32Array(0);
    const layout = elementwiseLayout(op, views[0].shape, views);
    const arrays = layout.inputs.map((input) => input.array);
    return run(kernel, op, cells, [...arrays, ...shapeArgs(layout), ...layout.inputs.flatMap(inputArgs)]);
  }

  /** One pass over the last dim of `views` (all of `shape`), in `chunks` pieces per outer cell. */
  function reducePass(kind: ReduceKind, shape: Shape, views: StridedView[], chunks: number): Float32Array {
    const layout = reduceLayout(kind, shape, views);
    const cells = numel(shape.slice(0, -1)) * chunks;
    const kernel = kind === 'mulacc' ? kernels.mulacc : kernels.reduce[kind];
    const arrays = layout.inputs.map((input) => input.array);
    const args = [...arrays, layout.length, ...layout.steps, chunks, ...shapeArgs(layout), ...layout.inputs.flatMap(inputArgs)];
    return run(kernel, kind, cells, args);
  }

  /**
   * Reduces `views` (one shape) over `axes`: the reduced dims are moved last and merged where the
   * memory allows, then each pass reduces the last dim, REDUCE_CHUNK cells at most per output cell.
   */
  function reduceOver(kind: ReduceKind, views: StridedView[], axes: readonly number[]): Float32Array {
    checkSameShapes(kind, views);
    const { shape } = views[0];
    const kept = shape.map((_, k) => k).filter((k) => !axes.includes(k));
    const order = [...kept, ...axes];
    const outCells = numel(kept.map((k) => shape[k]));
    if (numel(shape) === 0) return new Float32Array(outCells).fill(kind === 'amax' ? reduceMath.amax.init : 0);
    const merged = mergeDims(
      order.map((k) => shape[k]),
      views.map((view) => order.map((k) => view.strides[k])),
      order.map((_, i) => (i < kept.length ? 0 : 1)),
    );
    let reducing = merged.groups.filter((group) => group === 1).length;
    let dims = merged.shape;
    let inputs: StridedView[] = views.map((view, v) => ({ array: view.array, shape: dims, strides: merged.stridesOf[v], offset: view.offset }));
    if (reducing === 0) {
      // Every reduced dim has size 1: nothing to add up.
      return kind === 'mulacc' ? elementwise('mulacc', kernels.binary.mul, inputs) : elementwise(kind, kernels.unary.copy, inputs);
    }
    let out: Float32Array = new Float32Array(0);
    for (let pass = kind; reducing > 0; pass = pass === 'mulacc' ? 'sum' : pass) {
      const chunks = Math.ceil(dims[dims.length - 1] / REDUCE_CHUNK);
      out = reducePass(pass, dims, inputs, chunks);
      dims = chunks === 1 ? dims.slice(0, -1) : [...dims.slice(0, -1), chunks];
      if (chunks === 1) reducing--;
      inputs = [{ array: out, shape: dims, strides: rowMajorStrides(dims), offset: 0 }];
    }
    return out;
  }

  function scatter(target: StridedView, source: StridedView): void {
    checkSameShapes('scatter', [target, source]);
    if (numel(target.shape) === 0) return;
    const plan = scatterLayout('scatter', target, source);
    const old = target.array.subarray(plan.start, plan.start + plan.length);
    const args = [old, plan.source.array, ...plan.sizes, ...plan.targetStrides, ...inputArgs(plan.source)];
    target.array.set(run(kernels.scatter, 'scatter', plan.length, args), plan.start);
  }

  return {
    name: mode,
    unary: (op, x) => elementwise(op, kernels.unary[op], [x]),
    binary: (op, a, b) => elementwise(op, kernels.binary[op], [a, b]),
    where: (cond, a, b) => elementwise('where', kernels.where, [cond, a, b]),
    mulacc: (a, b, axes) => reduceOver('mulacc', [a, b], axes),
    reduce: (op, x, axes) => reduceOver(op, [x], axes),
    gather: (x) => elementwise('gather', kernels.unary.copy, [x]),
    scatter,
  };
}

function createKernels(gpu: GPU): KernelTable {
  const make = (fn: KernelFunction, constants: object, loopMaxIterations?: number): Kernel => {
    const settings: IGPUKernelSettings & { loopMaxIterations?: number } = {
      output: [1],
      precision: 'single',
      dynamicOutput: true,
      dynamicArguments: true,
      tactic: 'precision',
      constants,
      loopMaxIterations,
    };
    return gpu.createKernel(fn, settings);
  };
  const perOp = <K extends string>(codes: Record<K, number>, build: (op: number) => Kernel): Record<K, Kernel> =>
    Object.fromEntries(Object.entries<number>(codes).map(([name, code]) => [name, build(code)])) as Record<K, Kernel>;
  return {
    unary: perOp(unaryCode, (op) => make(unaryKernel as KernelFunction, { ...unaryCode, op })),
    binary: perOp(binaryCode, (op) => make(binaryKernel as KernelFunction, { ...binaryCode, op })),
    reduce: perOp(reduceCode, (op) => make(reduceKernel as KernelFunction, { ...reduceCode, op, chunk: REDUCE_CHUNK }, REDUCE_CHUNK)),
    where: make(whereKernel as KernelFunction, {}),
    mulacc: make(mulaccKernel as KernelFunction, { chunk: REDUCE_CHUNK }, REDUCE_CHUNK),
    scatter: make(scatterKernel as KernelFunction, {}),
  };
}

/** Runs one kernel over `cells` output cells; throws if gpu.js ran it anywhere but `mode`. */
function runKernel(mode: GpuMode, kernel: Kernel, op: string, cells: number, args: KernelVariable[]): Float32Array {
  checkIndexRange(op, 'an output', cells, [cells]);
  if (kernel.kernel instanceof WebAssemblyKernel) kernel.kernel.moduleCacheLimit = WEBASM_MODULE_CACHE;
  kernel.setOutput([cells]);
  const out = kernel(...args);
  const ranOn = kernel.kernel;
  const expected = mode === 'headlessgl' ? HeadlessGLKernel : WebAssemblyKernel;
  if (!(ranOn instanceof expected)) {
    const reason = ranOn.fallbackReason ? ` (${ranOn.fallbackReason})` : '';
    throw new Error(`${op}: gpu.js ran this kernel as a ${ranOn.constructor.name}${reason}, not in mode '${mode}'; refusing to continue on another device`);
  }
  if (!(out instanceof Float32Array) || out.length !== cells) {
    const got = out instanceof Float32Array ? `${out.length} values` : String(out?.constructor?.name ?? out);
    throw new Error(`${op}: the '${mode}' kernel returned ${got}, expected a Float32Array of ${cells} values`);
  }
  return out;
}

function checkSameShapes(op: string, views: readonly StridedView[]): void {
  if (!views.every((view) => shapesEqual(view.shape, views[0].shape))) {
    throw new RangeError(`${op}: inputs must have one shape, got ${views.map((view) => formatShape(view.shape)).join(' and ')}`);
  }
}
