/**
 * Differentiable per-element losses whose PyTorch gradient is not the derivative of the formula
 * written out of other ops: PyTorch clamps and rewrites them, and so do these, to give its numbers at
 * p = 0 or 1 and at the kink of a logit at 0. Both take the prediction and a target of one shape.
 *
 * May import: src/data, ./function, ./helpers.
 */
import type { TensorData } from '../data';
import { Function } from './function';
import { fill } from './helpers';

/**
 * Binary cross-entropy of probabilities p against targets t, −[t·ln p + (1−t)·ln(1−p)] with each log
 * clamped at −100, as in PyTorch. ∂/∂p = (p − t) / max(p(1 − p), 10⁻¹²) (PyTorch's formula, finite at
 * p = 0 and 1), ∂/∂t = ln(1 − p) − ln p.
 */
export class BinaryCrossEntropy extends Function {
  forward(p: TensorData, t: TensorData): TensorData {
    this.saveForBackward(p, t);
    const floor = fill(-100, p);
    const one = fill(1, p);
    const logP = p.log().max(floor);
    const logNotP = one.sub(p).log().max(floor);
    return t.mul(logP).add(one.sub(t).mul(logNotP)).neg();
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [p, t] = this.savedTensors;
    const one = fill(1, p);
    const spread = p.mul(one.sub(p)).max(fill(1e-12, p));
    return [
      this.needsInputGrad[0] ? grad.mul(p.sub(t)).div(spread) : null,
      this.needsInputGrad[1] ? grad.mul(one.sub(p).log().sub(p.log())) : null,
    ];
  }
}

/**
 * Binary cross-entropy of logits x against targets t, computed as PyTorch does:
 * (1 − t)·x + m + ln(e⁻ᵐ + e⁻ˣ⁻ᵐ) with m = max(−x, 0), which never overflows.
 * ∂/∂x = σ(x) − t (also at x = 0, where the formula's max has its kink), ∂/∂t = −x.
 */
export class BinaryCrossEntropyWithLogits extends Function {
  forward(x: TensorData, t: TensorData): TensorData {
    this.saveForBackward(x, t);
    const m = x.neg().max(fill(0, x));
    const logSum = m.neg().exp().add(x.neg().sub(m).exp()).log();
    return fill(1, x).sub(t).mul(x).add(m).add(logSum);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [x, t] = this.savedTensors;
    const sigmoid = fill(1, x).add(x.neg().exp()).recip();
    return [
      this.needsInputGrad[0] ? grad.mul(sigmoid.sub(t)) : null,
      this.needsInputGrad[1] ? grad.mul(x).neg() : null,
    ];
  }
}
