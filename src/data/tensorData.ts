/**
 * `TensorData`: float32 values seen through a view (shape, strides, offset), and every primitive op on them.
 *
 * Movement ops (reshape when possible, permute, expand, shrink, stride, window) return a new view of the
 * same storage: no copy. Compute ops ask the current backend for a new packed result. `assign` is the one
 * op that writes into existing storage; it bumps the storage's version, which autograd uses to notice a
 * saved tensor that was modified in place.
 *
 * Where the values are (storage.ts): on the host, and, when the current backend keeps data on its
 * device (`backend.device`: the fast backend's WebAssembly memory, the gpu backend's textures on
 * headlessgl), in a device buffer. A compute op on such a
 * backend takes device buffers and returns one, so a chain of ops never reads back. Values come back to
 * the host only when they are read (`toFlat`, `toNested`, `item`) or used by a backend without a device.
 * `dispose()` frees them at once, the end of a memory scope (`scoped`, scope.ts) frees those made in it
 * that nothing kept; otherwise they are freed when the storage is garbage-collected.
 *
 * May import: ./backend, ./device, ./ops, ./random, ./reference, ./scope, ./shape, ./storage, ./view.
 */
import type { ComputeOps, DeviceBuffer, DeviceMemory, DeviceView, StridedView } from './backend';
import { referenceBackend } from './reference';
import { currentBackend } from './device';
import type { BinaryOp, ReduceOp, UnaryOp } from './ops';
import { uniformArray } from './random';
import { checkCellCount, checkShape, formatShape, normalizeAxis, numel, rowMajorStrides, shapesEqual, type Shape } from './shape';
import { inScope } from './scope';
import { freedMessage, Storage } from './storage';
import { isPacked, reducedShape } from './view';

/** A number, or nested arrays of numbers: what `toNested` returns and `fromNested` accepts. */
export type NestedArray = number | NestedArray[];

/** One compute op, written once for host arrays and for device buffers. */
type Compute = <View, Result>(ops: ComputeOps<View, Result>, inputs: View[]) => Result;

/** Float32 values seen through a view (shape, strides, offset) of a storage, and the primitive ops on them. */
export class TensorData {
  private constructor(
    /** Size of each dim. */
    readonly shape: readonly number[],
    /** Storage cells from one cell to the next along each dim (0 for a broadcast dim, negative for a flipped one). */
    readonly strides: readonly number[],
    /** Storage cell of the view's first cell. */
    readonly offset: number,
    private readonly storage: Storage,
  ) {}

  // ---- load ops ----------------------------------------------------------------------------

  /** Copies `values` (row-major) into new storage of the given shape. */
  static fromArray(values: ArrayLike<number>, shape: Shape): TensorData {
    checkShape(shape, 'fromArray');
    if (values.length !== numel(shape)) {
      throw new RangeError(`fromArray: ${values.length} values cannot fill shape ${formatShape(shape)} (${numel(shape)} cells)`);
    }
    return TensorData.packed(Float32Array.from(values), shape);
  }

  /**
   * New storage of `shape` whose cell i (row-major) is `valueAt(i)`, filled in place: arange and eye
   * build their values this way, without a JS array of that length (8 bytes or more per number).
   * The only memory it takes is the result's.
   */
  static generate(shape: Shape, valueAt: (index: number) => number, op = 'generate'): TensorData {
    checkShape(shape, op);
    const array = allocateCells(shape, op);
    for (let i = 0; i < array.length; i++) array[i] = valueAt(i);
    return TensorData.packed(array, shape);
  }

  /** Reads nested arrays such as [[1, 2], [3, 4]]; every row at one depth must have the same length. */
  static fromNested(values: NestedArray): TensorData {
    const shape: number[] = [];
    for (let level: NestedArray = values; Array.isArray(level); level = level[0]) {
      shape.push(level.length);
      if (level.length === 0) break;
    }
    const flat: number[] = [];
    const walk = (node: NestedArray, depth: number, path: string): void => {
      if (depth === shape.length) {
        if (typeof node !== 'number') throw new TypeError(`tensor: expected a number at ${path}, got ${JSON.stringify(node)}`);
        flat.push(node);
        return;
      }
      if (!Array.isArray(node) || node.length !== shape[depth]) {
        throw new TypeError(`tensor: ragged nested array at ${path}: expected a list of length ${shape[depth]} (shape ${formatShape(shape)})`);
      }
      node.forEach((child, i) => walk(child, depth + 1, `${path}[${i}]`));
    };
    walk(values, 0, 'data');
    return TensorData.fromArray(flat, shape);
  }

  /** `value` in every cell of `shape`, stored once and broadcast (stride 0). */
  static const(value: number, shape: Shape): TensorData {
    checkShape(shape, 'const');
    return new TensorData([...shape], shape.map(() => 0), 0, Storage.onHost(Float32Array.of(value)));
  }

  /** Uniform numbers in [0, 1) from the seeded generator (see `manualSeed`). */
  static rand(shape: Shape): TensorData {
    checkShape(shape, 'rand');
    return TensorData.packed(uniformArray(numel(shape)), shape);
  }

  private static packed(array: Float32Array, shape: Shape): TensorData {
    return new TensorData([...shape], rowMajorStrides(shape), 0, Storage.onHost(array));
  }

  /** A packed result that stays on the device of `memory`. */
  private static resident(buffer: DeviceBuffer, memory: DeviceMemory, shape: Shape): TensorData {
    return new TensorData([...shape], rowMajorStrides(shape), 0, Storage.onDevice(buffer, memory));
  }

  // ---- what a view is ----------------------------------------------------------------------

  /** Number of cells (the product of the shape). */
  get size(): number {
    return numel(this.shape);
  }

  /** Number of in-place writes to the storage behind this view (shared by all its views). */
  get version(): number {
    return this.storage.version;
  }

  /** True when this view and `other` read the same storage. */
  sharesStorageWith(other: TensorData): boolean {
    return this.storage === other.storage;
  }

  /** True when the cells are packed row-major in storage (size-1 dims may have any stride). */
  get isContiguous(): boolean {
    return isPacked(this.shape, this.strides);
  }

  /** Where the values are now: 'host', 'device' (a device buffer only) or 'both'. */
  get residence(): 'host' | 'device' | 'both' {
    return this.storage.residence;
  }

  /** This view over host values (read back from the device first if they are only there). */
  private hostView(): StridedView {
    return { array: this.storage.host(), shape: this.shape, strides: this.strides, offset: this.offset };
  }

  /** This view for an op of `memory`: over its buffer when it holds the values, else over host values. */
  private deviceView(memory: DeviceMemory): DeviceView {
    return { array: this.storage.on(memory), shape: this.shape, strides: this.strides, offset: this.offset };
  }

  private withView(shape: Shape, strides: Shape, offset: number): TensorData {
    return new TensorData([...shape], [...strides], offset, this.storage);
  }

  // ---- reading values out ------------------------------------------------------------------

  /** The values, row-major, as plain numbers. */
  toFlat(): number[] {
    return Array.from(this.hostValues());
  }

  /** The values, packed, in host memory: reading them back from the device is host work, done here. */
  private hostValues(): Float32Array {
    const view = this.hostView();
    return this.isContiguous ? view.array.subarray(this.offset, this.offset + this.size) : referenceBackend.gather(view);
  }

  /** The values as nested arrays (a plain number for a scalar). */
  toNested(): NestedArray {
    const flat = this.toFlat();
    const build = (depth: number, start: number): NestedArray => {
      if (depth === this.shape.length) return flat[start];
      const step = numel(this.shape.slice(depth + 1));
      return Array.from({ length: this.shape[depth] }, (_, i) => build(depth + 1, start + i * step));
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`item: only a one-element tensor has an item, this one has shape ${formatShape(this.shape)}`);
    return this.storage.host()[this.offset];
  }

  /** A packed copy when this view is not packed; itself otherwise. */
  contiguous(): TensorData {
    if (this.isContiguous) return this;
    return this.clone();
  }

  /** A packed copy in new storage, always. */
  clone(): TensorData {
    return TensorData.compute([this], this.shape, (ops, [x]) => ops.gather(x));
  }

  /**
   * Frees the values now (on the device and on the host) instead of when the garbage collector finds
   * them unreachable. They are shared by every view of the same storage: any later use of any of
   * them throws.
   */
  dispose(): void {
    this.storage.dispose();
  }

  /** True once `dispose()` was called on this view or another view of its storage, or a memory scope freed it. */
  get isDisposed(): boolean {
    return this.storage.isDisposed;
  }

  /** Why these values can no longer be used (see `freedMessage`), or null while they can. */
  get freedReason(): string | null {
    const by = this.storage.freedBy;
    return by === null ? null : freedMessage(by);
  }

  // ---- memory scopes (scope.ts) --------------------------------------------------------------

  /**
   * Runs `fn` in a memory scope: the storages made while it runs are freed when it returns, except
   * those behind `kept(result)` (they pass to the enclosing scope) and those a long-lived place holds.
   */
  static scoped<T>(fn: () => T, kept: (result: T) => readonly TensorData[]): T {
    return inScope(fn, (result) => kept(result).map((d) => d.storage));
  }

  /** A long-lived place (a parameter, a gradient, optimizer state) holds these values: no scope frees them until `letGo()`. */
  hold(): void {
    this.storage.hold();
  }

  /** Undoes one `hold()`. When no place holds them anymore, the open scope, if any, frees them at its end. */
  letGo(): void {
    this.storage.letGo();
  }

  // ---- compute ops (run on the current backend) ---------------------------------------------

  /**
   * Runs one op on the current backend, giving it `inputs` as views: over its device buffers when it
   * has a device (the result stays there), over host arrays otherwise.
   */
  private static compute(inputs: readonly TensorData[], shape: Shape, op: Compute): TensorData {
    checkCellCount(shape, 'result');
    const backend = currentBackend();
    const memory = backend.device;
    if (memory) return TensorData.resident(op(memory, inputs.map((t) => t.deviceView(memory))), memory, shape);
    return TensorData.packed(op(backend, inputs.map((t) => t.hostView())), shape);
  }

  private unary(op: UnaryOp): TensorData {
    return TensorData.compute([this], this.shape, (ops, [x]) => ops.unary(op, x));
  }

  /** −x per cell. */
  neg(): TensorData { return this.unary('neg'); }
  /** eˣ per cell. */
  exp(): TensorData { return this.unary('exp'); }
  /** Natural log per cell. */
  log(): TensorData { return this.unary('log'); }
  /** sin x per cell. */
  sin(): TensorData { return this.unary('sin'); }
  /** √x per cell. */
  sqrt(): TensorData { return this.unary('sqrt'); }
  /** 1/x per cell. */
  recip(): TensorData { return this.unary('recip'); }

  private binary(op: BinaryOp, other: TensorData): TensorData {
    sameShape(op, this, other);
    return TensorData.compute([this, other], this.shape, (ops, [a, b]) => ops.binary(op, a, b));
  }

  /** Elementwise sum (one shape). */
  add(other: TensorData): TensorData { return this.binary('add', other); }
  /** Elementwise difference (one shape). */
  sub(other: TensorData): TensorData { return this.binary('sub', other); }
  /** Elementwise product (one shape). */
  mul(other: TensorData): TensorData { return this.binary('mul', other); }
  /** Elementwise quotient (one shape). */
  div(other: TensorData): TensorData { return this.binary('div', other); }
  /** Elementwise maximum. */
  max(other: TensorData): TensorData { return this.binary('max', other); }
  /** 1 where this < other, else 0. */
  cmplt(other: TensorData): TensorData { return this.binary('cmplt', other); }

  /** `ifTrue` where this is non-zero, `ifFalse` elsewhere. */
  where(ifTrue: TensorData, ifFalse: TensorData): TensorData {
    sameShape('where', this, ifTrue);
    sameShape('where', this, ifFalse);
    return TensorData.compute([this, ifTrue, ifFalse], this.shape, (ops, [c, a, b]) => ops.where(c, a, b));
  }

  /** Σ over `axes` of this·other, never materializing the product; reduced axes keep size 1. */
  mulacc(other: TensorData, axes: readonly number[]): TensorData {
    sameShape('mulacc', this, other);
    const reduced = this.checkAxes(axes, 'mulacc');
    return TensorData.compute([this, other], reducedShape(this.shape, reduced), (ops, [a, b]) => ops.mulacc(a, b, reduced));
  }

  private reduce(op: ReduceOp, axes: readonly number[]): TensorData {
    const reduced = this.checkAxes(axes, op);
    return TensorData.compute([this], reducedShape(this.shape, reduced), (ops, [x]) => ops.reduce(op, x, reduced));
  }

  /** Sum over `axes`; reduced axes keep size 1. */
  sum(axes: readonly number[]): TensorData { return this.reduce('sum', axes); }
  /** Maximum over `axes`; reduced axes keep size 1. */
  amax(axes: readonly number[]): TensorData { return this.reduce('amax', axes); }

  private checkAxes(axes: readonly number[], op: string): number[] {
    const normalized = axes.map((a) => normalizeAxis(a, this.shape.length, op));
    if (new Set(normalized).size !== normalized.length) throw new RangeError(`${op}: axes ${JSON.stringify(axes)} repeat a dim`);
    return normalized.sort((a, b) => a - b);
  }

  // ---- movement ops (views) ------------------------------------------------------------------

  /** Same cells in a new shape: a view when the strides allow it, otherwise a packed copy. */
  reshape(shape: Shape): TensorData {
    checkShape(shape, 'reshape');
    if (numel(shape) !== this.size) {
      throw new RangeError(`reshape: cannot reshape ${formatShape(this.shape)} (${this.size} cells) into ${formatShape(shape)} (${numel(shape)} cells)`);
    }
    const strides = viewStrides(this.shape, this.strides, shape);
    if (strides) return this.withView(shape, strides, this.offset);
    return this.contiguous().reshape(shape);
  }

  /** Reorders the axes: axis i of the result is axis order[i] of this. */
  permute(order: readonly number[]): TensorData {
    const rank = this.shape.length;
    const sorted = [...order].sort((a, b) => a - b);
    if (order.length !== rank || !sorted.every((a, i) => a === i)) {
      throw new RangeError(`permute: ${JSON.stringify(order)} is not an ordering of the ${rank} dims of ${formatShape(this.shape)}`);
    }
    return this.withView(order.map((a) => this.shape[a]), order.map((a) => this.strides[a]), this.offset);
  }

  /** Repeats size-1 dims to `shape` with stride 0 (same rank). */
  expand(shape: Shape): TensorData {
    checkShape(shape, 'expand');
    const fits = shape.length === this.shape.length && this.shape.every((d, i) => d === shape[i] || d === 1);
    if (!fits) throw new RangeError(`expand: cannot expand ${formatShape(this.shape)} to ${formatShape(shape)}: only size-1 dims can grow`);
    return this.withView(shape, this.strides.map((s, i) => (this.shape[i] === shape[i] ? s : 0)), this.offset);
  }

  /** Keeps cells [start, end) of each axis. */
  shrink(ranges: readonly (readonly [number, number])[]): TensorData {
    if (ranges.length !== this.shape.length) {
      throw new RangeError(`shrink: got ${ranges.length} ranges for a tensor of shape ${formatShape(this.shape)}`);
    }
    let offset = this.offset;
    ranges.forEach(([start, end], i) => {
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.shape[i] || start > end) {
        throw new RangeError(`shrink: range [${start}, ${end}) does not fit dim ${i} of size ${this.shape[i]}`);
      }
      offset += start * this.strides[i];
    });
    return this.withView(ranges.map(([s, e]) => e - s), this.strides, offset);
  }

  /** Takes every step-th cell of each axis; a negative step walks backwards (flip). */
  stride(steps: readonly number[]): TensorData {
    if (steps.length !== this.shape.length || !steps.every((s) => Number.isInteger(s) && s !== 0)) {
      throw new RangeError(`stride: steps ${JSON.stringify(steps)} must be one non-zero integer per dim of ${formatShape(this.shape)}`);
    }
    let offset = this.offset;
    const shape = this.shape.map((size, i) => {
      if (steps[i] < 0 && size > 0) offset += (size - 1) * this.strides[i];
      return Math.ceil(size / Math.abs(steps[i]));
    });
    return this.withView(shape, this.strides.map((s, i) => s * steps[i]), offset);
  }

  /**
   * Sliding windows over `axes` (the view behind convolution and pooling): each axis of size n becomes
   * floor((n - dilation·(k-1) - 1) / stride) + 1 window positions, and the k cells of each window are
   * appended as new trailing axes, in the order of `axes`.
   */
  window(axes: readonly number[], kernel: readonly number[], stride: readonly number[], dilation: readonly number[]): TensorData {
    const shape = [...this.shape];
    const strides = [...this.strides];
    axes.forEach((axis, i) => {
      const span = dilation[i] * (kernel[i] - 1) + 1;
      if (span > shape[axis]) {
        throw new RangeError(`window: a window spanning ${span} cells does not fit dim ${axis} of size ${shape[axis]} (shape ${formatShape(this.shape)})`);
      }
      shape[axis] = Math.floor((shape[axis] - span) / stride[i]) + 1;
      strides[axis] = this.strides[axis] * stride[i];
    });
    axes.forEach((axis, i) => {
      shape.push(kernel[i]);
      strides.push(this.strides[axis] * dilation[i]);
    });
    return this.withView(shape, strides, this.offset);
  }

  /** A packed copy with `padding[i] = [before, after]` cells of `value` around axis i. */
  pad(padding: readonly (readonly [number, number])[], value = 0): TensorData {
    if (padding.length !== this.shape.length || !padding.every(([b, a]) => Number.isInteger(b) && Number.isInteger(a) && b >= 0 && a >= 0)) {
      throw new RangeError(`pad: padding ${JSON.stringify(padding)} must be one [before, after] pair of non-negative integers per dim of ${formatShape(this.shape)}`);
    }
    const shape = this.shape.map((d, i) => d + padding[i][0] + padding[i][1]);
    const out = TensorData.const(value, shape).clone();
    out.shrink(padding.map(([before], i) => [before, before + this.shape[i]])).assign(this);
    return out;
  }

  // ---- in-place write ------------------------------------------------------------------------

  /**
   * Writes `source`'s values into this view's cells (and so into every view of the same storage).
   * On a backend with a device the storage then lives there: the write makes a new device buffer.
   */
  assign(source: TensorData): void {
    sameShape('assign', this, source);
    if (this.size === 0) return;
    if (this.shape.some((d, i) => d > 1 && this.strides[i] === 0)) {
      throw new RangeError(`assign: cannot write into a broadcast view of shape ${formatShape(this.shape)} (several cells share one value); clone it first`);
    }
    const backend = currentBackend();
    const memory = backend.device;
    if (memory) {
      this.storage.wroteOnDevice(memory.scatter(this.deviceView(memory), source.deviceView(memory)), memory);
    } else {
      backend.scatter(this.hostView(), source.hostView());
      this.storage.wroteOnHost();
    }
    this.storage.version++;
  }

  // ---- index ops ---------------------------------------------------------------------------

  /** Rows `rows[i]` of dim 0, in a new tensor of shape [rows.length, ...shape[1:]] (PyTorch's index_select). */
  indexSelect(rows: Int32Array | readonly number[]): TensorData {
    const picked = checkRows('indexSelect', this, rows);
    const shape = [picked.length, ...this.shape.slice(1)];
    checkCellCount(shape, 'indexSelect');
    return TensorData.packed(currentBackend().indexSelect(this.hostView(), picked), shape);
  }

  /**
   * Adds row i of `source` into row rows[i] of dim 0, in place, in order, so repeated rows sum
   * (PyTorch's index_add_). Runs on the host; on a backend with a device the storage then lives there.
   */
  indexAdd(rows: Int32Array | readonly number[], source: TensorData): void {
    const picked = checkRows('indexAdd', this, rows);
    const expected = [picked.length, ...this.shape.slice(1)];
    if (!shapesEqual(source.shape, expected)) {
      throw new RangeError(`indexAdd: source must have shape ${formatShape(expected)} (one row per index), got ${formatShape(source.shape)}`);
    }
    if (this.shape.some((d, i) => d > 1 && this.strides[i] === 0)) {
      throw new RangeError(`indexAdd: cannot write into a broadcast view of shape ${formatShape(this.shape)} (several cells share one value); clone it first`);
    }
    if (source.size === 0) return;
    const values = source.sharesStorageWith(this) ? source.clone() : source;
    currentBackend().indexAdd(this.hostView(), picked, values.hostView());
    this.storage.wroteOnHost();
    this.storage.version++;
  }
}

/** The row numbers of an index op as an Int32Array, each an integer in [0, x.shape[0]). */
function checkRows(op: string, x: TensorData, rows: Int32Array | readonly number[]): Int32Array {
  if (x.shape.length === 0) throw new RangeError(`${op}: a scalar has no rows to index (shape ${formatShape(x.shape)})`);
  const count = x.shape[0];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (!Number.isInteger(row) || row < 0 || row >= count) {
      throw new RangeError(`${op}: row index ${row} at position ${i} is not an integer in [0, ${count}) (shape ${formatShape(x.shape)})`);
    }
  }
  return rows instanceof Int32Array ? rows : Int32Array.from(rows);
}

function sameShape(op: string, a: TensorData, b: TensorData): void {
  if (!shapesEqual(a.shape, b.shape)) {
    throw new RangeError(`${op}: inputs must have one shape, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
}

/**
 * Strides that show the same cells in `newShape` without a copy, or null when none exist.
 * Walks both shapes in groups of axes whose sizes multiply to the same number; a group can be
 * re-split only when its old axes are laid out one after the other in memory.
 */
function viewStrides(oldShape: Shape, oldStrides: Shape, newShape: Shape): number[] | null {
  if (numel(newShape) === 0) return rowMajorStrides(newShape);
  const oldDims = oldShape.map((d, i) => [d, oldStrides[i]]).filter(([d]) => d !== 1);
  const strides = new Array<number>(newShape.length).fill(0);
  let o = 0;
  let n = 0;
  while (n < newShape.length) {
    if (newShape[n] === 1) { strides[n++] = 0; continue; }
    if (o >= oldDims.length) return null;
    const groupOld = [o];
    const groupNew = [n];
    let oldSize = oldDims[o][0];
    let newSize = newShape[n];
    while (oldSize !== newSize) {
      if (oldSize < newSize) { o++; if (o >= oldDims.length) return null; groupOld.push(o); oldSize *= oldDims[o][0]; }
      else { n++; if (n >= newShape.length) return null; groupNew.push(n); newSize *= newShape[n]; }
    }
    for (let k = 0; k + 1 < groupOld.length; k++) {
      const [, stride] = oldDims[groupOld[k]];
      const [nextSize, nextStride] = oldDims[groupOld[k + 1]];
      if (stride !== nextSize * nextStride) return null;
    }
    let step = oldDims[groupOld[groupOld.length - 1]][1];
    for (let k = groupNew.length - 1; k >= 0; k--) {
      strides[groupNew[k]] = step;
      step *= newShape[groupNew[k]];
    }
    o++;
    n++;
  }
  return o === oldDims.length ? strides : null;
}

/** A zeroed Float32Array for `shape`, or a RangeError naming `op` and the size when it is too large or memory runs out. */
function allocateCells(shape: Shape, op: string): Float32Array {
  checkCellCount(shape, op);
  const cells = numel(shape);
  try {
    return new Float32Array(cells);
  } catch (e) {
    throw new RangeError(`${op}: cannot allocate shape ${formatShape(shape)}, ${cells} cells (${cells * 4} bytes of float32): ${(e as Error).message}`);
  }
}
