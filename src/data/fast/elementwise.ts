/**
 * Fast JavaScript loops for the memory-bound ops of a training step: unary, binary, where, gather,
 * scatter, reductions and small mulaccs, on any strided views.
 *
 * A loop plan (strided.ts) walks all views together in long rows. Every op of ops.ts runs here: a
 * generic row calls the op's math from ops.ts per element, so a new op needs nothing in this file.
 * The row tables below are optional speed-ups (partial tables): an op listed there has its math
 * written inline, which V8 compiles to a tight loop. Results are the same numbers as the reference
 * (same math, same float32 rounding); sums accumulate in float64, as the reference's do.
 *
 * May import: ../backend, ../ops, ../shape, ../view, ./strided.
 */
import type { StridedView } from '../backend';
import { binaryMath, reduceMath, unaryMath, type BinaryOp, type ReduceOp, type UnaryOp } from '../ops';
import { numel, rowMajorStrides, type Shape } from '../shape';
import { accumulatorStrides, reducedShape } from '../view';
import { planLoop, rowStarts, type LoopPlan } from './strided';

type F32 = Float32Array<ArrayBufferLike>;
type UnaryRow = (out: F32, o: number, os: number, x: F32, xi: number, xs: number, n: number) => void;
type BinaryRow = (out: F32, o: number, os: number, a: F32, ai: number, as: number, b: F32, bi: number, bs: number, n: number) => void;
type ReduceRow = (acc: Float64Array, o: number, os: number, x: F32, xi: number, xs: number, n: number) => void;

/** The row loop of any unary op: out[o + i·os] = f(x[xi + i·xs]) for i < n, with f from ops.ts. */
export function genericUnaryRow(op: UnaryOp): UnaryRow {
  const f = unaryMath[op];
  return (out, o, os, x, xi, xs, n) => { for (let i = 0; i < n; i++, o += os, xi += xs) out[o] = f(x[xi]); };
}

/** The row loop of any binary op, with its math from ops.ts. */
export function genericBinaryRow(op: BinaryOp): BinaryRow {
  const f = binaryMath[op];
  return (out, o, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++, o += os, ai += as, bi += bs) out[o] = f(a[ai], b[bi]); };
}

/** The row loop of any reduction, folding with its step from ops.ts. */
export function genericReduceRow(op: ReduceOp): ReduceRow {
  const { step } = reduceMath[op];
  return (acc, o, os, x, xi, xs, n) => { for (let i = 0; i < n; i++, o += os, xi += xs) acc[o] = step(acc[o], x[xi]); };
}

// Speed-ups: row loops with the math of ops.ts written inline. An op missing here takes its generic row.
const unaryRows: Partial<Record<UnaryOp, UnaryRow>> = {
  neg: (out, o, os, x, xi, xs, n) => { for (let i = 0; i < n; i++, o += os, xi += xs) out[o] = -x[xi]; },
  exp: (out, o, os, x, xi, xs, n) => { for (let i = 0; i < n; i++, o += os, xi += xs) out[o] = Math.exp(x[xi]); },
  log: (out, o, os, x, xi, xs, n) => { for (let i = 0; i < n; i++, o += os, xi += xs) out[o] = Math.log(x[xi]); },
  sin: (out, o, os, x, xi, xs, n) => { for (let i = 0; i < n; i++, o += os, xi += xs) out[o] = Math.sin(x[xi]); },
  sqrt: (out, o, os, x, xi, xs, n) => { for (let i = 0; i < n; i++, o += os, xi += xs) out[o] = Math.sqrt(x[xi]); },
  recip: (out, o, os, x, xi, xs, n) => { for (let i = 0; i < n; i++, o += os, xi += xs) out[o] = 1 / x[xi]; },
};

const binaryRows: Partial<Record<BinaryOp, BinaryRow>> = {
  add: (out, o, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++, o += os, ai += as, bi += bs) out[o] = a[ai] + b[bi]; },
  sub: (out, o, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++, o += os, ai += as, bi += bs) out[o] = a[ai] - b[bi]; },
  mul: (out, o, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++, o += os, ai += as, bi += bs) out[o] = a[ai] * b[bi]; },
  div: (out, o, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++, o += os, ai += as, bi += bs) out[o] = a[ai] / b[bi]; },
  max: (out, o, os, a, ai, as, b, bi, bs, n) => {
    for (let i = 0; i < n; i++, o += os, ai += as, bi += bs) {
      const x = a[ai];
      const y = b[bi];
      out[o] = x > y || x !== x ? x : y;
    }
  },
  cmplt: (out, o, os, a, ai, as, b, bi, bs, n) => { for (let i = 0; i < n; i++, o += os, ai += as, bi += bs) out[o] = a[ai] < b[bi] ? 1 : 0; },
};

/** Folds a row into accumulators: into one register when the row is reduced (os = 0), else cell by cell. */
const reduceRows: Partial<Record<ReduceOp, ReduceRow>> = {
  sum: (acc, o, os, x, xi, xs, n) => {
    if (os === 0) {
      let s = acc[o];
      for (let i = 0; i < n; i++, xi += xs) s += x[xi];
      acc[o] = s;
    } else {
      for (let i = 0; i < n; i++, o += os, xi += xs) acc[o] += x[xi];
    }
  },
  amax: (acc, o, os, x, xi, xs, n) => {
    if (os === 0) {
      let m = acc[o];
      for (let i = 0; i < n; i++, xi += xs) {
        const v = x[xi];
        if (v > m || v !== v) m = v;
      }
      acc[o] = m;
    } else {
      for (let i = 0; i < n; i++, o += os, xi += xs) {
        const v = x[xi];
        if (v > acc[o] || v !== v) acc[o] = v;
      }
    }
  },
};

/** The rows of a plan: per view, where each row starts (one row when the plan has no outer axes). */
function starts(plan: LoopPlan, offsets: readonly number[]): Int32Array[] {
  return offsets.map((offset, v) => (plan.outerShape.length === 0 ? Int32Array.of(offset) : rowStarts(plan, v, offset)));
}

/** A joint walk over a packed output and input views of one shape: the plan, and where its rows start. */
interface Walk {
  readonly plan: LoopPlan;
  /** Per view (the output first), the start of each row. */
  readonly rows: Int32Array[];
}

/** Plans the walk of an elementwise op writing a packed output over `views`. */
function elementwiseWalk(views: readonly StridedView[]): Walk {
  const { shape } = views[0];
  const plan = planLoop(shape, [rowMajorStrides(shape), ...views.map((v) => v.strides)]);
  return { plan, rows: starts(plan, [0, ...views.map((v) => v.offset)]) };
}

export function unary(op: UnaryOp, x: StridedView): Float32Array {
  const out = new Float32Array(numel(x.shape));
  if (out.length === 0) return out;
  const { plan, rows: [o, xi] } = elementwiseWalk([x]);
  const [os, xs] = plan.rowSteps;
  const row = unaryRows[op] ?? genericUnaryRow(op);
  for (let r = 0; r < o.length; r++) row(out, o[r], os, x.array, xi[r], xs, plan.rowLength);
  return out;
}

export function binary(op: BinaryOp, a: StridedView, b: StridedView): Float32Array {
  const out = new Float32Array(numel(a.shape));
  if (out.length === 0) return out;
  const { plan, rows: [o, ai, bi] } = elementwiseWalk([a, b]);
  const [os, as, bs] = plan.rowSteps;
  const row = binaryRows[op] ?? genericBinaryRow(op);
  for (let r = 0; r < o.length; r++) row(out, o[r], os, a.array, ai[r], as, b.array, bi[r], bs, plan.rowLength);
  return out;
}

export function where(cond: StridedView, a: StridedView, b: StridedView): Float32Array {
  const out = new Float32Array(numel(cond.shape));
  if (out.length === 0) return out;
  const { plan, rows: [o, ci, ai, bi] } = elementwiseWalk([cond, a, b]);
  const [os, cs, as, bs] = plan.rowSteps;
  const c = cond.array;
  const x = a.array;
  const y = b.array;
  const n = plan.rowLength;
  for (let r = 0; r < o.length; r++) {
    for (let i = 0, oo = o[r], cc = ci[r], aa = ai[r], bb = bi[r]; i < n; i++, oo += os, cc += cs, aa += as, bb += bs) {
      out[oo] = c[cc] !== 0 ? x[aa] : y[bb];
    }
  }
  return out;
}

/** Copies the cells of `from` into the cells of `to` (same shape), row by row. */
function copyCells(to: F32, toStrides: Shape, toOffset: number, from: StridedView): void {
  const plan = planLoop(from.shape, [toStrides, from.strides]);
  const [ts, fs] = plan.rowSteps;
  const [t, f] = starts(plan, [toOffset, from.offset]);
  const src = from.array;
  const n = plan.rowLength;
  for (let r = 0; r < t.length; r++) {
    for (let i = 0, tt = t[r], ff = f[r]; i < n; i++, tt += ts, ff += fs) to[tt] = src[ff];
  }
}

export function gather(x: StridedView): Float32Array {
  const out = new Float32Array(numel(x.shape));
  if (out.length > 0) copyCells(out, rowMajorStrides(x.shape), 0, x);
  return out;
}

export function scatter(target: StridedView, source: StridedView): void {
  if (numel(target.shape) === 0) return;
  // Read everything first when both share storage: the writes could overwrite cells still to be read.
  const from: StridedView = source.array.buffer === target.array.buffer
    ? { array: gather(source), shape: source.shape, strides: rowMajorStrides(source.shape), offset: 0 }
    : source;
  copyCells(target.array, target.strides, target.offset, from);
}

export function reduce(op: ReduceOp, x: StridedView, axes: readonly number[]): Float32Array {
  const acc = new Float64Array(numel(reducedShape(x.shape, axes))).fill(reduceMath[op].init);
  if (numel(x.shape) > 0) {
    const plan = planLoop(x.shape, [accumulatorStrides(x.shape, axes), x.strides]);
    const [os, xs] = plan.rowSteps;
    const [o, xi] = starts(plan, [0, x.offset]);
    const row = reduceRows[op] ?? genericReduceRow(op);
    for (let r = 0; r < o.length; r++) row(acc, o[r], os, x.array, xi[r], xs, plan.rowLength);
  }
  return new Float32Array(acc);
}

/** Σ over `axes` of a·b, walked like a sum: for mulaccs too small to be worth a matrix product. */
export function mulacc(a: StridedView, b: StridedView, axes: readonly number[]): Float32Array {
  const acc = new Float64Array(numel(reducedShape(a.shape, axes)));
  if (numel(a.shape) > 0) {
    const plan = planLoop(a.shape, [accumulatorStrides(a.shape, axes), a.strides, b.strides]);
    const [os, as, bs] = plan.rowSteps;
    const [o, ai, bi] = starts(plan, [0, a.offset, b.offset]);
    const x = a.array;
    const y = b.array;
    const n = plan.rowLength;
    for (let r = 0; r < o.length; r++) {
      if (os === 0) {
        let s = acc[o[r]];
        for (let i = 0, aa = ai[r], bb = bi[r]; i < n; i++, aa += as, bb += bs) s += x[aa] * y[bb];
        acc[o[r]] = s;
      } else {
        for (let i = 0, oo = o[r], aa = ai[r], bb = bi[r]; i < n; i++, oo += os, aa += as, bb += bs) acc[oo] += x[aa] * y[bb];
      }
    }
  }
  return new Float32Array(acc);
}
