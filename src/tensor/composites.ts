/**
 * The composite Tensor methods: those written as several other ops (mean is a sum and a division,
 * softmax five ops, ...). Each runs inside `composite(name, ...)`, so that a graph picture draws its
 * nodes in one box labelled with the method's name, the op the learner wrote. The methods stay as
 * they are in tensor.ts; this file wraps them once, when tsgrad is imported.
 *
 * May import: ./tensor, ./trace.
 */
import { Tensor } from './tensor';
import { composite } from './trace';

/** The Tensor methods made of other ops that a picture groups under their name. */
export const compositeMethods = [
  'mean', 'min', 'var', 'linear', 'softmax', 'logSoftmax', 'conv2d', 'avgPool2d', 'dropout', 'crossEntropy', 'nllLoss', 'mseLoss',
] as const;

type Method = (this: Tensor, ...args: unknown[]) => Tensor;

/** Replaces each method on Tensor.prototype by one that runs the original inside `composite`. */
function groupCompositeMethods(): void {
  const proto = Tensor.prototype as unknown as Record<string, Method>;
  for (const name of compositeMethods) {
    const original = proto[name];
    proto[name] = function grouped(this: Tensor, ...args: unknown[]): Tensor {
      return composite(name, () => original.apply(this, args));
    };
  }
}

groupCompositeMethods();
