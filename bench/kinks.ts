/**
 * The backward passes of the ops with PyTorch-exact gradients at kinks (relu, maxPool2d's PickMax) and
 * of indexing with index tensors, timed against the code they replaced (kept here as local Functions)
 * in one process, in alternating rounds: `node build/bench/kinks.js`.
 *
 * May import: src, src/data/fast, ./*.
 */
import { Function, Tensor, TensorData, apply, mask, setDevice, tensor } from '../src';
import { fill, isNan } from '../src/function/helpers';
import { compare, type Contender } from './timing';

/** Relu's backward as it was: [0 < x] + [x is NaN], times the gradient (6 passes). */
class ReluBefore extends Function {
  forward(x: TensorData): TensorData {
    this.saveForBackward(x);
    return x.max(fill(0, x));
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [x] = this.savedTensors;
    return [grad.mul(fill(0, x).cmplt(x).add(isNan(x)))];
  }
}

function backwardOf(make: () => Tensor): () => void {
  return () => { make().sum().backward(); };
}

async function main(): Promise<void> {
  setDevice('cpu');
  const x = Tensor.randn([128, 8, 28, 28], { requiresGrad: true });
  const image = Tensor.randn([128, 8, 28, 28], { requiresGrad: true });
  const table = Tensor.randn([1000, 64], { requiresGrad: true });
  const ids = tensor(Array.from({ length: 2000 }, (_, i) => (i * 7919) % 1000));
  const wide = Tensor.randn([64, 784], { requiresGrad: true });
  const half = mask(wide.detach().gt(0));
  const enter = async (): Promise<void> => undefined;
  const contenders: Contender[] = [
    { name: 'relu backward, before', perRound: 3, enter, run: backwardOf(() => apply(new ReluBefore(), x)) },
    { name: 'relu backward, now', perRound: 3, enter, run: backwardOf(() => x.relu()) },
    { name: 'maxPool2d 2x2 fwd+bwd', perRound: 3, enter, run: backwardOf(() => image.maxPool2d(2)) },
    { name: 'max over 2x2 windows fwd+bwd', perRound: 3, enter, run: backwardOf(() => image.reshape([128, 8, 14, 2, 14, 2]).max([3, 5])) },
    { name: 'embedding: 2,000 lookups fwd+bwd', perRound: 1, enter, run: backwardOf(() => table.at(ids)) },
    { name: 'mask over half of 64x784 fwd+bwd', perRound: 1, enter, run: backwardOf(() => wide.at(half)) },
  ];
  const times = await compare(contenders, 5);
  for (const [name, ms] of times) console.log(`${name.padEnd(36)} ${ms.toFixed(2)} ms`);
}

void main();
