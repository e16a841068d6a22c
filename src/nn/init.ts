/**
 * Weight initialization, with PyTorch's formulas (torch.nn.init). Each function fills the given
 * tensor in place (under noGrad, so it works on a Parameter) and returns it. Random draws come from
 * the seeded generator: call `manualSeed` first for repeatable weights.
 *
 *   fanIn  = inputs feeding one output  = size(1) · kernel cells
 *   fanOut = outputs fed by one input   = size(0) · kernel cells
 *   kaiming: std = gain / √fan                       (He et al. 2015; keeps activations' variance)
 *   xavier:  std = gain · √(2 / (fanIn + fanOut))    (Glorot & Bengio 2010)
 *   a uniform(−b, b) has std b/√3, so the uniform variants use b = √3 · std.
 *
 * May import: src/tensor, src/data (shape formatting).
 */
import { formatShape } from '../data';
import { noGrad, Tensor } from '../tensor';

/** The activations `calculateGain` knows. */
export type Nonlinearity = 'linear' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
/** Which fan kaiming divides by. */
export type FanMode = 'fanIn' | 'fanOut';

/** Options of kaimingUniform and kaimingNormal. */
export interface KaimingOptions {
  /** The negative slope of the leaky ReLU that follows (0 for ReLU). */
  a?: number;
  /** Preserve the variance of the forward pass ('fanIn', the default) or of the backward pass ('fanOut'). */
  mode?: FanMode;
  /** The activation that follows, for its gain (default 'leaky_relu', as in PyTorch). */
  nonlinearity?: Nonlinearity;
}

/** The gain PyTorch recommends for a nonlinearity: how much it shrinks the variance, undone by the init. */
export function calculateGain(nonlinearity: Nonlinearity, negativeSlope = 0.01): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv2d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
      return Math.sqrt(2 / (1 + negativeSlope * negativeSlope));
    case 'selu':
      return 3 / 4;
    default:
      throw new RangeError(`calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}; expected one of linear, conv2d, sigmoid, tanh, relu, leaky_relu, selu`);
  }
}

/** fanIn and fanOut of a weight [out, in, ...kernel]; needs at least 2 dims. */
export function fans(t: Tensor, op = 'fans'): {
  /** size(1) · kernel cells */
  fanIn: number;
  /** size(0) · kernel cells */
  fanOut: number;
} {
  if (t.ndim < 2) throw new RangeError(`${op}: fan in and fan out need a tensor with at least 2 dims, got ${formatShape(t.shape)}`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

/** Fills t with uniform(low, high) values. */
export function uniform(t: Tensor, low = 0, high = 1): Tensor {
  return noGrad(() => t.copy_(Tensor.uniform(t.shape, low, high)));
}

/** Fills t with normal(mean, std) values. */
export function normal(t: Tensor, mean = 0, std = 1): Tensor {
  return noGrad(() => t.copy_(Tensor.randn(t.shape).mul(std).add(mean)));
}

/** Fills t with a constant. */
export function constant(t: Tensor, value: number): Tensor {
  return noGrad(() => t.fill_(value));
}

/** Fills t with zeros. */
export function zeros(t: Tensor): Tensor { return constant(t, 0); }
/** Fills t with ones. */
export function ones(t: Tensor): Tensor { return constant(t, 1); }

/** He uniform: U(−b, b) with b = √3 · gain / √fan. PyTorch's default nonlinearity here is leaky_relu. */
export function kaimingUniform(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options, 'kaimingUniform');
  return uniform(t, -bound, bound);
}

/** He normal: N(0, std²) with std = gain / √fan. */
export function kaimingNormal(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal(t, 0, kaimingStd(t, options, 'kaimingNormal'));
}

/** Glorot uniform: U(−b, b) with b = √3 · gain · √(2 / (fanIn + fanOut)). */
export function xavierUniform(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = fans(t, 'xavierUniform');
  const bound = Math.sqrt(3) * gain * Math.sqrt(2 / (fanIn + fanOut));
  return uniform(t, -bound, bound);
}

/** Glorot normal: N(0, std²) with std = gain · √(2 / (fanIn + fanOut)). */
export function xavierNormal(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = fans(t, 'xavierNormal');
  return normal(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/**
 * PyTorch's default for Linear and Conv2d (`reset_parameters`): the weight is kaimingUniform with
 * a = √5, which works out to U(−1/√fanIn, 1/√fanIn); the bias is U(−1/√fanIn, 1/√fanIn) too.
 */
export function defaultLayerInit(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform(weight, { a: Math.sqrt(5), nonlinearity: 'leaky_relu' });
  if (bias) {
    const bound = 1 / Math.sqrt(fans(weight).fanIn);
    uniform(bias, -bound, bound);
  }
}

function kaimingStd(t: Tensor, options: KaimingOptions, op: string): number {
  const { a = 0, mode = 'fanIn', nonlinearity = 'leaky_relu' } = options;
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new RangeError(`${op}: mode must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
  const fan = fans(t, op)[mode];
  if (fan === 0) throw new RangeError(`${op}: cannot initialize a tensor with a zero-size dim, shape ${formatShape(t.shape)}`);
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}
