/**
 * The fast CPU backend: the `Backend` interface with mulacc lowered to a WebAssembly SIMD matrix
 * product (gemm.ts) and the memory-bound ops as WebAssembly walks (wasmOps.ts), or JavaScript row
 * loops (elementwise.ts) for small tensors and for ops without a WebAssembly kernel. Small mulaccs,
 * and patterns that do not factor into a matrix product, run on a JavaScript loop.
 *
 * Every op of ops.ts runs here: the JavaScript loops cover them all, and the WebAssembly kernels
 * are speed-ups for the ops they list (see wasmOps.ts). The index ops (indexSelect, indexAdd) are
 * the shared row loops of indexRows.ts, writing into a pooled array.
 *
 * These are the ops over host arrays. Its `device` (resident.ts) runs the same kernels on tensors that
 * stay in the WebAssembly memory between ops, which is what TensorData uses: the host ops serve
 * tests, the index ops and values that arrive from another backend.
 *
 * May import: ../backend, ../indexRows, ../ops, ../shape, ../view, ./arrayPool, ./elementwise, ./gemm, ./resident, ./wasmOps.
 */
import type { Backend, StridedView } from '../backend';
import { indexAddRows, indexSelectRows } from '../indexRows';
import type { BinaryOp, ReduceOp, UnaryOp } from '../ops';
import { numel } from '../shape';
import { isPacked, reducedShape } from '../view';
import { outputArray } from './arrayPool';
import * as js from './elementwise';
import { GEMM_MIN_MACS, gemmMulacc } from './gemm';
import { residentMemory } from './resident';
import { binaryWasm, gatherWasm, reduceWasm, scatterWasm, unaryWasm, whereWasm, type KernelResult } from './wasmOps';


function mulacc(a: StridedView, b: StridedView, axes: readonly number[]): Float32Array {
  const outSize = numel(reducedShape(a.shape, axes));
  if (numel(a.shape) >= GEMM_MIN_MACS) {
    const out = gemmMulacc(a, b, axes, outSize);
    if (out instanceof Float32Array) return out;
  }
  return js.mulacc(a, b, axes);
}

/** A kernel's host array, or the JavaScript loop's when the kernel left the op to it (null). */
function orLoop(result: KernelResult, loop: () => Float32Array): Float32Array {
  return result instanceof Float32Array ? result : loop();
}

function gather(x: StridedView): Float32Array {
  if (isPacked(x.shape, x.strides)) {
    const out = outputArray(numel(x.shape));
    out.set(x.array.subarray(x.offset, x.offset + out.length));
    return out;
  }
  return orLoop(gatherWasm(x), () => js.gather(x));
}

export const fastBackend: Backend = {
  name: 'cpu',
  unary: (op: UnaryOp, x: StridedView) => orLoop(unaryWasm(op, x), () => js.unary(op, x)),
  binary: (op: BinaryOp, a: StridedView, b: StridedView) => orLoop(binaryWasm(op, a, b), () => js.binary(op, a, b)),
  where: (cond: StridedView, a: StridedView, b: StridedView) => orLoop(whereWasm(cond, a, b), () => js.where(cond, a, b)),
  mulacc,
  reduce: (op: ReduceOp, x: StridedView, axes: readonly number[]) => orLoop(reduceWasm(op, x, axes), () => js.reduce(op, x, axes)),
  gather,
  scatter: (target: StridedView, source: StridedView) => {
    if (!scatterWasm(target, source)) js.scatter(target, source);
  },
  indexSelect: (x: StridedView, rows: Int32Array) => indexSelectRows(x, rows, outputArray(rows.length * numel(x.shape.slice(1)))),
  indexAdd: indexAddRows,
  device: residentMemory,
};
