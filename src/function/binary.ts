/**
 * Differentiable elementwise ops with two or three inputs of one shape (the tensor layer broadcasts
 * them first with Expand).
 *
 * May import: src/data, ./function, ./helpers.
 */
import type { TensorData } from '../data';
import { Function } from './function';
import { fill, isInteger, isNan, isOddInteger, same, zeros } from './helpers';

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

/**
 * ∂max(a,b)/∂a = 1 − [a<b] − ½[a=b], and symmetrically for b: ties split the gradient, and where
 * either is NaN (the output is NaN) both get all of it, as in PyTorch.
 */
export class Maximum extends Function {
  forward(a: TensorData, b: TensorData): TensorData {
    this.saveForBackward(a, b);
    return a.max(b);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [a, b] = this.savedTensors;
    const half = same(a, b).mul(fill(0.5, a));
    const one = fill(1, a);
    return [
      this.needsInputGrad[0] ? grad.mul(one.sub(a.cmplt(b)).sub(half)) : null,
      this.needsInputGrad[1] ? grad.mul(one.sub(b.cmplt(a)).sub(half)) : null,
    ];
  }
}

/**
 * xᵉ elementwise, as PyTorch computes it: |x|ᵉ = e^(e·ln|x|); a negative x (and −0) keeps its sign
 * for odd integer e, and a negative x gives NaN for e that is not an integer; x⁰ = 1 and 1ᵉ = 1,
 * even for NaN.
 */
function powTensor(x: TensorData, e: TensorData): TensorData {
  const zero = fill(0, x);
  const magnitude = e.mul(x.max(x.neg()).log()).exp();
  const negative = x.cmplt(zero);
  const signBitSet = negative.max(x.recip().cmplt(zero)); // x < 0, or x = −0 (1/−0 = −∞)
  const signed = isOddInteger(e).mul(signBitSet).where(magnitude.neg(), magnitude);
  const result = negative.mul(fill(1, e).sub(isInteger(e))).where(fill(NaN, x), signed);
  return same(e, zero).max(same(x, fill(1, x))).where(fill(1, x), result);
}

/**
 * ∂xᵉ/∂x = e·xᵉ⁻¹ (0 where e = 0), ∂xᵉ/∂e = xᵉ·ln x (0 where x = 0 and e ≥ 0): PyTorch's rules,
 * so a negative base has a gradient for x at integer e, and NaN for e (ln of a negative number).
 */
export class Pow extends Function {
  forward(x: TensorData, e: TensorData): TensorData {
    const out = powTensor(x, e);
    this.saveForBackward(x, e, out);
    return out;
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [x, e, out] = this.savedTensors;
    const zero = fill(0, x);
    const eIsZero = same(e, zero);
    const xIsZeroAndENotNegative = same(x, zero).mul(fill(1, e).sub(e.cmplt(zero)).sub(isNan(e)));
    return [
      this.needsInputGrad[0] ? eIsZero.where(zero, grad.mul(e).mul(powTensor(x, e.sub(fill(1, e))))) : null,
      this.needsInputGrad[1] ? xIsZeroAndENotNegative.where(zero, grad.mul(out).mul(x.log())) : null,
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
