/**
 * The compute ops of the gpu backend over kernel views (host arrays or textures), each returning
 * kernel data: elementwise ops and gathers as one kernel run, reductions and mulacc as passes.
 *
 * Reductions run in passes over one dim, each output cell reducing at most REDUCE_CHUNK cells: a
 * loop whose bound is an argument stops silently at `loopMaxIterations` (set to REDUCE_CHUNK), and
 * GL stops a shader after 65,535 loop iterations whatever that setting says. A longer dim leaves one
 * partial result per chunk, reduced by the next pass.
 *
 * May import: ../backend, ../ops, ../shape, ../view, ./kernelTable, ./layout, ./runner.
 */
import type { ComputeOps } from '../backend';
import { reduceMath, type ReduceOp } from '../ops';
import { numel, rowMajorStrides, type Shape } from '../shape';
import { keptAxes, mergeAxes } from '../view';
import { REDUCE_CHUNK, type Kernel } from './kernelTable';
import { checkIndexRange, elementwiseLayout, inputArgs, reduceLayout, shapeArgs } from './layout';
import { checkSameShapes, type KernelData, type KernelRunner, type KernelView } from './runner';

/** A reduction as one kind of pass: mulacc's first pass multiplies, later ones are sums. */
type ReduceKind = ReduceOp | 'mulacc';

/** The ops over kernel views, for both faces of the backend (host arrays, device buffers). */
export function computeOps(runner: KernelRunner): ComputeOps<KernelView, KernelData> {
  const { kernels } = runner;
  return {
    unary: (op, x) => elementwise(runner, op, kernels.unary[op], [x]),
    binary: (op, a, b) => elementwise(runner, op, kernels.binary[op], [a, b]),
    where: (cond, a, b) => elementwise(runner, 'where', kernels.where, [cond, a, b]),
    mulacc: (a, b, axes) => reduceOver(runner, 'mulacc', [a, b], axes),
    reduce: (op, x, axes) => reduceOver(runner, op, [x], axes),
    gather: (x) => elementwise(runner, 'gather', kernels.unary.copy, [x]),
  };
}

/** Unary, binary, where and gather: one output cell per cell of the (common) shape. */
function elementwise(runner: KernelRunner, op: string, kernel: Kernel, views: readonly KernelView[]): KernelData {
  checkSameShapes(op, views);
  const { shape } = views[0];
  const cells = numel(shape);
  if (cells === 0) return new Float32Array(0);
  checkIndexRange(op, 'an output', cells, shape);
  return runner.scoped((temps) => {
    const layout = elementwiseLayout(op, shape, views.map((view) => runner.ready(op, view, temps)));
    const arrays = layout.inputs.map((input) => input.array);
    return runner.run(kernel, op, cells, [...arrays, ...shapeArgs(layout), ...layout.inputs.flatMap(inputArgs)]);
  });
}

/**
 * Reduces `views` (one shape) over `axes`: the reduced dims are moved last and merged where the
 * memory allows, then each pass reduces the last dim, REDUCE_CHUNK cells at most per output cell.
 */
function reduceOver(runner: KernelRunner, kind: ReduceKind, views: readonly KernelView[], axes: readonly number[]): KernelData {
  checkSameShapes(kind, views);
  const { shape } = views[0];
  const kept = keptAxes(shape.length, axes);
  const order = [...kept, ...axes];
  const outCells = numel(kept.map((k) => shape[k]));
  if (numel(shape) === 0) return new Float32Array(outCells).fill(kind === 'mulacc' ? 0 : reduceMath[kind].init);
  const merged = mergeAxes(
    order.map((k) => shape[k]),
    views.map((view) => order.map((k) => view.strides[k])),
    order.map((_, i) => (i < kept.length ? 0 : 1)),
  );
  const reducing = merged.groups.filter((group) => group === 1).length;
  return runner.scoped((temps) => {
    const inputs = views.map((view, v) => runner.ready(kind, { ...view, shape: merged.shape, strides: merged.stridesOf[v] }, temps));
    // With every reduced dim of size 1 there is nothing to add up.
    if (reducing === 0) {
      return kind === 'mulacc'
        ? elementwise(runner, 'mulacc', runner.kernels.binary.mul, inputs)
        : elementwise(runner, kind, runner.kernels.unary.copy, inputs);
    }
    return passes(runner, kind, merged.shape, inputs, reducing);
  });
}

/** The passes of a reduction over the last `reducing` dims; each intermediate result is freed after use. */
function passes(runner: KernelRunner, kind: ReduceKind, shape: Shape, views: KernelView[], reducing: number): KernelData {
  let [dims, inputs, left, pass] = [shape, views, reducing, kind];
  for (;;) {
    const chunks = Math.ceil(dims[dims.length - 1] / REDUCE_CHUNK);
    const out = reducePass(runner, pass, dims, inputs, chunks);
    if (inputs !== views) runner.free(inputs[0].array);
    dims = chunks === 1 ? dims.slice(0, -1) : [...dims.slice(0, -1), chunks];
    if (chunks === 1) left--;
    if (left === 0) return out;
    inputs = [{ array: out, shape: dims, strides: rowMajorStrides(dims), offset: 0 }];
    pass = pass === 'mulacc' ? 'sum' : pass;
  }
}

/** One pass over the last dim of `views` (all of `shape`), in `chunks` pieces per outer cell. */
function reducePass(runner: KernelRunner, kind: ReduceKind, shape: Shape, views: KernelView[], chunks: number): KernelData {
  const layout = reduceLayout(kind, shape, views);
  const cells = numel(shape.slice(0, -1)) * chunks;
  const kernel = kind === 'mulacc' ? runner.kernels.mulacc : runner.kernels.reduce[kind];
  const arrays = layout.inputs.map((input) => input.array);
  const args = [...arrays, layout.length, ...layout.steps, chunks, ...shapeArgs(layout), ...layout.inputs.flatMap(inputArgs)];
  return runner.run(kernel, kind, cells, args);
}
