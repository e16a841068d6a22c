/**
 * Resident tensors: the fast backend's `DeviceMemory`. A result stays in the WebAssembly memory, in a
 * region of its own, and the next op reads it there: no copy in, no copy out. Host arrays appear only
 * at the edges (values read with `toFlat` or `item`, data made on the host and read by an op once).
 *
 * - A region is a run of floats below the kernels' scratch area (`WasmRuntime.claimRegion`). Freed
 *   regions (a storage disposed, freed by a memory scope, or garbage-collected: storage.ts) wait in
 *   lists by size, and the next result of that size takes one: a training step makes the same sizes
 *   every step. The memory does not shrink.
 * - Each op runs its kernel from wasmOps.ts or gemm.ts with its output in a new region. Ops with no
 *   kernel there (exp, log, sin; tensors too small to pay for a call; views too sparse or too deep) run
 *   the JavaScript loops of elementwise.ts over host views of the memory, and their result is copied in.
 * - A host view of the memory is made just before it is read: growing the memory (a larger op's
 *   scratch, a new region) detaches the arrays over the old one.
 *
 * May import: ../backend, ../ops, ../shape, ../storage, ../view, ./elementwise, ./gemm, ./threads, ./wasm, ./wasmOps.
 */
import type { DeviceBuffer, DeviceCounters, DeviceMemory, DeviceView, StridedView } from '../backend';
import type { BinaryOp, ReduceOp, UnaryOp } from '../ops';
import { numel } from '../shape';
import { isPacked, reducedShape } from '../view';
import * as js from './elementwise';
import { GEMM_MIN_MACS, gemmMulacc } from './gemm';
import { reclaimDeviceMemory } from '../storage';
import { threadsAllowed } from './threads';
import { sharedRuntime, wasmRuntime, type WasmRuntime } from './wasm';
import {
  binaryWasm, gatherWasm, reduceWasm, scatterInMemory, unaryWasm, whereWasm,
  type InMemory, type KernelResult, type Operand, type Output,
} from './wasmOps';

/**
 * The runtime whose memory holds resident tensors: the shared one when a second thread may run (large
 * matrix products then split without copying their operands), else the plain one.
 */
export function homeRuntime(): WasmRuntime {
  return threadsAllowed() ? sharedRuntime() : wasmRuntime();
}

/** Region sizes are rounded up to this many floats (64 bytes, the scratch allocator's alignment). */
const REGION_QUANTUM = 16;

/** A tensor's values in the WebAssembly memory of `rt`: `length` floats from float index `at`. */
class Region implements DeviceBuffer {
  released = false;
  constructor(readonly rt: WasmRuntime, readonly at: number, readonly length: number, readonly capacity: number) {}
}

function capacityOf(length: number): number {
  return Math.max(REGION_QUANTUM, Math.ceil(length / REGION_QUANTUM) * REGION_QUANTUM);
}

class ResidentMemory implements DeviceMemory {
  /** Freed regions by capacity, per runtime (a test may swap the runtime: its regions stay in the old memory). */
  private readonly free = new WeakMap<WasmRuntime, Map<number, number[]>>();
  private readonly stats = { live: 0, liveBytes: 0, created: 0, released: 0, uploads: 0, downloads: 0 };

  get counters(): DeviceCounters {
    return { ...this.stats };
  }

  owns(buffer: DeviceBuffer): boolean {
    return buffer instanceof Region && !buffer.released && buffer.rt === homeRuntime();
  }

  upload(values: Float32Array): DeviceBuffer {
    const region = this.allocate(values.length);
    region.rt.heap.set(values, region.at);
    this.stats.uploads++;
    return region;
  }

  download(buffer: DeviceBuffer): Float32Array {
    const region = this.region(buffer, 'download');
    this.stats.downloads++;
    return region.rt.heap.slice(region.at, region.at + region.length);
  }

  release(buffer: DeviceBuffer): void {
    if (!(buffer instanceof Region) || buffer.released) return;
    buffer.released = true;
    const lists = this.free.get(buffer.rt) ?? new Map<number, number[]>();
    this.free.set(buffer.rt, lists);
    const list = lists.get(buffer.capacity) ?? [];
    list.push(buffer.at);
    lists.set(buffer.capacity, list);
    this.stats.live--;
    this.stats.liveBytes -= buffer.capacity * 4;
    this.stats.released++;
  }

  unary(op: UnaryOp, x: DeviceView): DeviceBuffer {
    return this.run(numel(x.shape), (into) => unaryWasm(op, this.operand(x), into), () => js.unary(op, this.host(x)));
  }

  binary(op: BinaryOp, a: DeviceView, b: DeviceView): DeviceBuffer {
    return this.run(numel(a.shape), (into) => binaryWasm(op, this.operand(a), this.operand(b), into),
      () => js.binary(op, this.host(a), this.host(b)));
  }

  where(cond: DeviceView, a: DeviceView, b: DeviceView): DeviceBuffer {
    return this.run(numel(cond.shape), (into) => whereWasm(this.operand(cond), this.operand(a), this.operand(b), into),
      () => js.where(this.host(cond), this.host(a), this.host(b)));
  }

  mulacc(a: DeviceView, b: DeviceView, axes: readonly number[]): DeviceBuffer {
    const count = numel(reducedShape(a.shape, axes));
    const big = numel(a.shape) >= GEMM_MIN_MACS;
    return this.run(count, (into) => (big ? gemmMulacc(this.operand(a), this.operand(b), axes, count, into) : null),
      () => js.mulacc(this.host(a), this.host(b), axes));
  }

  reduce(op: ReduceOp, x: DeviceView, axes: readonly number[]): DeviceBuffer {
    return this.run(numel(reducedShape(x.shape, axes)), (into) => reduceWasm(op, this.operand(x), axes, into),
      () => js.reduce(op, this.host(x), axes));
  }

  gather(x: DeviceView): DeviceBuffer {
    const count = numel(x.shape);
    if (isPacked(x.shape, x.strides) && x.array instanceof Region) {
      const out = this.allocate(count);
      out.rt.heap.copyWithin(out.at, x.array.at + x.offset, x.array.at + x.offset + count);
      return out;
    }
    return this.run(count, (into) => gatherWasm(this.operand(x), into), () => js.gather(this.host(x)));
  }

  /**
   * Writes source into target's cells: in place when target is in a region (a region belongs to one
   * storage, so no other tensor sees the write), else into an upload of the whole host array.
   */
  scatter(target: DeviceView, source: DeviceView): DeviceBuffer {
    const whole = target.array;
    const out = whole instanceof Float32Array ? (this.upload(whole) as Region) : this.region(whole, 'scatter');
    const view: InMemory = { rt: out.rt, at: out.at, shape: target.shape, strides: target.strides, offset: target.offset };
    // A source in the region being written (x.assign(x.flip(0))) is read from a copy taken first.
    const snapshot: StridedView | null = source.array === out
      ? { array: out.rt.heap.slice(out.at, out.at + out.length), shape: source.shape, strides: source.strides, offset: source.offset }
      : null;
    if (!scatterInMemory(view, snapshot ?? this.operand(source))) {
      const values = snapshot ?? this.host(source);
      js.scatter({ array: out.rt.heap, shape: target.shape, strides: target.strides, offset: out.at + target.offset }, values);
    }
    return out;
  }

  /**
   * Runs an op into a new region of `count` floats: its kernel writes there, or when the kernel leaves
   * the op to JavaScript (null), the loop's host result is copied in.
   */
  private run(count: number, kernel: (into: Output) => KernelResult, loop: () => Float32Array): DeviceBuffer {
    const out = this.allocate(count);
    try {
      const done = kernel(out); // a region is an Output: its runtime and where it starts
      if (done === true) return out;
      const values = done ?? loop();
      out.rt.heap.set(values, out.at);
      return out;
    } catch (error) {
      this.release(out); // an op that failed leaves no region behind
      throw error;
    }
  }

  /**
   * A region for `length` values: a freed one of that size, else new room. When the memory has none
   * left, the regions of unreachable tensors are reclaimed, and a freed region of that size or the
   * smallest larger one is taken; if there is none, a RangeError says so.
   */
  private allocate(length: number): Region {
    const rt = homeRuntime();
    const capacity = capacityOf(length);
    const lists = this.free.get(rt);
    const reused = lists?.get(capacity)?.pop();
    const region = reused !== undefined ? new Region(rt, reused, length, capacity) : this.claim(rt, length, capacity);
    this.stats.live++;
    this.stats.liveBytes += region.capacity * 4;
    this.stats.created++;
    return region;
  }

  private claim(rt: WasmRuntime, length: number, capacity: number): Region {
    const budget = regionBudget ?? Infinity;
    try {
      if (rt.regionBytes + capacity * 4 > budget) throw new RangeError(`over the budget of ${budget} bytes`);
      return new Region(rt, rt.claimRegion(capacity), length, capacity);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      reclaimDeviceMemory();
      const lists = this.free.get(rt) ?? new Map<number, number[]>();
      const fits = [...lists.keys()].filter((c) => c >= capacity && (lists.get(c)?.length ?? 0) > 0);
      if (fits.length === 0) {
        throw new RangeError(`fast backend: no room for a tensor of ${length} values in the WebAssembly memory ` +
          `(${rt.regionBytes} bytes of tensors, ${this.stats.liveBytes} of them live: ${error.message}); ` +
          'dispose() tensors you no longer need, or run steps in tidy()');
      }
      const best = Math.min(...fits);
      return new Region(rt, (lists.get(best) as number[]).pop() as number, length, best);
    }
  }

  private region(buffer: DeviceBuffer, op: string): Region {
    if (!(buffer instanceof Region)) throw new TypeError(`fast backend ${op}: not a buffer of the fast backend's memory`);
    if (buffer.released) throw new Error(`fast backend ${op}: this buffer was released`);
    return buffer;
  }

  /** What a kernel reads: a region in place, or host values. */
  private operand(v: DeviceView): Operand {
    if (v.array instanceof Float32Array) return v as StridedView;
    const region = this.region(v.array, 'op');
    return { rt: region.rt, at: region.at, shape: v.shape, strides: v.strides, offset: v.offset };
  }

  /** A host view for the JavaScript loops: over the memory as it is now (make it just before reading). */
  private host(v: DeviceView): StridedView {
    if (v.array instanceof Float32Array) return v as StridedView;
    const region = this.region(v.array, 'op');
    return { array: region.rt.heap, shape: v.shape, strides: v.strides, offset: region.at + v.offset };
  }
}

let regionBudget: number | null = null;

/**
 * @internal For tests: regions may take at most `bytes` of the memory (null: as much as it can grow
 * to), so that running out of room can be tested without using gigabytes.
 */
export function setRegionBudget(bytes: number | null): void {
  regionBudget = bytes;
}

/** The fast backend's memory for resident tensors (one per process, in the home runtime). */
export const residentMemory: DeviceMemory = new ResidentMemory();
