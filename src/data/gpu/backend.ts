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
 * Data on the device. On headlessgl the kernels are `pipeline: true, immutable: true` (and
 * `optimizeFloatMemory`, 4 values per texel): each returns a new texture. Compute kernels only ever
 * get textures: host inputs are first cut to their window and uploaded by the copy kernel. (Given an
 * array where it had a texture before, gpu.js compiles a second kernel and switches to it, and the
 * switched kernel returned results of an earlier call's length: 7 values for a 1000-cell add.)
 * The backend then has two faces over the same code:
 * - the `Backend` methods (host arrays in and out): upload, run, read back, delete;
 * - `device`, a `DeviceMemory`: buffers in and out, nothing read back (textures.ts keeps the books).
 * On webasm there is no texture (a `pipeline` webasm kernel returns a Float32Array anyway), so the
 * webasm backend has no `device`: arrays in, arrays out, as before.
 *
 * May import: gpu.js, ../backend, ../ops, ../shape, ./kernels, ./layout, ./textures.
 */
import {
  GPU, HeadlessGLKernel, Texture, WebAssemblyKernel,
  type IGPUKernelSettings, type IKernelRunShortcut, type KernelFunction, type KernelVariable,
} from 'gpu.js';
import type { Backend, ComputeOps, DeviceMemory, DeviceView, StridedView } from '../backend';
import { reduceMath, type BinaryOp, type ReduceOp, type UnaryOp } from '../ops';
import { formatShape, numel, rowMajorStrides, shapesEqual, type Shape } from '../shape';
import {
  binaryCode, binaryKernel, copyKernel, mulaccKernel, reduceCode, reduceKernel, scatterKernel, unaryCode, unaryKernel, whereKernel,
} from './kernels';
import {
  checkIndexRange, elementwiseLayout, inputArgs, mergeDims, reduceLayout, scatterLayout, shapeArgs, windowOf,
  type ScatterLayout, type ViewOf,
} from './layout';
import { Textures, type TextureBuffer } from './textures';

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

/** The Backend, named after the gpu.js mode it runs in. On headlessgl it has `device`. */
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
  /** Host array in, texture out: the only kernel that ever gets an array on GL. */
  readonly upload: Kernel;
}

/** A reduction as one kind of pass: mulacc's first pass multiplies, later ones are sums. */
type ReduceKind = ReduceOp | 'mulacc';

/** What the kernels read and return: host arrays on webasm, textures on headlessgl. */
type KernelData = Float32Array | Texture;
type KernelView = ViewOf<KernelData>;

export function createGpuBackend(mode: GpuMode): GpuBackend {
  const gl = mode === 'headlessgl';
  const kernels = createKernels(new GPU({ mode }), gl);
  const textures = gl ? new Textures((values) => run(kernels.upload, 'upload', values.length, [values]) as Texture) : null;

  function run(kernel: Kernel, op: string, cells: number, args: KernelVariable[]): KernelData {
    const out = runKernel(mode, kernel, op, cells, args);
    return textures ? textures.adopt(op, out, cells) : checkArray(mode, op, out, cells);
  }

  /** Deletes a texture (arrays are left to the garbage collector). */
  function free(data: KernelData): void {
    if (data instanceof Texture) glTextures().delete(data);
  }

  /** Runs `use` with a list for temporary textures, all deleted when it returns or throws. */
  function scoped<T>(use: (temps: KernelData[]) => T): T {
    const temps: KernelData[] = [];
    try {
      return use(temps);
    } finally {
      temps.forEach(free);
    }
  }

  /** A host array as a kernel argument: itself on webasm, an uploaded temporary texture on GL. */
  function argument(array: Float32Array, temps: KernelData[]): KernelData {
    if (!textures) return array;
    const texture = textures.upload(array);
    temps.push(texture);
    return texture;
  }

  /** A view as kernels read it: a host array is cut to the window it touches (and uploaded on GL). */
  function ready(op: string, view: KernelView, temps: KernelData[]): KernelView {
    if (!(view.array instanceof Float32Array)) return view;
    const window = windowOf(op, { ...view, array: view.array });
    return { ...window, array: argument(window.array, temps) };
  }

  /** Unary, binary, where and gather: one output cell per cell of the (common) shape. */
  function elementwise(op: string, kernel: Kernel, views: readonly KernelView[]): KernelData {
    checkSameShapes(op, views);
    const { shape } = views[0];
    const cells = numel(shape);
    if (cells === 0) return new Float32Array(0);
    checkIndexRange(op, 'an output', cells, shape);
    return scoped((temps) => {
      const layout = elementwiseLayout(op, shape, views.map((view) => ready(op, view, temps)));
      const arrays = layout.inputs.map((input) => input.array);
      return run(kernel, op, cells, [...arrays, ...shapeArgs(layout), ...layout.inputs.flatMap(inputArgs)]);
    });
  }

  /** One pass over the last dim of `views` (all of `shape`), in `chunks` pieces per outer cell. */
  function reducePass(kind: ReduceKind, shape: Shape, views: KernelView[], chunks: number): KernelData {
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
  function reduceOver(kind: ReduceKind, views: readonly KernelView[], axes: readonly number[]): KernelData {
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
    const reducing = merged.groups.filter((group) => group === 1).length;
    return scoped((temps) => {
      const inputs = views.map((view, v) => ready(kind, { ...view, shape: merged.shape, strides: merged.stridesOf[v] }, temps));
      // With every reduced dim of size 1 there is nothing to add up.
      if (reducing === 0) return kind === 'mulacc' ? elementwise('mulacc', kernels.binary.mul, inputs) : elementwise(kind, kernels.unary.copy, inputs);
      return passes(kind, merged.shape, inputs, reducing);
    });
  }

  /** The passes of a reduction over the last `reducing` dims; each intermediate result is freed after use. */
  function passes(kind: ReduceKind, shape: Shape, views: KernelView[], reducing: number): KernelData {
    let [dims, inputs, left, pass] = [shape, views, reducing, kind];
    for (;;) {
      const chunks = Math.ceil(dims[dims.length - 1] / REDUCE_CHUNK);
      const out = reducePass(pass, dims, inputs, chunks);
      if (inputs !== views) free(inputs[0].array);
      dims = chunks === 1 ? dims.slice(0, -1) : [...dims.slice(0, -1), chunks];
      if (chunks === 1) left--;
      if (left === 0) return out;
      inputs = [{ array: out, shape: dims, strides: rowMajorStrides(dims), offset: 0 }];
      pass = pass === 'mulacc' ? 'sum' : pass;
    }
  }

  /** Runs the scatter kernel for `plan`: output cell i is cell i of `old` or, from `start` on, of the view. */
  function scatterRun(plan: ScatterLayout<KernelData>, old: KernelData, start: number, cells: number): KernelData {
    const args = [old, plan.source.array, start, plan.length, ...plan.sizes, ...plan.targetStrides, ...inputArgs(plan.source)];
    return run(kernels.scatter, 'scatter', cells, args);
  }

  /** Backend.scatter: writes into the host array of `target`, only over the range the view touches. */
  function scatterHost(target: StridedView, source: StridedView): void {
    checkSameShapes('scatter', [target, source]);
    if (numel(target.shape) === 0) return;
    scoped((temps) => {
      const plan = scatterLayout('scatter', target, ready('scatter', source, temps));
      const old = argument(target.array.subarray(plan.start, plan.start + plan.length), temps);
      target.array.set(result(scatterRun(plan, old, 0, plan.length)), plan.start);
    });
  }

  /** DeviceMemory.scatter: all of `target`'s array or texture, with the view written, as a new result. */
  function scatterWhole(target: KernelView, source: KernelView): KernelData {
    checkSameShapes('scatter', [target, source]);
    const length = lengthOf(target.array);
    if (numel(target.shape) === 0) return ops.gather({ array: target.array, shape: [length], strides: [1], offset: 0 });
    return scoped((temps) => {
      const whole = target.array instanceof Float32Array ? argument(target.array, temps) : target.array;
      const plan = scatterLayout('scatter', target, ready('scatter', source, temps));
      return scatterRun(plan, whole, plan.start, length);
    });
  }

  /** A kernel result handed to the host: a texture is read back and deleted. */
  function result(data: KernelData): Float32Array {
    if (data instanceof Float32Array) return data;
    try {
      return glTextures().download(data, lengthOf(data));
    } finally {
      free(data);
    }
  }

  function glTextures(): Textures {
    if (!textures) throw new Error(`gpu: a texture reached the '${mode}' backend, which has none`);
    return textures;
  }

  /** The ops over kernel views, shared by both faces. */
  const ops: ComputeOps<KernelView, KernelData> = {
    unary: (op, x) => elementwise(op, kernels.unary[op], [x]),
    binary: (op, a, b) => elementwise(op, kernels.binary[op], [a, b]),
    where: (cond, a, b) => elementwise('where', kernels.where, [cond, a, b]),
    mulacc: (a, b, axes) => reduceOver('mulacc', [a, b], axes),
    reduce: (op, x, axes) => reduceOver(op, [x], axes),
    gather: (x) => elementwise('gather', kernels.unary.copy, [x]),
  };

  return {
    name: mode,
    unary: (op, x) => result(ops.unary(op, x)),
    binary: (op, a, b) => result(ops.binary(op, a, b)),
    where: (cond, a, b) => result(ops.where(cond, a, b)),
    mulacc: (a, b, axes) => result(ops.mulacc(a, b, axes)),
    reduce: (op, x, axes) => result(ops.reduce(op, x, axes)),
    gather: (x) => result(ops.gather(x)),
    scatter: scatterHost,
    device: textures ? deviceMemory(textures, ops, scatterWhole) : undefined,
  };
}

/** The headlessgl backend's `device`: the ops with buffers (textures) in and out, nothing read back. */
function deviceMemory(
  textures: Textures,
  ops: ComputeOps<KernelView, KernelData>,
  scatterWhole: (target: KernelView, source: KernelView) => KernelData,
): DeviceMemory {
  const open = (view: DeviceView): KernelView =>
    view.array instanceof Float32Array ? { ...view, array: view.array } : { ...view, array: textures.unwrap(view.array) };
  /** A result as a buffer: results made without a kernel (empty, or a reduction of nothing) are uploaded. */
  const keep = (data: KernelData): TextureBuffer => {
    if (data instanceof Texture) return textures.wrap(data, lengthOf(data));
    return textures.wrap(data.length === 0 ? null : textures.upload(data), data.length);
  };
  return {
    unary: (op, x) => keep(ops.unary(op, open(x))),
    binary: (op, a, b) => keep(ops.binary(op, open(a), open(b))),
    where: (cond, a, b) => keep(ops.where(open(cond), open(a), open(b))),
    mulacc: (a, b, axes) => keep(ops.mulacc(open(a), open(b), axes)),
    reduce: (op, x, axes) => keep(ops.reduce(op, open(x), axes)),
    gather: (x) => keep(ops.gather(open(x))),
    scatter: (target, source) => keep(scatterWhole(open(target), open(source))),
    owns: (buffer) => textures.owns(buffer),
    upload: (values) => keep(values.length === 0 ? values : textures.upload(values)),
    download: (buffer) => textures.read(buffer),
    release: (buffer) => textures.release(buffer),
    get counters() {
      return textures.counters;
    },
  };
}

/** Values an array or texture holds (tsgrad's kernels are 1-D: a texture's output is [length]). */
function lengthOf(data: KernelData): number {
  return data instanceof Float32Array ? data.length : (data as Texture & { output: number[] }).output[0];
}

function createKernels(gpu: GPU, gl: boolean): KernelTable {
  const make = (fn: KernelFunction, constants: object, loopMaxIterations?: number): Kernel => {
    const settings: IGPUKernelSettings & { loopMaxIterations?: number } = {
      output: [1],
      precision: 'single',
      dynamicOutput: true,
      dynamicArguments: true,
      tactic: 'precision',
      constants,
      loopMaxIterations,
      pipeline: gl,
      immutable: gl,
      optimizeFloatMemory: gl,
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
    upload: make(copyKernel as KernelFunction, {}),
  };
}

/** Runs one kernel over `cells` output cells; throws if gpu.js ran it anywhere but `mode`. */
function runKernel(mode: GpuMode, kernel: Kernel, op: string, cells: number, args: KernelVariable[]): unknown {
  checkIndexRange(op, 'an output', cells, [cells]);
  if (kernel.kernel instanceof WebAssemblyKernel) kernel.kernel.moduleCacheLimit = WEBASM_MODULE_CACHE;
  kernel.setOutput([cells]);
  const out: unknown = kernel(...args);
  const ranOn = kernel.kernel;
  const expected = mode === 'headlessgl' ? HeadlessGLKernel : WebAssemblyKernel;
  if (!(ranOn instanceof expected)) {
    const reason = ranOn.fallbackReason ? ` (${ranOn.fallbackReason})` : '';
    throw new Error(`${op}: gpu.js ran this kernel as a ${ranOn.constructor.name}${reason}, not in mode '${mode}'; refusing to continue on another device`);
  }
  return out;
}

/** A webasm kernel's result, checked: a Float32Array of `cells` values. */
function checkArray(mode: GpuMode, op: string, out: unknown, cells: number): Float32Array {
  if (!(out instanceof Float32Array) || out.length !== cells) {
    const got = out instanceof Float32Array ? `${out.length} values` : String((out as object | null)?.constructor?.name ?? out);
    throw new Error(`${op}: the '${mode}' kernel returned ${got}, expected a Float32Array of ${cells} values`);
  }
  return out;
}

function checkSameShapes(op: string, views: readonly { shape: Shape }[]): void {
  if (!views.every((view) => shapesEqual(view.shape, views[0].shape))) {
    throw new RangeError(`${op}: inputs must have one shape, got ${views.map((view) => formatShape(view.shape)).join(' and ')}`);
  }
}
