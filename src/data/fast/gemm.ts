/**
 * `mulacc` as a batched matrix product in WebAssembly: plan (lowering.ts), pack, multiply (kernels.as),
 * unpack.
 *
 * 1. Copy the storage each operand reads into the module's memory (a memcpy), with the plan's offset
 *    tables; the `pack` kernel gathers X into panels of MR lines and Y into panels of NR lines, k-major
 *    inside a panel (this gather is a convolution's im2col). Lines past M or N are zero-filled, so the
 *    GEMM kernel only ever sees whole MR×NR tiles. Large packs are shared with the helper thread.
 * 2. Run the kernel; a large job is split with the helper thread: by tasks (blocks of C, each thread
 *    taking the next one until none is left) when there are several, otherwise by halves of K, each
 *    half summing into its own C.
 * 3. The `unpack` kernel copies C (padded, [batch][Mp][Np]) into the output's row-major order through the
 *    output tables, and the output is copied out of the memory (or is already in place: a resident
 *    tensor's region, resident.ts). Operands resident in the memory the product runs in are not copied.
 *
 * Packed operands can be much larger than the tensors they come from (im2col repeats each pixel kh·kw
 * times), so a product whose packs would pass PACK_BUDGET floats is done in chunks: a group of batch
 * items at a time, then lines of X and of Y, then slices of K added into the same C. The module's
 * memory then stays near the size of the inputs and the output, whatever the batch size.
 *
 * May import: ./arrayPool, ./lowering, ./threads, ./wasm, ./wasmOps.
 */
import { outputArray } from './arrayPool';
import { planGemm, type GemmLayout, type OperandTables } from './lowering';
import { helperThread, threadsAllowed, type Helper } from './threads';
import { MR, NR, sharedRuntime, wasmRuntime, type WasmRuntime } from './wasm';
import { stageSpan, type KernelResult, type Operand, type Output } from './wasmOps';

/** Below this many multiply-adds the JavaScript loop wins: packing and the call cost more than they save. */
export const GEMM_MIN_MACS = 2048;

/**
 * Below this many flops (2·batch·M·N·K) a job stays on one thread: handing work to the helper and
 * waiting for it costs more. Measured in training steps, where the helper has often gone to sleep
 * between products: with 4 MFLOP, model A (products of 5-25 MFLOP) stepped in 39.9 ms against 35.4
 * with this threshold, and 36.7 with no threads at all.
 */
export const THREAD_MIN_FLOPS = 32e6;
/** A K split needs this many k per half to pay. */
const SPLIT_K_MIN = 256;
/** Packs of at least this many floats are shared with the helper thread (when the product is). */
const SHARED_PACK_MIN = 2 ** 20;
/** Floats of packed X and Y held at once (16 MB); larger products go in chunks. */
export const PACK_BUDGET = 4 * 2 ** 20;
/** Chunks of lines and of K are multiples of these (whole M blocks of the kernel, and KC). */
const LINE_STEP = 64;
const K_STEP = 256;

/** Byte addresses of the packed operands and of C (and of a second C for a K split, or 0). */
interface Job {
  x: number; y: number; c: number; c2: number;
  batch: number; mPanels: number; nPanels: number; k: number;
  /** Add to what C holds (every K slice after the first). */
  addToC: boolean;
}

/** True when a job of this shape splits its K between the threads (each half into its own C). */
function splitsK(rt: WasmRuntime, helper: Helper | null, batch: number, mPanels: number, nPanels: number, k: number): boolean {
  return helper !== null && rt.kernels.taskCount(batch, mPanels, nPanels) < 2 && k >= 2 * SPLIT_K_MIN;
}

/** Runs the kernel on one thread, or on two with a helper. */
function multiply(rt: WasmRuntime, helper: Helper | null, job: Job): void {
  const { kernels } = rt;
  const tasks = kernels.taskCount(job.batch, job.mPanels, job.nPanels);
  const addToC = job.addToC ? 1 : 0;
  const args = (c: number, k0: number, k1: number): number[] => [job.x, job.y, c, job.mPanels, job.nPanels, job.k, k0, k1, addToC];
  if (helper && tasks >= 2) {
    helper.share({ kernel: 'gemmTask', args: args(job.c, 0, job.k), first: 0, end: tasks });
  } else if (helper && job.c2 !== 0 && job.k >= 2 * SPLIT_K_MIN) {
    const half = Math.ceil(job.k / 2);
    helper.run({ kernel: 'gemmTask', args: args(job.c2, half, job.k), first: 0, end: tasks },
      () => kernels.gemm(job.x, job.y, job.c, job.mPanels, job.nPanels, job.k, 0, half, 0, tasks, addToC));
  } else {
    kernels.gemm(job.x, job.y, job.c, job.mPanels, job.nPanels, job.k, 0, job.k, 0, tasks, addToC);
  }
}

/** An operand in the memory: the byte addresses of its staged storage and of its three offset tables. */
interface Staged {
  src: number; batch: number; lines: number; k: number;
}

/** Copies the span of storage an operand reaches (unless it is in this memory already), and its tables, into the memory. */
function stage(rt: WasmRuntime, view: Operand, tables: OperandTables): Staged {
  const lo = view.offset + tables.lo;
  const hi = view.offset + tables.hi;
  const src = stageSpan(rt, view, lo, hi) * 4;
  return { src, batch: stageTable(rt, tables.batch), lines: stageTable(rt, tables.lines), k: stageTable(rt, tables.k) };
}

/** Copies an offset table into the memory; returns its byte address. */
function stageTable(rt: WasmRuntime, table: Int32Array): number {
  const at = rt.alloc(table.length);
  rt.words.set(table, at / 4);
  return at;
}

/** A range of batch items, lines and k: what one chunk packs. */
interface Range {
  b0: number; batches: number; l0: number; l1: number; k0: number; k1: number;
}

/**
 * Packs one chunk of an operand into panels of `width` lines (see kernels.as); returns its address.
 * A large pack on the shared runtime is shared with the helper thread, by groups of panels.
 */
function pack(rt: WasmRuntime, helper: Helper | null, side: Staged, r: Range, width: number): number {
  const lines = r.l1 - r.l0;
  const k = r.k1 - r.k0;
  const floats = r.batches * Math.ceil(lines / width) * width * k;
  const dst = rt.alloc(floats);
  const args = [dst, side.src, side.batch + 4 * r.b0, r.batches, side.lines + 4 * r.l0, lines, side.k + 4 * r.k0, k, width] as const;
  const tasks = rt.kernels.packTaskCount(r.batches, lines, width);
  if (helper && floats >= SHARED_PACK_MIN && tasks >= 2) helper.share({ kernel: 'packTask', args, first: 0, end: tasks });
  else rt.kernels.pack(...args);
  return dst;
}

/** Chunk sizes: batch items per group, lines of X and of Y, and k per chunk (all whole when the packs fit). */
function chunking(plan: GemmLayout): { batches: number; xLines: number; yLines: number; k: number } {
  const roundUp = (lines: number, width: number): number => Math.ceil(lines / width) * width;
  const perBatch = (roundUp(plan.m, MR) + roundUp(plan.n, NR)) * plan.k;
  if (perBatch <= PACK_BUDGET) {
    return { batches: Math.max(1, Math.floor(PACK_BUDGET / perBatch)), xLines: plan.m, yLines: plan.n, k: plan.k };
  }
  // K slices leave room for LINE_STEP lines on each side; the lines share what is left of the budget:
  // the smaller side whole when it needs at most half, the larger one the rest.
  const k = Math.min(plan.k, Math.max(K_STEP, Math.floor(PACK_BUDGET / (2 * LINE_STEP) / K_STEP) * K_STEP));
  const lineBudget = Math.floor(PACK_BUDGET / k);
  const fit = (lines: number, room: number): number => Math.min(lines, Math.max(LINE_STEP, Math.floor(room / LINE_STEP) * LINE_STEP));
  const smallFirst = (small: number, large: number): [number, number] => {
    const whole = roundUp(small, NR) <= lineBudget / 2 ? small : fit(small, lineBudget / 2);
    return [whole, fit(large, lineBudget - roundUp(whole, NR))];
  };
  const [xLines, yLines] = plan.m <= plan.n ? smallFirst(plan.m, plan.n) : smallFirst(plan.n, plan.m).reverse();
  return { batches: 1, xLines, yLines, k };
}

/** What every chunk of one product shares: the runtime, the staged operands and output, the plan. */
interface Product {
  rt: WasmRuntime;
  /** The helper thread for a product large enough to share (on the shared runtime), else null. */
  helper: Helper | null;
  plan: GemmLayout;
  x: Staged;
  y: Staged;
  out: number;
  outTables: { batch: number; rows: number; cols: number };
  columnsOuter: boolean;
  kSlice: number;
}

/**
 * C for batch items [b0, b0 + batches), lines [x0, x1) of X and [y0, y1) of Y, over all of K (in
 * slices added into C), unpacked into the output. `packedX` and `packedY` are packs made once for all
 * chunks (0: pack per K slice here).
 */
function productChunk(p: Product, b0: number, batches: number, [x0, x1]: number[], [y0, y1]: number[], packedX: number, packedY: number): void {
  const { rt, helper, plan } = p;
  const [mPanels, nPanels] = [Math.ceil((x1 - x0) / MR), Math.ceil((y1 - y0) / NR)];
  const cFloats = batches * mPanels * MR * nPanels * NR;
  const c = rt.alloc(cFloats);
  const c2 = splitsK(rt, helper, batches, mPanels, nPanels, p.kSlice) ? rt.alloc(cFloats) : 0;
  for (let k0 = 0; k0 < plan.k; k0 += p.kSlice) {
    const slice = rt.mark();
    const k1 = Math.min(plan.k, k0 + p.kSlice);
    const x = packedX || pack(rt, helper, p.x, { b0, batches, l0: x0, l1: x1, k0, k1 }, MR);
    const y = packedY || pack(rt, helper, p.y, { b0, batches, l0: y0, l1: y1, k0, k1 }, NR);
    multiply(rt, helper, { x, y, c, c2, batch: batches, mPanels, nPanels, k: k1 - k0, addToC: k0 > 0 });
    rt.release(slice);
  }
  rt.kernels.unpack(p.out, c, c2, p.outTables.batch + 4 * b0, batches, p.outTables.rows + 4 * x0, x1 - x0,
    p.outTables.cols + 4 * y0, y1 - y0, mPanels * MR, nPanels * NR, p.columnsOuter);
}

/**
 * mulacc through the GEMM kernel, into a host array or into `into` (a region, see wasmOps' Output);
 * null when the pattern does not factor (the caller falls back).
 */
export function gemmMulacc(a: Operand, b: Operand, axes: readonly number[], outSize: number, into?: Output): KernelResult {
  const plan = planGemm(a, b, axes, MR, NR);
  if (!plan) return null;
  if (outSize === 0 || plan.k === 0) {
    if (!into) return new Float32Array(outSize);
    into.rt.heap.fill(0, into.at, into.at + outSize);
    return true;
  }
  const flops = 2 * plan.batch * plan.m * plan.n * plan.k;
  const threaded = flops >= THREAD_MIN_FLOPS && threadsAllowed();
  // In the memory of the output's region when there is one (its operands are most likely there too).
  const rt = into?.rt ?? (threaded ? sharedRuntime() : wasmRuntime());
  rt.reset();
  const [xView, yView] = plan.swapped ? [b, a] : [a, b];
  const { rows, cols } = plan.out;
  const step = chunking(plan);
  const p: Product = {
    rt, helper: threaded && rt.shared ? helperThread(rt) : null, plan,
    x: stage(rt, xView, plan.x), y: stage(rt, yView, plan.y),
    out: into?.rt === rt ? into.at * 4 : rt.alloc(outSize),
    outTables: { batch: stageTable(rt, plan.out.batch), rows: stageTable(rt, rows), cols: stageTable(rt, cols) },
    columnsOuter: rows.length > 1 && cols.length > 1 && Math.abs(rows[1] - rows[0]) < Math.abs(cols[1] - cols[0]),
    kSlice: step.k,
  };
  // With K whole, a chunk of X is packed once for all chunks of Y, and Y once when it is whole too.
  const kWhole = step.k >= plan.k;
  const scratch = rt.mark();
  for (let b0 = 0; b0 < plan.batch; b0 += step.batches) {
    const batches = Math.min(step.batches, plan.batch - b0);
    const wholeY = kWhole && step.yLines >= plan.n ? pack(rt, p.helper, p.y, { b0, batches, l0: 0, l1: plan.n, k0: 0, k1: plan.k }, NR) : 0;
    const batchScratch = rt.mark();
    for (let x0 = 0; x0 < plan.m; x0 += step.xLines) {
      const x1 = Math.min(plan.m, x0 + step.xLines);
      const chunkX = kWhole ? pack(rt, p.helper, p.x, { b0, batches, l0: x0, l1: x1, k0: 0, k1: plan.k }, MR) : 0;
      const xScratch = rt.mark();
      for (let y0 = 0; y0 < plan.n; y0 += step.yLines) {
        productChunk(p, b0, batches, [x0, x1], [y0, Math.min(plan.n, y0 + step.yLines)], chunkX, wholeY);
        rt.release(xScratch);
      }
      rt.release(batchScratch);
    }
    rt.release(scratch);
  }
  if (into?.rt === rt) return true;
  const values = rt.heap.subarray(p.out / 4, p.out / 4 + outSize);
  if (into) {
    into.rt.heap.set(values, into.at);
    return true;
  }
  const result = outputArray(outSize);
  result.set(values);
  return result;
}
