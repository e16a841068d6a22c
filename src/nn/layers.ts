/**
 * Layers with weights (Linear, Conv2d, BatchNorm1d/2d) and without (pooling, Dropout, Flatten).
 * Each forward is a few Tensor ops; the math lives in src/tensor.
 *
 * May import: ./module, ./init, src/tensor, src/data (shape formatting).
 */
import { formatShape } from '../data';
import { noGrad, Tensor } from '../tensor';
import { defaultLayerInit } from './init';
import { Buffer, Module, Parameter } from './module';

type Pair = number | [number, number];

/** y = x·Wᵀ + b, with weight [outFeatures, inFeatures], initialized as in PyTorch. */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: { bias?: boolean } = {}) {
    super();
    checkPositive('Linear', { inFeatures, outFeatures });
    this.weight = new Parameter(Tensor.zeros([outFeatures, inFeatures]));
    this.bias = options.bias ?? true ? new Parameter(Tensor.zeros([outFeatures])) : null;
    defaultLayerInit(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new RangeError(`Linear(${this.inFeatures}, ${this.outFeatures}): expected input [..., ${this.inFeatures}], got ${formatShape(x.shape)}`);
    }
    return x.linear(this.weight, this.bias ?? undefined);
  }

  protected describe(): string {
    return `Linear(${this.inFeatures}, ${this.outFeatures}${this.bias ? '' : ', bias=false'})`;
  }
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

/** 2-D convolution over [B, C, H, W]; weight [outChannels, inChannels/groups, kh, kw]. */
export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly kernelSize: [number, number];

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, readonly options: Conv2dOptions = {}) {
    super();
    const groups = options.groups ?? 1;
    checkPositive('Conv2d', { inChannels, outChannels, groups });
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new RangeError(`Conv2d: groups ${groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`);
    }
    this.kernelSize = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    this.weight = new Parameter(Tensor.zeros([outChannels, inChannels / groups, ...this.kernelSize]));
    this.bias = options.bias ?? true ? new Parameter(Tensor.zeros([outChannels])) : null;
    defaultLayerInit(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    const { stride, padding, dilation, groups } = this.options;
    return x.conv2d(this.weight, this.bias ?? undefined, { stride, padding, dilation, groups });
  }

  protected describe(): string {
    const extra = Object.entries(this.options).map(([k, v]) => `, ${k}=${JSON.stringify(v)}`).join('');
    return `Conv2d(${this.inChannels}, ${this.outChannels}, kernel=${JSON.stringify(this.kernelSize)}${extra})`;
  }
}

/** Largest value of each kernel window; stride defaults to the kernel size. */
export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly stride?: Pair, readonly padding: Pair = 0) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.maxPool2d(this.kernelSize, this.stride, this.padding);
  }

  protected describe(): string {
    return `MaxPool2d(${JSON.stringify(this.kernelSize)})`;
  }
}

/** Mean of each kernel window; stride defaults to the kernel size. */
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly stride?: Pair, readonly padding: Pair = 0) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.avgPool2d(this.kernelSize, this.stride, this.padding);
  }

  protected describe(): string {
    return `AvgPool2d(${JSON.stringify(this.kernelSize)})`;
  }
}

/** Zeroes each value with probability p while training (scaling the rest by 1/(1−p)); the identity in eval mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p must be in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return x.dropout(this.p, this.training);
  }

  protected describe(): string {
    return `Dropout(p=${this.p})`;
  }
}

/** Merges dims startDim..endDim; the default keeps the batch dim: [B, C, H, W] → [B, C·H·W]. */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the newest batch in the running averages. */
  momentum?: number;
  /** Learnable scale (weight) and shift (bias). */
  affine?: boolean;
  /** Keep running mean and variance for eval mode. Without them eval mode uses batch statistics. */
  trackRunningStats?: boolean;
}

/**
 * Batch normalization, as in PyTorch: in training mode each channel is normalized with the batch's
 * mean and biased variance, and the running averages are updated (under noGrad) with
 *   running = (1 − momentum) · running + momentum · batch value,
 * using the unbiased variance (n/(n−1) times the biased one). In eval mode the running statistics are used.
 *   y = (x − mean) / √(var + eps) · weight + bias
 */
abstract class BatchNorm extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly runningMean: Buffer | null;
  readonly runningVar: Buffer | null;
  readonly eps: number;
  readonly momentum: number;

  constructor(readonly numFeatures: number, options: BatchNormOptions = {}) {
    super();
    checkPositive(this.constructor.name, { numFeatures });
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    const affine = options.affine ?? true;
    const track = options.trackRunningStats ?? true;
    this.weight = affine ? new Parameter(Tensor.ones([numFeatures])) : null;
    this.bias = affine ? new Parameter(Tensor.zeros([numFeatures])) : null;
    this.runningMean = track ? new Buffer(Tensor.zeros([numFeatures])) : null;
    this.runningVar = track ? new Buffer(Tensor.ones([numFeatures])) : null;
  }

  /** The dims averaged over (all but the channel dim 1), after checking the input's rank. */
  protected abstract reduceDims(x: Tensor): number[];

  forward(x: Tensor): Tensor {
    const dims = this.reduceDims(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new RangeError(`${this.constructor.name}(${this.numFeatures}): expected ${this.numFeatures} channels in dim 1, got input ${formatShape(x.shape)}`);
    }
    const shape = x.shape.map((d, i) => (i === 1 ? d : 1)); // [1, C] or [1, C, 1, 1]
    const useBatchStats = this.training || this.runningMean === null;
    let mean: Tensor;
    let variance: Tensor;
    if (useBatchStats) {
      mean = x.mean(dims, true);
      variance = x.var(dims, true, 0);
      if (this.training) this.updateRunningStats(mean, variance, x.numel() / this.numFeatures);
    } else {
      mean = (this.runningMean as Buffer).reshape(shape);
      variance = (this.runningVar as Buffer).reshape(shape);
    }
    let y = x.sub(mean).div(variance.add(this.eps).sqrt());
    if (this.weight && this.bias) y = y.mul(this.weight.reshape(shape)).add(this.bias.reshape(shape));
    return y;
  }

  private updateRunningStats(mean: Tensor, biasedVar: Tensor, count: number): void {
    if (!this.runningMean || !this.runningVar) return;
    if (count < 2) throw new RangeError(`${this.constructor.name}: training needs more than 1 value per channel to estimate a variance, got ${count}`);
    const m = this.momentum;
    const runningMean = this.runningMean;
    const runningVar = this.runningVar;
    noGrad(() => {
      runningMean.mul_(1 - m).add_(mean.detach().reshape([-1]).mul(m));
      runningVar.mul_(1 - m).add_(biasedVar.detach().reshape([-1]).mul((m * count) / (count - 1)));
    });
  }

  protected describe(): string {
    return `${this.constructor.name}(${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum})`;
  }
}

/** BatchNorm over [N, C] or [N, C, L]: statistics per channel C. */
export class BatchNorm1d extends BatchNorm {
  protected reduceDims(x: Tensor): number[] {
    if (x.ndim === 2) return [0];
    if (x.ndim === 3) return [0, 2];
    throw new RangeError(`BatchNorm1d: expected input [N, C] or [N, C, L], got ${formatShape(x.shape)}`);
  }
}

/** BatchNorm over [N, C, H, W]: statistics per channel C. */
export class BatchNorm2d extends BatchNorm {
  protected reduceDims(x: Tensor): number[] {
    if (x.ndim === 4) return [0, 2, 3];
    throw new RangeError(`BatchNorm2d: expected input [N, C, H, W], got ${formatShape(x.shape)}`);
  }
}

function checkPositive(layer: string, sizes: Record<string, number>): void {
  for (const [name, value] of Object.entries(sizes)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${layer}: ${name} must be a positive integer, got ${value}`);
  }
}
