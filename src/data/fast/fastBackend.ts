/**
 * The fast CPU backend: the `Backend` interface with mulacc lowered to a WebAssembly SIMD matrix
 * product (gemm.ts) and the memory-bound ops as WebAssembly walks (wasmOps.ts), or JavaScript row
 * loops (elementwise.ts) for small tensors and for exp, log and sin. Small mulaccs, and patterns that
 * do not factor into a matrix product, run on the reference loop (../cpu.ts).
 *
 * May import: ../backend, ../cpu, ../ops, ../shape, ./arrayPool, ./elementwise, ./gemm, ./wasmOps.
 */
import type { Backend, StridedView } from '../backend';
import { cpuBackend, isPacked } from '../cpu';
import type { BinaryOp, ReduceOp, UnaryOp } from '../ops';
import { numel } from '../shape';
import { outputArray } from './arrayPool';
import * as js from './elementwise';
import { gemmMulacc } from './gemm';
import { binaryWasm, gatherWasm, reduceWasm, scatterWasm, unaryWasm, whereWasm } from './wasmOps';

/** Below this many multiply-adds the reference loop wins: packing and the call cost more than they save. */
const GEMM_MIN_MACS = 2048;

function mulacc(a: StridedView, b: StridedView, axes: readonly number[]): Float32Array {
  const outSize = numel(a.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
  if (numel(a.shape) >= GEMM_MIN_MACS) {
    const out = gemmMulacc(a, b, axes, outSize);
    if (out) return out;
  }
  return cpuBackend.mulacc(a, b, axes);
}

function gather(x: StridedView): Float32Array {
  if (isPacked(x.shape, x.strides)) {
    const out = outputArray(numel(x.shape));
    out.set(x.array.subarray(x.offset, x.offset + out.length));
    return out;
  }
  return gatherWasm(x) ?? js.gather(x);
}

export const fastBackend: Backend = {
  name: 'cpu',
  unary: (op: UnaryOp, x: StridedView) => unaryWasm(op, x) ?? js.unary(op, x),
  binary: (op: BinaryOp, a: StridedView, b: StridedView) => binaryWasm(op, a, b) ?? js.binary(op, a, b),
  where: (cond: StridedView, a: StridedView, b: StridedView) => whereWasm(cond, a, b) ?? js.where(cond, a, b),
  mulacc,
  reduce: (op: ReduceOp, x: StridedView, axes: readonly number[]) => reduceWasm(op, x, axes) ?? js.reduce(op, x, axes),
  gather,
  scatter: (target: StridedView, source: StridedView) => {
    if (!scatterWasm(target, source)) js.scatter(target, source);
  },
};
