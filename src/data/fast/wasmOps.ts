/**
 * The memory-bound ops (elementwise, where, gather, scatter, reductions) run in WebAssembly: each
 * input's span of storage is copied into the module's memory (a memcpy) unless it lives there already
 * (a resident tensor, resident.ts), a walk descriptor tells the kernel how to visit the cells in rows
 * (strided.ts plans them), and the packed result is copied out, or written straight into a resident
 * tensor's region. The copies cost a fraction of what the loops save: V8 runs these float32 loops
 * several times faster as WebAssembly (and with f32x4 on contiguous rows) than as JavaScript.
 *
 * Each function returns null when the op is better left to the JavaScript loops (elementwise.ts):
 * ops the kernels do not handle (`wasmKernelOps`, generated with the module from kernels.as: the
 * WebAssembly kernels are a speed-up, a partial table); small tensors, whose copies and call cost
 * more than the loop; sparse views, whose span is much larger than their cells; and walks deeper
 * than MAX_RANK axes. A kernel that meets a code it has no case for traps, and `callKernel`
 * turns the trap into an error naming the op.
 *
 * May import: ../backend, ../ops, ../shape, ../view, ./arrayPool, ./strided, ./wasm, ./wasmBinary.
 */
import type { Placement, StridedView } from '../backend';
import { reduceMath, type BinaryOp, type ReduceOp, type UnaryOp } from '../ops';
import { numel, rowMajorStrides, stridedSpan, type Shape } from '../shape';
import { accumulatorStrides, reducedShape } from '../view';
import { outputArray } from './arrayPool';
import { planLoop, type LoopPlan } from './strided';
import { wasmRuntime, type WasmRuntime } from './wasm';
import { wasmKernelOps } from './wasmBinary';

/** An input whose values are in the memory of `rt` already, from float index `at` (a resident tensor's region). */
export interface InMemory extends Placement {
  readonly rt: WasmRuntime;
  readonly at: number;
}

/** What the ops read: host values, or values in the memory. */
export type Operand = StridedView | InMemory;

export function inMemory(v: Operand): v is InMemory {
  return 'at' in v;
}

/** Below this many cells the JavaScript loops win. */
export const WASM_MIN_CELLS = 2048;
/**
 * A view whose span of storage is more than this many times its cell count is left to the JavaScript
 * loops: copying the span costs more than reading the cells where they are. (A convolution's backward
 * folds its kh·kw window slices back one at a time: each reads 1/(kh·kw) of a large array.)
 */
export const SPARSE = 4;

/** Runs a kernel; a trap (a code with no case in kernels.as) becomes an error naming the op. */
export function callKernel(op: string, code: number, kernel: (code: number) => void): void {
  try {
    kernel(code);
  } catch (error) {
    if ((error as Error).name !== 'RuntimeError') throw error;
    throw new Error(`${op}: the WebAssembly kernel has no case for code ${code} (${(error as Error).message}); ` +
      'kernels.as and wasmBinary.ts disagree: run `node src/data/fast/buildWasm.mjs`');
  }
}

/** True when every host view is dense enough to be worth copying in (see SPARSE). */
function worthCopying(views: readonly Operand[]): boolean {
  return views.every((v) => {
    if (inMemory(v)) return true;
    const [lo, hi] = stridedSpan(v.shape, v.strides, v.offset);
    return hi - lo + 1 <= SPARSE * numel(v.shape);
  });
}

/**
 * Where `v`'s offset is in the memory of `rt` (a float index): in place when `v` is in that memory
 * already, else after copying the part [lo, hi] of its storage that the op reads.
 */
export function stageSpan(rt: WasmRuntime, v: Operand, lo: number, hi: number): number {
  if (inMemory(v) && v.rt === rt) return v.at + v.offset;
  const array = inMemory(v) ? v.rt.heap.subarray(v.at) : v.array;
  return rt.stage(array, lo, hi) + (v.offset - lo);
}

/** stageSpan over all the cells of `v`. */
function stage(rt: WasmRuntime, v: Operand): number {
  const [lo, hi] = stridedSpan(v.shape, v.strides, v.offset);
  return stageSpan(rt, v, lo, hi);
}

/**
 * A row step of REPEATED | w says: each element of this view fills w consecutive cells; TILED | w: the
 * view's first w elements fill the row over and over (kernels.as).
 */
const REPEATED = 1 << 30;
const TILED = 1 << 29;

/** Writes the walk descriptor for views at `offsets` (float indices); false when the plan is too deep. */
function describe(rt: WasmRuntime, plan: LoopPlan, offsets: readonly number[]): boolean {
  const maxRank = rt.kernels.MAX_RANK.value;
  const rank = plan.outerShape.length;
  if (rank > maxRank) return false;
  const words = rt.words;
  const base = rt.kernels.DESC.value / 4;
  words[base] = rank;
  words[base + 1] = plan.rowLength;
  for (let d = 0; d < rank; d++) words[base + 2 + d] = plan.outerShape[d];
  offsets.forEach((offset, v) => {
    const at = base + 2 + maxRank + v * (2 + maxRank);
    words[at] = offset;
    words[at + 1] = plan.rowRepeats[v] > 1 ? REPEATED | plan.rowRepeats[v] : plan.rowTiles[v] > 1 ? TILED | plan.rowTiles[v] : plan.rowSteps[v];
    for (let d = 0; d < rank; d++) words[at + 2 + d] = plan.outerStrides[v][d];
  });
  return true;
}

/** Room for a packed output of `count` cells; returns its float index. */
function output(rt: WasmRuntime, count: number): number {
  return rt.alloc(count) / 4;
}

/** The packed output, copied out of the memory into a (recycled) array. */
function result(rt: WasmRuntime, at: number, count: number): Float32Array {
  const out = outputArray(count);
  out.set(rt.heap.subarray(at, at + count));
  return out;
}

/**
 * Stages the inputs and plans the walk (rows may repeat cells of an input when the kernel reads such
 * rows), for an output at float index `out`: a region, or scratch from `begin`. False when the walk is
 * too deep.
 */
function prepare(rt: WasmRuntime, shape: Shape, inputs: readonly Operand[], out: number, repeatedRows = false): boolean {
  const offsets = inputs.map((v) => stage(rt, v));
  const plan = planLoop(shape, [rowMajorStrides(shape), ...inputs.map((v) => v.strides)], { repeatedRows, tiledRows: repeatedRows });
  return describe(rt, plan, [out, ...offsets]);
}

/**
 * Where an op writes its packed output: `into` (a region of the memory, see resident.ts), or new
 * scratch whose values `finish` copies out to a host array.
 */
export interface Output {
  readonly rt: WasmRuntime;
  readonly at: number;
}

/** Starts an op: resets scratch, and returns its output, `into` or new scratch of `count` cells. */
function begin(count: number, into?: Output): Output {
  const rt = into?.rt ?? wasmRuntime();
  rt.reset();
  return into ?? { rt, at: output(rt, count) };
}

/** The op's result: a host copy of the scratch output, or `true` when it went into a region. */
function finish(out: Output, count: number, into?: Output): Float32Array | true {
  return into ? true : result(out.rt, out.at, count);
}

/** A kernel result: a host array, `true` (written into `into`), or null (left to the JavaScript loops). */
export type KernelResult = Float32Array | true | null;

export function unaryWasm(op: UnaryOp, x: Operand, into?: Output): KernelResult {
  const code = wasmKernelOps.unary[op];
  const count = numel(x.shape);
  if (code === undefined || count < WASM_MIN_CELLS || !worthCopying([x])) return null;
  const out = begin(count, into);
  if (!prepare(out.rt, x.shape, [x], out.at)) return null;
  callKernel(op, code, out.rt.kernels.unary);
  return finish(out, count, into);
}

export function binaryWasm(op: BinaryOp, a: Operand, b: Operand, into?: Output): KernelResult {
  const code = wasmKernelOps.binary[op];
  const count = numel(a.shape);
  if (code === undefined || count < WASM_MIN_CELLS || !worthCopying([a, b])) return null;
  const out = begin(count, into);
  if (!prepare(out.rt, a.shape, [a, b], out.at, true)) return null;
  callKernel(op, code, out.rt.kernels.binary);
  return finish(out, count, into);
}

export function whereWasm(cond: Operand, a: Operand, b: Operand, into?: Output): KernelResult {
  const count = numel(cond.shape);
  if (count < WASM_MIN_CELLS || !worthCopying([cond, a, b])) return null;
  const out = begin(count, into);
  if (!prepare(out.rt, cond.shape, [cond, a, b], out.at, true)) return null;
  out.rt.kernels.where();
  return finish(out, count, into);
}

export function gatherWasm(x: Operand, into?: Output): KernelResult {
  const count = numel(x.shape);
  if (count < WASM_MIN_CELLS || !worthCopying([x])) return null;
  const out = begin(count, into);
  if (!prepare(out.rt, x.shape, [x], out.at)) return null;
  out.rt.kernels.copy();
  return finish(out, count, into);
}

/** Writes `source` into `target`'s cells: the target's span goes in, is written, and comes back out. */
export function scatterWasm(target: StridedView, source: Operand): boolean {
  if (numel(target.shape) < WASM_MIN_CELLS || !worthCopying([target, source])) return false;
  const rt = wasmRuntime();
  rt.reset();
  const [lo, hi] = stridedSpan(target.shape, target.strides, target.offset);
  const targetAt = stage(rt, target);
  const sourceAt = stage(rt, source);
  const plan = planLoop(target.shape, [target.strides, source.strides]);
  if (!describe(rt, plan, [targetAt, sourceAt])) return false;
  rt.kernels.copy();
  const start = targetAt - (target.offset - lo);
  target.array.set(rt.heap.subarray(start, start + hi - lo + 1), lo);
  return true;
}

/** Writes `source` into the cells of `target`, a view of a region of the memory, in place. */
export function scatterInMemory(target: InMemory, source: Operand): boolean {
  if (numel(target.shape) < WASM_MIN_CELLS || !worthCopying([source])) return false;
  const rt = target.rt;
  rt.reset();
  const sourceAt = stage(rt, source);
  const plan = planLoop(target.shape, [target.strides, source.strides]);
  if (!describe(rt, plan, [target.at + target.offset, sourceAt])) return false;
  rt.kernels.copy();
  return true;
}

export function reduceWasm(op: ReduceOp, x: Operand, axes: readonly number[], into?: Output): KernelResult {
  const code = wasmKernelOps.reduce[op];
  if (code === undefined || numel(x.shape) < WASM_MIN_CELLS || !worthCopying([x])) return null;
  const count = numel(reducedShape(x.shape, axes));
  const out = begin(count, into);
  const rt = out.rt;
  const acc = rt.alloc(2 * count); // float64 accumulators
  const xAt = stage(rt, x);
  if (!describe(rt, planLoop(x.shape, [accumulatorStrides(x.shape, axes), x.strides], { repeatedRows: true }), [0, xAt])) return null;
  rt.kernels.fill64(acc, count, reduceMath[op].init);
  callKernel(op, code, (c) => rt.kernels.reduce(c, acc));
  rt.kernels.narrow(out.at * 4, acc, count);
  return finish(out, count, into);
}
