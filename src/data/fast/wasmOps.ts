/**
 * The memory-bound ops (elementwise, where, gather, scatter, reductions) run in WebAssembly: each
 * input's span of storage is copied into the module's memory (a memcpy), a walk descriptor tells the
 * kernel how to visit the cells in rows (strided.ts plans them), and the packed result is copied out.
 * The copies cost a fraction of what the loops save: V8 runs these float32 loops several times faster
 * as WebAssembly (and with f32x4 on contiguous rows) than as JavaScript.
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
import type { StridedView } from '../backend';
import { reduceMath, type BinaryOp, type ReduceOp, type UnaryOp } from '../ops';
import { numel, rowMajorStrides, stridedSpan, type Shape } from '../shape';
import { accumulatorStrides, reducedShape } from '../view';
import { outputArray } from './arrayPool';
import { planLoop, type LoopPlan } from './strided';
import { wasmRuntime, type WasmRuntime } from './wasm';
import { wasmKernelOps } from './wasmBinary';

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

/** True when every view is dense enough to be worth copying in (see SPARSE). */
function worthCopying(views: readonly StridedView[]): boolean {
  return views.every((v) => {
    const [lo, hi] = stridedSpan(v.shape, v.strides, v.offset);
    return hi - lo + 1 <= SPARSE * numel(v.shape);
  });
}

/** Copies the span of `v` into the memory; returns where its offset lands (a float index). */
function stage(rt: WasmRuntime, v: StridedView): number {
  const [lo, hi] = stridedSpan(v.shape, v.strides, v.offset);
  return rt.stage(v.array, lo, hi) + (v.offset - lo);
}

/** A row step of REPEATED | w says: each element of this view fills w consecutive cells (kernels.as). */
const REPEATED = 1 << 30;

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
    words[at + 1] = plan.rowRepeats[v] > 1 ? REPEATED | plan.rowRepeats[v] : plan.rowSteps[v];
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
 * Stages the inputs and an output, plans the walk (rows may repeat cells of an input when the kernel
 * reads such rows); null when an input is sparse or the walk too deep.
 */
function prepare(shape: Shape, inputs: readonly StridedView[], repeatedRows = false): { rt: WasmRuntime; out: number } | null {
  if (!worthCopying(inputs)) return null;
  const rt = wasmRuntime();
  rt.reset();
  const offsets = inputs.map((v) => stage(rt, v));
  const out = output(rt, numel(shape));
  const plan = planLoop(shape, [rowMajorStrides(shape), ...inputs.map((v) => v.strides)], { repeatedRows });
  return describe(rt, plan, [out, ...offsets]) ? { rt, out } : null;
}

export function unaryWasm(op: UnaryOp, x: StridedView): Float32Array | null {
  const code = wasmKernelOps.unary[op];
  const count = numel(x.shape);
  if (code === undefined || count < WASM_MIN_CELLS) return null;
  const ready = prepare(x.shape, [x]);
  if (!ready) return null;
  callKernel(op, code, ready.rt.kernels.unary);
  return result(ready.rt, ready.out, count);
}

export function binaryWasm(op: BinaryOp, a: StridedView, b: StridedView): Float32Array | null {
  const code = wasmKernelOps.binary[op];
  const count = numel(a.shape);
  if (code === undefined || count < WASM_MIN_CELLS) return null;
  const ready = prepare(a.shape, [a, b], true);
  if (!ready) return null;
  callKernel(op, code, ready.rt.kernels.binary);
  return result(ready.rt, ready.out, count);
}

export function whereWasm(cond: StridedView, a: StridedView, b: StridedView): Float32Array | null {
  const count = numel(cond.shape);
  if (count < WASM_MIN_CELLS) return null;
  const ready = prepare(cond.shape, [cond, a, b], true);
  if (!ready) return null;
  ready.rt.kernels.where();
  return result(ready.rt, ready.out, count);
}

export function gatherWasm(x: StridedView): Float32Array | null {
  const count = numel(x.shape);
  if (count < WASM_MIN_CELLS) return null;
  const ready = prepare(x.shape, [x]);
  if (!ready) return null;
  ready.rt.kernels.copy();
  return result(ready.rt, ready.out, count);
}

/** Writes `source` into `target`'s cells: the target's span goes in, is written, and comes back out. */
export function scatterWasm(target: StridedView, source: StridedView): boolean {
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

export function reduceWasm(op: ReduceOp, x: StridedView, axes: readonly number[]): Float32Array | null {
  const code = wasmKernelOps.reduce[op];
  if (code === undefined || numel(x.shape) < WASM_MIN_CELLS || !worthCopying([x])) return null;
  const count = numel(reducedShape(x.shape, axes));
  const rt = wasmRuntime();
  rt.reset();
  const acc = rt.alloc(2 * count); // float64 accumulators
  const xAt = stage(rt, x);
  if (!describe(rt, planLoop(x.shape, [accumulatorStrides(x.shape, axes), x.strides], { repeatedRows: true }), [0, xAt])) return null;
  rt.kernels.fill64(acc, count, reduceMath[op].init);
  callKernel(op, code, (c) => rt.kernels.reduce(c, acc));
  const out = output(rt, count);
  rt.kernels.narrow(out * 4, acc, count);
  return result(rt, out, count);
}
