#!/usr/bin/python3
"""Records PyTorch's values at the edges: kinks, ties, 0, ±inf, NaN and saturation.

Writes:
  tests/fixtures/edge.json  rows for tests/edge.test.ts (forward values and input gradients)

Rerun from the repository root with Debian's PyTorch (the pyenv `python3` on PATH has no torch):
  /usr/bin/python3 scripts/generate_edge_fixtures.py

Unlike scripts/generate_fixtures.py, whose inputs are random draws kept away from kinks, every input
here is written out: the point of a row is the value it sits on. A finite difference cannot check a
gradient at a kink; PyTorch's number can. Rows compute in float32, as tsgrad does, since saturation
depends on it (sigmoid(20) is 1 in float32, so binary_cross_entropy(sigmoid(20), 0) is 100, not 20).
Rows marked `exact` compute in float64 and round once: they check tsgrad's accuracy, not PyTorch's.
The upstream gradient is 1 for every output cell unless a row gives its own `grad_out`.
NaN and ±inf are written as the strings "NaN", "Infinity" and "-Infinity" (JSON has no such numbers).
"""
import json
import math
import os

import torch
import torch.nn.functional as F

from generate_fixtures import OUT_DIR

inf, nan = math.inf, math.nan


class V:
    """An input given by its values (nested lists, or a number for a 0-d tensor)."""

    def __init__(self, values, grad=True):
        self.values, self.grad = values, grad


def C(values):
    """An input that does not require grad (a target, a condition)."""
    return V(values, grad=False)


ROWS = []


def edge(name, inputs, fn, grad_out=None, exact=False):
    ROWS.append((name, inputs, fn, grad_out, exact))


# ---- clamp: the gradient is 1 at the bounds; NaN passes through with gradient 0 ----------------
edge('clamp_at_bounds', [V([-1, 0, 0.5, 1, 2, nan])], lambda x: x.clamp(0, 1))
edge('clamp_min_at_bound', [V([-1, 0, 1, nan, -inf])], lambda x: x.clamp(min=0))
edge('clamp_max_at_bound', [V([-1, 0, 1, nan, inf])], lambda x: x.clamp(max=0))
edge('clamp_min_above_max', [V([0, 0.5, 1, 2])], lambda x: x.clamp(1, 0))
edge('clamp_min_equals_max', [V([0.5, 0.25, 0.75])], lambda x: x.clamp(0.5, 0.5))
edge('clamp_infinities', [V([-inf, inf, 0.25])], lambda x: x.clamp(-0.5, 0.5))

# ---- maximum / minimum: ties split the gradient; NaN wins and both sides get all of it --------
TIE_A = [1, 2, 1, nan, 1, -inf, inf, 0]
TIE_B = [1, 1, 2, 1, nan, -inf, inf, -0.0]
edge('maximum_ties_nan', [V(TIE_A), V(TIE_B)], lambda a, b: torch.maximum(a, b))
edge('minimum_ties_nan', [V(TIE_A), V(TIE_B)], lambda a, b: torch.minimum(a, b))
edge('maximum_scalar_tie', [V([0, 1, -1])], lambda x: torch.maximum(x, torch.tensor(0.0)))
edge('minimum_broadcast_ties', [V([[1, 2], [3, 1]]), V([1, 3])], lambda a, b: torch.minimum(a, b))

# ---- max / min reductions: tsgrad's max is torch.amax (ties share evenly; a NaN max gives NaN) --
edge('max_dim_ties', [V([[1, 1, 0], [2, 2, 2], [-inf, -inf, -inf], [inf, 0, inf]])], lambda x: x.amax(1))
edge('max_dim_nan', [V([[nan, 1, nan], [1, nan, 3]])], lambda x: x.amax(1))
edge('max_all_ties', [V([[1, 3, 3], [0, 3, 1]])], lambda x: x.amax())
edge('max_all_nan', [V([[1, nan], [0, 2]])], lambda x: x.amax())
edge('max_dims_keepdim_ties', [V([[[1, 2], [2, 0]], [[2, 1], [-1, 2]]])], lambda x: x.amax([0, 2], keepdim=True))
edge('min_dim_ties', [V([[1, 1, 2], [0, 0, 0], [nan, 0, 0]])], lambda x: x.amin(1))
edge('min_all_ties', [V([[1, 0, 0], [0, 2, 3]])], lambda x: x.amin())
# argmax/argmin: the first extreme; a NaN counts as the largest and the smallest (no gradient).
edge('argmax_ties_nan', [C([[1, 3, 3], [2, nan, nan], [-inf, -inf, -inf]])], lambda x: x.argmax(1).float())
edge('argmin_ties_nan', [C([[1, 0, 0], [2, nan, nan], [inf, inf, inf]])], lambda x: x.argmin(1).float())

# comparisons: every comparison with NaN is false, except ≠ (no gradient)
CMP_A = [1, nan, nan, 1, inf, -inf, 2]
CMP_B = [1, 1, nan, nan, inf, inf, 1]
edge('lt_nan', [C(CMP_A), C(CMP_B)], lambda a, b: (a < b).float())
edge('gt_nan', [C(CMP_A), C(CMP_B)], lambda a, b: (a > b).float())
edge('le_nan', [C(CMP_A), C(CMP_B)], lambda a, b: (a <= b).float())
edge('ge_nan', [C(CMP_A), C(CMP_B)], lambda a, b: (a >= b).float())
edge('eq_nan', [C(CMP_A), C(CMP_B)], lambda a, b: (a == b).float())
edge('ne_nan', [C(CMP_A), C(CMP_B)], lambda a, b: (a != b).float())

# ---- maxPool2d: the whole gradient of a window goes to its first maximum (the last NaN) --------
edge('maxPool2d_ties', [V([[[[1, 1, 0, 2], [1, 0, 2, 2], [3, 0, 5, 5], [0, 3, 5, 5]]]])], lambda x: F.max_pool2d(x, 2))
edge('maxPool2d_ties_overlap', [V([[[[1, 1, 1], [1, 1, 1], [1, 1, 1]]]])], lambda x: F.max_pool2d(x, 2, 1))
edge('maxPool2d_ties_padding', [V([[[[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]]])],
     lambda x: F.max_pool2d(x, 3, 2, 1))
edge('maxPool2d_padding_all_neg_inf', [V([[[[-inf] * 4] * 4]])], lambda x: F.max_pool2d(x, 3, 2, 1))
edge('maxPool2d_ties_tuple_floor', [V([[[[2, 2, 2, 1, 1, 1, 9], [2, 2, 2, 1, 1, 1, 9], [7, 7, 7, 7, 7, 7, 7]]]])],
     lambda x: F.max_pool2d(x, (2, 3)))
edge('maxPool2d_nan', [V([[[[nan, 1], [nan, 1]], [[1, nan], [2, 0]]]])], lambda x: F.max_pool2d(x, 2))
edge('maxPool2d_infinities', [V([[[[-inf, -inf], [-inf, -inf]], [[inf, 1], [inf, inf]]]])], lambda x: F.max_pool2d(x, 2))

# ---- pow: PyTorch's rules at 0, for negative bases, and for x⁰ and 1ᵉ -------------------------
edge('pow_2_5_at_zero', [V([0, 1, -1, 4])], lambda x: x ** 2.5)
edge('pow_half_at_zero', [V([0, 1, -1, 4])], lambda x: x ** 0.5)
edge('pow_2_at_zero', [V([0, -2, inf, nan])], lambda x: x ** 2)
edge('pow_3_negative', [V([0, -2, -inf])], lambda x: x ** 3)
edge('pow_0', [V([0, nan, inf, -2])], lambda x: x ** 0)
edge('pow_minus_2_at_zero', [V([0, 2, -2, inf])], lambda x: x ** -2)
edge('pow_minus_half_at_zero', [V([0, 4, -4])], lambda x: x ** -0.5)
edge('pow_tensor_scalar_negative_base', [V(-2.0), V(2.0)], lambda x, e: x ** e)
edge('pow_tensor_negative_base', [V([-2, -2, -2, -0.5, -3, -1]), V([2, 3, 0.5, 3, -1, -2])], lambda x, e: x ** e)
edge('pow_tensor_zero_base', [V([0, 0, 0, 0, 0]), V([0, 2, -1, 0.5, -2])], lambda x, e: x ** e)
edge('pow_tensor_negative_zero_base', [V([-0.0, -0.0, -0.0, -0.0, -0.0]), V([-1, 3, 0.5, -0.5, 2])], lambda x, e: x ** e)
edge('pow_tensor_one_nan', [V([1, nan, 2, 1, 0]), V([nan, 0, 0, inf, nan])], lambda x, e: x ** e)
edge('pow_tensor_large_exponents', [V([-1, -1, -1, -1, -1, -1]), V([4194305, 4194304.5, 8388609, 16777216, 1e30, -8388607])],
     lambda x, e: x ** e)
edge('pow_tensor_infinities', [V([-inf, -inf, inf, -2, -0.5, 2]), V([2, 3, -1, inf, inf, -inf])], lambda x, e: x ** e)
edge('pow_tensor_broadcast_negative_base', [V([[-2], [-3]]), C([1, 2, 3])], lambda x, e: x ** e)

# ---- std / var: 0 for a constant row (not NaN), NaN for one element with correction 1 ---------
edge('std_constant_row', [V([[1, 1, 1], [1, 2, 3]])], lambda x: x.std(1))
edge('std_constant_all', [V([[2, 2], [2, 2]])], lambda x: x.std())
edge('std_one_element', [V([[1.0]])], lambda x: x.std(1))
edge('std_correction0_constant', [V([3, 3])], lambda x: torch.std(x, [0], correction=0))
edge('std_keepdim_constant', [V([[5, 5], [1, 4]])], lambda x: x.std(0, keepdim=True))
edge('var_constant_row', [V([[1, 1, 1], [1, 2, 3]])], lambda x: x.var(1))
edge('var_one_element', [V([[1.0]])], lambda x: x.var(1))

# ---- binary cross-entropy: logs clamped at -100; gradient (p - t) / max(p(1 - p), 1e-12) -------
edge('bce_at_0_and_1', [V([0, 0, 1, 1, 0.5, 0.25]), V([0, 1, 0, 1, 0.3, 0.25])],
     lambda p, t: F.binary_cross_entropy(p, t, reduction='none'))
edge('bce_mean_at_0_and_1', [V([0, 1, 1]), C([1, 1, 0])], lambda p, t: F.binary_cross_entropy(p, t))
edge('bce_sigmoid_20', [V(20.0), C(0.0)], lambda x, t: F.binary_cross_entropy(torch.sigmoid(x), t))
edge('bce_sigmoid_saturated', [V([20, -20, 100, -100, 17]), C([0, 1, 1, 0, 0])],
     lambda x, t: F.binary_cross_entropy(torch.sigmoid(x), t, reduction='none'))

# ---- binary cross-entropy with logits: gradient σ(x) − t, also at the kink x = 0 --------------
edge('bceWithLogits_at_zero', [V([0, 0, 0, 0, -0.0]), V([0, 1, 0.3, 0.5, 0.7])],
     lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction='none'))
edge('bceWithLogits_near_zero', [V([1e-7, -1e-7, 1e-30, -1e-30]), C([0.3, 0.3, 1, 0])],
     lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction='none'))
edge('bceWithLogits_saturation', [V([100, -100, 20, -20, inf, -inf]), C([0, 1, 0, 1, 0.3, 0.3])],
     lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction='none'))
edge('bceWithLogits_mean_at_zero', [V([0, 0, 3]), C([1, 0, 0.5])], lambda x, t: F.binary_cross_entropy_with_logits(x, t))

# ---- tanh: no cancellation near 0 (checked against float64, to 1e-6 relative), saturation ------
TANH_SWEEP = [1e-3, -1e-3, 1e-4, 3e-3, 1e-5, 1e-8, 1e-30, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 4, 5, 7, -0.3, -2]
edge('tanh_small_and_medium', [V(TANH_SWEEP)], lambda x: x.tanh(), exact=True)
edge('tanh_saturation', [V([0, 9, 10, 20, 100, -100, inf, -inf, nan])], lambda x: x.tanh())

# ---- other kinks, saturation and infinities ---------------------------------------------------
edge('abs_at_zero', [V([0, -0.0, -1, 1, nan, -inf])], lambda x: x.abs())
edge('relu_at_zero', [V([0, -0.0, -1, 1, nan, inf])], lambda x: x.relu())
edge('sqrt_at_zero', [V([0, -1, 4, inf])], lambda x: x.sqrt())
edge('log_at_zero', [V([0, -1, 1, inf])], lambda x: x.log())
edge('reciprocal_at_zero', [V([0, inf, -inf, nan, -2])], lambda x: x.reciprocal())
edge('cos_sin_infinities', [V([inf, -inf, nan, 0])], lambda x: x.cos() + x.sin())
edge('exp_overflow', [V([100, 89, -inf, inf, -104, nan])], lambda x: x.exp())
edge('sigmoid_saturation', [V([100, -100, inf, -inf, 20, -20, 0])], lambda x: x.sigmoid())
edge('div_by_zero', [V([1, 0, -1, inf]), V([0, 0, 0, 0])], lambda a, b: a / b)
edge('div_infinities', [V([1, inf, inf]), V([inf, inf, 2])], lambda a, b: a / b)
edge('mul_inf_zero', [V([inf, 0]), V([0, inf])], lambda a, b: a * b)
SOFTMAX_ROWS = [[-inf, 0, 1], [inf, 0, 1], [-inf, -inf, -inf], [-inf, -inf, 2]]
SOFTMAX_GRAD = [[1, 2, 3]] * 4
edge('sum_mean_infinities', [V([[inf, -inf], [inf, 1], [nan, 0]])], lambda x: x.sum(1) + x.mean(1))
edge('avgPool2d_infinities', [V([[[[inf, 1], [2, 3]], [[inf, -inf], [0, 0]]]])], lambda x: F.avg_pool2d(x, 2))
edge('matmul_infinities', [V([[inf, 0], [1, 2]]), V([[0, 1], [1, inf]])], lambda a, b: a @ b)
edge('softmax_infinities', [V(SOFTMAX_ROWS)], lambda x: x.softmax(-1), grad_out=SOFTMAX_GRAD)
edge('logSoftmax_infinities', [V(SOFTMAX_ROWS)], lambda x: x.log_softmax(-1), grad_out=SOFTMAX_GRAD)
edge('softmax_large', [V([[1000, 0, -1000], [88, 89, 90]])], lambda x: x.softmax(-1), grad_out=[[1, 2, 3], [1, 2, 3]])
edge('crossEntropy_large_logits', [V([[1000, 0, -1000], [-1000, 1000, 0], [1e30, 1e30, 0]]), C([0, 2, 1])],
     lambda x, t: F.cross_entropy(x, t.long(), reduction='none'))
edge('crossEntropy_smoothing_large_logits', [V([[1000, 0, -1000], [0, -inf, 5]]), C([0, 2])],
     lambda x, t: F.cross_entropy(x, t.long(), reduction='none', label_smoothing=0.1))
edge('crossEntropy_neg_inf_logits', [V([[0, -inf, 5], [-inf, 1, -inf]]), C([0, 1])],
     lambda x, t: F.cross_entropy(x, t.long(), reduction='none'))
edge('nllLoss_neg_inf', [V([[-0.5, -inf], [-inf, -0.1]]), C([0, 0])], lambda x, t: F.nll_loss(x, t.long(), reduction='none'))
edge('mseLoss_equal_and_infinite', [V([1, 2, inf, 1e20]), V([1, 3, inf, -1e20])],
     lambda x, t: F.mse_loss(x, t, reduction='none'))
edge('gelu_extremes', [V([-inf, -100, -10, -1e-3, 0, 1e-3, 10, 100, inf])], lambda x: F.gelu(x, approximate='tanh'))
ELU_EDGES = [0, -0.0, 1e-30, -1e-30, -100, -inf, nan, inf]
edge('elu_edges', [V(ELU_EDGES)], lambda x: F.elu(x))
edge('elu_alpha_edges', [V(ELU_EDGES)], lambda x: F.elu(x, 0.5))
edge('minimum_maximum_chain_clamp', [V([-1, 0, 1, 2])], lambda x: torch.minimum(torch.maximum(x, torch.tensor(0.0)), torch.tensor(1.0)))


# ---- recording -------------------------------------------------------------------------------

def number(v):
    """A float32 value as JSON: 9 significant digits, or a string for NaN and ±inf."""
    if math.isnan(v):
        return 'NaN'
    if math.isinf(v):
        return 'Infinity' if v > 0 else '-Infinity'
    return float('%.9g' % v)


def packed(t):
    return {'shape': list(t.shape), 'values': [number(v) for v in t.detach().float().reshape(-1).tolist()]}


def record(name, inputs, fn, grad_out, exact):
    dtype = torch.float64 if exact else torch.float32
    xs32 = [torch.tensor(x.values, dtype=torch.float32) for x in inputs]
    xs = [x.to(dtype).requires_grad_(spec.grad) for x, spec in zip(xs32, inputs)]
    out = fn(*xs)
    row = {
        'name': name,
        'inputs': [dict(packed(x32), requiresGrad=spec.grad) for x32, spec in zip(xs32, inputs)],
        'output': packed(out),
    }
    if any(spec.grad for spec in inputs):
        g = torch.ones(out.shape, dtype=torch.float32) if grad_out is None else torch.tensor(grad_out, dtype=torch.float32)
        out.backward(g.to(dtype))
        row['gradOut'] = packed(g)
        row['grads'] = [packed(x.grad) if spec.grad else None for x, spec in zip(xs, inputs)]
    if exact:
        row['exact'] = True
    return row


def main():
    names = [r[0] for r in ROWS]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SystemExit(f'duplicate row names: {dupes}')
    rows = [record(*r) for r in ROWS]
    path = os.path.join(OUT_DIR, 'edge.json')
    with open(path, 'w') as f:
        f.write('{\n')
        f.write(f'  "description": {json.dumps("Edge-value rows for tests/edge.test.ts: explicit inputs at kinks, ties, 0, ±inf, NaN and saturation; output and input grads of sum(out*gradOut). NaN and ±inf are strings.")},\n')
        f.write('  "generator": "scripts/generate_edge_fixtures.py",\n')
        f.write(f'  "torch": {json.dumps(torch.__version__)},\n')
        f.write('  "rows": [\n')
        f.write(',\n'.join('    ' + json.dumps(r, separators=(',', ':'), allow_nan=False) for r in rows))
        f.write('\n  ]\n}\n')
    print(f'{path}: {len(rows)} rows, {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    main()
