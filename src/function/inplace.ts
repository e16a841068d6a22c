/**
 * The Functions that in-place ops and views add to the graph.
 *
 * - `Overwrite`: copy_ and fill_ replace every value; the old values get a zero gradient.
 * - `CopySlices` (PyTorch's name): an in-place op through a view writes part of its base; the
 *   base's new history is "the old base, with the view's cells replaced by the op's result".
 * - `ViewReplay`: a view whose base changed in place reads the base's new history through the
 *   same movement ops as before.
 * A view is described by its chain of movement Functions (Reshape, Permute, Shrink, Stride, ...),
 * replayed on other data with their `forward` and undone with their `backward`; these Functions
 * keep no values, only shapes, so replaying them is safe.
 *
 * May import: src/data, ./function, ./helpers.
 */
import { formatShape, type TensorData } from '../data';
import { Function } from './function';
import { zeros } from './helpers';

/** The cells of `base` that a view chain reaches, as a view of `base` itself (throws if the chain copies). */
export function viewInto(chain: readonly Function[], base: TensorData): TensorData {
  const view = chain.reduce((d, fn) => fn.forward(d), base);
  if (!view.sharesStorageWith(base)) {
    throw new Error(`in-place: the view ${chain.map((fn) => fn.name.replace(/Backward$/, '')).join(' → ')} of a base of shape ${formatShape(base.shape)} copies when replayed on packed data, so a write through it cannot be traced; clone() the view first`);
  }
  return view;
}

/** out = the source's values; ∂/∂old = 0, ∂/∂source = 1 (copy_ and fill_) */
export class Overwrite extends Function {
  constructor(private readonly opName: 'CopyBackwards' | 'FillBackward') {
    super();
  }
  get name(): string {
    return this.opName;
  }
  forward(old: TensorData, source: TensorData): TensorData {
    return source.clone();
  }
  backward(grad: TensorData): (TensorData | null)[] {
    return [this.needsInputGrad[0] ? zeros(grad.shape) : null, grad];
  }
}

/** out = base with the view's cells replaced by `value`; ∂/∂base = the gradient with those cells zeroed, ∂/∂value = the gradient's view */
export class CopySlices extends Function {
  constructor(private readonly chain: readonly Function[]) {
    super();
  }
  get name(): string {
    return 'CopySlices';
  }
  forward(base: TensorData, value: TensorData): TensorData {
    const out = base.clone();
    viewInto(this.chain, out).assign(value);
    return out;
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const baseGrad = grad.clone();
    const region = viewInto(this.chain, baseGrad);
    const valueGrad = region.clone();
    region.assign(zeros(region.shape));
    return [this.needsInputGrad[0] ? baseGrad : null, valueGrad];
  }
}

/** out = the view chain applied to the base; ∂/∂base = the chain's backwards, in reverse order */
export class ViewReplay extends Function {
  constructor(private readonly chain: readonly Function[]) {
    super();
  }
  forward(base: TensorData): TensorData {
    return this.chain.reduce((d, fn) => fn.forward(d), base);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    return [this.chain.reduceRight((g, fn) => fn.backward(g)[0] as TensorData, grad)];
  }
}
