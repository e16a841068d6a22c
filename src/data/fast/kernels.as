/**
 * The WebAssembly kernels of the fast CPU backend, in AssemblyScript (TypeScript syntax, compiled by
 * `node src/data/fast/buildWasm.mjs` into wasmBinary.ts; the `.as` extension keeps tsc away from it).
 *
 * The JavaScript side (gemm.ts, wasmOps.ts) copies the operands into this module's memory, calls one
 * of these functions, and copies the result out. Function arguments are BYTE addresses; offsets and
 * strides inside a walk descriptor and in offset tables count FLOATS (4 bytes).
 *
 * Sections:
 *   1. GEMM: C = A·Bᵀ for a batch of matrices, f32x4 SIMD, register-tiled and cache-blocked.
 *   2. Packing and unpacking for the GEMM (gathers through offset tables: im2col for convolutions).
 *   3. Walks: elementwise ops, copies and reductions over strided views, described in memory.
 *
 * Op codes. Every switch over an op lists its cases by name (UNARY_NEG, BINARY_ADD, ...: the codes
 * of ops.ts, generated into opCodes.as by buildWasm.mjs) and ends in `default: unreachable()`, a
 * trap that wasmOps.ts turns into an error naming the op. The build checks that all switches of a
 * family list the same ops, and wasmBinary.ts records which ops the kernels handle: the others run
 * in JavaScript (elementwise.ts).
 *
 * Imports: the op codes, and the memory (shared, so worker threads run the same code on the same data).
 */
import { BINARY_ADD, BINARY_SUB, BINARY_MUL, BINARY_DIV, BINARY_MAX, BINARY_CMPLT, UNARY_NEG, UNARY_SQRT, UNARY_RECIP, REDUCE_SUM, REDUCE_AMAX } from './opCodes';

// ---- 1. GEMM --------------------------------------------------------------------------------------
//
// Packed layouts (written by `pack`):
//   A: per batch, ceil(M/MR) panels; panel p holds rows p·MR..p·MR+MR-1 as [K][MR] (k-major, rows interleaved).
//   B: per batch, ceil(N/NR) panels; panel q holds columns q·NR.. as [K][NR].
//   C: per batch, a padded row-major [ceil(M/MR)·MR][ceil(N/NR)·NR] grid of tiles.
// Rows and columns past M and N are zeros in the packs, so every tile is a full MR×NR tile.
//
// Blocking: K is cut into KC-long slices so a B micro-panel slice (KC·NR floats, 8 KiB) stays in L1
// while the MR-row A slices of an M block stream past it from L2. The register tile is MR×NR = 4×8:
// 8 accumulators of 4 lanes, 2 B vectors and one broadcast A value per step (11 of 16 xmm registers).
// Work is cut into tasks (batch × M block × N block) so that threads can take disjoint ranges.

const MR: i32 = 4;
const NR: i32 = 8;
/** K slice length: 256 floats × NR = 8 KiB of B per micro-panel slice. */
const KC: i32 = 256;
/** Panels per M block (MC = 32 rows: 32 KiB of A per K slice, kept in L2; small, so two threads share blocks evenly). */
const MB: i32 = 8;
/** Panels per N block (NC = 256 columns). */
const NB: i32 = 32;

/**
 * c + a·b per lane: one fused multiply-add in the relaxed-SIMD build (buildWasm.mjs compiles both; wasm.ts
 * loads it where the runtime validates it), a multiply then an add otherwise.
 */
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** One MR×NR tile: C[4][8] (=|+=) Σ_k A[k][0..3] ⊗ B[k][0..7]; ldc is C's row stride in bytes. */
@inline
function tile(a: usize, b: usize, c: usize, ldc: usize, kc: i32, accumulate: bool): void {
  let c00 = f32x4.splat(0); let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0); let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0); let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0); let c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let ak = v128.load32_splat(a);
    c00 = madd(ak, b0, c00); c01 = madd(ak, b1, c01);
    ak = v128.load32_splat(a, 4);
    c10 = madd(ak, b0, c10); c11 = madd(ak, b1, c11);
    ak = v128.load32_splat(a, 8);
    c20 = madd(ak, b0, c20); c21 = madd(ak, b1, c21);
    ak = v128.load32_splat(a, 12);
    c30 = madd(ak, b0, c30); c31 = madd(ak, b1, c31);
    a += 16;
    b += 32;
  }
  if (accumulate) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + ldc)); c11 = f32x4.add(c11, v128.load(c + ldc, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * ldc)); c21 = f32x4.add(c21, v128.load(c + 2 * ldc, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * ldc)); c31 = f32x4.add(c31, v128.load(c + 3 * ldc, 16));
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
}

/** Number of tasks a job of this size is cut into (threads take contiguous ranges of them). */
export function taskCount(batch: i32, mPanels: i32, nPanels: i32): i32 {
  return batch * ((mPanels + MB - 1) / MB) * ((nPanels + NB - 1) / NB);
}

/**
 * Runs tasks [first, last) of C = A·Bᵀ over the K range [k0, k1) (kTotal is the packed K length);
 * with `addToC` the products are added to what C holds (a later slice of a K cut into chunks).
 */
export function gemm(a: usize, b: usize, c: usize, mPanels: i32, nPanels: i32, kTotal: i32,
  k0: i32, k1: i32, first: i32, last: i32, addToC: bool): void {
  const mBlocks = (mPanels + MB - 1) / MB;
  const nBlocks = (nPanels + NB - 1) / NB;
  const ldc = <usize>(nPanels * NR) << 2;
  for (let t = first; t < last; t++) {
    const batch = t / (mBlocks * nBlocks);
    const rest = t % (mBlocks * nBlocks);
    const mb = rest / nBlocks;
    const nb = rest % nBlocks;
    const aBatch = a + ((<usize>batch * mPanels * kTotal * MR) << 2);
    const bBatch = b + ((<usize>batch * nPanels * kTotal * NR) << 2);
    const cBatch = c + <usize>batch * mPanels * MR * ldc;
    const pEnd = min(mPanels, (mb + 1) * MB);
    const qEnd = min(nPanels, (nb + 1) * NB);
    // Slices of equal length (at most KC): K = 784 runs as 4 × 196, not 3 × 256 and a short 16.
    const slices = (k1 - k0 + KC - 1) / KC;
    const step = (k1 - k0 + slices - 1) / max(slices, 1);
    for (let ks = k0; ks < k1; ks += step) {
      const kc = min(step, k1 - ks);
      const accumulate = addToC || ks > k0;
      for (let q = nb * NB; q < qEnd; q++) {
        const bp = bBatch + ((<usize>(q * kTotal + ks) * NR) << 2);
        for (let p = mb * MB; p < pEnd; p++) {
          const ap = aBatch + ((<usize>(p * kTotal + ks) * MR) << 2);
          const cp = cBatch + <usize>p * MR * ldc + (<usize>(q * NR) << 2);
          tile(ap, bp, cp, ldc, kc, accumulate);
        }
      }
    }
  }
}

/** Task `task` of gemm (the task as the last argument: the form the worker thread calls). */
export function gemmTask(a: usize, b: usize, c: usize, mPanels: i32, nPanels: i32, kTotal: i32,
  k0: i32, k1: i32, addToC: bool, task: i32): void {
  gemm(a, b, c, mPanels, nPanels, kTotal, k0, k1, task, task + 1, addToC);
}

// ---- 2. Packing and unpacking -----------------------------------------------------------------------

@inline
function f32At(base: usize, index: i32): f32 {
  return load<f32>(base + (<usize>index << 2));
}

@inline
function i32At(base: usize, index: i32): i32 {
  return load<i32>(base + (<usize>index << 2));
}

/**
 * Packs an operand into panels of `width` lines (the layout of section 1): element k of line l of
 * batch b is src[batchTable[b] + lineTable[l] + kTable[k]] (float offsets from `src`); lines past
 * `lines` are zeros. Walks k-major inside a panel, so the writes are sequential; a full panel of 4 or
 * 8 lines keeps its line offsets in registers and stores whole vectors.
 */
export function pack(dst: usize, src: usize, batchTable: usize, batches: i32, lineTable: usize, lines: i32,
  kTable: usize, k: i32, width: i32): void {
  const panels = (lines + width - 1) / width;
  let d = dst;
  for (let b = 0; b < batches; b++) {
    const base = src + (<usize>i32At(batchTable, b) << 2);
    for (let p = 0; p < panels; p++) {
      const first = p * width;
      if (first + width <= lines && (width == 4 || width == 8)) {
        const at = base + (<usize>i32At(lineTable, first) << 2);
        const panel = lineTable + (<usize>first << 2);
        if (width == 4) pack4(d, at, panel, kTable, k);
        else pack8(d, at, panel, kTable, k);
        d += <usize>(k * width) << 2;
        continue;
      }
      for (let kk = 0; kk < k; kk++) {
        const at = base + (<usize>i32At(kTable, kk) << 2);
        for (let r = 0; r < width; r++) {
          const l = first + r;
          store<f32>(d, l < lines ? load<f32>(at + (<usize>i32At(lineTable, l) << 2)) : 0);
          d += 4;
        }
      }
    }
  }
}

/** Panels per pack task: the unit in which two threads share a pack. */
const PACK_TASK_PANELS: i32 = 16;

/** Number of tasks `packTask` cuts a pack into: per batch item, groups of PACK_TASK_PANELS panels. */
export function packTaskCount(batches: i32, lines: i32, width: i32): i32 {
  const panels = (lines + width - 1) / width;
  return batches * ((panels + PACK_TASK_PANELS - 1) / PACK_TASK_PANELS);
}

/** One task of `pack` (arguments as pack's): one batch item's group of panels, written where pack would. */
export function packTask(dst: usize, src: usize, batchTable: usize, batches: i32, lineTable: usize, lines: i32,
  kTable: usize, k: i32, width: i32, task: i32): void {
  const panels = (lines + width - 1) / width;
  const groups = (panels + PACK_TASK_PANELS - 1) / PACK_TASK_PANELS;
  const b = task / groups;
  const p0 = (task % groups) * PACK_TASK_PANELS;
  const l0 = p0 * width;
  const l1 = min(lines, l0 + PACK_TASK_PANELS * width);
  const d = dst + ((<usize>(b * panels + p0) * width * k) << 2);
  pack(d, src, batchTable + (<usize>b << 2), 1, lineTable + (<usize>l0 << 2), l1 - l0, kTable, k, width);
}

/** A full panel of 4 lines: line r starts at at + (panel[r] − panel[0]) floats. */
@inline
function pack4(d: usize, at: usize, panel: usize, kTable: usize, k: i32): void {
  const l0 = i32At(panel, 0);
  const o1 = <usize>(i32At(panel, 1) - l0) << 2;
  const o2 = <usize>(i32At(panel, 2) - l0) << 2;
  const o3 = <usize>(i32At(panel, 3) - l0) << 2;
  if (o1 == 4 && o2 == 8 && o3 == 12) {
    // Consecutive lines (neighbouring pixels of a convolution): one vector load per k.
    for (let kk = 0; kk < k; kk++, d += 16) v128.store(d, v128.load(at + (<usize>i32At(kTable, kk) << 2)));
    return;
  }
  for (let kk = 0; kk < k; kk++, d += 16) {
    const p = at + (<usize>i32At(kTable, kk) << 2);
    let v = f32x4.splat(load<f32>(p));
    v = f32x4.replace_lane(v, 1, load<f32>(p + o1));
    v = f32x4.replace_lane(v, 2, load<f32>(p + o2));
    v = f32x4.replace_lane(v, 3, load<f32>(p + o3));
    v128.store(d, v);
  }
}

/** A full panel of 8 lines. */
@inline
function pack8(d: usize, at: usize, panel: usize, kTable: usize, k: i32): void {
  const l0 = i32At(panel, 0);
  const o1 = <usize>(i32At(panel, 1) - l0) << 2;
  const o2 = <usize>(i32At(panel, 2) - l0) << 2;
  const o3 = <usize>(i32At(panel, 3) - l0) << 2;
  const o4 = <usize>(i32At(panel, 4) - l0) << 2;
  const o5 = <usize>(i32At(panel, 5) - l0) << 2;
  const o6 = <usize>(i32At(panel, 6) - l0) << 2;
  const o7 = <usize>(i32At(panel, 7) - l0) << 2;
  if (o1 == 4 && o2 == 8 && o3 == 12 && o4 == 16 && o5 == 20 && o6 == 24 && o7 == 28) {
    for (let kk = 0; kk < k; kk++, d += 32) {
      const p = at + (<usize>i32At(kTable, kk) << 2);
      v128.store(d, v128.load(p));
      v128.store(d, v128.load(p, 16), 16);
    }
    return;
  }
  for (let kk = 0; kk < k; kk++, d += 32) {
    const p = at + (<usize>i32At(kTable, kk) << 2);
    let v = f32x4.splat(load<f32>(p));
    v = f32x4.replace_lane(v, 1, load<f32>(p + o1));
    v = f32x4.replace_lane(v, 2, load<f32>(p + o2));
    v = f32x4.replace_lane(v, 3, load<f32>(p + o3));
    v128.store(d, v);
    let w = f32x4.splat(load<f32>(p + o4));
    w = f32x4.replace_lane(w, 1, load<f32>(p + o5));
    w = f32x4.replace_lane(w, 2, load<f32>(p + o6));
    w = f32x4.replace_lane(w, 3, load<f32>(p + o7));
    v128.store(d, w, 16);
  }
}

/** Rows of C per block when unpacking down columns. */
const UNPACK_ROWS: i32 = 64;

/**
 * Copies the real cells of C (padded [batch][mp][np]) to out[batchTable[b] + rowTable[m] + colTable[n]],
 * adding a second C (`c2`, when non-zero) holding the other half of a K split. With `columnsOuter` the
 * loop runs down columns, for outputs whose rows are the contiguous direction (a convolution's pixels).
 */
export function unpack(out: usize, c: usize, c2: usize, batchTable: usize, batches: i32, rowTable: usize, m: i32,
  colTable: usize, n: i32, mp: i32, np: i32, columnsOuter: bool): void {
  for (let b = 0; b < batches; b++) {
    const base = out + (<usize>i32At(batchTable, b) << 2);
    const first = b * mp * np;
    if (columnsOuter) {
      // Blocks of UNPACK_ROWS rows, so the part of C read down each column stays in L1.
      for (let i0 = 0; i0 < m; i0 += UNPACK_ROWS) {
        const i1 = min(m, i0 + UNPACK_ROWS);
        for (let j = 0; j < n; j++) {
          const column = base + (<usize>i32At(colTable, j) << 2);
          for (let i = i0; i < i1; i++) {
            const from = first + i * np + j;
            let v = f32At(c, from);
            if (c2 != 0) v += f32At(c2, from);
            store<f32>(column + (<usize>i32At(rowTable, i) << 2), v);
          }
        }
      }
    } else {
      for (let i = 0; i < m; i++) {
        const row = base + (<usize>i32At(rowTable, i) << 2);
        const from = first + i * np;
        for (let j = 0; j < n; j++) {
          let v = f32At(c, from + j);
          if (c2 != 0) v += f32At(c2, from + j);
          store<f32>(row + (<usize>i32At(colTable, j) << 2), v);
        }
      }
    }
  }
}

// ---- 3. Walks over strided views --------------------------------------------------------------------
//
// A walk descriptor at DESC (i32 words) says how to visit the cells of up to four views of one shape
// in rows: [0] outer rank R, [1] row length, [2..2+MAX_RANK) the outer shape, then per view v a block
// of 2 + MAX_RANK words at view(v): its offset (floats from address 0), its step along the row, and its
// strides over the outer axes. `wasmOps.ts` writes it from a loop plan (strided.ts).
//
// Rows come in blocks along the last outer axis, whose offsets just add a stride; an odometer moves
// between blocks. Scalar ops are written without branches (select, bool to float): with random data a
// branch per cell is mispredicted half the time.

export const DESC: usize = 256;
export const MAX_RANK: i32 = 16;
/** The odometer of a walk (R counters), after the descriptor; then the current offset of each view. */
const INDEX: usize = DESC + ((2 + MAX_RANK + 4 * (2 + MAX_RANK)) << 2);
const OFFSETS: usize = INDEX + (<usize>MAX_RANK << 2);

@inline function word(i: i32): i32 { return load<i32>(DESC + (<usize>i << 2)); }
@inline function view(v: i32): i32 { return 2 + MAX_RANK + v * (2 + MAX_RANK); }
@inline function viewStep(v: i32): i32 { return word(view(v) + 1); }
@inline function viewStride(v: i32, d: i32): i32 { return word(view(v) + 2 + d); }
@inline function offsetOf(v: i32): i32 { return load<i32>(OFFSETS + (<usize>v << 2)); }
@inline function setOffset(v: i32, offset: i32): void { store<i32>(OFFSETS + (<usize>v << 2), offset); }
@inline function addr(offset: i32): usize { return <usize>offset << 2; }

// A row step of REPEATED | w (wasmOps.ts): the view's element i / w fills cell i of the row (a view
// broadcast over a pooling window of width w, walked in rows that run across the windows). TILED | w:
// element i % w fills it (a view of one window's cells, broadcast over the windows).
const REPEATED: i32 = 1 << 30;
const TILED: i32 = 1 << 29;
@inline function isRepeated(step: i32): bool { return step >= REPEATED; }
/** True for a repeated or a tiled step. */
@inline function isPatterned(step: i32): bool { return step >= TILED; }
/** Offset of cell i of a row from its start, for any step (plain, repeated or tiled). */
@inline function cellAt(step: i32, i: i32): i32 { return isRepeated(step) ? i / (step & 0xff) : isPatterned(step) ? i % (step & 0xff) : i * step; }
/** True when a view can be read four cells at a time: contiguous, broadcast, or repeated or tiled 2 or 4 times. */
@inline function vectorStep(step: i32): bool {
  return step == 1 || step == 0 || step == (REPEATED | 2) || step == (REPEATED | 4) || step == (TILED | 2) || step == (TILED | 4);
}
/** Cells i..i+3 of a row as one vector (i a multiple of 4; `splat` holds the broadcast value). */
@inline
function cellsAt(base: i32, step: i32, i: i32, splat: v128): v128 {
  if (step == 1) return v128.load(addr(base + i));
  if (step == 0) return splat;
  if (step == (REPEATED | 2)) {
    const pair = v128.load64_zero(addr(base + (i >> 1)));
    return v128.shuffle<i32>(pair, pair, 0, 0, 1, 1);
  }
  if (step == (REPEATED | 4)) return v128.load32_splat(addr(base + (i >> 2)));
  if (step == (TILED | 2)) {
    const pair = v128.load64_zero(addr(base));
    return v128.shuffle<i32>(pair, pair, 0, 1, 0, 1);
  }
  return v128.load(addr(base)); // TILED | 4
}

/** Rows per block: the size of the last outer axis (1 without outer axes). */
@inline function blockRows(): i32 { return word(0) > 0 ? word(2 + word(0) - 1) : 1; }
/** View v's offset step from one row of a block to the next. */
@inline function rowStride(v: i32): i32 { return word(0) > 0 ? viewStride(v, word(0) - 1) : 0; }

/** Puts views 0..views-1 at their first row and zeroes the odometer; returns the number of blocks. */
function startWalk(views: i32): i32 {
  for (let v = 0; v < views; v++) setOffset(v, word(view(v)));
  let rows = 1;
  for (let d = 0; d < word(0); d++) {
    rows *= word(2 + d);
    store<i32>(INDEX + (<usize>d << 2), 0);
  }
  return rows / blockRows();
}

/** Moves the odometer over the outer axes but the last, and the offsets of views 0..views-1, to the next block. */
function nextBlock(views: i32): void {
  for (let d = word(0) - 2; d >= 0; d--) {
    const at = INDEX + (<usize>d << 2);
    const i = load<i32>(at) + 1;
    const size = word(2 + d);
    if (i < size) {
      store<i32>(at, i);
      for (let v = 0; v < views; v++) setOffset(v, offsetOf(v) + viewStride(v, d));
      return;
    }
    store<i32>(at, 0);
    for (let v = 0; v < views; v++) setOffset(v, offsetOf(v) - viewStride(v, d) * (size - 1));
  }
}

// Binary ops. The math matches ops.ts exactly: float32 +, −, ×, ÷ round the same as JavaScript's float64 then
// rounding; max lets a NaN in the first input win; cmplt gives 1 or 0.

@inline
function binaryScalar(op: i32, x: f32, y: f32): f32 {
  switch (op) {
    case BINARY_ADD: return x + y;
    case BINARY_SUB: return x - y;
    case BINARY_MUL: return x * y;
    case BINARY_DIV: return x / y;
    case BINARY_MAX: return select<f32>(x, y, (x > y) | (x != x));
    case BINARY_CMPLT: return <f32>(x < y);
    default: unreachable(); return 0;
  }
}

@inline
function binaryVector(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case BINARY_ADD: return f32x4.add(x, y);
    case BINARY_SUB: return f32x4.sub(x, y);
    case BINARY_MUL: return f32x4.mul(x, y);
    case BINARY_DIV: return f32x4.div(x, y);
    case BINARY_MAX: return v128.bitselect(x, y, v128.or(f32x4.gt(x, y), f32x4.ne(x, x)));
    case BINARY_CMPLT: return v128.and(f32x4.lt(x, y), f32x4.splat(1));
    default: unreachable(); return x;
  }
}

/** One row: out[o + i·os] = x[a + i·as] op y[b + i·bs]; SIMD when out and the inputs are contiguous or broadcast. */
@inline
function binaryRow(op: i32, o: i32, os: i32, a: i32, as: i32, b: i32, bs: i32, n: i32): void {
  if (isPatterned(as) || isPatterned(bs)) {
    binaryRowRepeated(op, o, os, a, as, b, bs, n);
    return;
  }
  let i = 0;
  if (n >= 4 && os == 1 && (as == 1 || as == 0) && (bs == 1 || bs == 0)) {
    const ya = f32x4.splat(load<f32>(addr(a)));
    const yb = f32x4.splat(load<f32>(addr(b)));
    for (; i + 4 <= n; i += 4) {
      const x = as == 1 ? v128.load(addr(a + i)) : ya;
      const y = bs == 1 ? v128.load(addr(b + i)) : yb;
      v128.store(addr(o + i), binaryVector(op, x, y));
    }
  }
  for (; i < n; i++) store<f32>(addr(o + i * os), binaryScalar(op, load<f32>(addr(a + i * as)), load<f32>(addr(b + i * bs))));
}

/** A row in which an input repeats or tiles its cells (see REPEATED, TILED). */
@inline
function binaryRowRepeated(op: i32, o: i32, os: i32, a: i32, as: i32, b: i32, bs: i32, n: i32): void {
  let i = 0;
  if (os == 1 && vectorStep(as) && vectorStep(bs)) {
    const ya = f32x4.splat(load<f32>(addr(a)));
    const yb = f32x4.splat(load<f32>(addr(b)));
    for (; i + 4 <= n; i += 4) v128.store(addr(o + i), binaryVector(op, cellsAt(a, as, i, ya), cellsAt(b, bs, i, yb)));
  }
  for (; i < n; i++) {
    store<f32>(addr(o + i * os), binaryScalar(op, load<f32>(addr(a + cellAt(as, i))), load<f32>(addr(b + cellAt(bs, i)))));
  }
}

/** Walk over views 0 = output, 1 = a, 2 = b, for one op (a constant once inlined: no switch per cell). */
@inline
function binaryWalk(op: i32): void {
  const blocks = startWalk(3);
  const rows = blockRows();
  const n = word(1);
  const os = viewStep(0); const as = viewStep(1); const bs = viewStep(2);
  const o1 = rowStride(0); const a1 = rowStride(1); const b1 = rowStride(2);
  for (let k = 0; k < blocks; k++) {
    let o = offsetOf(0); let a = offsetOf(1); let b = offsetOf(2);
    for (let r = 0; r < rows; r++, o += o1, a += a1, b += b1) binaryRow(op, o, os, a, as, b, bs, n);
    nextBlock(3);
  }
}

export function binary(op: i32): void {
  switch (op) {
    case BINARY_ADD: binaryWalk(BINARY_ADD); break;
    case BINARY_SUB: binaryWalk(BINARY_SUB); break;
    case BINARY_MUL: binaryWalk(BINARY_MUL); break;
    case BINARY_DIV: binaryWalk(BINARY_DIV); break;
    case BINARY_MAX: binaryWalk(BINARY_MAX); break;
    case BINARY_CMPLT: binaryWalk(BINARY_CMPLT); break;
    default: unreachable();
  }
}

// Unary ops done here: neg, sqrt and recip (exp, log and sin stay in JavaScript, whose Math
// functions the reference uses).

@inline
function unaryScalar(op: i32, x: f32): f32 {
  switch (op) {
    case UNARY_NEG: return -x;
    case UNARY_SQRT: return sqrt<f32>(x);
    case UNARY_RECIP: return 1 / x;
    default: unreachable(); return 0;
  }
}

@inline
function unaryVector(op: i32, x: v128): v128 {
  switch (op) {
    case UNARY_NEG: return f32x4.neg(x);
    case UNARY_SQRT: return f32x4.sqrt(x);
    case UNARY_RECIP: return f32x4.div(f32x4.splat(1), x);
    default: unreachable(); return x;
  }
}

/** Walk over views 0 = output, 1 = x, for one op (a constant once inlined). */
@inline
function unaryWalk(op: i32): void {
  const blocks = startWalk(2);
  const rows = blockRows();
  const n = word(1);
  const os = viewStep(0); const xs = viewStep(1);
  const o1 = rowStride(0); const x1 = rowStride(1);
  for (let k = 0; k < blocks; k++) {
    let o = offsetOf(0); let x = offsetOf(1);
    for (let r = 0; r < rows; r++, o += o1, x += x1) {
      let i = 0;
      if (os == 1 && xs == 1) for (; i + 4 <= n; i += 4) v128.store(addr(o + i), unaryVector(op, v128.load(addr(x + i))));
      for (; i < n; i++) store<f32>(addr(o + i * os), unaryScalar(op, load<f32>(addr(x + i * xs))));
    }
    nextBlock(2);
  }
}

export function unary(op: i32): void {
  switch (op) {
    case UNARY_NEG: unaryWalk(UNARY_NEG); break;
    case UNARY_SQRT: unaryWalk(UNARY_SQRT); break;
    case UNARY_RECIP: unaryWalk(UNARY_RECIP); break;
    default: unreachable();
  }
}

/** One row of where: out[o + i·os] = c[..] ≠ 0 ? a[..] : b[..]; SIMD when out is contiguous and the inputs contiguous, broadcast or repeated. */
@inline
function whereRow(o: i32, os: i32, c: i32, cs: i32, a: i32, as: i32, b: i32, bs: i32, n: i32): void {
  let i = 0;
  if (n >= 4 && os == 1 && vectorStep(cs) && vectorStep(as) && vectorStep(bs)) {
    const zero = f32x4.splat(0);
    const c0 = f32x4.splat(load<f32>(addr(c)));
    const a0 = f32x4.splat(load<f32>(addr(a)));
    const b0 = f32x4.splat(load<f32>(addr(b)));
    for (; i + 4 <= n; i += 4) {
      const pick = f32x4.ne(cellsAt(c, cs, i, c0), zero);
      v128.store(addr(o + i), v128.bitselect(cellsAt(a, as, i, a0), cellsAt(b, bs, i, b0), pick));
    }
  }
  for (; i < n; i++) {
    const pick = load<f32>(addr(c + cellAt(cs, i))) != 0;
    store<f32>(addr(o + i * os), select<f32>(load<f32>(addr(a + cellAt(as, i))), load<f32>(addr(b + cellAt(bs, i))), pick));
  }
}

/** Walk over views 0 = output, 1 = cond, 2 = a, 3 = b: out = cond ≠ 0 ? a : b. */
export function where(): void {
  const blocks = startWalk(4);
  const rows = blockRows();
  const n = word(1);
  const os = viewStep(0); const cs = viewStep(1); const as = viewStep(2); const bs = viewStep(3);
  const o1 = rowStride(0); const c1 = rowStride(1); const a1 = rowStride(2); const b1 = rowStride(3);
  for (let k = 0; k < blocks; k++) {
    let o = offsetOf(0); let c = offsetOf(1); let a = offsetOf(2); let b = offsetOf(3);
    for (let r = 0; r < rows; r++, o += o1, c += c1, a += a1, b += b1) whereRow(o, os, c, cs, a, as, b, bs, n);
    nextBlock(4);
  }
}

/** Walk over views 0 = destination, 1 = source: copies cells (gather, scatter), or fills them (a broadcast source). */
export function copy(): void {
  const blocks = startWalk(2);
  const rows = blockRows();
  const n = word(1);
  const ds = viewStep(0); const ss = viewStep(1);
  const d1 = rowStride(0); const s1 = rowStride(1);
  for (let k = 0; k < blocks; k++) {
    let d = offsetOf(0); let s = offsetOf(1);
    for (let r = 0; r < rows; r++, d += d1, s += s1) {
      let i = 0;
      if (ds == 1 && ss == 1) for (; i + 4 <= n; i += 4) v128.store(addr(d + i), v128.load(addr(s + i)));
      if (ds == 1 && ss == 0) {
        const value = v128.load32_splat(addr(s));
        for (; i + 4 <= n; i += 4) v128.store(addr(d + i), value);
      }
      for (; i < n; i++) store<f32>(addr(d + i * ds), load<f32>(addr(s + i * ss)));
    }
    nextBlock(2);
  }
}

/** One step of a reduction: a sum, or a max that lets NaN win. */
@inline
function fold64(op: i32, m: f64, v: f64): f64 {
  switch (op) {
    case REDUCE_SUM: return m + v;
    case REDUCE_AMAX: return select<f64>(v, m, (v > m) | (v != v));
    default: unreachable(); return m;
  }
}

/** fold64 on two lanes at once, without branches (a scalar max is a branch, mispredicted on random data). */
@inline
function fold64x2(op: i32, m: v128, v: v128): v128 {
  switch (op) {
    case REDUCE_SUM: return f64x2.add(m, v);
    case REDUCE_AMAX: return v128.bitselect(v, m, v128.or(f64x2.gt(v, m), f64x2.ne(v, v)));
    default: unreachable(); return m;
  }
}

/**
 * A 2-wide window over a contiguous x: cells 2j and 2j + 1 fold into accumulator j, in that order. Eight
 * cells at a time: their even and odd cells widen to float64 pairs and fold into four accumulators.
 */
@inline
function reducePairs(op: i32, o: usize, x: usize, pairs: i32): void {
  let j = 0;
  for (; j + 4 <= pairs; j += 4, o += 32, x += 32) {
    const low = v128.load(x);
    const high = v128.load(x, 16);
    const even = v128.shuffle<f32>(low, high, 0, 2, 4, 6);
    const odd = v128.shuffle<f32>(low, high, 1, 3, 5, 7);
    const evenHigh = v128.shuffle<f32>(even, even, 2, 3, 2, 3);
    const oddHigh = v128.shuffle<f32>(odd, odd, 2, 3, 2, 3);
    const m0 = fold64x2(op, v128.load(o), f64x2.promote_low_f32x4(even));
    const m1 = fold64x2(op, v128.load(o, 16), f64x2.promote_low_f32x4(evenHigh));
    v128.store(o, fold64x2(op, m0, f64x2.promote_low_f32x4(odd)));
    v128.store(o, fold64x2(op, m1, f64x2.promote_low_f32x4(oddHigh)), 16);
  }
  for (; j < pairs; j++, o += 8, x += 8) {
    const m = fold64(op, load<f64>(o), <f64>load<f32>(x));
    store<f64>(o, fold64(op, m, <f64>load<f32>(x, 4)));
  }
}

/**
 * Folds one row into float64 accumulators: into one register when the row is reduced (os = 0), or one
 * register per run of w cells when the accumulators repeat (a pooling window's width reduced).
 */
@inline
function reduceRow(op: i32, o: usize, os: i32, x: usize, xs: i32, n: i32): void {
  if (isRepeated(os)) {
    const w = os & 0xff;
    if (w == 2 && xs == 1) {
      reducePairs(op, o, x, n / 2);
      return;
    }
    for (let j = 0; j < n / w; j++, o += 8) {
      let m = load<f64>(o);
      for (let r = 0; r < w; r++) m = fold64(op, m, <f64>load<f32>(x + (<usize>cellAt(xs, j * w + r) << 2)));
      store<f64>(o, m);
    }
    return;
  }
  const step = <usize>xs << 2;
  if (os == 0) {
    let m = load<f64>(o);
    for (let i = 0; i < n; i++, x += step) m = fold64(op, m, <f64>load<f32>(x));
    store<f64>(o, m);
  } else {
    const ostep = <usize>os << 3;
    for (let i = 0; i < n; i++, x += step, o += ostep) store<f64>(o, fold64(op, load<f64>(o), <f64>load<f32>(x)));
  }
}

/**
 * Walk over views 0 = accumulators (float64, offsets count 8-byte cells from `acc`; stride 0 on the
 * reduced axes) and 1 = x. Sums run in float64, as the reference's do; the max lets NaN win.
 */
@inline
function reduceWalk(op: i32, acc: usize): void {
  const blocks = startWalk(2);
  const rows = blockRows();
  const n = word(1);
  const os = viewStep(0); const xs = viewStep(1);
  const o1 = rowStride(0); const x1 = rowStride(1);
  for (let k = 0; k < blocks; k++) {
    let o = offsetOf(0); let x = offsetOf(1);
    for (let r = 0; r < rows; r++, o += o1, x += x1) reduceRow(op, acc + (<usize>o << 3), os, addr(x), xs, n);
    nextBlock(2);
  }
}

export function reduce(op: i32, acc: usize): void {
  switch (op) {
    case REDUCE_SUM: reduceWalk(REDUCE_SUM, acc); break;
    case REDUCE_AMAX: reduceWalk(REDUCE_AMAX, acc); break;
    default: unreachable();
  }
}

/** Fills n float64 accumulators with `value`. */
export function fill64(acc: usize, n: i32, value: f64): void {
  for (let i = 0; i < n; i++) store<f64>(acc + (<usize>i << 3), value);
}

/** Rounds n float64 accumulators to float32. */
export function narrow(out: usize, acc: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>load<f64>(acc + (<usize>i << 3)));
}
