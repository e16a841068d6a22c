#!/usr/bin/python3
"""Records PyTorch reference values for tests/indexing.test.ts: indexing (a[...]), index assignment,
gather/scatter, cat/stack, the ops added for PyTorch parity, and zero-size tensors.

Writes tests/fixtures/indexing.json. Rerun from the repository root with Debian's PyTorch:
  /usr/bin/python3 scripts/generate_indexing_fixtures.py

Rows follow scripts/generate_fixtures.py (whose input specs and recording it reuses): a name, input
specs and a torch lambda; tests/indexing.test.ts holds a lambda under the same name. Index inputs are
IDX/MASK specs (integers or 0/1 as floats, no grad): the torch lambdas turn them into long or bool
tensors, the tsgrad lambdas pass them as index tensors or `mask(...)`.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_fixtures import IDX, MASK, OUT_DIR, AWAY, U, record  # noqa: E402

ROWS = []


def op(name, inputs, fn):
    ROWS.append((name, inputs, fn))


def setitem(x, index, value):
    """PyTorch's `y = x.clone(); y[index] = value`: differentiable in x and value."""
    y = x.clone()
    y[index] = value
    return y


def weighted_pieces(pieces, dim):
    """Piece k times k + 1, joined again: the values show where each piece starts and ends."""
    return torch.cat([p * (k + 1) for k, p in enumerate(pieces)], dim)


# ---- basic indexing: integers, slices, None, ellipsis ------------------------------------------
op('at_int', [U(3, 4)], lambda x: x[1])
op('at_negative_ints', [U(3, 4)], lambda x: x[-1, -2])
op('at_slice_step', [U(5, 6)], lambda x: x[1::2, ::3])
op('at_slice_negative_bounds', [U(5, 4)], lambda x: x[-4:-1, :2])
op('at_slice_clamped', [U(4, 3)], lambda x: x[2:10])
op('at_slice_empty', [U(4, 3)], lambda x: x[3:1])
op('at_newaxis', [U(3, 4)], lambda x: x[None, :, None])
op('at_ellipsis', [U(2, 3, 4)], lambda x: x[..., 1])
op('at_ellipsis_middle', [U(2, 3, 4, 5)], lambda x: x[0, ..., 1:3])
op('at_scalar_tensor', [U()], lambda x: x[None, ...])

# ---- advanced indexing: index tensors, lists, masks --------------------------------------------
op('at_index_tensor', [U(5, 3), IDX(4, n=5)], lambda x, i: x[i.long()])
op('at_index_tensor_2d', [U(5, 3), IDX(2, 3, n=5)], lambda x, i: x[i.long()])
op('at_index_list_negative', [U(4, 2)], lambda x: x[[-1, 0, -1]])
op('at_index_dim1', [U(3, 5), IDX(4, n=5)], lambda x, i: x[:, i.long()])
op('at_index_0d', [U(3, 4), IDX(n=3)], lambda x, i: x[i.long()])
op('at_two_indices_broadcast', [U(4, 5, 2), IDX(3, 1, n=4), IDX(2, n=5)], lambda x, i, j: x[i.long(), j.long()])
op('at_indices_separated', [U(3, 4, 5), IDX(2, n=3), IDX(2, n=5)], lambda x, i, j: x[i.long(), :, j.long()])
op('at_indices_around_slice', [U(3, 4, 5)], lambda x: x[[0, 2], 1:3, [1, 4]])
op('at_int_then_index', [U(2, 3, 4)], lambda x: x[0, :, [0, 1]])
op('at_index_newaxis_ellipsis', [U(2, 3, 4), IDX(2, n=4)], lambda x, i: x[..., None, i.long()])
op('at_index_empty_list', [U(3, 4)], lambda x: x[torch.tensor([], dtype=torch.long)])
op('at_expanded_view', [U(1, 3)], lambda x: x.expand(4, 3)[[0, 2, 2], 1:])
op('at_twice_then_add', [U(4, 3)], lambda x: x[[0, 0, 3]] + x[1:, 0:1].sum())
op('at_mask', [U(3, 4), MASK(3, 4)], lambda x, m: x[m.bool()])
op('at_mask_rows', [U(4, 3), MASK(4)], lambda x, m: x[m.bool()])
op('at_mask_bool_list', [U(3, 2)], lambda x: x[[True, False, True]])
op('at_mask_bool_nested', [U(3, 2, 2)], lambda x: x[torch.tensor([[True, False], [False, False], [True, True]])])
op('at_mask_after_slice', [U(3, 4, 2), MASK(4, 2)], lambda x, m: x[1:, m.bool()])
op('at_mask_and_index', [U(3, 4), MASK(3), IDX(1, n=4)], lambda x, m, i: x[m.bool(), i.long()])

# ---- index assignment (out of place: gradients flow to the base and the values) ----------------
op('indexPut_int', [U(3, 4), U(4)], lambda x, v: setitem(x, 1, v))
op('indexPut_slice_broadcast', [U(4, 5), U(2, 1)], lambda x, v: setitem(x, (slice(1, 3), slice(None, None, 2)), v))
op('indexPut_number', [U(3, 4)], lambda x: setitem(x, (slice(None), 1), 2.5))
op('indexPut_index_list', [U(5, 3), U(2, 3)], lambda x, v: setitem(x, [4, 1], v))
op('indexPut_two_indices', [U(4, 5), U(3)], lambda x, v: setitem(x, ([0, 2, 3], [4, 0, 1]), v))
op('indexPut_mask', [U(3, 4), MASK(3, 4)], lambda x, m: setitem(x, m.bool(), 0.0))
op('indexPut_accumulate', [U(4, 3), U(5, 3), IDX(5, n=4)], lambda x, v, i: x.index_put((i.long(),), v, accumulate=True))
op('indexPut_accumulate_two_indices', [U(3, 4), U(6), IDX(6, n=3), IDX(6, n=4)],
   lambda x, v, i, j: x.index_put((i.long(), j.long()), v, accumulate=True))
op('indexAdd', [U(4, 3), IDX(5, n=4), U(5, 3)], lambda x, i, s: x.index_add(0, i.long(), s))
op('indexAdd_dim1', [U(2, 4), IDX(3, n=4), U(2, 3)], lambda x, i, s: x.index_add(1, i.long(), s))

# ---- gather and scatter --------------------------------------------------------------------------
op('gather_dim1', [U(3, 4), IDX(3, 2, n=4)], lambda x, i: x.gather(1, i.long()))
op('gather_dim0', [U(3, 4), IDX(2, 4, n=3)], lambda x, i: x.gather(0, i.long()))
op('gather_smaller_index', [U(3, 5, 2), IDX(2, 3, 1, n=5)], lambda x, i: x.gather(1, i.long()))
op('scatter_dim1', [U(3, 5), U(3, 2)], lambda x, s: x.scatter(1, torch.tensor([[0, 4], [1, 2], [3, 0]]), s))
op('scatter_number', [U(3, 5)], lambda x: x.scatter(1, torch.tensor([[0, 4], [1, 2], [3, 0]]), 1.5))
op('scatterAdd_dim0', [U(3, 4), IDX(5, 4, n=3), U(5, 4)], lambda x, i, s: x.scatter_add(0, i.long(), s))
op('scatterAdd_src_larger', [U(3, 4), IDX(2, 2, n=3), U(3, 4, grad=False)], lambda x, i, s: x.scatter_add(0, i.long(), s))

# ---- cat and stack -------------------------------------------------------------------------------
op('cat_dim1', [U(2, 3), U(2, 1), U(2, 2)], lambda a, b, c: torch.cat([a, b, c], 1))
op('cat_negative_dim', [U(2, 1, 3), U(2, 2, 3)], lambda a, b: torch.cat([a, b], -2))
op('cat_one', [U(2, 3)], lambda a: torch.cat([a], 0))
op('cat_repeated_input', [U(2, 2)], lambda a: torch.cat([a, a * 2, a], 0))
op('cat_legacy_empty', [U(2, 3)], lambda a: torch.cat([torch.zeros(0), a], 0))
op('stack_dim0', [U(2, 3), U(2, 3)], lambda a, b: torch.stack([a, b]))
op('stack_dim1', [U(2, 3), U(2, 3), U(2, 3)], lambda a, b, c: torch.stack([a, b, c], 1))
op('stack_negative_dim', [U(2, 3), U(2, 3)], lambda a, b: torch.stack([a, b], -1))

# ---- ops a PyTorch user reaches for ------------------------------------------------------------
op('mm', [U(2, 3), U(3, 4)], lambda a, b: a.mm(b))
op('mv', [U(3, 4), U(4)], lambda a, v: a.mv(v))
op('bmm', [U(2, 3, 4), U(2, 4, 5)], lambda a, b: a.bmm(b))
op('mT', [U(2, 3, 4)], lambda x: x.mT)
op('chunk_uneven', [U(5, 3)], lambda x: weighted_pieces(x.chunk(3, 0), 0))
op('chunk_fewer', [U(6)], lambda x: weighted_pieces(x.chunk(4), 0))
op('split_size', [U(2, 7)], lambda x: weighted_pieces(x.split(3, 1), 1))
op('split_sections', [U(6, 2)], lambda x: weighted_pieces(x.split([1, 3, 2], 0), 0))
op('repeat', [U(2, 3)], lambda x: x.repeat(2, 1, 2))
op('repeat_1d', [U(3)], lambda x: x.repeat(2, 2))
op('cumsum', [U(3, 4)], lambda x: x.cumsum(1))
op('cumsum_dim0', [U(5, 2)], lambda x: x.cumsum(0))
op('cumsum_long', [U(37)], lambda x: x.cumsum(0))
op('cumsum_negative_dim', [U(2, 3, 4)], lambda x: x.cumsum(-2))
op('cumsum_scalar', [U()], lambda x: x.cumsum(0))
op('elu', [AWAY(3, 4)], lambda x: F.elu(x))
op('elu_alpha', [AWAY(3, 4)], lambda x: F.elu(x, alpha=0.5))
op('squeeze_dims', [U(1, 3, 1, 2)], lambda x: x.squeeze(2).squeeze(0))
op('squeeze_dims_not_one', [U(1, 3, 1)], lambda x: x.squeeze(0))
op('unsqueeze_dims', [U(3, 2)], lambda x: x.unsqueeze(1).unsqueeze(3))
op('unsqueeze_negative_dims', [U(3, 2)], lambda x: x.unsqueeze(0).unsqueeze(-1))
op('broadcastTensors', [U(3, 1), U(4)], lambda a, b: torch.stack(torch.broadcast_tensors(a, b)))
op('empty_shape', [], lambda: torch.zeros(torch.empty(2, 3).shape))

# ---- zero-size tensors -------------------------------------------------------------------------
op('zero_cat', [U(3, 2, 0), U(3, 4, 0)], lambda a, b: torch.cat([a, b], 1))
op('zero_cat_piece', [U(2, 0), U(2, 3)], lambda a, b: torch.cat([a, b], 1))
op('zero_fill', [], lambda: torch.zeros(2, 0).fill_(1))
op('zero_sum', [U(2, 0)], lambda x: x.sum())
op('zero_sum_dim', [U(2, 0)], lambda x: x.sum(1))
op('zero_sum_kept_dim', [U(2, 0)], lambda x: x.sum(0))
op('zero_pad', [U(2, 0)], lambda x: F.pad(x, (1, 2), value=1.5))
op('zero_reshape_infer', [U(0, 3)], lambda x: x.reshape(-1))
op('zero_reshape_infer_known', [U(0, 3)], lambda x: x.reshape(-1, 3, 1))
op('zero_matmul_inner', [U(2, 0), U(0, 3)], lambda a, b: a.matmul(b))
op('zero_matmul_outer', [U(0, 3), U(3, 2)], lambda a, b: a.matmul(b))
op('zero_max_dim', [U(3, 0)], lambda x: x.amax(0))
op('zero_exp', [U(0, 4)], lambda x: x.exp() * 2)
op('zero_index', [U(0, 3)], lambda x: x[:, 1:])


def write(filename, rows):
    names = [r[0] for r in rows]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SystemExit(f'duplicate row names: {dupes}')
    recorded = [record(name, specs, fn, True) for name, specs, fn in rows]
    path = os.path.join(OUT_DIR, filename)
    with open(path, 'w') as f:
        f.write('{\n')
        f.write('  "description": "Rows for tests/indexing.test.ts: inputs, output, gradOut and input grads of sum(out*gradOut).",\n')
        f.write('  "generator": "scripts/generate_indexing_fixtures.py",\n')
        f.write(f'  "torch": {json.dumps(torch.__version__)},\n')
        f.write('  "rows": [\n')
        f.write(',\n'.join('    ' + json.dumps(r, separators=(',', ':'), allow_nan=False) for r in recorded))
        f.write('\n  ]\n}\n')
    print(f'{path}: {len(rows)} rows, {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    os.makedirs(OUT_DIR, exist_ok=True)
    write('indexing.json', ROWS)
