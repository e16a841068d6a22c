/**
 * The gpu.js kernel functions of the gpu backend, each written once, and the op codes they branch on.
 *
 * gpu.js never calls these functions. It reads their source text and compiles it, to WebAssembly
 * (webasm mode) or to a GLSL fragment shader (headlessgl). So a kernel may use only its arguments,
 * `this.thread.x`, `this.constants`, `Math.*` and local variables:
 * - no closures: the `unaryMath` table of ops.ts cannot be called here, so each op's math is
 *   repeated below as one line, and the tests check every op against the reference backend
 *   (tests/gpu.test.ts) and against PyTorch at 4,096 cells (tests/large.test.ts);
 * - no `Infinity` (GLSL turns it into 3.4e38) and no `isNaN` (unsupported; `v !== v` is used);
 * - no helper functions: gpu.js supports them, but webasm then runs the call one SIMD lane at a
 *   time (a neg kernel over 1e6 cells went from 12 to 52 ms). That is why the same 8 lines of
 *   index math open five kernels instead of living in one helper.
 *
 * One function per arity, one compiled kernel per op. A function holds the math of every op of its
 * arity, one line each (`if (op === this.constants.<name>) return ...`), picked by
 * `this.constants.op`. That code is a compile-time constant, so kernelTable.ts compiles each op into
 * its own kernel and the branch costs nothing at run time. The codes are those of ops.ts (an op's
 * index in its list). No op falls through to another's line: each function ends in a line that
 * no listed op reaches, and kernelTable.ts reads the lines of each function (`kernelCases`)
 * and refuses, naming the op, to create a gpu backend when an op of ops.ts has none.
 *
 * Arrays are Float32Arrays on webasm and GL textures on headlessgl (runner.ts uploads host arrays
 * first); a kernel reads both the same way, `x[index]`.
 *
 * Index math. Every input arrives as (array, offset `xo`, 8 strides `x0..x7`) over the output's
 * shape of exactly 8 dims (sizes n0..n7; n0 is never needed), all passed as scalars: gpu.js
 * recompiles when an array argument changes length, never when a scalar changes. Output cell i is
 * split into its 8 digits i0..i7 by division, last dim first, and reads input cell xo + Σ ik·xk.
 * layout.ts merges and pads views to those 8 dims. The arithmetic is float32, exact below 2^24.
 *
 * May import: gpu.js (types only), ../ops.
 */
import type { IKernelFunctionThis } from 'gpu.js';
import { binaryOps, codes, reduceOps, unaryOps, type BinaryOp, type ReduceOp, type UnaryOp } from '../ops';

/** Op codes of the unary kernel: those of ops.ts, and `copy` (the gather: materialize a view) after them. */
export const unaryCode: Record<UnaryOp | 'copy', number> = { ...codes(unaryOps), copy: unaryOps.length };
/** Op codes of the binary kernel: those of ops.ts. */
export const binaryCode: Record<BinaryOp, number> = codes(binaryOps);
/** Op codes of the reduction kernel: those of ops.ts. */
export const reduceCode: Record<ReduceOp, number> = codes(reduceOps);

/** What `this.constants` holds in a kernel of each family: the op to run, and every code by name. */
export type UnaryConstants = typeof unaryCode & { op: number };
/** `this.constants` of the binary kernel. */
export type BinaryConstants = typeof binaryCode & { op: number };
/** `chunk` is the most cells one output cell reduces (see compute.ts for why reductions are chunked). */
export type ReduceConstants = typeof reduceCode & { op: number; chunk: number };
/** `this.constants` of the mulacc kernel. */
export type MulaccConstants = { chunk: number };

/**
 * The ops a kernel function has a line for: every `op === this.constants.<name>` in its source.
 * kernelTable.ts checks these against the code tables above before creating any kernel.
 */
export function kernelCases(kernel: (...args: never[]) => unknown): string[] {
  return [...new Set([...kernel.toString().matchAll(/op === this\.constants\.(\w+)/g)].map((match) => match[1]))];
}

/** out[i] = op(x[view of cell i]). */
export function unaryKernel(
  this: IKernelFunctionThis<UnaryConstants>, x: Float32Array,
  n1: number, n2: number, n3: number, n4: number, n5: number, n6: number, n7: number,
  xo: number, x0: number, x1: number, x2: number, x3: number, x4: number, x5: number, x6: number, x7: number,
): number {
  let r = this.thread.x;
  let q = Math.floor(r / n7); const i7 = r - q * n7; r = q;
  q = Math.floor(r / n6); const i6 = r - q * n6; r = q;
  q = Math.floor(r / n5); const i5 = r - q * n5; r = q;
  q = Math.floor(r / n4); const i4 = r - q * n4; r = q;
  q = Math.floor(r / n3); const i3 = r - q * n3; r = q;
  q = Math.floor(r / n2); const i2 = r - q * n2; r = q;
  q = Math.floor(r / n1); const i1 = r - q * n1; const i0 = q;
  const v = x[xo + i0 * x0 + i1 * x1 + i2 * x2 + i3 * x3 + i4 * x4 + i5 * x5 + i6 * x6 + i7 * x7];
  const op = this.constants.op;
  if (op === this.constants.neg) return -v;
  if (op === this.constants.exp) return Math.exp(v);
  if (op === this.constants.log) return Math.log(v);
  if (op === this.constants.sin) return Math.sin(v);
  if (op === this.constants.sqrt) return Math.sqrt(v);
  if (op === this.constants.recip) return 1 / v;
  if (op === this.constants.copy) return v;
  return 0; // no line for this op: never reached, kernelTable.ts creates no kernel for it
}

/** out[i] = op(a[view of cell i], b[view of cell i]). */
export function binaryKernel(
  this: IKernelFunctionThis<BinaryConstants>, a: Float32Array, b: Float32Array,
  n1: number, n2: number, n3: number, n4: number, n5: number, n6: number, n7: number,
  ao: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number, a6: number, a7: number,
  bo: number, b0: number, b1: number, b2: number, b3: number, b4: number, b5: number, b6: number, b7: number,
): number {
  let r = this.thread.x;
  let q = Math.floor(r / n7); const i7 = r - q * n7; r = q;
  q = Math.floor(r / n6); const i6 = r - q * n6; r = q;
  q = Math.floor(r / n5); const i5 = r - q * n5; r = q;
  q = Math.floor(r / n4); const i4 = r - q * n4; r = q;
  q = Math.floor(r / n3); const i3 = r - q * n3; r = q;
  q = Math.floor(r / n2); const i2 = r - q * n2; r = q;
  q = Math.floor(r / n1); const i1 = r - q * n1; const i0 = q;
  const u = a[ao + i0 * a0 + i1 * a1 + i2 * a2 + i3 * a3 + i4 * a4 + i5 * a5 + i6 * a6 + i7 * a7];
  const v = b[bo + i0 * b0 + i1 * b1 + i2 * b2 + i3 * b3 + i4 * b4 + i5 * b5 + i6 * b6 + i7 * b7];
  const op = this.constants.op;
  if (op === this.constants.add) return u + v;
  if (op === this.constants.sub) return u - v;
  if (op === this.constants.mul) return u * v;
  if (op === this.constants.div) return u / v;
  if (op === this.constants.max) return u > v || u !== u ? u : v; // NaN wins, as in ops.ts
  if (op === this.constants.cmplt) return u < v ? 1 : 0;
  return 0; // no line for this op: never reached, kernelTable.ts creates no kernel for it
}

/** out[i] = c[view] !== 0 ? a[view] : b[view]. */
export function whereKernel(
  this: IKernelFunctionThis, c: Float32Array, a: Float32Array, b: Float32Array,
  n1: number, n2: number, n3: number, n4: number, n5: number, n6: number, n7: number,
  co: number, c0: number, c1: number, c2: number, c3: number, c4: number, c5: number, c6: number, c7: number,
  ao: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number, a6: number, a7: number,
  bo: number, b0: number, b1: number, b2: number, b3: number, b4: number, b5: number, b6: number, b7: number,
): number {
  let r = this.thread.x;
  let q = Math.floor(r / n7); const i7 = r - q * n7; r = q;
  q = Math.floor(r / n6); const i6 = r - q * n6; r = q;
  q = Math.floor(r / n5); const i5 = r - q * n5; r = q;
  q = Math.floor(r / n4); const i4 = r - q * n4; r = q;
  q = Math.floor(r / n3); const i3 = r - q * n3; r = q;
  q = Math.floor(r / n2); const i2 = r - q * n2; r = q;
  q = Math.floor(r / n1); const i1 = r - q * n1; const i0 = q;
  const cond = c[co + i0 * c0 + i1 * c1 + i2 * c2 + i3 * c3 + i4 * c4 + i5 * c5 + i6 * c6 + i7 * c7];
  if (cond !== 0) return a[ao + i0 * a0 + i1 * a1 + i2 * a2 + i3 * a3 + i4 * a4 + i5 * a5 + i6 * a6 + i7 * a7];
  return b[bo + i0 * b0 + i1 * b1 + i2 * b2 + i3 * b3 + i4 * b4 + i5 * b5 + i6 * b6 + i7 * b7];
}

/**
 * One pass of a reduction over the last dim of x (`length` cells, `step` apart). Output cell
 * i = outer·chunks + chunk reduces cells [chunk·C, chunk·C + C) of that dim, C = `this.constants.chunk`,
 * for the outer cell `outer` (whose 8 dims and strides are n1..n7 and xo, x0..x7).
 */
export function reduceKernel(
  this: IKernelFunctionThis<ReduceConstants>, x: Float32Array, length: number, step: number, chunks: number,
  n1: number, n2: number, n3: number, n4: number, n5: number, n6: number, n7: number,
  xo: number, x0: number, x1: number, x2: number, x3: number, x4: number, x5: number, x6: number, x7: number,
): number {
  let r = Math.floor(this.thread.x / chunks);
  const chunk = this.thread.x - r * chunks;
  let q = Math.floor(r / n7); const i7 = r - q * n7; r = q;
  q = Math.floor(r / n6); const i6 = r - q * n6; r = q;
  q = Math.floor(r / n5); const i5 = r - q * n5; r = q;
  q = Math.floor(r / n4); const i4 = r - q * n4; r = q;
  q = Math.floor(r / n3); const i3 = r - q * n3; r = q;
  q = Math.floor(r / n2); const i2 = r - q * n2; r = q;
  q = Math.floor(r / n1); const i1 = r - q * n1; const i0 = q;
  const start = chunk * this.constants.chunk;
  let count = length - start; // an argument-bound loop: gpu.js caps it at loopMaxIterations = chunk
  if (count > this.constants.chunk) count = this.constants.chunk;
  let at = xo + i0 * x0 + i1 * x1 + i2 * x2 + i3 * x3 + i4 * x4 + i5 * x5 + i6 * x6 + i7 * x7 + start * step;
  let acc = x[at]; // a chunk is never empty; starting from its first cell needs no -Infinity
  const op = this.constants.op;
  for (let j = 1; j < count; j++) {
    at += step;
    const v = x[at];
    if (op === this.constants.sum) acc += v;
    else if (op === this.constants.amax) acc = v > acc || v !== v ? v : acc; // NaN wins, as in ops.ts
    else acc = 0; // no line for this op: never reached (kernelTable.ts)
  }
  return acc;
}

/** reduceKernel's sum pass over a·b: the first pass of mulacc (later passes are sums). */
export function mulaccKernel(
  this: IKernelFunctionThis<MulaccConstants>, a: Float32Array, b: Float32Array,
  length: number, aStep: number, bStep: number, chunks: number,
  n1: number, n2: number, n3: number, n4: number, n5: number, n6: number, n7: number,
  ao: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number, a6: number, a7: number,
  bo: number, b0: number, b1: number, b2: number, b3: number, b4: number, b5: number, b6: number, b7: number,
): number {
  let r = Math.floor(this.thread.x / chunks);
  const chunk = this.thread.x - r * chunks;
  let q = Math.floor(r / n7); const i7 = r - q * n7; r = q;
  q = Math.floor(r / n6); const i6 = r - q * n6; r = q;
  q = Math.floor(r / n5); const i5 = r - q * n5; r = q;
  q = Math.floor(r / n4); const i4 = r - q * n4; r = q;
  q = Math.floor(r / n3); const i3 = r - q * n3; r = q;
  q = Math.floor(r / n2); const i2 = r - q * n2; r = q;
  q = Math.floor(r / n1); const i1 = r - q * n1; const i0 = q;
  const start = chunk * this.constants.chunk;
  let count = length - start; // an argument-bound loop: gpu.js caps it at loopMaxIterations = chunk
  if (count > this.constants.chunk) count = this.constants.chunk;
  let pa = ao + i0 * a0 + i1 * a1 + i2 * a2 + i3 * a3 + i4 * a4 + i5 * a5 + i6 * a6 + i7 * a7 + start * aStep;
  let pb = bo + i0 * b0 + i1 * b1 + i2 * b2 + i3 * b3 + i4 * b4 + i5 * b5 + i6 * b6 + i7 * b7 + start * bStep;
  let acc = 0;
  for (let j = 0; j < count; j++) {
    acc += a[pa] * b[pb];
    pa += aStep;
    pb += bStep;
  }
  return acc;
}

/**
 * The new contents of a target array after writing into one view of it. Cells outside
 * [start, start + span) keep their old value. Cell i = start + r of that range belongs to the view
 * when dividing r by the view's strides t0..t7 (sorted from largest to smallest; see layout.ts) gives
 * digits below the sizes n0..n7 and no remainder; it then takes the source value of those digits,
 * else keeps its old value. scatter.ts passes either the whole target (output: all of it) or just
 * the touched range with start 0.
 */
export function scatterKernel(
  this: IKernelFunctionThis, target: Float32Array, source: Float32Array, start: number, span: number,
  n0: number, n1: number, n2: number, n3: number, n4: number, n5: number, n6: number, n7: number,
  t0: number, t1: number, t2: number, t3: number, t4: number, t5: number, t6: number, t7: number,
  so: number, s0: number, s1: number, s2: number, s3: number, s4: number, s5: number, s6: number, s7: number,
): number {
  let r = this.thread.x - start;
  if (r < 0 || r >= span) return target[this.thread.x];
  let inside = 1;
  let at = so;
  let d = Math.floor(r / t0); r -= d * t0; at += d * s0; if (d >= n0) inside = 0;
  d = Math.floor(r / t1); r -= d * t1; at += d * s1; if (d >= n1) inside = 0;
  d = Math.floor(r / t2); r -= d * t2; at += d * s2; if (d >= n2) inside = 0;
  d = Math.floor(r / t3); r -= d * t3; at += d * s3; if (d >= n3) inside = 0;
  d = Math.floor(r / t4); r -= d * t4; at += d * s4; if (d >= n4) inside = 0;
  d = Math.floor(r / t5); r -= d * t5; at += d * s5; if (d >= n5) inside = 0;
  d = Math.floor(r / t6); r -= d * t6; at += d * s6; if (d >= n6) inside = 0;
  d = Math.floor(r / t7); r -= d * t7; at += d * s7; if (d >= n7) inside = 0;
  if (inside === 1 && r === 0) return source[at];
  return target[this.thread.x];
}

/** out[i] = x[i]: on headlessgl, copies a host array into a texture (the upload). */
export function copyKernel(this: IKernelFunctionThis, x: Float32Array): number {
  return x[this.thread.x];
}
