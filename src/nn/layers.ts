/**
 * Layers with weights (Linear, Conv2d, BatchNorm1d/2d) and without (pooling, Dropout, Flatten).
 * Each forward is a few Tensor ops; the math lives in src/tensor.
 *
 * May import: ./module, ./init, src/tensor, src/data (shape formatting).
 */
import { formatShape } from '../data';
import { noGrad, pairArg, pythonFloat, pythonTuple, Tensor } from '../tensor';
import { defaultLayerInit } from './init';
import { Buffer, Module, Parameter } from './module';

type Pair = number | [number, number];

/** y = x·Wᵀ + b, with weight [outFeatures, inFeatures], initialized as in PyTorch. */
export class Linear extends Module {
  /** [outFeatures, inFeatures] */
  readonly weight: Parameter;
  /** [outFeatures], or null when made with `{ bias: false }`. */
  readonly bias: Parameter | null;

  constructor(
    /** Size of each input row. */
    readonly inFeatures: number,
    /** Size of each output row. */
    readonly outFeatures: number,
    options: { bias?: boolean } = {},
  ) {
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

  /** `in_features=784, out_features=128, bias=True`, as PyTorch prints it. */
  extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pythonBool(this.bias !== null)}`;
  }
}

/** Settings of `Conv2d`; see `Conv2dArgs` of Tensor.conv2d for the first four. */
export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: Pair;
  /** Zeros added on each side of H and W (default 0). */
  padding?: Pair;
  /** Spacing between kernel cells (default 1). */
  dilation?: Pair;
  /** Independent channel groups (default 1). */
  groups?: number;
  /** Learn a bias per output channel (default true). */
  bias?: boolean;
}

/** 2-D convolution over [B, C, H, W]; weight [outChannels, inChannels/groups, kh, kw]. */
export class Conv2d extends Module {
  /** [outChannels, inChannels/groups, kh, kw] */
  readonly weight: Parameter;
  /** [outChannels], or null with `{ bias: false }`. */
  readonly bias: Parameter | null;
  /** [kh, kw] */
  readonly kernelSize: [number, number];

  constructor(
    /** Channels of the input (dim 1). */
    readonly inChannels: number,
    /** Channels of the output, one filter each. */
    readonly outChannels: number,
    kernelSize: Pair,
    /** Stride, padding, dilation, groups and bias, as given. */
    readonly options: Conv2dOptions = {},
  ) {
    super();
    const groups = options.groups ?? 1;
    checkPositive('Conv2d', { inChannels, outChannels, groups });
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new RangeError(`Conv2d: groups ${groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`);
    }
    this.kernelSize = pairArg(kernelSize, 'Conv2d', 'kernelSize', 1);
    pairArg(options.stride ?? 1, 'Conv2d', 'stride', 1); pairArg(options.dilation ?? 1, 'Conv2d', 'dilation', 1); pairArg(options.padding ?? 0, 'Conv2d', 'padding', 0);
    this.weight = new Parameter(Tensor.zeros([outChannels, inChannels / groups, ...this.kernelSize]));
    this.bias = options.bias ?? true ? new Parameter(Tensor.zeros([outChannels])) : null;
    defaultLayerInit(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    const { stride, padding, dilation, groups } = this.options;
    return x.conv2d(this.weight, this.bias ?? undefined, { stride, padding, dilation, groups });
  }

  /** `1, 8, kernel_size=(3, 3), stride=(1, 1)`, then padding, dilation, groups and bias where not the default. */
  extraRepr(): string {
    const { stride = 1, padding = 0, dilation = 1, groups = 1 } = this.options;
    const [s, p, d] = [stride, padding, dilation].map((v) => asPair(v));
    let text = `${this.inChannels}, ${this.outChannels}, kernel_size=${pythonTuple(this.kernelSize)}, stride=${pythonTuple(s)}`;
    if (p[0] !== 0 || p[1] !== 0) text += `, padding=${pythonTuple(p)}`;
    if (d[0] !== 1 || d[1] !== 1) text += `, dilation=${pythonTuple(d)}`;
    if (groups !== 1) text += `, groups=${groups}`;
    if (this.bias === null) text += ', bias=False';
    return text;
  }
}

/** What MaxPool2d and AvgPool2d share: the window settings, and how they print. */
abstract class Pool2d extends Module {
  constructor(
    /** Window size, [kh, kw] or one number for both. */
    readonly kernelSize: Pair,
    /** Step between windows; the kernel size when left out. */
    readonly stride?: Pair,
    /** Cells added on each side (at most half the kernel): −∞ for max, zeros (counted) for the mean. */
    readonly padding: Pair = 0,
  ) {
    super();
    const op = this.constructor.name;
    pairArg(kernelSize, op, 'kernelSize', 1); pairArg(stride ?? kernelSize, op, 'stride', 1); pairArg(padding, op, 'padding', 0);
  }

  /** `kernel_size=2, stride=2, padding=0`, each as given (a pair prints as a tuple). */
  extraRepr(): string {
    const size = (v: Pair): string => (typeof v === 'number' ? String(v) : pythonTuple(v));
    return `kernel_size=${size(this.kernelSize)}, stride=${size(this.stride ?? this.kernelSize)}, padding=${size(this.padding)}`;
  }
}

/** Largest value of each kernel window; stride defaults to the kernel size. */
export class MaxPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return x.maxPool2d(this.kernelSize, this.stride, this.padding);
  }

  /** The pooling window as given, then PyTorch's defaults that tsgrad computes: `dilation=1, ceil_mode=False`. */
  extraRepr(): string {
    return `${super.extraRepr()}, dilation=1, ceil_mode=False`;
  }
}

/** Mean of each kernel window; stride defaults to the kernel size. */
export class AvgPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return x.avgPool2d(this.kernelSize, this.stride, this.padding);
  }
}

/** Zeroes each value with probability p while training (scaling the rest by 1/(1−p)); the identity in eval mode. */
export class Dropout extends Module {
  constructor(
    /** Probability of zeroing each value. */
    readonly p = 0.5,
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p must be in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return x.dropout(this.p, this.training);
  }

  /** `p=0.5, inplace=False` (tsgrad has no in-place dropout). */
  extraRepr(): string {
    return `p=${pythonFloat(this.p)}, inplace=False`;
  }
}

/** Merges dims startDim..endDim; the default keeps the batch dim: [B, C, H, W] → [B, C·H·W]. */
export class Flatten extends Module {
  constructor(
    /** First dim merged. */
    readonly startDim = 1,
    /** Last dim merged (−1: the last). */
    readonly endDim = -1,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }

  /** `start_dim=1, end_dim=-1`. */
  extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Settings of BatchNorm1d and BatchNorm2d. */
export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
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
  /** Scale per channel, starts at 1 (null unless affine). */
  readonly weight: Parameter | null;
  /** Shift per channel, starts at 0 (null unless affine). */
  readonly bias: Parameter | null;
  /** Running mean per channel, used in eval mode (null unless trackRunningStats). */
  readonly runningMean: Buffer | null;
  /** Running unbiased variance per channel, used in eval mode (null unless trackRunningStats). */
  readonly runningVar: Buffer | null;
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Weight of the newest batch in the running averages. */
  readonly momentum: number;

  constructor(
    /** Channels (dim 1 of the input). */
    readonly numFeatures: number,
    options: BatchNormOptions = {},
  ) {
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

  /** `16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True`. */
  extraRepr(): string {
    const affine = pythonBool(this.weight !== null);
    const track = pythonBool(this.runningMean !== null);
    return `${this.numFeatures}, eps=${pythonFloat(this.eps)}, momentum=${pythonFloat(this.momentum)}, affine=${affine}, track_running_stats=${track}`;
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

function asPair(value: Pair): [number, number] {
  return typeof value === 'number' ? [value, value] : value;
}

function pythonBool(value: boolean): string {
  return value ? 'True' : 'False';
}

function checkPositive(layer: string, sizes: Record<string, number>): void {
  for (const [name, value] of Object.entries(sizes)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${layer}: ${name} must be a positive integer, got ${value}`);
  }
}
