/**
 * Lab task 2: backward of elementwise Functions (docs/lab/02-elementwise.md).
 *
 * May import: src, ./rows.
 */
import { Tensor, tensor } from '../../src';
import { checkRows } from './rows';

const grad = (t: Tensor): unknown => (t.grad as Tensor).toArray();

describe('Mul.backward', () => {
  checkRows('ops.json', { mul: (a, b) => a.mul(b), mul_scalar: (a) => a.mul(-2) });

  it('gives a gradient only to the inputs that require one', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4]);
    a.mul(b).backward(Tensor.ones([2])); // an explicit gradient, so no sum (task 5) is involved
    expect(grad(a)).toEqual([3, 4]);
    expect(b.grad).toBeNull();
  });
});

describe('Exp.backward', () => {
  checkRows('ops.json', { exp: (x) => x.exp() });
});

describe('Log.backward', () => {
  checkRows('ops.json', { log: (x) => x.log() });
});

describe('Relu.backward', () => {
  checkRows('ops.json', { relu: (x) => x.relu() });

  it('has slope 0 at x = 0 and below, 1 above (as PyTorch)', () => {
    const x = tensor([-1, 0, 2], { requiresGrad: true });
    x.relu().backward(Tensor.ones([3]));
    expect(grad(x)).toEqual([0, 0, 1]);
  });
});
