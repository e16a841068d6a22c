#!/usr/bin/python3
"""Records PyTorch reference values for in-place ops in the autograd graph.

Writes:
  tests/fixtures/autograd.json  rows for tests/inplace.test.ts: in-place ops on non-leaves, on leaves
                                that do not require grad, with broadcast operands, and through views
                                (PyTorch's CopySlices), with their output and input gradients

Rerun from the repository root with Debian's PyTorch (the pyenv `python3` on PATH has no torch):
  /usr/bin/python3 scripts/generate_autograd_fixtures.py

The rows use the helpers of scripts/generate_fixtures.py (input specs, seeding from the row name,
float32 rounding, gradients of sum(out * gradOut)); the TS test holds a lambda under each row name.
Every lambda starts from tensors that autograd lets it modify: a leaf that requires grad is first
copied by an op (x * 1), as PyTorch refuses in-place ops on such leaves; an input that does not
require grad is modified through `detach()` (the same storage), so that the row's input stays a
leaf that needs no gradient.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_fixtures import OUT_DIR, P, U, nograd, write  # noqa: E402

ROWS = []


def row(name, inputs, fn):
    ROWS.append((name, inputs, fn))


def then(*steps):
    """Runs steps in order (in-place calls inside a lambda) and returns the last one's value."""
    return steps[-1]


# ---- the tensor's own history ----------------------------------------------------------------
# c = a.detach(); c.div_(b); c + b: PyTorch's b.grad is 1 - a/b², not tsgrad's old [1, 1].
row('div_of_detached', [nograd(U(2))[0], P(2)], lambda a, b: (lambda c: then(c.div_(b), c.add(b)))(a.detach()))
row('mul_of_plain_leaf', [nograd(U(3))[0], U(3)], lambda a, b: (lambda c: then(c.mul_(b), c.mul(c)))(a.detach()))
row('add_nonleaf', [U(2, 3), U(2, 3)], lambda x, y: (lambda h: then(h.add_(y), h.mul(h)))(x.mul(2)))
row('sub_nonleaf', [U(4), U(4)], lambda x, y: (lambda h: then(h.sub_(y.mul(3)), h.mul(x)))(x.mul(x)))
row('mul_nonleaf_broadcast', [U(2, 3), U(3)], lambda x, y: (lambda h: then(h.mul_(y), h))(x.add(1)))
row('div_nonleaf', [U(2, 2), P(2, 2)], lambda x, y: (lambda h: then(h.div_(y), h.mul(x)))(x.mul(3)))
row('mul_by_scalar_nonleaf', [U(3)], lambda x: (lambda h: then(h.mul_(-2.5), h.mul(h)))(x.add(0.5)))
row('chain_nonleaf', [P(3), P(3)], lambda x, y: (lambda h: then(h.add_(1).mul_(y).div_(x), h.mul(y)))(x.mul(y)))
row('copy_nonleaf', [U(2, 2), U(2, 2)], lambda x, y: (lambda h: then(h.copy_(y), h.mul(x)))(x.mul(2)))
row('copy_broadcast', [U(2, 3), U(3)], lambda x, y: (lambda h: then(h.copy_(y), h.mul(x)))(x.mul(2)))
row('fill_tensor', [U(2, 2), U()], lambda x, v: (lambda h: then(h.fill_(v), h.mul(x)))(x.mul(2)))
row('fill_number', [U(3)], lambda x: (lambda h: then(h.fill_(0.5), h.add(x)))(x.mul(2)))
row('zero_nonleaf', [U(3)], lambda x: (lambda h: then(h.zero_(), h.add(x)))(x.mul(2)))
row('two_versions_read', [U(3), U(3)], lambda x, y: (lambda h: (lambda before: then(h.mul_(y), before.mul(h)))(h.mul(1)))(x.add(1)))

# ---- through views: the base's history gets CopySlices -------------------------------------
row('view_narrow_mul', [U(3, 4), U(2, 4)], lambda x, y: (lambda h: then(h.narrow(0, 1, 2).mul_(y), h.mul(h)))(x.mul(1)))
row('view_transpose_add_mul', [U(2, 3), U(3, 2)],
    lambda x, y: (lambda h: (lambda v: then(v.add_(y), v.mul_(y), h.mul(x)))(h.t()))(x.add(0)))
row('view_step_slice_div', [U(4, 3), P(2, 3)], lambda x, y: (lambda h: then(h[0:4:2].div_(y), h.mul(h)))(x.mul(2)))
row('view_of_view_mul', [U(3, 4), U(2, 2)], lambda x, y: (lambda h: then(h[1:][:, 1:3].mul_(y), h.mul(x)))(x.mul(1)))
row('view_index_add', [U(3, 2), U(2)], lambda x, y: (lambda h: then(h[1].add_(y), h.mul(h)))(x.mul(1)))
row('view_reshape_mul', [U(2, 3), U(6)], lambda x, y: (lambda h: then(h.reshape(6).mul_(y), h.mul(x)))(x.mul(1)))
row('view_copy_into_plain_leaf', [nograd(U(2, 3))[0], U(3)], lambda a, y: (lambda c: then(c[1].copy_(y), c.mul(c)))(a.detach()))
row('view_read_after_base_write', [U(3, 2), U(3, 2)], lambda x, y: (lambda h: (lambda v: then(h.mul_(y), v.mul(v)))(h[0:2]))(x.mul(1)))
row('view_write_after_base_write', [U(3, 2), U(3, 2), U(2, 2)],
    lambda x, y, z: (lambda h: (lambda v: then(h.mul_(y), v.add_(z), v.mul(h[1:3])))(h[0:2]))(x.mul(1)))
row('view_overlapping_sibling_writes', [U(4), U(2), U(2)],
    lambda x, y, z: (lambda h: then(h[0:2].mul_(y), h[1:3].mul_(z), h.mul(h)))(x.mul(1)))
row('view_permute_narrow_3d', [U(2, 3, 4), U(2, 2, 3)],
    lambda x, y: (lambda h: then(h.permute(2, 0, 1).narrow(0, 1, 2).mul_(y), h.mul(x)))(x.add(0)))
row('view_at_index_mul', [U(3, 4), U(2)], lambda x, y: (lambda h: then(h[1, 1:3].mul_(y), h.mul(h)))(x.mul(1)))
row('index_put_nonleaf', [U(4, 2), U(2, 2)], lambda x, v: (lambda h: then(h.index_put_((torch.tensor([3, 0]),), v), h.mul(x)))(x.mul(2)))
row('index_put_accumulate_nonleaf', [U(4), U(3)],
    lambda x, v: (lambda h: then(h.index_put_((torch.tensor([1, 1, 2]),), v, accumulate=True), h.mul(h)))(x.mul(2)))
row('view_read_after_sibling_write', [U(4), U(2)],
    lambda x, y: (lambda h: (lambda a, b: then(a.mul_(y), b.mul(b)))(h[0:2], h[1:3]))(x.mul(1)))



if __name__ == '__main__':
    os.makedirs(OUT_DIR, exist_ok=True)
    write('autograd.json', ROWS, True, 'In-place ops in the graph, for tests/inplace.test.ts: inputs, output, gradOut and input grads of sum(out*gradOut).',
          generator='scripts/generate_autograd_fixtures.py')
