/**
 * The WebAssembly side of the fast backend: the compiled kernels (wasmBinary.ts, built from kernels.as),
 * the memory they work in, and a scratch allocator over it.
 *
 * Two runtimes, made on first use: `wasmRuntime()` over a plain memory, used by every op, and
 * `sharedRuntime()` over a shared memory, which a worker thread (threads.ts) shares to split large
 * matrix products. Resident tensors (resident.ts) live in the shared one when a second thread may run,
 * else in the plain one; the host ops use the plain one. A page that is not cross-origin isolated
 * cannot make a shared memory at all, hence two.
 * Each runtime loads the kernels built with relaxed SIMD (a fused multiply-add in the matrix product)
 * where this JavaScript engine validates them (Chromium does; Node 20 does with a V8 flag, which is
 * switched on just while they compile), and the plain SIMD build otherwise.
 * Each op lays its buffers out from the bottom of the scratch area and is done with them when it
 * returns: ops run one at a time, so nothing needs freeing. Below the scratch area are the regions
 * that outlive ops: resident tensors (resident.ts).
 *
 * May import: ./wasmBinary, ../../platform/node (the platform seam).
 */
import { v8Major, withV8Flag } from '../../platform/node';
import { wasmBase64, wasmRelaxedBase64, wasmSharedBase64, wasmSharedRelaxedBase64 } from './wasmBinary';

/** The few WebAssembly types used here (tsgrad's TypeScript lib has no DOM, which is where they live). */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
export type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
}

/** The exports of kernels.as (arguments are byte addresses; descriptors and tables count floats). */
export interface Kernels {
  taskCount(batch: number, mPanels: number, nPanels: number): number;
  gemm(a: number, b: number, c: number, mPanels: number, nPanels: number, kTotal: number,
    k0: number, k1: number, first: number, last: number, addToC: number): void;
  gemmTask(a: number, b: number, c: number, mPanels: number, nPanels: number, kTotal: number,
    k0: number, k1: number, addToC: number, task: number): void;
  pack(dst: number, src: number, batchTable: number, batches: number, lineTable: number, lines: number,
    kTable: number, k: number, width: number): void;
  packTaskCount(batches: number, lines: number, width: number): number;
  packTask(dst: number, src: number, batchTable: number, batches: number, lineTable: number, lines: number,
    kTable: number, k: number, width: number, task: number): void;
  unpack(out: number, c: number, c2: number, batchTable: number, batches: number, rowTable: number, m: number,
    colTable: number, n: number, mp: number, np: number, columnsOuter: boolean): void;
  binary(op: number): void;
  unary(op: number): void;
  where(): void;
  copy(): void;
  reduce(op: number, acc: number): void;
  fill64(acc: number, n: number, value: number): void;
  narrow(out: number, acc: number, n: number): void;
  readonly DESC: { value: number };
  readonly MAX_RANK: { value: number };
}

/** Register tile of the GEMM kernel: MR rows of A by NR columns of B (must match kernels.as). */
export const MR = 4;
export const NR = 8;

const PAGE = 65536;
/** Must match `maximumMemory` in buildWasm.mjs. */
const MAX_PAGES = 32768;
/** Bytes 0..255 hold the thread control block (threads.ts), 256..1023 the walk descriptor (kernels.as). */
export const CONTROL_BASE = 0;
const SCRATCH_BASE = 1024;

const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Base64 to bytes with `atob`, which Node and browsers both have (Node's Buffer is not in a page). */
function decode(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/**
 * Node 20's V8 (11.3) has relaxed SIMD, finished, behind this flag; later V8s and Chromium have it on.
 * Older V8s had drafts whose opcodes differ, so the flag is tried from V8 11 on only.
 */
const RELAXED_SIMD_FLAG = 'experimental-wasm-relaxed-simd';
const RELAXED_SIMD_FLAG_FROM_V8 = 11;

/** How this runtime gets relaxed SIMD: it has it, it has it behind RELAXED_SIMD_FLAG, or not at all. */
let relaxed: 'on' | 'flag' | 'none' | undefined;

function relaxedSupport(): 'on' | 'flag' | 'none' {
  if (relaxed === undefined) {
    const bytes = decode(wasmRelaxedBase64);
    const behindFlag = (): boolean =>
      v8Major() >= RELAXED_SIMD_FLAG_FROM_V8 && withV8Flag(RELAXED_SIMD_FLAG, () => wasmApi.validate(bytes));
    relaxed = wasmApi.validate(bytes) ? 'on' : behindFlag() ? 'flag' : 'none';
  }
  return relaxed;
}

/**
 * True when this runtime has relaxed SIMD (f32x4.relaxed_madd: the matrix product's multiply-add in one
 * instruction, fused where the CPU has FMA): then the kernels built with it are loaded, else the plain ones.
 */
export function hasRelaxedSimd(): boolean {
  return relaxedSupport() !== 'none';
}

/**
 * The compiled kernels for a plain or a shared memory, with relaxed SIMD where the runtime has it. Behind
 * the flag, they are compiled while it is on; a compiled module runs, and goes to a worker, with it off.
 */
function compileKernels(shared: boolean): WasmModule {
  const support = plainBuildOnly && !shared ? 'none' : relaxedSupport();
  if (support === 'none') return new wasmApi.Module(decode(shared ? wasmSharedBase64 : wasmBase64));
  const bytes = decode(shared ? wasmSharedRelaxedBase64 : wasmRelaxedBase64);
  return support === 'on' ? new wasmApi.Module(bytes) : withV8Flag(RELAXED_SIMD_FLAG, () => new wasmApi.Module(bytes));
}

/** The module, its shared memory, the kernels, and float views of the memory (renewed when it grows). */
export class WasmRuntime {
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly kernels: Kernels;
  private f32: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private i32: Int32Array<ArrayBufferLike> = new Int32Array(0);
  /** Where scratch starts: above the regions that outlive ops (resident tensors, resident.ts). */
  private floor = SCRATCH_BASE;
  private top = SCRATCH_BASE;

  constructor(readonly shared: boolean) {
    this.module = compileKernels(shared);
    this.memory = new wasmApi.Memory({ initial: 16, maximum: MAX_PAGES, shared });
    this.kernels = new wasmApi.Instance(this.module, { env: { memory: this.memory } }).exports as Kernels;
    this.refreshViews();
  }

  /** The whole memory as floats (index = byte address / 4). Call again after `alloc`: growing renews it. */
  get heap(): Float32Array<ArrayBufferLike> {
    return this.f32;
  }

  /** The whole memory as int32 words (index = byte address / 4), for offset tables and descriptors. */
  get words(): Int32Array<ArrayBufferLike> {
    return this.i32;
  }

  /** Forgets every scratch buffer: call once at the start of each op. */
  reset(): void {
    this.top = this.floor;
  }

  /**
   * Room for `floats` values that outlive ops (a resident tensor's region), below scratch: call it
   * only between ops, before `reset`. Returns the float index. Regions are never given back to the
   * memory: resident.ts keeps freed ones for reuse.
   */
  claimRegion(floats: number): number {
    const address = this.floor;
    this.grow(align64(address + floats * 4));
    this.floor = this.top = align64(address + floats * 4);
    return address / 4;
  }

  /** Bytes below scratch that regions hold (in use or kept for reuse). */
  get regionBytes(): number {
    return this.floor - SCRATCH_BASE;
  }

  /** Where the next allocation will go: `release(mark)` frees everything allocated after it. */
  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    this.top = mark;
  }

  /** Room for `floats` 4-byte values, 64-byte aligned; returns the byte address. */
  alloc(floats: number): number {
    const address = this.top;
    this.grow(align64(address + floats * 4));
    this.top = align64(address + floats * 4);
    return address;
  }

  /**
   * Copies array[lo..hi] (a view's span of storage, see `stridedSpan`) into new room in the memory;
   * returns the float index where array[lo] landed.
   */
  stage(array: Float32Array, lo: number, hi: number): number {
    const at = this.alloc(hi - lo + 1) / 4;
    this.heap.set(array.subarray(lo, hi + 1), at);
    return at;
  }

  /** Grows the memory to hold `end` bytes; a RangeError past its limit (nothing changes then). */
  private grow(end: number): void {
    const needed = Math.ceil(end / PAGE);
    const pages = this.memory.buffer.byteLength / PAGE;
    if (needed <= pages) return;
    if (needed > MAX_PAGES) throw new RangeError(`fast backend: needs ${end} bytes of WebAssembly memory, over its ${MAX_PAGES * PAGE}-byte limit`);
    this.memory.grow(needed - pages);
    this.refreshViews();
  }

  private refreshViews(): void {
    this.f32 = new Float32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }
}

function align64(address: number): number {
  return Math.ceil(address / 64) * 64;
}

let plain: WasmRuntime | null = null;
let shared: WasmRuntime | null = null;

let plainBuildOnly = false;

/**
 * @internal For tests, which run where relaxed SIMD exists: the plain runtime (the host ops') is made
 * again from the plain SIMD build (true), or from the best build (false).
 */
export function usePlainSimdBuild(on: boolean): void {
  plainBuildOnly = on;
  plain = null;
}

/** The runtime every op uses (compiling the module takes about a millisecond). */
export function wasmRuntime(): WasmRuntime {
  plain ??= new WasmRuntime(false);
  return plain;
}

/** The runtime over a shared memory, for matrix products split across threads. */
export function sharedRuntime(): WasmRuntime {
  shared ??= new WasmRuntime(true);
  return shared;
}

/**
 * Bytes of WebAssembly memory the fast backend's kernels work in (both runtimes). It grows to the
 * largest op's scratch and stays there: it does not grow with the number of steps.
 */
export function fastMemoryBytes(): number {
  return (plain?.memory.buffer.byteLength ?? 0) + (shared?.memory.buffer.byteLength ?? 0);
}
