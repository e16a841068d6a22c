/**
 * Differentiable elementwise ops with one input.
 *
 * May import: src/data, ./function, ./helpers.
 */
import type { TensorData } from '../data';
import { Function } from './function';
import { fill, isNan } from './helpers';

/** d/dx (−x) = −1 */
export class Neg extends Function {
  forward(x: TensorData): TensorData {
    return x.neg();
  }
  backward(grad: TensorData): (TensorData | null)[] {
    return [grad.neg()];
  }
}

/** d/dx eˣ = eˣ (the output, so the output is saved) */
export class Exp extends Function {
  forward(x: TensorData): TensorData {
    const out = x.exp();
    this.saveForBackward(out);
    return out;
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [out] = this.savedTensors;
    return [grad.mul(out)];
  }
}

/** d/dx ln x = 1/x */
export class Log extends Function {
  forward(x: TensorData): TensorData {
    this.saveForBackward(x);
    return x.log();
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [x] = this.savedTensors;
    return [grad.div(x)];
  }
}

/** d/dx sin x = cos x, computed as sin(x + π/2) since sin is the primitive */
export class Sin extends Function {
  forward(x: TensorData): TensorData {
    this.saveForBackward(x);
    return x.sin();
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [x] = this.savedTensors;
    return [grad.mul(x.add(fill(Math.PI / 2, x)).sin())];
  }
}

/** d/dx √x = 1 / (2√x) */
export class Sqrt extends Function {
  forward(x: TensorData): TensorData {
    const out = x.sqrt();
    this.saveForBackward(out);
    return out;
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [out] = this.savedTensors;
    return [grad.div(out.add(out))];
  }
}

/**
 * d/dx max(x, 0) = 0 where x ≤ 0, else 1 (0 at x = 0; 1 at NaN, which is not ≤ 0: PyTorch's rule).
 * The output is saved: it is non-zero exactly where the derivative is 1 (NaN counts as non-zero),
 * so the backward is one `where`.
 */
export class Relu extends Function {
  forward(x: TensorData): TensorData {
    const out = x.max(fill(0, x));
    this.saveForBackward(out);
    return out;
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [out] = this.savedTensors;
    return [out.where(grad, fill(0, out))];
  }
}

/** d/dx σ(x) = σ(x)·(1 − σ(x)), with σ(x) = 1 / (1 + e⁻ˣ) */
export class Sigmoid extends Function {
  forward(x: TensorData): TensorData {
    const out = fill(1, x).add(x.neg().exp()).recip();
    this.saveForBackward(out);
    return out;
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [out] = this.savedTensors;
    return [grad.mul(out).mul(fill(1, out).sub(out))];
  }
}

/**
 * d/dx tanh x = 1 − tanh²x (the output, so the output is saved).
 *
 * The forward does not use 2σ(2x) − 1, which cancels near 0 (relative error 7e-5 at x = 1e-3).
 * With m = e^y − 1 for y = −2|x| ≤ 0, tanh|x| = −m / (m + 2), and m is computed by Kahan's trick:
 * u = e^y rounded, then m = (u − 1)·y / ln u (m = y when u rounds to 1). The rounding error of u
 * cancels between u − 1 and ln u, so m, and tanh, keep float32 accuracy. |x| is capped at 20
 * (tanh 20 is 1 in float32) so that u never underflows to 0.
 */
export class Tanh extends Function {
  forward(x: TensorData): TensorData {
    const capped = x.max(x.neg()).neg().max(fill(-20, x)); // −min(|x|, 20); NaN stays NaN
    const y = capped.add(capped);
    const u = y.exp();
    const m = u.cmplt(fill(1, x)).where(u.sub(fill(1, x)).mul(y).div(u.log()), y);
    const magnitude = fill(0, x).sub(m).div(m.add(fill(2, x))); // 0 − m, not −m: tanh(+0) is +0
    const out = x.cmplt(fill(0, x)).where(magnitude.neg(), magnitude);
    this.saveForBackward(out);
    return out;
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [out] = this.savedTensors;
    return [grad.mul(fill(1, out).sub(out.mul(out)))];
  }
}

/**
 * clamp(x, min, max) = min(max(x, min), max), either bound optional.
 * d/dx = [min ≤ x ≤ max]: 1 at the bounds themselves and 0 at NaN, as in PyTorch (maximum and
 * minimum would split a tie at a bound in half).
 */
export class Clamp extends Function {
  constructor(private readonly min: number | undefined, private readonly max: number | undefined) {
    super();
  }
  forward(x: TensorData): TensorData {
    this.saveForBackward(x);
    let out = x;
    if (this.min !== undefined) out = out.max(fill(this.min, x));
    if (this.max !== undefined) out = out.neg().max(fill(-this.max, x)).neg();
    return out;
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [x] = this.savedTensors;
    let inside = fill(1, x).sub(isNan(x));
    if (this.min !== undefined) inside = inside.mul(fill(1, x).sub(x.cmplt(fill(this.min, x))));
    if (this.max !== undefined) inside = inside.mul(fill(1, x).sub(fill(this.max, x).cmplt(x)));
    return [grad.mul(inside)];
  }
}

/**
 * xᵖ for a number p: integer p by repeated squaring (exact, defined for negative x), other p as
 * e^(p·ln x) (NaN for negative x, as in PyTorch).
 */
function powNumber(x: TensorData, p: number): TensorData {
  if (!Number.isInteger(p)) return x.log().mul(fill(p, x)).exp();
  if (p === 0) return fill(1, x).clone();
  if (p < 0) return powNumber(x, -p).recip();
  // Square-and-multiply: x^13 = x^8 · x^4 · x.
  let result = fill(1, x); // 1·x·… is exact, and the result is always new storage
  let square = x;
  for (let e = p; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = result.mul(square);
    if (e > 1) square = square.mul(square);
  }
  return result;
}

/**
 * d/dx xᵖ = p·xᵖ⁻¹, and 0 for p = 0 (PyTorch's rule): so the gradient at x = 0 is 0 for p > 1
 * and ∞ for 0 < p < 1, never the NaN of differentiating e^(p·ln x). x⁰ = 1, even for NaN.
 */
export class PowNumber extends Function {
  constructor(private readonly exponent: number) {
    super();
  }
  forward(x: TensorData): TensorData {
    this.saveForBackward(x);
    return powNumber(x, this.exponent);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [x] = this.savedTensors;
    const p = this.exponent;
    if (p === 0) return [fill(0, x)];
    return [grad.mul(powNumber(x, p - 1)).mul(fill(p, x))];
  }
}
