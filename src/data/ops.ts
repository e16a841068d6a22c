/**
 * The primitive ops: their names, their numbering, and the per-element math that every backend
 * shares. This file is the one definition of each op: the reference and fast backends call the math
 * tables, and the kernels that cannot (WebAssembly, gpu.js) take their op codes from the lists below.
 *
 * Everything tsgrad computes is built from these ops. A backend implements the compute ops
 * (`Backend` in backend.ts). The movement ops change a view's shape and strides and need no kernel,
 * except pad, which fills a new array, and reshape, which copies when the strides allow no view.
 * The load ops create data, or write it (assign).
 * The tables below are `Record<Op, ...>`, so an op without its math is a compile error.
 *
 * May import: nothing.
 */

/**
 * Elementwise ops with one input, in code order: an op's index in this list is its code in the
 * WebAssembly kernels (fast/kernels.as, via the generated fast/opCodes.as) and the gpu.js kernels.
 * Append a new op here and give it its math in `unaryMath` below.
 */
export const unaryOps = ['neg', 'exp', 'log', 'sin', 'sqrt', 'recip'] as const;
/** Elementwise ops with two inputs of the same shape, in code order. `cmplt` gives 1 where a < b, else 0. */
export const binaryOps = ['add', 'sub', 'mul', 'div', 'max', 'cmplt'] as const;
/** Reductions, in code order (see `ReduceOp`). */
export const reduceOps = ['sum', 'amax'] as const;

/** Elementwise ops with one input. */
export type UnaryOp = (typeof unaryOps)[number];
/** Elementwise ops with two inputs of the same shape. */
export type BinaryOp = (typeof binaryOps)[number];
/** Ops with three inputs: `where(cond, a, b)` and `mulacc(a, b, axes)` = sum over axes of a*b. */
export type TernaryOp = 'where' | 'mulacc';
/** Reductions over a list of axes; reduced axes keep size 1. `amax` is the max-reduction (PyTorch's name). */
export type ReduceOp = (typeof reduceOps)[number];
/** Views of the same storage (pad copies: new cells must be filled; reshape copies when no view fits). */
export type MovementOp = 'reshape' | 'permute' | 'expand' | 'pad' | 'shrink' | 'stride' | 'window';
/** Ops that create data or write it. */
export type LoadOp = 'const' | 'rand' | 'fromArray' | 'generate' | 'assign';
/**
 * Ops that pick rows by number along dim 0: `indexSelect` gathers them into a new tensor,
 * `indexAdd` adds rows into them in place (repeated rows sum). Advanced indexing is built on them.
 */
export type IndexOp = 'indexSelect' | 'indexAdd';

export type OpName = UnaryOp | BinaryOp | TernaryOp | ReduceOp | MovementOp | LoadOp | IndexOp;

/** Per-element math of the unary ops. */
export const unaryMath: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sin: Math.sin,
  sqrt: Math.sqrt,
  recip: (x) => 1 / x,
};

/** Per-element math of the binary ops. */
export const binaryMath: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: (a, b) => (a > b || a !== a ? a : b),
  cmplt: (a, b) => (a < b ? 1 : 0),
};

/** Start value and step of each reduction. `amax` lets NaN win, as PyTorch does. */
export const reduceMath: Record<ReduceOp, { init: number; step: (acc: number, x: number) => number }> = {
  sum: { init: 0, step: (acc, x) => acc + x },
  amax: { init: -Infinity, step: (acc, x) => (x > acc || x !== x ? x : acc) },
};

/** The group of every op. A `Record`, so an op name missing here is a compile error. */
export const opGroup: Record<OpName, 'unary' | 'binary' | 'ternary' | 'reduce' | 'movement' | 'load' | 'index'> = {
  neg: 'unary', exp: 'unary', log: 'unary', sin: 'unary', sqrt: 'unary', recip: 'unary',
  add: 'binary', sub: 'binary', mul: 'binary', div: 'binary', max: 'binary', cmplt: 'binary',
  where: 'ternary', mulacc: 'ternary',
  sum: 'reduce', amax: 'reduce',
  reshape: 'movement', permute: 'movement', expand: 'movement', pad: 'movement', shrink: 'movement', stride: 'movement', window: 'movement',
  const: 'load', rand: 'load', fromArray: 'load', generate: 'load', assign: 'load',
  indexSelect: 'index', indexAdd: 'index',
};

/** The code of each op of a list: its index (`codes(binaryOps).mul` is 2). */
export function codes<Op extends string>(ops: readonly Op[]): Record<Op, number> {
  return Object.fromEntries(ops.map((op, code) => [op, code])) as Record<Op, number>;
}

/** Every op name, for docs and tests that must cover each one. */
export const allOps = Object.keys(opGroup) as OpName[];
