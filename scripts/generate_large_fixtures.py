#!/usr/bin/python3
"""Records PyTorch reference values for the compute kernels at sizes that reach them.

Writes:
  tests/fixtures/large.json  rows for tests/large.test.ts: one per compute op of src/data/ops.ts, each
                             with at least 4,096 cells, so the fast backend runs its WebAssembly kernels
                             (above WASM_MIN_CELLS) and the gpu backend its gpu.js kernels on them.

Rerun from the repository root with Debian's PyTorch (the pyenv `python3` on PATH has no torch):
  /usr/bin/python3 scripts/generate_large_fixtures.py

The op lists are read from src/data/ops.ts (`unaryOps`, `binaryOps`, `reduceOps`), and each unary and
binary op's torch function and input distribution are those of its row of the same name in
scripts/generate_fixtures.py (the primitive rows): a new primitive with its primitive row gets its
large row here without an edit. The inputs are views, as training steps make them: unary ops read a
transposed input, binary ops a broadcast second input. Rows are recorded as in generate_fixtures.py
(inputs drawn as float32, seeded from the row name; values printed with 9 significant digits).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_fixtures import PRIMS, ROOT, Inp, U, write  # noqa: E402

SIDE = 64  # 64 × 64 = 4,096 cells per elementwise row
CUBE = 16  # 16 × 16 × 16 = 4,096 cells per reduction row
REDUCE_AXES = [0, 2]  # tests/large.test.ts reduces over the same axes


def op_list(name):
    """The ops of `export const <name> = [...] as const;` in src/data/ops.ts."""
    with open(os.path.join(ROOT, 'src', 'data', 'ops.ts')) as f:
        match = re.search(r'export const %s = \[([^\]]*)\] as const;' % name, f.read())
    if not match:
        raise SystemExit(f'src/data/ops.ts has no `export const {name} = [...] as const;`')
    return re.findall(r"'(\w+)'", match.group(1))


def prim_row(op):
    """The primitive row named after the op: its input specs and torch function."""
    for name, specs, fn in PRIMS:
        if name == op:
            return specs, fn
    raise SystemExit(f'scripts/generate_fixtures.py has no primitive row named {op!r}: add one first')


def resized(spec, shape):
    return Inp(spec.kind, shape, False, spec.lo, spec.hi, spec.avoid, spec.margin, spec.n, spec.group)


def unary_row(op):
    [spec], fn = prim_row(op)
    # The input is stored [SIDE, SIDE]; the op reads its transpose.
    return (f'unary_{op}', [resized(spec, [SIDE, SIDE])], lambda x: fn(x.t()))


def binary_row(op):
    [a, b], fn = prim_row(op)
    # b is stored [1, SIDE] and read broadcast over the rows.
    return (f'binary_{op}', [resized(a, [SIDE, SIDE]), resized(b, [1, SIDE])], lambda x, y: fn(x, y.expand(SIDE, SIDE)))


def reduce_row(op):
    # tsgrad's reduce ops carry PyTorch's method names (sum, amax).
    spec = resized(prim_row(op)[0][0], [CUBE, CUBE, CUBE])
    return (f'reduce_{op}', [spec], lambda x: getattr(x, op)(REDUCE_AXES, keepdim=True))


def rows():
    out = [unary_row(op) for op in op_list('unaryOps')]
    out += [binary_row(op) for op in op_list('binaryOps')]
    out += [reduce_row(op) for op in op_list('reduceOps')]
    [c, a, b], where = prim_row('where')
    out.append(('where', [resized(c, [SIDE, SIDE]), resized(a, [SIDE, SIDE]), resized(b, [SIDE, SIDE])], where))
    # mulacc over axis 1 of [CUBE, CUBE, CUBE]: a batch of matrix products.
    out.append(('mulacc', [U(CUBE, CUBE, CUBE), U(CUBE, CUBE, CUBE)], lambda x, y: (x * y).sum(1, keepdim=True)))
    # gather: pack a transposed view.
    out.append(('gather', [U(SIDE, SIDE)], lambda x: x.t().contiguous()))
    return out


if __name__ == '__main__':
    write('large.json', rows(), False,
          'Backend-level rows for tests/large.test.ts: every compute op on views of 4,096 cells; inputs and output.',
          generator='scripts/generate_large_fixtures.py')
