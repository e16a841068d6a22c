#!/usr/bin/python3
"""Records how PyTorch prints tensors, parameters and modules, for tests/printing.test.ts.

Writes tests/fixtures/print.json. Rerun from the repository root with Debian's PyTorch:
  /usr/bin/python3 scripts/generate_print_fixtures.py

Tensor rows: a float32 tensor (its shape and exact values, each as Python's repr of the float so that
inf, nan and -0.0 survive JSON), whether it requires grad, the name of an op applied to it (the TS test
holds the same op under the same name), and `repr(torch_result)` with PyTorch's default print options.
Module rows: a module built here and `repr(module)`; the TS test builds the same module under the same name.
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_fixtures import OUT_DIR  # noqa: E402  (importing it sets float64 as default dtype; undone below)

torch.set_default_dtype(torch.float32)  # as a user's session: float32 tensors print without a dtype suffix
torch.set_printoptions(profile='default')

TENSORS = []
MODULES = []


def row(name, make, op=None, grad=False):
    """`make()` gives the float32 input; `op` (a name the TS test knows) is applied after requires_grad."""
    TENSORS.append((name, make, op, grad))


def module(name, make):
    MODULES.append((name, make))


def seeded(seed, fn):
    def make():
        torch.manual_seed(seed)
        return fn()
    return make


def t(values):
    return lambda: torch.tensor(values, dtype=torch.float32)


class Cube(torch.autograd.Function):
    """A user-defined Function: PyTorch prints its node as CubeBackward, without a variant number."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 3 * x * x


def add_through_view(x):
    """A copy of x with 1 added to its first cell through a view: (the base, the view)."""
    base = x.clone()
    view = base[0:1]
    view.add_(1)
    return base, view


OPS = {
    'mul2': lambda x: x * 2,
    'add1': lambda x: x + 1,
    'exp': lambda x: x.exp(),
    'neg': lambda x: -x,
    'sum': lambda x: x.sum(),
    'relu': lambda x: x.relu(),
    'sigmoid': lambda x: x.sigmoid(),
    'parameter': lambda x: nn.Parameter(x),
    'cube': Cube.apply,
    'pow2': lambda x: x.pow(2),
    'pow_tensor': lambda x: x.pow(torch.tensor(2.0)),
    'clamp01': lambda x: x.clamp(0, 1),
    'clamp_min0': lambda x: x.clamp(min=0),
    'tanh': lambda x: x.tanh(),
    'std': lambda x: x.std(),
    'cumsum': lambda x: x.cumsum(0),
    'max_pool2': lambda x: torch.nn.functional.max_pool2d(x, 2),
    'conv_ones3': lambda x: torch.nn.functional.conv2d(x, torch.ones(1, 1, 3, 3)),
    'copy_double': lambda x: x.clone().copy_(x * 2),
    'fill2': lambda x: x.clone().fill_(2),
    'add_through_view_base': lambda x: add_through_view(x)[0],
    'add_through_view_view': lambda x: add_through_view(x)[1],
}

# integers (int mode: `1.`)
row('ints_1d', t([1, 2, 3]))
row('ints_negative', t([-3, 0, 7, 12]))
row('ints_2d', t([[1, -20], [300, 4]]))
row('ints_sci_ratio', t([1, 100000]))
row('ints_sci_large', t([1e9, 2e9, -3e9]))
row('ints_wide', lambda: torch.arange(50, dtype=torch.float32))
row('zeros', lambda: torch.zeros(2, 3))
# fixed, 4 decimals
row('mixed_1d', seeded(1, lambda: torch.randn(5)))
row('mixed_2d', seeded(2, lambda: torch.randn(3, 4)))
row('mixed_with_ints', t([1, 2.5, -3]))
row('fixed_large', t([99999.5, 100.25]))
row('fixed_ratio_below_1000', t([0.999999, 0.001]))
row('tie_half_even', t([0.03125, 0.09375, 1.5]))
row('rounds_to_zero_negative', t([-0.00004, 0.5, 0.25]))
row('ties_in_32nds', lambda: torch.arange(1, 32, dtype=torch.float32) / 32)
row('ints_just_below_1e8', t([99999999, 100000]))
# scientific
row('tiny', seeded(3, lambda: torch.randn(4) * 1e-5))
row('huge', seeded(4, lambda: torch.randn(3) * 1e9))
row('ratio_over_1000', t([0.001, 10, 2]))
row('sci_tie_half_even', t([12344.5, 0.5]))
row('sci_mixed_2d', seeded(5, lambda: torch.randn(2, 3) * torch.tensor([1e-3, 1, 1e3])))
row('sci_negative_exponent_3_digits', t([1e-30, 1]))
row('sci_large_exponent', t([3e38, -1]))
row('sci_ties', t([12344.5, 12345.5, 0.5, 1.5, 2.5e-3]))
row('sci_rounds_up_to_next_power', t([9.99995e4, 1e-3]))
row('sci_many_magnitudes', seeded(23, lambda: torch.randn(24) * 10 ** (torch.rand(24) * 12 - 6)))
# inf, nan, negative zero
row('inf_nan_ints', t([1, math.inf, -math.inf, math.nan]))
row('inf_nan_floats', t([1.5, math.inf, math.nan, -2.25]))
row('all_nan', t([math.nan, math.nan]))
row('all_inf', t([math.inf, -math.inf]))
row('inf_sci', t([1e-6, math.inf, 1]))
row('negative_zero_ints', t([-0.0, 0.0, 1]))
row('negative_zero_floats', t([-0.0, 0.5]))
row('negative_zero_alone', t([-0.0]))
# ranks
row('scalar_int', t(3))
row('scalar_float', t(-0.1234567))
row('scalar_inf', t(math.inf))
row('scalar_tiny', t(1e-7))
row('scalar_negative_zero', t(-0.0))
row('one_element_2d', t([[2.5]]))
row('three_d', seeded(6, lambda: torch.randn(2, 3, 4)))
row('four_d', seeded(7, lambda: torch.randn(2, 2, 2, 3)))
row('three_d_ints', lambda: torch.arange(24, dtype=torch.float32).reshape(2, 3, 4))
# empty
row('empty_1d', lambda: torch.zeros(0))
row('empty_2d', lambda: torch.zeros(2, 0))
row('empty_3d', lambda: torch.zeros(0, 3, 1))
# summarized (more than 1000 values)
row('big_1d_ints', lambda: torch.arange(2000, dtype=torch.float32))
row('big_1d_floats', seeded(8, lambda: torch.randn(1001)))
row('big_2d', seeded(9, lambda: torch.randn(40, 40)))
row('big_3d', seeded(10, lambda: torch.randn(20, 10, 10)))
row('big_column', seeded(11, lambda: torch.randn(1001, 1)))
row('big_row', seeded(12, lambda: torch.randn(1, 1001)))
row('big_summary_sets_format', lambda: torch.cat([torch.ones(3), torch.full((1000,), 0.5), torch.ones(3)]))
row('big_exactly_1000', lambda: torch.arange(1000, dtype=torch.float32).reshape(10, 100))
# wide rows that wrap at 80 characters
row('wide_row', seeded(13, lambda: torch.randn(30)))
row('wide_2d', seeded(14, lambda: torch.randn(2, 25)))
row('wide_sci', seeded(15, lambda: torch.randn(20) * 1e6))
row('wide_3d', seeded(16, lambda: torch.randn(2, 2, 12) * 100))
# gradient suffixes
row('requires_grad', seeded(17, lambda: torch.randn(3)), grad=True)
row('requires_grad_scalar', t(2), grad=True)
row('requires_grad_wraps', seeded(18, lambda: torch.randn(8)), grad=True)
row('requires_grad_wraps_2d', seeded(19, lambda: torch.randn(2, 8)), grad=True)
row('grad_fn_mul', seeded(20, lambda: torch.randn(2, 2)), op='mul2', grad=True)
row('grad_fn_add', t([1, 2]), op='add1', grad=True)
row('grad_fn_exp', t([0, 1]), op='exp', grad=True)
row('grad_fn_neg', t([0.5]), op='neg', grad=True)
row('grad_fn_sum', t([[1, 2], [3, 4]]), op='sum', grad=True)
row('grad_fn_relu', t([-1, 2]), op='relu', grad=True)
row('grad_fn_sigmoid', seeded(21, lambda: torch.randn(9)), op='sigmoid', grad=True)
row('no_grad_fn_without_grad', t([1, 2]), op='mul2')
row('grad_fn_user_function', t([1, 2]), op='cube', grad=True)
row('grad_fn_pow_number', t([0.5, 2]), op='pow2', grad=True)
row('grad_fn_pow_tensor', t([0.5, 2]), op='pow_tensor', grad=True)
row('grad_fn_clamp', t([-1, 0.5, 2]), op='clamp01', grad=True)
row('grad_fn_clamp_min', t([-1, 0.5, 2]), op='clamp_min0', grad=True)
row('grad_fn_tanh', t([-1, 0, 0.25, 0.5]), op='tanh', grad=True)
row('grad_fn_std', t([1, 2, 3, 4]), op='std', grad=True)
row('grad_fn_cumsum', t([1, 2, 3]), op='cumsum', grad=True)
row('grad_fn_max_pool', lambda: torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4), op='max_pool2', grad=True)
row('grad_fn_copy_', t([1, 2]), op='copy_double', grad=True)
row('grad_fn_fill_', t([1, 2]), op='fill2', grad=True)
row('grad_fn_in_place_through_view_base', t([1, 2]), op='add_through_view_base', grad=True)
row('grad_fn_in_place_through_view_view', t([1, 2]), op='add_through_view_view', grad=True)
row('grad_fn_conv', lambda: torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4), op='conv_ones3', grad=True)
# parameters
row('parameter_2d', seeded(22, lambda: torch.randn(2, 3)), op='parameter')
row('parameter_scalar', t(1), op='parameter')


# ---- modules --------------------------------------------------------------------------------------

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(8 * 14 * 14, 10))


class Stack(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 4), nn.Tanh(), nn.Sequential(nn.Linear(4, 2), nn.Sigmoid())])
        self.head = nn.Softmax(dim=1)


class Empty(nn.Module):
    pass


module('mlp', lambda: nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)))
module('cnn', lambda: nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2), nn.AvgPool2d(2),
    nn.Flatten(), nn.Dropout(0.5), nn.Linear(8 * 7 * 7, 10), nn.LogSoftmax(dim=1)))
module('nested', Net)
module('module_list', Stack)
module('empty_module', Empty)
module('empty_sequential', nn.Sequential)
module('linear_no_bias', lambda: nn.Linear(3, 2, bias=False))
module('conv_defaults', lambda: nn.Conv2d(3, 16, 5))
module('conv_all_settings', lambda: nn.Conv2d(4, 8, (3, 5), stride=2, padding=1, dilation=2, groups=2, bias=False))
module('conv_pairs', lambda: nn.Conv2d(3, 6, 3, stride=(1, 2), padding=(0, 2)))
module('maxpool', lambda: nn.MaxPool2d(2))
module('maxpool_stride_padding', lambda: nn.MaxPool2d(3, 2, 1))
module('maxpool_pair', lambda: nn.MaxPool2d((2, 3)))
module('avgpool', lambda: nn.AvgPool2d(2))
module('avgpool_pair_stride', lambda: nn.AvgPool2d((2, 3), stride=1))
module('dropout', nn.Dropout)
module('dropout_quarter', lambda: nn.Dropout(0.25))
module('flatten', nn.Flatten)
module('flatten_dims', lambda: nn.Flatten(0, 2))
module('batchnorm1d', lambda: nn.BatchNorm1d(16))
module('batchnorm2d_settings', lambda: nn.BatchNorm2d(8, eps=1e-3, momentum=0.2, affine=False, track_running_stats=False))
module('relu', nn.ReLU)
module('tanh', nn.Tanh)
module('sigmoid', nn.Sigmoid)
module('gelu_tanh', lambda: nn.GELU(approximate='tanh'))
module('softmax', lambda: nn.Softmax(dim=1))
module('log_softmax', lambda: nn.LogSoftmax(dim=-1))
module('cross_entropy_loss', nn.CrossEntropyLoss)
module('nll_loss', nn.NLLLoss)
module('mse_loss', nn.MSELoss)
module('bce_loss', nn.BCELoss)
module('bce_with_logits_loss', nn.BCEWithLogitsLoss)


# ---- recording --------------------------------------------------------------------------------------

def tensor_row(name, make, op, grad):
    x = make().float()
    if grad:
        x.requires_grad_(True)
    out = OPS[op](x) if op else x
    return {
        'name': name,
        'shape': list(x.shape),
        'values': [repr(float(v)) for v in x.detach().reshape(-1).tolist()],
        'requiresGrad': grad,
        'op': op,
        'expected': repr(out),
    }


def main():
    names = [n for n, *_ in TENSORS] + [n for n, _ in MODULES]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SystemExit(f'duplicate row names: {dupes}')
    tensors = [tensor_row(*r) for r in TENSORS]
    modules = [{'name': name, 'expected': repr(make())} for name, make in MODULES]
    path = os.path.join(OUT_DIR, 'print.json')
    with open(path, 'w') as f:
        f.write('{\n')
        f.write(f'  "description": {json.dumps("repr() of tensors, parameters and modules, for tests/printing.test.ts")},\n')
        f.write('  "generator": "scripts/generate_print_fixtures.py",\n')
        f.write(f'  "torch": {json.dumps(torch.__version__)},\n')
        for key, rows in (('tensors', tensors), ('modules', modules)):
            f.write(f'  "{key}": [\n')
            f.write(',\n'.join('    ' + json.dumps(r, separators=(',', ':')) for r in rows))
            f.write('\n  ]' + (',' if key == 'tensors' else '') + '\n')
        f.write('}\n')
    print(f'{path}: {len(tensors)} tensor rows, {len(modules)} module rows, {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    main()
