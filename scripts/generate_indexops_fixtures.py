#!/usr/bin/python3
"""Records PyTorch reference values for tests/indexops.test.ts: the index primitives (indexSelect,
indexAdd on TensorData: torch.index_select, Tensor.index_add) and the Tensor indexing built on them,
at sizes of some 4,000 cells, where the row loops, not the call overhead, do the work.

Writes tests/fixtures/indexops.json. Rerun from the repository root with Debian's PyTorch:
  /usr/bin/python3 scripts/generate_indexops_fixtures.py

Rows follow scripts/generate_fixtures.py (whose input specs and recording it reuses). Primitive rows
(`prim_...`) are forward only; Tensor rows (`op_...`) also record gradients.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_fixtures import IDX, MASK, U, record, write  # noqa: E402

PRIMS = []
OPS = []


def prim(name, inputs, fn):
    PRIMS.append((name, inputs, fn))


def op(name, inputs, fn):
    OPS.append((name, inputs, fn))


# ---- primitives: rows along dim 0, of packed and strided views, with repeated rows -------------
prim('prim_indexSelect_rows', [U(120, 32, grad=False), IDX(130, n=120)], lambda x, r: x.index_select(0, r.long()))
prim('prim_indexSelect_transposed', [U(32, 120, grad=False), IDX(130, n=120)], lambda x, r: x.t().index_select(0, r.long()))
prim('prim_indexSelect_3d', [U(20, 8, 12, grad=False), IDX(45, n=20)], lambda x, r: x.index_select(0, r.long()))
prim('prim_indexSelect_scalars', [U(3000, grad=False), IDX(4200, n=3000)], lambda x, r: x.index_select(0, r.long()))
prim('prim_indexSelect_none', [U(30, 4, grad=False)], lambda x: x[:0])
prim('prim_indexAdd_rows', [U(120, 32, grad=False), IDX(130, n=120), U(130, 32, grad=False)],
     lambda t, r, s: t.index_add(0, r.long(), s))
prim('prim_indexAdd_transposed', [U(32, 120, grad=False), IDX(130, n=120), U(130, 32, grad=False)],
     lambda t, r, s: t.t().index_add(0, r.long(), s))
prim('prim_indexAdd_scalars', [U(3000, grad=False), IDX(4200, n=3000), U(4200, grad=False)],
     lambda t, r, s: t.index_add(0, r.long(), s))

# ---- Tensor indexing on top of them: an embedding lookup, a mask, two index tensors -------------
op('op_embedding_lookup', [U(60, 16), IDX(200, n=60)], lambda w, i: w[i.long()])
op('op_mask_half', [U(64, 40), MASK(64, 40)], lambda x, m: x[m.bool()])
op('op_two_indices', [U(30, 40, 3), IDX(200, n=30), IDX(200, n=40)], lambda x, i, j: x[i.long(), j.long()])
op('op_index_dim1', [U(20, 60), IDX(150, n=60)], lambda x, i: x[:, i.long()])
op('op_gather', [U(40, 30), IDX(40, 20, n=30)], lambda x, i: x.gather(1, i.long()))

if __name__ == '__main__':
    rows = [(n, s, f, False) for n, s, f in PRIMS] + [(n, s, f, True) for n, s, f in OPS]
    # write() records every row with or without gradients; the primitive rows have no grad inputs.
    write('indexops.json', [(n, s, f) for n, s, f, _ in rows], True,
          'PyTorch reference values for the index primitives and the indexing built on them',
          generator='scripts/generate_indexops_fixtures.py')
