/**
 * Lab task 5: matmul's and the reductions' backward (docs/lab/05-matmul-reductions.md).
 *
 * May import: src, ./rows.
 */
import { tensor, type Tensor } from '../../src';
import { checkRows } from './rows';

describe('Matmul.backward', () => {
  checkRows('ops.json', {
    matmul_2d_2d: (a, b) => a.matmul(b),
    matmul_batched: (a, b) => a.matmul(b),
    matmul_1d_2d: (a, b) => a.matmul(b),
    matmul_broadcast: (a, b) => a.matmul(b),
    linear_bias: (x, w, b) => x.linear(w, b),
  });
});

describe('Sum.backward', () => {
  checkRows('ops.json', {
    sum_all: (x) => x.sum(),
    sum_dim: (x) => x.sum(1),
    sum_keepdim: (x) => x.sum(1, true),
    sum_dims: (x) => x.sum([0, 2]),
    mean_dim: (x) => x.mean(0),
  });
});

describe('Max.backward', () => {
  checkRows('ops.json', {
    max_all: (x) => x.max(),
    max_dim: (x) => x.max(1),
    max_neg_dim_keepdim: (x) => x.max(-1, true),
    max_dims: (x) => x.max([0, 2]),
  });

  it('splits the gradient evenly between tied maxima, as torch.amax does', () => {
    const x = tensor([1, 3, 3, 2], { requiresGrad: true });
    x.max().backward();
    expect((x.grad as Tensor).toArray()).toEqual([0, 0.5, 0.5, 0]);
  });
});
