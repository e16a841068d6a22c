/**
 * In-place ops in the autograd graph, against PyTorch: one `it` per row of tests/fixtures/autograd.json
 * (written by scripts/generate_autograd_fixtures.py), on every backend of tests/helpers/backends.ts and
 * on the gpu backend's WebAssembly mode, each with a finite-difference gradcheck; then the rules
 * around them (leaves, saved versions, views), `backward({ gradient, retainGraph })`, backward from
 * the middle of a graph, and the setters of `grad` and `requiresGrad`.
 */
import { noGrad, slice, Tensor, tensor } from '../src';
import { referenceBackend, gpuBackend, useBackend, type Backend } from '../src/data';
import { backends } from './helpers/backends';
import { loadFixture, tableMismatch } from './helpers/fixtures';
import { expectRowMatches, type TensorFn } from './helpers/gradcheck';

/** The tsgrad side of each fixture row (the torch lambda is next to the row's name in the generator). */
const inPlaceTable: Record<string, TensorFn> = {
  div_of_detached: (a, b) => { const c = a.detach(); c.div_(b); return c.add(b); },
  mul_of_plain_leaf: (a, b) => { const c = a.detach(); c.mul_(b); return c.mul(c); },
  add_nonleaf: (x, y) => { const h = x.mul(2); h.add_(y); return h.mul(h); },
  sub_nonleaf: (x, y) => { const h = x.mul(x); h.sub_(y.mul(3)); return h.mul(x); },
  mul_nonleaf_broadcast: (x, y) => x.add(1).mul_(y),
  div_nonleaf: (x, y) => { const h = x.mul(3); h.div_(y); return h.mul(x); },
  mul_by_scalar_nonleaf: (x) => { const h = x.add(0.5); h.mul_(-2.5); return h.mul(h); },
  chain_nonleaf: (x, y) => { const h = x.mul(y); h.add_(1).mul_(y).div_(x); return h.mul(y); },
  copy_nonleaf: (x, y) => { const h = x.mul(2); h.copy_(y); return h.mul(x); },
  copy_broadcast: (x, y) => { const h = x.mul(2); h.copy_(y); return h.mul(x); },
  fill_tensor: (x, v) => { const h = x.mul(2); h.fill_(v); return h.mul(x); },
  fill_number: (x) => { const h = x.mul(2); h.fill_(0.5); return h.add(x); },
  zero_nonleaf: (x) => { const h = x.mul(2); h.zero_(); return h.add(x); },
  two_versions_read: (x, y) => { const h = x.add(1); const before = h.mul(1); h.mul_(y); return before.mul(h); },
  view_narrow_mul: (x, y) => { const h = x.mul(1); h.narrow(0, 1, 2).mul_(y); return h.mul(h); },
  view_transpose_add_mul: (x, y) => { const h = x.add(0); const v = h.transpose(0, 1); v.add_(y); v.mul_(y); return h.mul(x); },
  view_step_slice_div: (x, y) => { const h = x.mul(2); h.slice([0, 4, 2]).div_(y); return h.mul(h); },
  view_of_view_mul: (x, y) => { const h = x.mul(1); h.slice([1]).slice(null, [1, 3]).mul_(y); return h.mul(x); },
  view_index_add: (x, y) => { const h = x.mul(1); h.slice(1).add_(y); return h.mul(h); },
  view_reshape_mul: (x, y) => { const h = x.mul(1); h.reshape([6]).mul_(y); return h.mul(x); },
  view_copy_into_plain_leaf: (a, y) => { const c = a.detach(); c.slice(1).copy_(y); return c.mul(c); },
  view_read_after_base_write: (x, y) => { const h = x.mul(1); const v = h.slice([0, 2]); h.mul_(y); return v.mul(v); },
  view_write_after_base_write: (x, y, z) => { const h = x.mul(1); const v = h.slice([0, 2]); h.mul_(y); v.add_(z); return v.mul(h.slice([1, 3])); },
  view_overlapping_sibling_writes: (x, y, z) => { const h = x.mul(1); h.slice([0, 2]).mul_(y); h.slice([1, 3]).mul_(z); return h.mul(h); },
  view_permute_narrow_3d: (x, y) => { const h = x.add(0); h.permute([2, 0, 1]).narrow(0, 1, 2).mul_(y); return h.mul(x); },
  view_at_index_mul: (x, y) => { const h = x.mul(1); h.at(1, slice(1, 3)).mul_(y); return h.mul(h); },
  index_put_nonleaf: (x, v) => { const h = x.mul(2); h.indexPut_([[3, 0]], v); return h.mul(x); },
  index_put_accumulate_nonleaf: (x, v) => { const h = x.mul(2); h.indexPut_([[1, 1, 2]], v, true); return h.mul(h); },
  view_read_after_sibling_write: (x, y) => { const h = x.mul(1); const a = h.slice([0, 2]); const b = h.slice([1, 3]); a.mul_(y); return b.mul(b); },
};

const rows = loadFixture('autograd.json');
/** The gpu backend in its WebAssembly mode too: its device-resident writes go through the same in-place path. */
const allBackends: [string, Backend][] = [...backends, ['gpu webasm', gpuBackend({ mode: 'webasm' })]];

describe('in-place table', () => {
  it('has a tsgrad lambda for every fixture row and a fixture row for every lambda', () => {
    expect(tableMismatch(rows, inPlaceTable)).toEqual({ missingLambda: [], missingFixture: [] });
  });
});

describe.each(allBackends)('in-place ops in the graph on the %s backend', (_name, backend) => {
  beforeAll(() => useBackend(backend));
  afterAll(() => useBackend(referenceBackend));

  it.each(rows.map((row) => [row.name, row] as const))('%s matches PyTorch', (name, row) => {
    const fn = inPlaceTable[name];
    if (fn === undefined || row.gradOut === undefined || row.grads === undefined) throw new Error(`row ${name} is incomplete`);
    expectRowMatches(row, fn);
  });
});

describe('in-place ops join the history', () => {
  it('the example of the issue: c = a.detach(); c.div_(b); b.grad = 1 − a/b², and c requires grad', () => {
    const a = tensor([2, 4], { requiresGrad: true });
    const b = tensor([1, 2], { requiresGrad: true });
    const c = a.detach();
    c.div_(b);
    expect(c.requiresGrad).toBe(true);
    expect(c.isLeaf).toBe(false);
    expect(c.gradFn).toBe('DivBackward');
    c.add(b).sum().backward();
    expect(b.grad!.toArray()).toEqual([-1, 0]);
    expect(a.grad).toBeNull();
    expect(a.toArray()).toEqual([2, 2]); // c shares a's storage
  });

  it('a plain leaf times a tensor that requires grad requires grad', () => {
    const w = tensor(3, { requiresGrad: true });
    const t = tensor(2).mul_(w);
    expect(t.requiresGrad).toBe(true);
    expect(t.gradFn).toBe('MulBackward');
    t.backward();
    expect(w.grad!.item()).toBe(2);
  });

  it('without any operand that requires grad, only the values change', () => {
    const t = tensor([1, 2]);
    t.mul_(tensor([3, 3]));
    expect(t.requiresGrad).toBe(false);
    expect(t.isLeaf).toBe(true);
    expect(t.version).toBe(1);
  });

  it('the old node keeps its consumers: the lock of the old history counts the in-place node as one more', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    const oldNode = h.node!;
    const before = h.mul(1); // reads the old version
    expect(oldNode.lock).toBe(1);
    h.add_(1);
    expect(h.node).not.toBe(oldNode);
    expect(h.node!.inputs[0]).toBe(oldNode);
    expect(oldNode.lock).toBe(2); // `before`'s Mul and the in-place Add
    expect(h.lock).toBe(0);
    expect(before.node!.inputs[0]).toBe(oldNode);
    before.add(h).sum().backward();
    expect(x.grad!.toArray()).toEqual([4, 4]);
    expect(oldNode.lock).toBe(0);
  });

  it('a leaf that requires grad, and a view of one, still refuse outside noGrad', () => {
    const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    expect(() => w.add_(1)).toThrow(/add_: cannot modify a leaf tensor that requires grad in place; wrap the update in noGrad/);
    expect(() => w.slice(0).mul_(2)).toThrow(/mul_: cannot modify a view of a leaf tensor that requires grad in place \(the view has shape \[2\], the leaf \[2,2\]\)/);
    expect(w.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(w.version).toBe(0);
    noGrad(() => w.slice(0).mul_(2));
    expect(w.toArray()).toEqual([[2, 4], [3, 4]]);
  });

  it('a tensor saved for backward and then modified fails at backward, naming the versions', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    const y = h.exp(); // Exp saves its output y
    y.add_(1);
    expect(() => y.sum().backward()).toThrow(/ExpBackward: saved tensor 0 \(shape \[2\]\) was modified in place after it was saved \(version 0, now 1\)/);
  });

  it('a write through a view bumps the base\'s version, and a saved base fails at backward', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const h = x.mul(1);
    const y = h.mul(h); // saves h
    h.slice([0, 1]).mul_(5);
    expect(h.version).toBe(1);
    expect(h.gradFn).toBe('CopySlices');
    expect(() => y.sum().backward()).toThrow(/MulBackward: saved tensor 0 \(shape \[3\]\) was modified in place after it was saved \(version 0, now 1\)/);
  });

  it('refuses a write through an expanded view before changing anything', () => {
    const x = tensor([[1, 2]], { requiresGrad: true });
    const h = x.mul(1);
    const e = h.expand([3, 2]);
    expect(() => e.add_(tensor(1, { requiresGrad: true }))).toThrow(/add_: cannot write in place through a view made by Expand \(shape \[3,2\]\): several of its cells are one cell of the base; clone\(\) it first/);
    expect(h.toArray()).toEqual([[1, 2]]);
    expect(h.gradFn).toBe('MulBackward');
  });

  it('a view read after its base changed follows the base\'s new history', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const h = x.mul(1);
    const v = h.slice([1, 3]);
    h.mul_(10);
    expect(v.toArray()).toEqual([20, 30]);
    expect(v.gradFn).toBe('ViewReplayBackward');
    v.sum().backward();
    expect(x.grad!.toArray()).toEqual([0, 10, 10]);
  });

  it('keeps the input checks: shape and operand', () => {
    const h = tensor([1, 2], { requiresGrad: true }).mul(1);
    expect(() => h.add_(tensor([[1], [2]]))).toThrow(/add_: the other operand \[2,1\] would broadcast this tensor \[2\] to \[2,2\]/);
    expect(() => h.fill_(tensor([1, 2]))).toThrow(/fill_: the value must be a number or a one-element tensor, got shape \[2\]/);
    expect(h.version).toBe(0);
  });
});

describe('backward({ gradient, retainGraph })', () => {
  it('two outputs sharing a trunk can each backward with retainGraph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const trunk = x.mul(x);
    const y1 = trunk.mul(3).sum();
    const y2 = trunk.exp().sum();
    y1.backward({ retainGraph: true });
    expect(x.grad!.toArray()).toEqual([6, 12]);
    y2.backward();
    const expected = [1, 2].map((v) => 6 * v + 2 * v * Math.exp(v * v));
    (x.grad!.toArray() as number[]).forEach((g, i) => expect(g).toBeCloseTo(expected[i], 3));
  });

  it('the same output twice with retainGraph adds the gradient twice', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward({ retainGraph: true });
    y.backward({ gradient: tensor(2) });
    expect(x.grad!.toArray()).toEqual([6, 12]);
  });

  it('without retainGraph the second backward says to pass it', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const trunk = x.mul(x);
    const y1 = trunk.mul(3).sum();
    const y2 = trunk.exp().sum();
    y1.backward();
    expect(() => y2.backward()).toThrow(/backward: MulBackward was already used by an earlier backward and its graph is freed; pass backward\(\{ retainGraph: true \}\) to the earlier backward/);
  });

  it('still takes the gradient alone, and checks the options for plain-JavaScript callers', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.mul(2).backward(tensor([1, 1]));
    expect(x.grad!.toArray()).toEqual([2, 2]);
    const y = x.mul(2);
    expect(() => y.backward({ retainGraph: 'yes' as unknown as boolean })).toThrow(/backward: retainGraph must be true or false, got yes/);
    expect(() => y.backward(5 as unknown as Tensor)).toThrow(/backward: expected a gradient tensor or \{ gradient, retainGraph \}, got 5/);
  });
});

describe('setters as PyTorch\'s', () => {
  it('grad accepts null or a tensor of the same shape', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    w.grad = tensor([3, 4]);
    expect(w.grad.toArray()).toEqual([3, 4]);
    expect(() => { w.grad = tensor([1, 2, 3]); }).toThrow(/grad: the assigned gradient has shape \[3\], but this tensor has shape \[2\]; they must be equal/);
    expect(() => { w.grad = [1, 2] as unknown as Tensor; }).toThrow(/grad: expected a Tensor or null, got object/);
    expect(w.grad.toArray()).toEqual([3, 4]);
    w.grad = null;
    expect(w.grad).toBeNull();
  });

  it('requiresGrad changes on leaves only; requiresGrad_(true) accepts a non-leaf, as PyTorch does', () => {
    const x = tensor([1, 2]);
    x.requiresGrad = true;
    const h = x.mul(2);
    expect(h.requiresGrad_()).toBe(h);
    expect(h.requiresGrad_(true).requiresGrad).toBe(true);
    expect(() => { h.requiresGrad = true; }).toThrow(/requiresGrad: only a leaf tensor's flag can change; this one was made by MulBackward\. It already requires grad/);
    expect(() => { h.requiresGrad = false; }).toThrow(/requiresGrad: only a leaf tensor's flag can change; this one was made by MulBackward\. To use its values without gradients, take t\.detach\(\)/);
    expect(() => h.requiresGrad_(false)).toThrow(/To use its values without gradients/);
    expect(tensor([1]).requiresGrad_().requiresGrad).toBe(true);
    expect(() => { x.requiresGrad = 1 as unknown as boolean; }).toThrow(/requiresGrad: expected true or false, got 1/);
    x.requiresGrad = false;
    expect(x.mul(2).requiresGrad).toBe(false);
  });

  it('retainGrad on a leaf changes nothing', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(w.retainGrad()).toBe(w);
    expect(w.retainsGrad).toBe(false);
    w.mul(2).sum().backward();
    expect(w.grad!.toArray()).toEqual([2, 2]);
  });

  it('reading .grad of a non-leaf that does not retain it warns once', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    const kept = x.mul(3).retainGrad();
    h.add(kept).sum().backward();
    expect(kept.grad!.toArray()).toEqual([1, 1]);
    expect(x.grad!.toArray()).toEqual([5, 5]);
    expect(warn).not.toHaveBeenCalled();
    expect(h.grad).toBeNull();
    expect(h.grad).toBeNull();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/the \.grad of a tensor that is not a leaf is being read\. Its \.grad is not filled in by backward\(\)\. If you want it filled in for a non-leaf tensor, call retainGrad\(\)/);
    warn.mockRestore();
  });

  it('retainGrad follows the tensor through an in-place op', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(1).retainGrad();
    h.mul_(3);
    h.mul(h).sum().backward();
    expect(h.grad!.toArray()).toEqual([6, 12]); // d(h²)/dh at the new h = [3, 6]
  });
});

describe('views made inside noGrad', () => {
  it('refuse an in-place op with grad mode on when their base requires grad, as PyTorch does', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const h = x.mul(2);
    const v = noGrad(() => h.slice([0, 2]));
    expect(() => v.mul_(3)).toThrow(/mul_: this view \(shape \[2\]\) was made inside noGrad and is being modified in place with grad mode on/);
    expect(h.toArray()).toEqual([2, 4, 6]);
    noGrad(() => v.mul_(3));
    expect(h.toArray()).toEqual([6, 12, 6]);
    expect(v.requiresGrad).toBe(false);
  });
});

describe('the locks around an in-place op through a view', () => {
  it('reading a stale view\'s gradFn adds no consumer to its base; using it does', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const h = x.mul(1);
    const v = h.slice([0, 2]);
    h.mul_(2);
    expect(h.lock).toBe(0);
    expect(v.gradFn).toBe('ViewReplayBackward');
    expect(h.lock).toBe(0);
    const w = v.mul(3);
    expect(h.lock).toBe(1);
    w.sum().backward();
    expect(x.grad!.toArray()).toEqual([6, 6, 0]);
  });
});
