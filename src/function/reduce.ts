/**
 * Differentiable reductions over a list of axes. With keepdim the reduced axes stay as size 1,
 * otherwise they are dropped (the gradient is reshaped back before it is spread out).
 *
 * May import: src/data, ./function, ./helpers.
 */
import type { TensorData } from '../data';
import { Function } from './function';
import { fill } from './helpers';

/** Shared by Sum and Max: the axes, and the input and kept-dims shapes needed to undo the reduction. */
abstract class Reduction extends Function {
  protected inputShape: readonly number[] = [];
  protected keptShape: readonly number[] = [];
  constructor(protected readonly axes: readonly number[], private readonly keepdim: boolean) {
    super();
  }
  /** Applies a keepdim reduction's result shape, dropping the reduced axes unless keepdim. */
  protected finish(x: TensorData, reduced: TensorData): TensorData {
    this.inputShape = x.shape;
    this.keptShape = reduced.shape;
    return this.keepdim ? reduced : reduced.reshape(reduced.shape.filter((_, i) => !this.axes.includes(i)));
  }
  /** The gradient with the reduced axes back as size 1. */
  protected kept(grad: TensorData): TensorData {
    return grad.reshape(this.keptShape);
  }
}

/** ∂(Σ x)/∂xᵢ = 1: the gradient is spread back over the reduced axes */
export class Sum extends Reduction {
  forward(x: TensorData): TensorData {
    return this.finish(x, x.sum(this.axes));
  }
  backward(grad: TensorData): (TensorData | null)[] {
    return [this.kept(grad).expand(this.inputShape)];
  }
}

/** ∂(max x)/∂xᵢ = [xᵢ = max] / (number of maxima): ties share the gradient evenly, like torch.amax */
export class Max extends Reduction {
  forward(x: TensorData): TensorData {
    const out = x.amax(this.axes);
    this.saveForBackward(x, out);
    return this.finish(x, out);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [x, out] = this.savedTensors;
    // x ≤ max everywhere, so [x = max] = 1 − [x < max]: one comparison finds the cells that lose.
    const loses = x.cmplt(out.expand(x.shape));
    const cells = x.shape.reduce((n, d, i) => (this.axes.includes(i) ? n * d : n), 1);
    const count = fill(cells, out).sub(loses.sum(this.axes));
    const share = this.kept(grad).div(count).expand(x.shape);
    return [loses.where(fill(0, x), share)];
  }
}
