/**
 * The gpu.js kernel objects of one gpu backend, one per op, and how one is run.
 *
 * `createKernels` makes one gpu.js kernel per op from the functions of kernels.ts: created at once,
 * compiled on first use, and reused for every shape. What that takes in gpu.js 2.24:
 * - `dynamicOutput` and `dynamicArguments`, or a kernel refuses a second size; on GL also
 *   `tactic: 'precision'`, or a resize can silently return the previous output length (every
 *   result's length is checked anyway);
 * - on webasm every new combination of sizes is a new wasm module, cached per kernel in an LRU of 8;
 *   the cache is raised to WEBASM_MODULE_CACHE so a training loop's shapes do not recompile;
 * - gpu.js replaces a kernel that cannot run in its mode by a CPU kernel with a console warning;
 *   `runKernel` makes that an error, as is any kernel not of the mode's class: the gpu device never
 *   runs on something else without saying so.
 * Before creating anything, every op of ops.ts must have its line in its kernel function
 * (`kernelCases`); an op without one throws, naming the op and the function.
 *
 * May import: gpu.js, ./kernels, ./layout.
 */
import {
  HeadlessGLKernel, WebAssemblyKernel, WebGL2Kernel,
  type GPU, type IGPUKernelSettings, type IKernelRunShortcut, type KernelFunction, type KernelVariable,
} from 'gpu.js';
import {
  binaryCode, binaryKernel, copyKernel, kernelCases, mulaccKernel, reduceCode, reduceKernel, scatterKernel, unaryCode, unaryKernel, whereKernel,
} from './kernels';
import { checkIndexRange } from './layout';

/** The gpu.js modes tsgrad runs on: headlessgl in Node, webgl2 in a browser, webasm in both. */
export type GpuMode = 'headlessgl' | 'webgl2' | 'webasm';

/** The GL modes, whose kernels render into textures. */
export function isGlMode(mode: GpuMode): boolean {
  return mode !== 'webasm';
}

/** Most cells one output cell of a reduction pass reduces: well under GL's 65,535 loop iterations. */
export const REDUCE_CHUNK = 16384;
/** Wasm modules (one per combination of sizes) each webasm kernel keeps; gpu.js's default is 8. */
export const WEBASM_MODULE_CACHE = 64;

/** One compiled gpu.js kernel. */
export type Kernel = IKernelRunShortcut;

/** One kernel object per op. The Records make a missing op a compile error. */
export interface KernelTable {
  readonly unary: Record<keyof typeof unaryCode, Kernel>;
  readonly binary: Record<keyof typeof binaryCode, Kernel>;
  readonly reduce: Record<keyof typeof reduceCode, Kernel>;
  readonly where: Kernel;
  readonly mulacc: Kernel;
  readonly scatter: Kernel;
  /** Host array in, texture out: the only kernel that ever gets an array on GL. */
  readonly upload: Kernel;
}

/** The kernels of every op, on `gpu`; `gl` makes them return textures (pipeline, immutable). */
export function createKernels(gpu: GPU, gl: boolean): KernelTable {
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
  return {
    unary: perOp(unaryCode, unaryKernel, (op) => make(unaryKernel as KernelFunction, { ...unaryCode, op })),
    binary: perOp(binaryCode, binaryKernel, (op) => make(binaryKernel as KernelFunction, { ...binaryCode, op })),
    reduce: perOp(reduceCode, reduceKernel, (op) => make(reduceKernel as KernelFunction, { ...reduceCode, op, chunk: REDUCE_CHUNK }, REDUCE_CHUNK)),
    where: make(whereKernel as KernelFunction, {}),
    mulacc: make(mulaccKernel as KernelFunction, { chunk: REDUCE_CHUNK }, REDUCE_CHUNK),
    scatter: make(scatterKernel as KernelFunction, {}),
    upload: make(copyKernel as KernelFunction, {}),
  };
}

/** One kernel per op of a code table, after checking that `fn` has a line for each of them. */
function perOp<Op extends string>(codes: Record<Op, number>, fn: (...args: never[]) => unknown, build: (code: number) => Kernel): Record<Op, Kernel> {
  checkKernelCases(codes, fn);
  return Object.fromEntries(Object.entries<number>(codes).map(([name, code]) => [name, build(code)])) as Record<Op, Kernel>;
}

/** Throws, naming the ops, when `fn` lacks a line for an op of `codes` or has one for an op not there. */
export function checkKernelCases(codes: Record<string, number>, fn: (...args: never[]) => unknown): void {
  const cases = kernelCases(fn);
  const missing = Object.keys(codes).filter((op) => !cases.includes(op));
  const unknown = cases.filter((op) => !(op in codes));
  if (missing.length > 0) {
    throw new Error(`gpu: ${fn.name} (src/data/gpu/kernels.ts) has no line for ${missing.map((op) => `'${op}'`).join(', ')}: add \`if (op === this.constants.<name>) return ...\` for each`);
  }
  if (unknown.length > 0) {
    throw new Error(`gpu: ${fn.name} (src/data/gpu/kernels.ts) has lines for ${unknown.map((op) => `'${op}'`).join(', ')}, which ops.ts does not list`);
  }
}

/** Runs one kernel over `cells` output cells; throws if gpu.js ran it anywhere but `mode`. */
export function runKernel(mode: GpuMode, kernel: Kernel, op: string, cells: number, args: KernelVariable[]): unknown {
  checkIndexRange(op, 'an output', cells, [cells]);
  if (kernel.kernel instanceof WebAssemblyKernel) kernel.kernel.moduleCacheLimit = WEBASM_MODULE_CACHE;
  kernel.setOutput([cells]);
  const out: unknown = kernel(...args);
  const ranOn = kernel.kernel;
  const expected = { headlessgl: HeadlessGLKernel, webgl2: WebGL2Kernel, webasm: WebAssemblyKernel }[mode];
  if (!(ranOn instanceof expected)) {
    const reason = ranOn.fallbackReason ? ` (${ranOn.fallbackReason})` : '';
    throw new Error(`${op}: gpu.js ran this kernel as a ${ranOn.constructor.name}${reason}, not in mode '${mode}'; refusing to continue on another device`);
  }
  return out;
}

/** A webasm kernel's result, checked: a Float32Array of `cells` values. */
export function checkArray(mode: GpuMode, op: string, out: unknown, cells: number): Float32Array {
  if (!(out instanceof Float32Array) || out.length !== cells) {
    const got = out instanceof Float32Array ? `${out.length} values` : String((out as object | null)?.constructor?.name ?? out);
    throw new Error(`${op}: the '${mode}' kernel returned ${got}, expected a Float32Array of ${cells} values`);
  }
  return out;
}
