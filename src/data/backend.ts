/**
 * The `Backend` interface: what a device must implement to run tsgrad.
 *
 * A backend sees plain strided views (an array, a shape, strides and an offset) and returns packed
 * row-major results. Movement ops never reach it: they only change a view's shape and strides.
 *
 * A backend whose data can stay on its device between ops (the fast backend, in its WebAssembly
 * memory; the gpu backend on headlessgl, in GL textures) also has a `device` member (`DeviceMemory`):
 * the same ops over `DeviceView`s, returning `DeviceBuffer`s that stay on the device. TensorData uses
 * it when it is there; a backend without it (reference, webasm) only ever sees host Float32Arrays,
 * read back from a device first where needed.
 *
 * May import: ./ops, ./shape.
 */
import type { BinaryOp, ReduceOp, UnaryOp } from './ops';
import type { Shape } from './shape';

/** Where a view's cells are in its array: element [i0, i1, ...] lives at offset + Σ ik·strides[k]. */
export interface Placement {
  readonly shape: Shape;
  readonly strides: Shape;
  readonly offset: number;
}

/** A window onto a Float32Array. */
export interface StridedView extends Placement {
  readonly array: Float32Array;
}

/** The compute ops over views of type `View`, each returning a packed row-major `Result`. */
export interface ComputeOps<View, Result> {
  unary(op: UnaryOp, x: View): Result;
  binary(op: BinaryOp, a: View, b: View): Result;
  /** cond ≠ 0 ? a : b, per element. */
  where(cond: View, a: View, b: View): Result;
  /** Σ over `axes` of a·b, without materializing a·b; the reduced axes keep size 1. */
  mulacc(a: View, b: View, axes: readonly number[]): Result;
  /** Reduces over `axes`; the reduced axes keep size 1. */
  reduce(op: ReduceOp, x: View, axes: readonly number[]): Result;
  /** Packs a view into a new row-major result (the "contiguous" op). */
  gather(x: View): Result;
}

/** The compute kernels of one device. Inputs of binary and ternary ops have one shape. */
export interface Backend extends ComputeOps<StridedView, Float32Array> {
  readonly name: string;
  /** Writes the values of `source` into the cells of `target`, in place. Same shapes. */
  scatter(target: StridedView, source: StridedView): void;
  /** Rows `rows[i]` of `x` along dim 0, packed: shape [rows.length, ...x.shape[1:]]. Rows are in range. */
  indexSelect(x: StridedView, rows: Int32Array): Float32Array;
  /** Adds row i of `source` into row rows[i] of `target` along dim 0, in place, in order: repeated rows sum. */
  indexAdd(target: StridedView, rows: Int32Array, source: StridedView): void;
  /** Only on a backend that can keep data on its device between ops. */
  readonly device?: DeviceMemory;
}

/** Values held on a device (a region of WebAssembly memory, a GL texture). Only the `DeviceMemory` that made it reads it. */
export interface DeviceBuffer {
  /** Number of float32 values. */
  readonly length: number;
}

/** A view for a `DeviceMemory`: its cells are in one of that device's buffers, or in a host array. */
export interface DeviceView extends Placement {
  readonly array: DeviceBuffer | Float32Array;
}

/** What a device holds and has moved, for tests and benchmarks. Buffers are device buffers of any kind. */
export interface DeviceCounters {
  /** Buffers made and not yet released. */
  readonly live: number;
  /** Their size in bytes on the device. */
  readonly liveBytes: number;
  /** Buffers made so far. */
  readonly created: number;
  /** Buffers released so far. */
  readonly released: number;
  /** Host arrays copied to the device. */
  readonly uploads: number;
  /** Buffers copied back to the host. */
  readonly downloads: number;
}

/**
 * The ops of a backend with data kept on its device. Results are new buffers, never read back;
 * inputs may be its own buffers or host arrays (uploaded for that op only).
 */
export interface DeviceMemory extends ComputeOps<DeviceView, DeviceBuffer> {
  /** True for a buffer this device made and has not released. Other buffers must be read back first. */
  owns(buffer: DeviceBuffer): boolean;
  /** Copies host values into a new buffer. */
  upload(values: Float32Array): DeviceBuffer;
  /** Copies a buffer's values into a new host array (the buffer stays). */
  download(buffer: DeviceBuffer): Float32Array;
  /** Frees a buffer now. Releasing a released buffer does nothing; using one throws. */
  release(buffer: DeviceBuffer): void;
  /**
   * The whole array or buffer behind `target`, with `source` written into the cells of `target`: a new
   * buffer of the same length (`target.array` itself is left as it was), or, when `target.array` is
   * one of this device's buffers, that buffer written in place (the fast backend's regions).
   */
  scatter(target: DeviceView, source: DeviceView): DeviceBuffer;
  readonly counters: DeviceCounters;
}
