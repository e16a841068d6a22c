/**
 * `mulacc` as a batched matrix product in WebAssembly: plan (lowering.ts), pack, multiply (kernels.as),
 * unpack.
 *
 * 1. Copy the storage each operand reads into the module's memory (a memcpy), with the plan's offset
 *    tables; the `pack` kernel gathers X into panels of MR lines and Y into panels of NR lines, k-major
 *    inside a panel (this gather is a convolution's im2col). Lines past M or N are zero-filled, so the
 *    GEMM kernel only ever sees whole MR×NR tiles.
 * 2. Run the kernel; a large job is split with the helper thread: by tasks (blocks of C) when there are
 *    several, otherwise by halves of K, each half summing into its own C.
 * 3. The `unpack` kernel copies C (padded, [batch][Mp][Np]) into the output's row-major order through the
 *    output tables, and the output is copied out of the memory.
 *
 * May import: ../backend, ./arrayPool, ./lowering, ./threads, ./wasm.
 */
import type { StridedView } from '../backend';
import { outputArray } from './arrayPool';
import { planGemm, type OperandTables } from './lowering';
import { helperThread, threadsAllowed, type GemmArgs } from './threads';
import { MR, NR, sharedRuntime, wasmRuntime, type WasmRuntime } from './wasm';

/** Below this many flops (2·batch·M·N·K) a job stays on one thread: waking the helper costs more. */
export const THREAD_MIN_FLOPS = 4e6;
/** A K split needs this many k per half to pay. */
const SPLIT_K_MIN = 256;

/** Byte addresses of the packed operands and of C, and the sizes the kernel needs. */
interface Job {
  x: number; y: number; c: number;
  batch: number; mPanels: number; nPanels: number; k: number;
}

/** Runs the kernel on one or two threads; returns the byte address of a second C to add (K split), or 0. */
function multiply(rt: WasmRuntime, job: Job, cFloats: number): number {
  const { kernels } = rt;
  const tasks = kernels.taskCount(job.batch, job.mPanels, job.nPanels);
  const args = (c: number, k0: number, k1: number, first: number, last: number): GemmArgs =>
    [job.x, job.y, c, job.mPanels, job.nPanels, job.k, k0, k1, first, last];
  const helper = rt.shared ? helperThread(rt) : null;
  if (helper && tasks >= 2) {
    const half = Math.ceil(tasks / 2);
    helper.run(args(job.c, 0, job.k, half, tasks), () => kernels.gemm(...args(job.c, 0, job.k, 0, half)));
    return 0;
  }
  if (helper && job.k >= 2 * SPLIT_K_MIN) {
    const c2 = rt.alloc(cFloats);
    const half = Math.ceil(job.k / 2);
    helper.run(args(c2, half, job.k, 0, tasks), () => kernels.gemm(...args(job.c, 0, half, 0, tasks)));
    return c2;
  }
  kernels.gemm(...args(job.c, 0, job.k, 0, tasks));
  return 0;
}

/** Copies the span of storage an operand reaches into the memory; returns the float index of its offset. */
function stageOperand(rt: WasmRuntime, view: StridedView, tables: OperandTables): number {
  const lo = view.offset + tables.lo;
  const hi = view.offset + tables.hi;
  const at = rt.alloc(hi - lo + 1) / 4;
  rt.heap.set(view.array.subarray(lo, hi + 1), at);
  return at + (view.offset - lo);
}

/** Copies an offset table into the memory; returns its byte address. */
function stageTable(rt: WasmRuntime, table: Int32Array): number {
  const at = rt.alloc(table.length);
  rt.words.set(table, at / 4);
  return at;
}

/** Packs one operand into panels of `width` lines (see kernels.as). */
function packOperand(rt: WasmRuntime, view: StridedView, op: OperandTables, batch: number, lines: number, k: number, width: number): number {
  const src = stageOperand(rt, view, op) * 4;
  const batchTable = stageTable(rt, op.batch);
  const lineTable = stageTable(rt, op.lines);
  const kTable = stageTable(rt, op.k);
  const dst = rt.alloc(batch * Math.ceil(lines / width) * width * k);
  rt.kernels.pack(dst, src, batchTable, batch, lineTable, lines, kTable, k, width);
  return dst;
}

/** mulacc through the GEMM kernel, or null when the pattern does not factor (the caller falls back). */
export function gemmMulacc(a: StridedView, b: StridedView, axes: readonly number[], outSize: number): Float32Array | null {
  const plan = planGemm(a, b, axes, MR, NR);
  if (!plan) return null;
  if (outSize === 0 || plan.k === 0) return new Float32Array(outSize);
  const mPanels = Math.ceil(plan.m / MR);
  const nPanels = Math.ceil(plan.n / NR);
  const flops = 2 * plan.batch * plan.m * plan.n * plan.k;
  const rt = flops >= THREAD_MIN_FLOPS && threadsAllowed() ? sharedRuntime() : wasmRuntime();
  rt.reset();
  const [xView, yView] = plan.swapped ? [b, a] : [a, b];
  const x = packOperand(rt, xView, plan.x, plan.batch, plan.m, plan.k, MR);
  const y = packOperand(rt, yView, plan.y, plan.batch, plan.n, plan.k, NR);
  const cFloats = plan.batch * mPanels * MR * nPanels * NR;
  const c = rt.alloc(cFloats);
  const c2 = multiply(rt, { x, y, c, batch: plan.batch, mPanels, nPanels, k: plan.k }, cFloats);
  const out = rt.alloc(outSize);
  const { rows, cols } = plan.out;
  const columnsOuter = rows.length > 1 && cols.length > 1 && Math.abs(rows[1] - rows[0]) < Math.abs(cols[1] - cols[0]);
  rt.kernels.unpack(out, c, c2, stageTable(rt, plan.out.batch), plan.batch, stageTable(rt, rows), plan.m,
    stageTable(rt, cols), plan.n, mPanels * MR, nPanels * NR, columnsOuter);
  const result = outputArray(outSize);
  result.set(rt.heap.subarray(out / 4, out / 4 + outSize));
  return result;
}
