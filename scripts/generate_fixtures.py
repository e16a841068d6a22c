#!/usr/bin/python3
"""Records PyTorch reference values for tsgrad's table-driven op tests.

Writes:
  tests/fixtures/ops.json         rows for tests/ops.test.ts (Tensor level: forward and gradients)
  tests/fixtures/primitives.json  rows for tests/primitives.test.ts (TensorData level: forward only)

Rerun from the repository root with Debian's PyTorch (the pyenv `python3` on PATH has no torch):
  /usr/bin/python3 scripts/generate_fixtures.py

Each row has a name, input specs (shape, distribution, whether it requires grad) and a torch lambda.
The TS test files hold a lambda under the same name; the tests fail when the two tables differ.
Inputs are drawn as float32 (seeded per row from the row name, so adding a row changes no other row),
the math runs in float64 on those exact float32 values, and every stored number is rounded to float32
and printed with 9 significant digits (enough to read back the same float32).
For rows with gradients the row also stores a random upstream gradient `gradOut` of the output's shape
and the input gradients of sum(out * gradOut).
Non-tensor arguments (dims, strides, scalars) are written in both lambdas, not in the JSON.
"""
import json
import os
import zlib

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, 'tests', 'fixtures')


# ---- input specs -----------------------------------------------------------------------------

class Inp:
    """One input: `kind` picks the distribution; `grad` whether it requires grad."""

    def __init__(self, kind, shape, grad=True, lo=None, hi=None, avoid=(), margin=0.1, n=None, group=None):
        self.kind, self.shape, self.grad = kind, list(shape), grad
        self.lo, self.hi, self.avoid, self.margin, self.n, self.group = lo, hi, avoid, margin, n, group


def U(*shape, lo=-2.0, hi=2.0, grad=True):
    """uniform(lo, hi)"""
    return Inp('uniform', shape, grad, lo=lo, hi=hi)


def P(*shape, grad=True):
    """positive uniform(0.5, 2): log, sqrt, denominators, pow bases"""
    return Inp('uniform', shape, grad, lo=0.5, hi=2.0)


def PROB(*shape, grad=True):
    """probabilities in (0.05, 0.95): binary cross-entropy"""
    return Inp('uniform', shape, grad, lo=0.05, hi=0.95)


def AWAY(*shape, avoid=(0.0,), margin=0.1, grad=True):
    """uniform(-2, 2) with no value within `margin` of a kink (relu/abs at 0, clamp bounds)"""
    return Inp('away', shape, grad, lo=-2.0, hi=2.0, avoid=avoid, margin=margin)


def D(*shape, group=None, grad=True):
    """distinct values in (-2, 2), spaced well over the gradcheck eps: max/min/pool never tie.
    Inputs of one row with the same `group` are drawn from one pool, so they never tie each other."""
    return Inp('distinct', shape, grad, lo=-2.0, hi=2.0, group=group)


def INTS(*shape, n=3):
    """small integers 0..n-1 as floats: comparisons with ties (forward only)"""
    return Inp('ints', shape, False, n=n)


def IDX(*shape, n):
    """class indices 0..n-1 as floats: loss targets"""
    return Inp('ints', shape, False, n=n)


def MASK(*shape):
    """0/1 floats: where conditions"""
    return Inp('ints', shape, False, n=2)


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def draw_inputs(specs):
    """float32 tensors, drawn in order from the already-seeded torch generator."""
    pools = {}
    for s in specs:
        if s.kind == 'distinct':
            key = s.group if s.group is not None else id(s)
            pools.setdefault(key, []).append(s)
    pool_values = {}
    for key, members in pools.items():
        total = sum(numel(m.shape) for m in members)
        spacing = (members[0].hi - members[0].lo) / total
        grid = members[0].lo + spacing * (torch.arange(total, dtype=torch.float64) + 0.5)
        jitter = (torch.rand(total, dtype=torch.float64) - 0.5) * 0.4 * spacing
        pool_values[key] = (grid + jitter)[torch.randperm(total)].float()
    taken = {key: 0 for key in pools}
    out = []
    for s in specs:
        count = numel(s.shape)
        if s.kind == 'uniform':
            x = torch.rand(s.shape, dtype=torch.float32) * (s.hi - s.lo) + s.lo
        elif s.kind == 'away':
            x = torch.rand(s.shape, dtype=torch.float32) * (s.hi - s.lo) + s.lo
            while True:
                bad = torch.zeros(s.shape, dtype=torch.bool)
                for a in s.avoid:
                    bad |= (x - a).abs() < s.margin
                if not bad.any():
                    break
                x[bad] = torch.rand(int(bad.sum()), dtype=torch.float32) * (s.hi - s.lo) + s.lo
        elif s.kind == 'distinct':
            key = s.group if s.group is not None else id(s)
            x = pool_values[key][taken[key]:taken[key] + count].reshape(s.shape).clone()
            taken[key] += count
        elif s.kind == 'ints':
            x = torch.randint(0, s.n, s.shape).float()
        else:
            raise ValueError(s.kind)
        out.append(x)
    return out


# ---- rows ------------------------------------------------------------------------------------

OPS = []
PRIMS = []


def op(name, inputs, fn):
    OPS.append((name, inputs, fn))


def prim(name, inputs, fn):
    PRIMS.append((name, [Inp(s.kind, s.shape, False, s.lo, s.hi, s.avoid, s.margin, s.n, s.group) for s in inputs], fn))


def nograd(*specs):
    for s in specs:
        s.grad = False
    return list(specs)


f64 = dict(dtype=torch.float64)

# creation (no inputs, or a template input)
op('zeros', [], lambda: torch.zeros(2, 3))
op('ones', [], lambda: torch.ones(3, 1))
op('full', [], lambda: torch.full((2, 2), 3.5))
op('arange_stop', [], lambda: torch.arange(5))
op('arange_start_stop', [], lambda: torch.arange(2, 6))
op('arange_step', [], lambda: torch.arange(0, 2, 0.25))
op('eye', [], lambda: torch.eye(3))
op('eye_rect', [], lambda: torch.eye(2, 4))
op('zerosLike', nograd(U(2, 3)), lambda x: torch.zeros_like(x))
op('onesLike', nograd(U(3, 2)), lambda x: torch.ones_like(x))
op('fullLike', nograd(U(2, 2)), lambda x: torch.full_like(x, -1.5))

# elementwise binary
op('add', [U(2, 3), U(2, 3)], lambda a, b: a + b)
op('add_broadcast_both', [U(3, 1), U(1, 4)], lambda a, b: a + b)
op('add_broadcast_rank', [U(2, 3, 4), U(4)], lambda a, b: a + b)
op('add_scalar', [U(2, 3)], lambda a: a + 1.5)
op('add_0d_tensor', [U(2, 3), U()], lambda a, b: a + b)
op('sub', [U(2, 3), U(2, 3)], lambda a, b: a - b)
op('sub_broadcast_both', [U(4), U(3, 1)], lambda a, b: a - b)
op('sub_scalar', [U(2, 3)], lambda a: a - 0.75)
op('mul', [U(2, 3), U(2, 3)], lambda a, b: a * b)
op('mul_broadcast', [U(2, 3, 4), U(3, 1)], lambda a, b: a * b)
op('mul_scalar', [U(2, 3)], lambda a: a * -2.0)
op('div', [U(2, 3), P(2, 3)], lambda a, b: a / b)
op('div_broadcast', [U(2, 3), P(3)], lambda a, b: a / b)
op('div_broadcast_num', [U(3), P(2, 1)], lambda a, b: a / b)
op('div_scalar', [U(2, 3)], lambda a: a / 4.0)
op('pow', [P(2, 3), U(2, 3)], lambda a, b: a ** b)
op('pow_broadcast', [P(2, 3), U(3)], lambda a, b: a ** b)
op('pow_scalar_2', [U(2, 3)], lambda a: a ** 2)
op('pow_scalar_3_negative_base', [U(2, 3)], lambda a: a ** 3)
op('pow_scalar_half', [P(2, 3)], lambda a: a ** 0.5)
op('pow_scalar_negative', [P(2, 3)], lambda a: a ** -1.5)
op('maximum', [D(2, 3, group='m'), D(2, 3, group='m')], lambda a, b: torch.maximum(a, b))
op('maximum_broadcast', [D(2, 3, group='m'), D(3, group='m')], lambda a, b: torch.maximum(a, b))
op('maximum_scalar', [AWAY(2, 3, avoid=(0.3,))], lambda a: torch.clamp(a, min=0.3))
op('minimum', [D(2, 3, group='m'), D(2, 3, group='m')], lambda a, b: torch.minimum(a, b))
op('minimum_broadcast', [D(3, 1, group='m'), D(2, 1, 4, group='m')], lambda a, b: torch.minimum(a, b))
op('minimum_scalar', [AWAY(2, 3, avoid=(-0.2,))], lambda a: torch.clamp(a, max=-0.2))

# elementwise unary
op('neg', [U(2, 3)], lambda x: -x)
op('exp', [U(2, 3)], lambda x: x.exp())
op('log', [P(2, 3)], lambda x: x.log())
op('sqrt', [P(2, 3)], lambda x: x.sqrt())
op('sin', [U(2, 3)], lambda x: x.sin())
op('cos', [U(2, 3)], lambda x: x.cos())
op('tanh', [U(2, 3)], lambda x: x.tanh())
op('sigmoid', [U(2, 3)], lambda x: x.sigmoid())
op('relu', [AWAY(3, 4)], lambda x: x.relu())
op('abs', [AWAY(3, 4)], lambda x: x.abs())
op('clamp', [AWAY(3, 4, avoid=(-0.5, 0.5))], lambda x: x.clamp(-0.5, 0.5))
op('clamp_min', [AWAY(3, 4, avoid=(0.2,))], lambda x: x.clamp(min=0.2))
op('clamp_max', [AWAY(3, 4, avoid=(-0.3,))], lambda x: x.clamp(max=-0.3))

# comparisons (no grad); small integer inputs so that ties occur
op('lt', [INTS(3, 4), INTS(3, 4)], lambda a, b: (a < b).double())
op('lt_broadcast', [INTS(3, 1), INTS(4)], lambda a, b: (a < b).double())
op('gt', [INTS(3, 4), INTS(3, 4)], lambda a, b: (a > b).double())
op('gt_scalar', [INTS(3, 4)], lambda a: (a > 1).double())
op('le', [INTS(3, 4), INTS(3, 4)], lambda a, b: (a <= b).double())
op('le_scalar', [INTS(3, 4)], lambda a: (a <= 1).double())
op('ge', [INTS(3, 4), INTS(3, 4)], lambda a, b: (a >= b).double())
op('eq', [INTS(3, 4), INTS(3, 4)], lambda a, b: (a == b).double())
op('eq_scalar', [INTS(3, 4)], lambda a: (a == 1).double())
op('ne', [INTS(3, 4), INTS(3, 4)], lambda a, b: (a != b).double())
op('ne_broadcast', [INTS(2, 1, 3), INTS(4, 1)], lambda a, b: (a != b).double())

# where
op('where', [MASK(3, 4), U(3, 4), U(3, 4)], lambda c, a, b: torch.where(c != 0, a, b))
op('where_broadcast', [MASK(3, 1), U(4), U(3, 4)], lambda c, a, b: torch.where(c != 0, a, b))
op('where_scalar_b', [MASK(2, 3), U(2, 3)], lambda c, a: torch.where(c != 0, a, 0.5))
op('where_scalar_a', [MASK(2, 3), U(2, 3)], lambda c, b: torch.where(c != 0, -1.0, b))

# reductions
op('sum_all', [U(2, 3, 4)], lambda x: x.sum())
op('sum_dim', [U(2, 3, 4)], lambda x: x.sum(1))
op('sum_neg_dim', [U(2, 3, 4)], lambda x: x.sum(-1))
op('sum_keepdim', [U(2, 3, 4)], lambda x: x.sum(1, keepdim=True))
op('sum_dims', [U(2, 3, 4)], lambda x: x.sum([0, 2]))
op('sum_dims_keepdim', [U(2, 3, 4)], lambda x: x.sum([0, -1], keepdim=True))
op('mean_all', [U(2, 3, 4)], lambda x: x.mean())
op('mean_dim', [U(2, 3, 4)], lambda x: x.mean(0))
op('mean_dims_keepdim', [U(2, 3, 4)], lambda x: x.mean([1, 2], keepdim=True))
op('max_all', [D(2, 3, 4)], lambda x: x.amax())
op('max_dim', [D(2, 3, 4)], lambda x: x.amax(1))
op('max_neg_dim_keepdim', [D(2, 3, 4)], lambda x: x.amax(-1, keepdim=True))
op('max_dims', [D(2, 3, 4)], lambda x: x.amax([0, 2]))
op('min_all', [D(2, 3, 4)], lambda x: x.amin())
op('min_dim', [D(2, 3, 4)], lambda x: x.amin(0))
op('min_keepdim', [D(2, 3, 4)], lambda x: x.amin(1, keepdim=True))
op('argmax_all', nograd(D(3, 4)), lambda x: x.argmax().double())
op('argmax_dim', nograd(D(2, 3, 4)), lambda x: x.argmax(1).double())
op('argmax_neg_dim_keepdim', nograd(D(2, 3, 4)), lambda x: x.argmax(-1, keepdim=True).double())
op('argmin_all', nograd(D(3, 4)), lambda x: x.argmin().double())
op('argmin_dim', nograd(D(2, 3, 4)), lambda x: x.argmin(0).double())
op('var_all', [U(2, 3, 4)], lambda x: x.var())
op('var_dim', [U(2, 3, 4)], lambda x: x.var(1))
op('var_neg_dim_keepdim', [U(2, 3, 4)], lambda x: x.var(-1, keepdim=True))
op('var_correction0', [U(3, 4)], lambda x: torch.var(x, 0, correction=0))
op('var_dims', [U(2, 3, 4)], lambda x: x.var([0, 2]))
op('std_all', [U(2, 3, 4)], lambda x: x.std())
op('std_dim', [U(2, 3, 4)], lambda x: x.std(0))
op('std_correction0_keepdim', [U(2, 3, 4)], lambda x: torch.std(x, [1], keepdim=True, correction=0))

# movement
op('reshape', [U(2, 3, 4)], lambda x: x.reshape(4, 6))
op('reshape_infer', [U(2, 3, 4)], lambda x: x.reshape(-1, 4))
op('reshape_noncontiguous', [U(2, 3, 4)], lambda x: x.transpose(0, 1).reshape(6, 4))
op('view', [U(2, 3, 4)], lambda x: x.view(6, 4))
op('permute', [U(2, 3, 4)], lambda x: x.permute(2, 0, 1))
op('transpose', [U(2, 3, 4)], lambda x: x.transpose(0, 2))
op('transpose_neg_dims', [U(2, 3, 4)], lambda x: x.transpose(-1, -2))
op('T_2d', [U(2, 3)], lambda x: x.t())
op('T_3d', [U(2, 3, 4)], lambda x: x.permute(2, 1, 0))
op('expand', [U(3, 1)], lambda x: x.expand(3, 4))
op('expand_new_dims', [U(3, 1)], lambda x: x.expand(2, 3, 4))
op('squeeze_all', [U(1, 3, 1, 2)], lambda x: x.squeeze())
op('squeeze_dim', [U(1, 3, 1, 2)], lambda x: x.squeeze(2))
op('squeeze_neg_dim', [U(1, 3, 1, 2)], lambda x: x.squeeze(-4))
op('squeeze_not_size_1', [U(1, 3, 1, 2)], lambda x: x.squeeze(1))
op('unsqueeze', [U(2, 3)], lambda x: x.unsqueeze(0))
op('unsqueeze_neg', [U(2, 3)], lambda x: x.unsqueeze(-1))
op('flatten', [U(2, 3, 4)], lambda x: x.flatten())
op('flatten_start', [U(2, 3, 4)], lambda x: x.flatten(1))
op('flatten_range', [U(2, 3, 4, 2)], lambda x: x.flatten(1, -2))
op('pad_last', [U(2, 3)], lambda x: F.pad(x, [1, 2]))
op('pad_two_dims_value', [U(2, 3, 2)], lambda x: F.pad(x, [1, 0, 2, 1], value=0.5))
op('narrow', [U(3, 4)], lambda x: x.narrow(1, 1, 2))
op('narrow_neg_dim', [U(2, 3, 4)], lambda x: x.narrow(-1, 0, 3))
op('flip', [U(2, 3, 4)], lambda x: x.flip([0, 2]))
op('flip_neg_dim', [U(2, 3)], lambda x: x.flip([-1]))
op('cat', [U(2, 3), U(1, 3)], lambda a, b: torch.cat([a, b], 0))
op('cat_neg_dim', [U(2, 2), U(2, 3), U(2, 1)], lambda a, b, c: torch.cat([a, b, c], -1))
op('stack', [U(2, 3), U(2, 3)], lambda a, b: torch.stack([a, b], 0))
op('stack_neg_dim', [U(2, 3), U(2, 3), U(2, 3)], lambda a, b, c: torch.stack([a, b, c], -1))
op('slice_index', [U(3, 4)], lambda x: x[1])
op('slice_range', [U(3, 4)], lambda x: x[:, 1:3])
op('slice_steps', [U(5, 4)], lambda x: x[0:5:2, 1:4:2])
op('slice_negative', [U(5, 3)], lambda x: x[-3:-1])
op('slice_start_only', [U(3, 4)], lambda x: x[:, 2:])
op('slice_mixed', [U(2, 3, 5)], lambda x: x[0, :, 1:5:2])
op('matmul_1d_1d', [U(4), U(4)], lambda a, b: a @ b)
op('matmul_1d_2d', [U(3), U(3, 4)], lambda a, b: a @ b)
op('matmul_2d_1d', [U(3, 4), U(4)], lambda a, b: a @ b)
op('matmul_2d_2d', [U(3, 4), U(4, 2)], lambda a, b: a @ b)
op('matmul_batched', [U(2, 3, 4), U(2, 4, 5)], lambda a, b: a @ b)
op('matmul_batched_2d', [U(2, 3, 4), U(4, 5)], lambda a, b: a @ b)
op('matmul_broadcast', [U(2, 1, 3, 4), U(3, 4, 2)], lambda a, b: a @ b)
op('matmul_1d_batched', [U(4), U(2, 4, 3)], lambda a, b: a @ b)
op('dot', [U(5), U(5)], lambda a, b: torch.dot(a, b))

# softmax
op('softmax', [U(3, 4)], lambda x: x.softmax(-1))
op('softmax_dim0', [U(3, 4)], lambda x: x.softmax(0))
op('softmax_3d', [U(2, 3, 4)], lambda x: x.softmax(1))
op('logSoftmax', [U(3, 4)], lambda x: x.log_softmax(-1))
op('logSoftmax_3d', [U(2, 3, 4)], lambda x: x.log_softmax(1))

# convolution and pooling
op('conv2d', [U(1, 2, 5, 5), U(3, 2, 3, 3)], lambda x, w: F.conv2d(x, w))
op('conv2d_bias', [U(2, 2, 4, 4), U(2, 2, 3, 3), U(2)], lambda x, w, b: F.conv2d(x, w, b))
op('conv2d_stride_padding', [U(1, 2, 5, 5), U(2, 2, 3, 3)], lambda x, w: F.conv2d(x, w, stride=2, padding=1))
op('conv2d_dilation', [U(1, 1, 7, 7), U(2, 1, 3, 3)], lambda x, w: F.conv2d(x, w, dilation=2))
op('conv2d_groups_bias', [U(1, 4, 4, 4), U(6, 2, 2, 2), U(6)], lambda x, w, b: F.conv2d(x, w, b, groups=2))
op('conv2d_all', [U(1, 4, 5, 5), U(4, 2, 3, 3), U(4)],
   lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=2, groups=2))
op('conv2d_tuple_args', [U(1, 2, 5, 6), U(3, 2, 2, 3)], lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=(1, 0)))
op('conv2d_wide_padding', [U(1, 2, 4, 5), U(2, 2, 3, 3)], lambda x, w: F.conv2d(x, w, padding=3))
op('conv2d_stride_past_reach', [U(1, 1, 6, 6), U(2, 1, 2, 2)], lambda x, w: F.conv2d(x, w, stride=3, padding=(1, 0)))
op('maxPool2d', [D(1, 2, 4, 4)], lambda x: F.max_pool2d(x, 2))
op('maxPool2d_floor', [D(1, 2, 5, 7)], lambda x: F.max_pool2d(x, 2))
op('maxPool2d_overlap', [D(1, 2, 7, 7)], lambda x: F.max_pool2d(x, 3, 2))
op('maxPool2d_padding', [D(1, 1, 6, 6)], lambda x: F.max_pool2d(x, 3, 2, 1))
op('maxPool2d_tuple', [D(2, 1, 4, 6)], lambda x: F.max_pool2d(x, (2, 3)))
op('avgPool2d', [U(1, 2, 4, 4)], lambda x: F.avg_pool2d(x, 2))
op('avgPool2d_overlap', [U(1, 2, 7, 7)], lambda x: F.avg_pool2d(x, 3, 2))
op('avgPool2d_padding', [U(1, 1, 6, 6)], lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=True))
op('avgPool2d_tuple', [U(2, 1, 4, 6)], lambda x: F.avg_pool2d(x, (2, 3)))
op('avgPool2d_floor', [U(1, 1, 5, 5)], lambda x: F.avg_pool2d(x, 2))

# linear
op('linear', [U(3, 4), U(2, 4)], lambda x, w: F.linear(x, w))
op('linear_bias', [U(3, 4), U(2, 4), U(2)], lambda x, w, b: F.linear(x, w, b))
op('linear_3d', [U(2, 3, 4), U(5, 4), U(5)], lambda x, w, b: F.linear(x, w, b))

# losses
op('crossEntropy', [U(4, 5), IDX(4, n=5)], lambda x, t: F.cross_entropy(x, t.long()))
op('crossEntropy_sum', [U(4, 5), IDX(4, n=5)], lambda x, t: F.cross_entropy(x, t.long(), reduction='sum'))
op('crossEntropy_none', [U(4, 5), IDX(4, n=5)], lambda x, t: F.cross_entropy(x, t.long(), reduction='none'))
op('crossEntropy_smoothing', [U(4, 5), IDX(4, n=5)], lambda x, t: F.cross_entropy(x, t.long(), label_smoothing=0.1))
op('crossEntropy_smoothing_sum', [U(4, 5), IDX(4, n=5)],
   lambda x, t: F.cross_entropy(x, t.long(), reduction='sum', label_smoothing=0.1))
op('crossEntropy_smoothing_none', [U(4, 5), IDX(4, n=5)],
   lambda x, t: F.cross_entropy(x, t.long(), reduction='none', label_smoothing=0.1))
op('nllLoss', [U(4, 5), IDX(4, n=5)], lambda x, t: F.nll_loss(x, t.long()))
op('nllLoss_sum', [U(4, 5), IDX(4, n=5)], lambda x, t: F.nll_loss(x, t.long(), reduction='sum'))
op('nllLoss_none', [U(4, 5), IDX(4, n=5)], lambda x, t: F.nll_loss(x, t.long(), reduction='none'))
op('mseLoss', [U(3, 4), U(3, 4)], lambda x, t: F.mse_loss(x, t))
op('mseLoss_sum', [U(3, 4), U(3, 4)], lambda x, t: F.mse_loss(x, t, reduction='sum'))
op('mseLoss_none', [U(3, 4), U(3, 4)], lambda x, t: F.mse_loss(x, t, reduction='none'))
op('binaryCrossEntropy', [PROB(3, 4), PROB(3, 4, grad=False)], lambda x, t: F.binary_cross_entropy(x, t))
op('binaryCrossEntropy_sum', [PROB(3, 4), PROB(3, 4, grad=False)], lambda x, t: F.binary_cross_entropy(x, t, reduction='sum'))
op('binaryCrossEntropy_none', [PROB(3, 4), PROB(3, 4, grad=False)], lambda x, t: F.binary_cross_entropy(x, t, reduction='none'))
op('binaryCrossEntropyWithLogits', [U(3, 4), PROB(3, 4, grad=False)], lambda x, t: F.binary_cross_entropy_with_logits(x, t))
op('binaryCrossEntropyWithLogits_sum', [U(3, 4), PROB(3, 4, grad=False)],
   lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction='sum'))
op('binaryCrossEntropyWithLogits_none', [U(3, 4), PROB(3, 4, grad=False)],
   lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction='none'))

# compositions: an input used twice (gradients accumulate), and a small network end to end
op('chain_reused_input', [U(2, 3)], lambda x: (x * x).sum(1) + x.exp().mean(1))
op('chain_mlp', [U(4, 3), U(5, 3), U(5), U(2, 5), IDX(4, n=2)],
   lambda x, w1, b1, w2, t: F.cross_entropy(F.linear(F.linear(x, w1, b1).tanh(), w2), t.long()))

# ---- primitives (TensorData level, forward only) ---------------------------------------------


def window(x, axes, kernel, stride, dilation):
    """tsgrad's window: torch unfold per axis (window dims trail in `axes` order), dilation by slicing."""
    for a, k, s, d in zip(axes, kernel, stride, dilation):
        x = x.unfold(a, d * (k - 1) + 1, s)[..., ::d]
    return x


prim('neg', [U(2, 3)], lambda x: -x)
prim('exp', [U(2, 3)], lambda x: x.exp())
prim('exp_permuted_view', [U(2, 3)], lambda x: x.permute(1, 0).exp())
prim('log', [P(2, 3)], lambda x: x.log())
prim('sin', [U(2, 3)], lambda x: x.sin())
prim('sqrt', [P(2, 3)], lambda x: x.sqrt())
prim('recip', [AWAY(2, 3, margin=0.3)], lambda x: 1 / x)
prim('add', [U(2, 3), U(2, 3)], lambda a, b: a + b)
prim('add_expanded_view', [U(3, 4), U(1, 4)], lambda a, b: a + b.expand(3, 4))
prim('sub', [U(2, 3), U(2, 3)], lambda a, b: a - b)
prim('mul', [U(2, 3), U(2, 3)], lambda a, b: a * b)
prim('div', [U(2, 3), P(2, 3)], lambda a, b: a / b)
prim('max', [D(2, 3, group='m'), D(2, 3, group='m')], lambda a, b: torch.maximum(a, b))
prim('max_ties', [INTS(3, 4), INTS(3, 4)], lambda a, b: torch.maximum(a, b))
prim('cmplt', [INTS(3, 4), INTS(3, 4)], lambda a, b: (a < b).double())
prim('where', [MASK(3, 4), U(3, 4), U(3, 4)], lambda c, a, b: torch.where(c != 0, a, b))
prim('mulacc', [U(2, 3, 4), U(2, 3, 4)], lambda a, b: (a * b).sum(1, keepdim=True))
prim('mulacc_axes', [U(2, 3, 4), U(2, 3, 4)], lambda a, b: (a * b).sum([0, 2], keepdim=True))
prim('mulacc_neg_axis', [U(2, 3, 4), U(2, 3, 4)], lambda a, b: (a * b).sum(-1, keepdim=True))
prim('mulacc_expanded_matmul', [U(2, 3, 1), U(1, 3, 4)],
     lambda a, b: (a.expand(2, 3, 4) * b.expand(2, 3, 4)).sum(1, keepdim=True))
prim('sum', [U(2, 3, 4)], lambda x: x.sum(1, keepdim=True))
prim('sum_axes', [U(2, 3, 4)], lambda x: x.sum([0, 2], keepdim=True))
prim('sum_all_axes', [U(2, 3, 4)], lambda x: x.sum([0, 1, 2], keepdim=True))
prim('sum_no_axes', [U(2, 3)], lambda x: x.clone())
prim('sum_permuted_view', [U(2, 3, 4)], lambda x: x.permute(2, 0, 1).sum(1, keepdim=True))
prim('amax', [D(2, 3, 4)], lambda x: x.amax(0, keepdim=True))
prim('amax_axes', [D(2, 3, 4)], lambda x: x.amax([1, 2], keepdim=True))
prim('amax_neg_axis', [D(2, 3, 4)], lambda x: x.amax(-1, keepdim=True))
prim('reshape', [U(2, 3, 4)], lambda x: x.reshape(6, 4))
prim('reshape_split', [U(6, 4)], lambda x: x.reshape(2, 3, 2, 2))
prim('reshape_noncontiguous', [U(2, 3, 4)], lambda x: x.permute(1, 0, 2).reshape(3, 8))
prim('permute', [U(2, 3, 4)], lambda x: x.permute(2, 0, 1))
prim('expand', [U(3, 1)], lambda x: x.expand(3, 4))
prim('shrink', [U(4, 3, 5)], lambda x: x[1:3, 0:2, 1:4])
prim('stride', [U(5, 4)], lambda x: x[::2, ::1])
prim('stride_negative', [U(4, 5)], lambda x: x.flip(0)[:, ::2])
prim('stride_negative_2', [U(3, 5)], lambda x: x.flip(1)[:, ::2])
prim('window_1d', [U(1, 1, 7)], lambda x: window(x, [2], [3], [2], [1]))
prim('window_2d', [U(1, 2, 6, 6)], lambda x: window(x, [2, 3], [3, 2], [2, 1], [1, 2]))
prim('window_axes_reversed', [U(1, 2, 6, 6)], lambda x: window(x, [3, 2], [2, 3], [1, 2], [2, 1]))
prim('pad', [U(2, 3)], lambda x: F.pad(x, [2, 1, 1, 0]))
prim('pad_value', [U(2, 3, 2)], lambda x: F.pad(x, [0, 1, 1, 1, 2, 0], value=-1.5))
prim('const', [], lambda: torch.full((2, 3), 2.5))
prim('fromArray', [], lambda: torch.tensor([0.1, -0.2, 1 / 3, 1e-3, 2.5, -7.0], dtype=torch.float32).double().reshape(2, 3))


# ---- recording -------------------------------------------------------------------------------

def f32_list(t):
    """float32-rounded values, row-major, printed with 9 significant digits."""
    return [float('%.9g' % v) for v in t.detach().float().reshape(-1).tolist()]


def packed(t):
    return {'shape': list(t.shape), 'values': f32_list(t)}


def record(name, specs, fn, with_grads):
    torch.manual_seed(zlib.crc32(name.encode()))
    xs32 = draw_inputs(specs)
    xs = [x.double().requires_grad_(with_grads and s.grad) for x, s in zip(xs32, specs)]
    out = fn(*xs)
    if out.dtype != torch.float64:
        out = out.double()
    row = {
        'name': name,
        'inputs': [dict(packed(x32), requiresGrad=bool(x.requires_grad)) for x32, x in zip(xs32, xs)],
        'output': packed(out),
    }
    if any(x.requires_grad for x in xs):
        grad_out = torch.randn(out.shape, dtype=torch.float32)
        (out * grad_out.double()).sum().backward()
        row['gradOut'] = packed(grad_out)
        row['grads'] = [packed(x.grad) if x.requires_grad else None for x in xs]
    return row


def write(filename, rows, with_grads, description, generator='scripts/generate_fixtures.py'):
    names = [r[0] for r in rows]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SystemExit(f'duplicate row names: {dupes}')
    data = {
        'description': description,
        'generator': generator,
        'torch': torch.__version__,
        'rows': [record(name, specs, fn, with_grads) for name, specs, fn in rows],
    }
    path = os.path.join(OUT_DIR, filename)
    with open(path, 'w') as f:
        # One row per line keeps diffs readable.
        f.write('{\n')
        for key in ('description', 'generator', 'torch'):
            f.write(f'  {json.dumps(key)}: {json.dumps(data[key])},\n')
        f.write('  "rows": [\n')
        f.write(',\n'.join('    ' + json.dumps(r, separators=(',', ':')) for r in data['rows']))
        f.write('\n  ]\n}\n')
    print(f'{path}: {len(rows)} rows, {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    os.makedirs(OUT_DIR, exist_ok=True)
    write('ops.json', OPS, True, 'Tensor-level rows for tests/ops.test.ts: inputs, output, gradOut and input grads of sum(out*gradOut).')
    write('primitives.json', PRIMS, False, 'TensorData-level rows for tests/primitives.test.ts: inputs and output.')
