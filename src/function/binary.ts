/**
 * Differentiable elementwise ops with two or three inputs of one shape (the tensor layer broadcasts
 * them first with Expand).
 *
 * May import: src/data, ./function, ./helpers.
 */
import type { TensorData } from '../data';
import { Function } from './function';
import { equal, fill, zeros } from './helpers';

/** What Mul and Div keep in place of an input no needed gradient reads (as in PyTorch, which saves only what backward uses). */
const notSaved = zeros([]);

/** ∂(a+b)/∂a = 1, ∂(a+b)/∂b = 1 */
export class Add extends Function {
  forward(a: TensorData, b: TensorData): TensorData {
    return a.add(b);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    return [this.needsInputGrad[0] ? grad : null, this.needsInputGrad[1] ? grad : null];
  }
}

/** ∂(a−b)/∂a = 1, ∂(a−b)/∂b = −1 */
export class Sub extends Function {
  forward(a: TensorData, b: TensorData): TensorData {
    return a.sub(b);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    return [this.needsInputGrad[0] ? grad : null, this.needsInputGrad[1] ? grad.neg() : null];
  }
}

/** ∂(a·b)/∂a = b, ∂(a·b)/∂b = a */
export class Mul extends Function {
  forward(a: TensorData, b: TensorData): TensorData {
    const [needA, needB] = this.needsInputGrad;
    this.saveForBackward(needB ? a : notSaved, needA ? b : notSaved);
    return a.mul(b);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [a, b] = this.savedTensors;
    return [this.needsInputGrad[0] ? grad.mul(b) : null, this.needsInputGrad[1] ? grad.mul(a) : null];
  }
}

/** ∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b² */
export class Div extends Function {
  forward(a: TensorData, b: TensorData): TensorData {
    const [needA, needB] = this.needsInputGrad;
    this.saveForBackward(needB ? a : notSaved, needA || needB ? b : notSaved);
    return a.div(b);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [a, b] = this.savedTensors;
    return [
      this.needsInputGrad[0] ? grad.div(b) : null,
      this.needsInputGrad[1] ? grad.mul(a).div(b.mul(b)).neg() : null,
    ];
  }
}

/** ∂max(a,b)/∂a = [a>b] + ½[a=b] (ties split the gradient, as in PyTorch), and symmetrically for b */
export class Maximum extends Function {
  forward(a: TensorData, b: TensorData): TensorData {
    this.saveForBackward(a, b);
    return a.max(b);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [a, b] = this.savedTensors;
    const half = equal(a, b).mul(fill(0.5, a));
    return [
      this.needsInputGrad[0] ? grad.mul(b.cmplt(a).add(half)) : null,
      this.needsInputGrad[1] ? grad.mul(a.cmplt(b).add(half)) : null,
    ];
  }
}

/** where(c, a, b): ∂/∂a = [c≠0], ∂/∂b = [c=0]; the condition gets no gradient */
export class Where extends Function {
  forward(cond: TensorData, a: TensorData, b: TensorData): TensorData {
    this.saveForBackward(cond);
    return cond.where(a, b);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [cond] = this.savedTensors;
    const zero = fill(0, grad);
    return [
      null,
      this.needsInputGrad[1] ? cond.where(grad, zero) : null,
      this.needsInputGrad[2] ? cond.where(zero, grad) : null,
    ];
  }
}
