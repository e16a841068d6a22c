/**
 * Activation layers: thin modules around Tensor ops, so they can sit in a Sequential.
 * `gelu` is the one activation that Tensor lacks; it is written here from Tensor ops.
 *
 * May import: ./module, src/tensor.
 */
import type { Tensor } from '../tensor';
import { Module } from './module';

/**
 * GELU with the tanh approximation (torch.nn.GELU(approximate='tanh'), not PyTorch's default erf form):
 *   gelu(x) = ½·x·(1 + tanh(u)),  u = √(2/π)·(x + 0.044715·x³).
 * Since ½·(1 + tanh u) = σ(2u), this is computed as x·σ(2u).
 */
export function gelu(x: Tensor): Tensor {
  const u = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  return x.mul(u.mul(2).sigmoid());
}

/** max(x, 0) as a layer. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor { return x.relu(); }
}

/** tanh as a layer. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor { return x.tanh(); }
}

/** σ(x) = 1 / (1 + e⁻ˣ) as a layer. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return x.sigmoid(); }
}

/** GELU, tanh approximation; see `gelu`. */
export class GELU extends Module {
  forward(x: Tensor): Tensor { return gelu(x); }
  /** `approximate='tanh'`: the form tsgrad computes. */
  extraRepr(): string { return "approximate='tanh'"; }
}

/** softmax along `dim` (PyTorch makes you choose it; so does tsgrad). */
export class Softmax extends Module {
  /** @param dim the dim whose values sum to 1 */
  constructor(readonly dim: number) { super(); }
  forward(x: Tensor): Tensor { return x.softmax(this.dim); }
  /** `dim=1` */
  extraRepr(): string { return `dim=${this.dim}`; }
}

/** log of softmax along `dim`, computed stably. */
export class LogSoftmax extends Module {
  /** @param dim the dim normalized over */
  constructor(readonly dim: number) { super(); }
  forward(x: Tensor): Tensor { return x.logSoftmax(this.dim); }
  /** `dim=1` */
  extraRepr(): string { return `dim=${this.dim}`; }
}
