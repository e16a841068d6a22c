/**
 * Lab task 3: broadcasting's backward, the reduce-to-shape rule (docs/lab/03-broadcasting.md).
 *
 * May import: src, ./rows.
 */
import { tensor, type Tensor } from '../../src';
import { checkRows } from './rows';

describe('Expand.backward', () => {
  checkRows('ops.json', {
    expand: (x) => x.expand([3, 4]),
    expand_new_dims: (x) => x.expand([2, 3, 4]),
    add_broadcast_both: (a, b) => a.add(b),
    add_broadcast_rank: (a, b) => a.add(b),
    mul_broadcast: (a, b) => a.mul(b),
    sub_broadcast_both: (a, b) => a.sub(b),
  });

  it('gives a bias of shape [3] added to a [4, 3] batch the column sums of the gradient, in its own shape', () => {
    const bias = tensor([0, 0, 0], { requiresGrad: true });
    const g = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]);
    tensor([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]).add(bias).backward(g);
    expect((bias.grad as Tensor).shape).toEqual([3]);
    expect((bias.grad as Tensor).toArray()).toEqual([22, 26, 30]);
  });

  it('sums only the grown axes: [2, 1] expanded to [2, 3] gets row sums of shape [2, 1]', () => {
    const x = tensor([[1], [2]], { requiresGrad: true });
    x.expand([2, 3]).backward(tensor([[1, 2, 3], [4, 5, 6]]));
    expect((x.grad as Tensor).toArray()).toEqual([[6], [15]]);
  });
});
