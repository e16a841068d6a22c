/**
 * The reference backend in plain TypeScript: the readable definition every other backend is checked
 * against. `setDevice('reference')` runs it; it is the slowest backend and the simplest to read.
 *
 * Elementwise kernels first pack their inputs (a no-op for packed ones), then run one flat loop.
 * Reductions and mulacc walk the view directly, so a broadcast (stride 0) input is never materialized:
 * the reduced axes are moved last, and each output cell sums over a precomputed list of offsets.
 *
 * May import: ./backend, ./indexRows, ./ops, ./shape, ./view.
 */
import type { Backend, StridedView } from './backend';
import { binaryMath, reduceMath, unaryMath, type BinaryOp, type ReduceOp, type UnaryOp } from './ops';
import { numel, type Shape } from './shape';
import { indexAddRows, indexSelectRows } from './indexRows';
import { cellOffsets, isPacked, keptAxes } from './view';

/** The view's values as a packed row-major array (the input itself when it already is one). */
function packed(x: StridedView): Float32Array {
  const count = numel(x.shape);
  if (isPacked(x.shape, x.strides)) {
    if (x.offset === 0 && x.array.length === count) return x.array;
    return x.array.subarray(x.offset, x.offset + count);
  }
  const offsets = cellOffsets(x.shape, x.strides, x.offset);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = x.array[offsets[i]];
  return out;
}

/**
 * Splits a view for a reduction: `outer` holds the offset of the first cell of each output cell,
 * `inner` the relative offsets of the cells reduced into it.
 */
function reductionPlan(x: StridedView, axes: readonly number[]): { outer: Int32Array; inner: Int32Array } {
  const kept = keptAxes(x.shape.length, axes);
  const pick = (list: Shape, which: number[]): number[] => which.map((i) => list[i]);
  return {
    outer: cellOffsets(pick(x.shape, kept), pick(x.strides, kept), x.offset),
    inner: cellOffsets(pick(x.shape, [...axes]), pick(x.strides, [...axes]), 0),
  };
}

function unary(op: UnaryOp, x: StridedView): Float32Array {
  const f = unaryMath[op];
  const input = packed(x);
  const out = new Float32Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = f(input[i]);
  return out;
}

function binary(op: BinaryOp, a: StridedView, b: StridedView): Float32Array {
  const f = binaryMath[op];
  const left = packed(a);
  const right = packed(b);
  const out = new Float32Array(left.length);
  for (let i = 0; i < left.length; i++) out[i] = f(left[i], right[i]);
  return out;
}

function where(cond: StridedView, a: StridedView, b: StridedView): Float32Array {
  const c = packed(cond);
  const ifTrue = packed(a);
  const ifFalse = packed(b);
  const out = new Float32Array(c.length);
  for (let i = 0; i < c.length; i++) out[i] = c[i] !== 0 ? ifTrue[i] : ifFalse[i];
  return out;
}

function reduce(op: ReduceOp, x: StridedView, axes: readonly number[]): Float32Array {
  const { init, step } = reduceMath[op];
  const { outer, inner } = reductionPlan(x, axes);
  const out = new Float32Array(outer.length);
  for (let o = 0; o < outer.length; o++) {
    let acc = init;
    for (let r = 0; r < inner.length; r++) acc = step(acc, x.array[outer[o] + inner[r]]);
    out[o] = acc;
  }
  return out;
}

function mulacc(a: StridedView, b: StridedView, axes: readonly number[]): Float32Array {
  const planA = reductionPlan(a, axes);
  const planB = reductionPlan(b, axes);
  const out = new Float32Array(planA.outer.length);
  const arrayA = a.array;
  const arrayB = b.array;
  const innerA = planA.inner;
  const innerB = planB.inner;
  for (let o = 0; o < out.length; o++) {
    const baseA = planA.outer[o];
    const baseB = planB.outer[o];
    let acc = 0;
    for (let r = 0; r < innerA.length; r++) acc += arrayA[baseA + innerA[r]] * arrayB[baseB + innerB[r]];
    out[o] = acc;
  }
  return out;
}

function gather(x: StridedView): Float32Array {
  const values = packed(x);
  return values === x.array || values.buffer === x.array.buffer ? values.slice() : values;
}

function scatter(target: StridedView, source: StridedView): void {
  const values = packed(source);
  const offsets = cellOffsets(target.shape, target.strides, target.offset);
  // Read everything first: source and target may share storage.
  const copy = values.buffer === target.array.buffer ? values.slice() : values;
  for (let i = 0; i < offsets.length; i++) target.array[offsets[i]] = copy[i];
}

/** The reference backend: every op as one plain loop over the math of ops.ts. */
function indexSelect(x: StridedView, rows: Int32Array): Float32Array {
  return indexSelectRows(x, rows, new Float32Array(rows.length * numel(x.shape.slice(1))));
}

export const referenceBackend: Backend = { name: 'reference', unary, binary, where, mulacc, reduce, gather, scatter, indexSelect, indexAdd: indexAddRows };
