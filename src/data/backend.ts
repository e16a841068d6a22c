/**
 * The `Backend` interface: what a device must implement to run tsgrad, and the choice of the current one.
 *
 * A backend sees plain strided views (an array, a shape, strides and an offset) and returns packed
 * row-major results. Movement ops never reach it: they only change a view's shape and strides.
 *
 * May import: ./ops, ./shape.
 */
import type { BinaryOp, ReduceOp, UnaryOp } from './ops';
import type { Shape } from './shape';

/** A window onto a Float32Array: element [i0, i1, ...] lives at offset + Σ ik·strides[k]. */
export interface StridedView {
  readonly array: Float32Array;
  readonly shape: Shape;
  readonly strides: Shape;
  readonly offset: number;
}

/** The compute kernels of one device. Inputs of binary and ternary ops have one shape. */
export interface Backend {
  readonly name: string;
  unary(op: UnaryOp, x: StridedView): Float32Array;
  binary(op: BinaryOp, a: StridedView, b: StridedView): Float32Array;
  /** cond ≠ 0 ? a : b, per element. */
  where(cond: StridedView, a: StridedView, b: StridedView): Float32Array;
  /** Σ over `axes` of a·b, without materializing a·b; the reduced axes keep size 1. */
  mulacc(a: StridedView, b: StridedView, axes: readonly number[]): Float32Array;
  /** Reduces over `axes`; the reduced axes keep size 1. */
  reduce(op: ReduceOp, x: StridedView, axes: readonly number[]): Float32Array;
  /** Packs a view into a new row-major array (the "contiguous" op). */
  gather(x: StridedView): Float32Array;
  /** Writes the values of `source` into the cells of `target`, in place. Same shapes. */
  scatter(target: StridedView, source: StridedView): void;
}
