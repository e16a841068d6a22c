/**
 * Loss functions, in two forms: a function `crossEntropy(input, target, options)` and a module
 * `new CrossEntropyLoss(options).forward(input, target)` that remembers its options. Both call the
 * Tensor method of the same name, where the math and the shape checks live.
 *
 * May import: ./module, src/tensor.
 */
import type { Reduction, Tensor } from '../tensor';
import { Module } from './module';

/** Options every loss takes. */
export interface LossOptions {
  /** 'mean' (default) or 'sum' over the per-element losses, or 'none' to keep them. */
  reduction?: Reduction;
}

/** Options of cross-entropy. */
export interface CrossEntropyOptions extends LossOptions {
  /** Mixes the one-hot target with a uniform distribution: (1 − s)·onehot + s/C. */
  labelSmoothing?: number;
}

/** Cross-entropy of logits [N, C] against class indices [N] (log-softmax then NLL). */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  return input.crossEntropy(target, options);
}

/** Negative log-likelihood of log-probabilities [N, C] against class indices [N]. */
export function nllLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  return input.nllLoss(target, options);
}

/** Mean squared error; input and target have one shape. */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  return input.mseLoss(target, options);
}

/** Binary cross-entropy of probabilities in (0, 1). */
export function bceLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  return input.binaryCrossEntropy(target, options);
}

/** Binary cross-entropy of logits (a sigmoid is applied inside, stably). */
export function bceWithLogitsLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  return input.binaryCrossEntropyWithLogits(target, options);
}

/** `crossEntropy` as a module; `forward(input, target)`. */
export class CrossEntropyLoss extends Module {
  /** @param options passed to `crossEntropy` on every call */
  constructor(readonly options: CrossEntropyOptions = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return crossEntropy(input, target, this.options); }
}

/** `nllLoss` as a module; `forward(input, target)`. */
export class NLLLoss extends Module {
  /** @param options passed to `nllLoss` on every call */
  constructor(readonly options: LossOptions = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return nllLoss(input, target, this.options); }
}

/** `mseLoss` as a module; `forward(input, target)`. */
export class MSELoss extends Module {
  /** @param options passed to `mseLoss` on every call */
  constructor(readonly options: LossOptions = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return mseLoss(input, target, this.options); }
}

/** `bceLoss` as a module; `forward(input, target)`. */
export class BCELoss extends Module {
  /** @param options passed to `bceLoss` on every call */
  constructor(readonly options: LossOptions = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return bceLoss(input, target, this.options); }
}

/** `bceWithLogitsLoss` as a module; `forward(input, target)`. */
export class BCEWithLogitsLoss extends Module {
  /** @param options passed to `bceWithLogitsLoss` on every call */
  constructor(readonly options: LossOptions = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return bceWithLogitsLoss(input, target, this.options); }
}
