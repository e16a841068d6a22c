/**
 * Differentiable elementwise ops with one input.
 *
 * May import: src/data, ./function, ./helpers.
 */
import type { TensorData } from '../data';
import { Function } from './function';
import { fill } from './helpers';

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

/** d/dx max(x, 0) = 1 where x > 0, else 0 (0 at x = 0, as in PyTorch) */
export class Relu extends Function {
  forward(x: TensorData): TensorData {
    this.saveForBackward(x);
    return x.max(fill(0, x));
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [x] = this.savedTensors;
    return [grad.mul(fill(0, x).cmplt(x))];
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
