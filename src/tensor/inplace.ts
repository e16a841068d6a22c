/**
 * In-place ops (PyTorch's trailing underscore) and the graph: `add_`, `sub_`, `mul_`, `div_`,
 * `copy_`, `fill_` (and `zero_`, which is `fill_(0)`); `indexPut_` (indexing.ts) takes the same path.
 *
 * The new values are computed out of place and written back with `TensorData.assign`, which raises
 * the storage's version (shared by every view of it). With grad mode on, when the tensor or the
 * other operand requires grad, the op also joins the tensor's history, as in PyTorch:
 * - on a tensor that is not a view, a new node reads the tensor's old node (its history so far)
 *   and the operand, and becomes the tensor's node;
 * - on a view (made by reshape, permute, narrow, slice, ...), the op's node reads the view's old
 *   node, and the base gets a `CopySlices` node: the old base with the view's cells replaced. The
 *   view then reads the base's new node (see `Tensor.node`).
 * A leaf that requires grad, and any view of one, refuses outside `noGrad`: its `.grad` would be
 * the gradient of values it no longer holds.
 *
 * May import: src/data, src/function, ./gradMode, ./tensor (used at call time only).
 */
import { formatShape, shapesEqual, TensorData } from '../data';
import * as F from '../function';
import { isGradEnabled } from './gradMode';
import { broadcastShapes, graphInputOf, recordNode, Tensor, type ViewLink } from './tensor';

/** The in-place ops. */
export type InPlaceOp = 'add_' | 'sub_' | 'mul_' | 'div_' | 'copy_' | 'fill_';

/** The out-of-place Function that computes an in-place op's new values. */
function functionFor(op: InPlaceOp): F.Function {
  switch (op) {
    case 'add_': return new F.Add();
    case 'sub_': return new F.Sub();
    case 'mul_': return new F.Mul();
    case 'div_': return new F.Div();
    case 'copy_': return new F.Overwrite('CopyBackwards');
    case 'fill_': return new F.Overwrite('FillBackward');
  }
}

/** Writes `op(target, other)` into `target` and, when that is recorded, into its history. */
export function inPlace(target: Tensor, op: InPlaceOp, other: Tensor): void {
  if (!(other instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor or a number, got ${String(other)}`);
  if (op === 'fill_' && other.numel() !== 1) {
    throw new RangeError(`fill_: the value must be a number or a one-element tensor, got shape ${formatShape(other.shape)}`);
  }
  const shape = broadcastShapes(target.shape, other.shape, op);
  if (!shapesEqual(shape, target.shape)) {
    throw new RangeError(`${op}: the other operand ${formatShape(other.shape)} would broadcast this tensor ${formatShape(target.shape)} to ${formatShape(shape)}; an in-place result must keep this tensor's shape`);
  }
  // Mul and Div save their inputs: they get a copy of the old values, which the write replaces.
  writeInPlace(target, op, functionFor(op), other.expand(target.shape), op === 'mul_' || op === 'div_');
}

/**
 * The one path of every in-place op (`indexPut_` too): writes `fn(target, operand)` into target's
 * storage and, when grad mode is on and target or operand requires grad, records `fn` in target's
 * history (and, through a view, a CopySlices node in its base's). `copyOld` gives `fn` a copy of
 * the old values, for Functions that save them.
 */
export function writeInPlace(target: Tensor, op: string, fn: F.Function, operand: Tensor, copyOld = false): void {
  const recording = isGradEnabled() && (target.requiresGrad || operand.requiresGrad);
  if (isGradEnabled()) refuseUntracedWrites(target, op, operand);
  if (!recording) {
    fn.needsInputGrad = [false, false];
    target.data.assign(fn.forward(target.data, operand.data));
    return;
  }
  const view = target.viewOf;
  if (view !== null) checkWritableView(target, op, view);
  const inputs = [graphInputOf(target), graphInputOf(operand)];
  fn.needsInputGrad = [target.requiresGrad, operand.requiresGrad];
  const result = fn.forward(copyOld ? target.data.clone() : target.data, operand.data);
  if (view === null) {
    target.data.assign(result);
    target.node = recordNode(fn, inputs, target);
    return;
  }
  const base = view.base;
  const baseInput = graphInputOf(base);
  target.data.assign(result);
  const written = recordNode(fn, inputs, target);
  const copySlices = new F.CopySlices(view.chain);
  copySlices.needsInputGrad = [base.requiresGrad, true];
  base.node = recordNode(copySlices, [baseInput, written], base);
}

/**
 * With grad mode on, writes that the graph could not record are refused: into a leaf that requires
 * grad or a view of one (allowed in noGrad, which is how optimizers update weights), and through a
 * view made inside noGrad when its base or the operand requires grad (as PyTorch refuses too).
 */
function refuseUntracedWrites(target: Tensor, op: string, other: Tensor): void {
  if (target.isLeaf && target.requiresGrad) {
    throw new Error(`${op}: cannot modify a leaf tensor that requires grad in place; wrap the update in noGrad(() => ...) or use the out-of-place op`);
  }
  const base = target.viewOf?.base;
  if (base !== undefined && base.isLeaf && base.requiresGrad) {
    throw new Error(
      `${op}: cannot modify a view of a leaf tensor that requires grad in place (the view has shape ${formatShape(target.shape)}, the leaf ${formatShape(base.shape)}): ` +
      'the leaf\'s .grad would belong to values it no longer holds; wrap the update in noGrad(() => ...) or clone() the view first',
    );
  }
  if (target.viewOf?.madeInNoGrad && (target.viewOf.base.requiresGrad || other.requiresGrad)) {
    throw new Error(
      `${op}: this view (shape ${formatShape(target.shape)}) was made inside noGrad and is being modified in place with grad mode on, ` +
      'so its base\'s history cannot record the write; make the view outside noGrad, or do the write inside noGrad too',
    );
  }
}

/** Refused before anything is written: a view that reads one cell several times (expand, pooling windows), and one that cannot be replayed. */
function checkWritableView(target: Tensor, op: string, view: ViewLink): void {
  const shared = view.chain.find((fn) => fn instanceof F.Expand || fn instanceof F.Window);
  if (shared) {
    throw new Error(
      `${op}: cannot write in place through a view made by ${shared.name.replace(/Backward$/, '')} (shape ${formatShape(target.shape)}): ` +
      'several of its cells are one cell of the base; clone() it first',
    );
  }
  F.viewInto(view.chain, TensorData.const(0, view.base.shape).clone());
}
