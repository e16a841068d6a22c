/**
 * Differentiable reductions. Reduced axes keep size 1; the tensor layer drops them unless keepdim.
 *
 * May import: src/data, ./function, ./helpers.
 */
import type { TensorData } from '../data';
import { Function } from './function';
import { equal } from './helpers';

/** ∂(Σ x)/∂xᵢ = 1: the gradient is spread back over the reduced axes */
export class Sum extends Function {
  private inputShape: readonly number[] = [];
  constructor(private readonly axes: readonly number[]) {
    super();
  }
  forward(x: TensorData): TensorData {
    this.inputShape = x.shape;
    return x.sum(this.axes);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    return [grad.expand(this.inputShape)];
  }
}

/** ∂(max x)/∂xᵢ = [xᵢ = max] / (number of maxima): ties share the gradient evenly, like torch.amax */
export class Max extends Function {
  constructor(private readonly axes: readonly number[]) {
    super();
  }
  forward(x: TensorData): TensorData {
    const out = x.amax(this.axes);
    this.saveForBackward(x, out);
    return out;
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [x, out] = this.savedTensors;
    const isMax = equal(x, out.expand(x.shape));
    const count = isMax.sum(this.axes);
    return [isMax.mul(grad.div(count).expand(x.shape))];
  }
}
