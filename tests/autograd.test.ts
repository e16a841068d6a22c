/**
 * The backward engine (src/tensor/autograd.ts): accumulation, locks, grad mode, in-place ops and
 * every misuse error. Op values are covered by ops.test.ts; this file is about the graph.
 */
import { Tensor, tensor, noGrad, enableGrad, isGradEnabled, Function, apply, TensorData } from '../src';

const close = (a: number, b: number): void => expect(a).toBeCloseTo(b, 5);

describe('gradient accumulation', () => {
  it('sums gradients over every path of a diamond graph', () => {
    // x → a = 2x, b = x², c = a·b = 2x³ → dc/dx = 6x² = 24 at x = 2
    const x = tensor(2, { requiresGrad: true });
    const a = x.mul(2);
    const b = x.mul(x);
    a.mul(b).backward();
    close(x.grad!.item(), 24);
  });

  it('waits for every consumer before a node fires (shared intermediate)', () => {
    // h = x + 1 feeds three consumers: loss = h·3 + h² + exp(h)
    const x = tensor([0.5, -1], { requiresGrad: true });
    const h = x.add(1);
    const loss = h.mul(3).add(h.mul(h)).add(h.exp()).sum();
    expect(h.lock).toBe(4); // mul, mul (twice: both inputs), exp
    loss.backward();
    const expected = [0.5, -1].map((v) => 3 + 2 * (v + 1) + Math.exp(v + 1));
    (x.grad!.toArray() as number[]).forEach((g, i) => close(g, expected[i]));
    expect(h.lock).toBe(0);
  });

  it('adds to .grad across backward calls on new graphs, as PyTorch does', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    w.mul(3).sum().backward();
    w.mul(3).sum().backward();
    expect(w.grad!.toArray()).toEqual([6, 6]);
  });

  it('reduces the gradient of a broadcast input back to its shape', () => {
    const bias = tensor([1, 2, 3], { requiresGrad: true });
    Tensor.ones([4, 3]).add(bias).sum().backward();
    expect(bias.grad!.toArray()).toEqual([4, 4, 4]);
  });

  it('lets gradients reach the leaves when a side branch does not lead to the loss', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    const metric = h.exp(); // used for logging only: never part of the loss
    h.sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 2]);
    expect(metric.requiresGrad).toBe(true);
  });

  it('walks a 100,000-op chain without overflowing the stack', () => {
    const x = tensor([1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 100_000; i++) y = y.add(1);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([1]);
  });

  it('starts a backward from a leaf with gradient ones', () => {
    const x = tensor([[1, 2]], { requiresGrad: true });
    x.backward(Tensor.ones([1, 2]));
    expect(x.grad!.toArray()).toEqual([[1, 1]]);
  });
});

describe('graph bookkeeping', () => {
  it('names the op that made a tensor', () => {
    const x = tensor([1], { requiresGrad: true });
    expect(x.gradFn).toBeNull();
    expect(x.isLeaf).toBe(true);
    expect(x.mul(2).gradFn).toBe('MulBackward');
    expect(x.exp().gradFn).toBe('ExpBackward');
    expect(x.sum().gradFn).toBe('SumBackward');
    expect(x.mul(2).isLeaf).toBe(false);
  });

  it('keeps .grad on a non-leaf only after retainGrad()', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const kept = x.mul(3).retainGrad();
    const dropped = x.mul(5);
    kept.add(dropped).sum().backward();
    expect(kept.grad!.toArray()).toEqual([1, 1]);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(dropped.grad).toBeNull(); // and a warning, as PyTorch gives (tests/inplace.test.ts checks its text)
    warn.mockRestore();
    expect(() => tensor([1]).retainGrad()).toThrow(/does not require grad/);
  });

  it('records nothing inside noGrad, and restores the mode even when fn throws', () => {
    const x = tensor([1], { requiresGrad: true });
    const frozen = noGrad(() => x.mul(2));
    expect(frozen.requiresGrad).toBe(false);
    expect(frozen.gradFn).toBeNull();
    expect(() => noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    const inner = noGrad(() => enableGrad(() => x.mul(2)));
    expect(inner.requiresGrad).toBe(true);
    expect(isGradEnabled()).toBe(true);
  });

  it('stops gradients at detach() and shares storage with the original', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.data.sharesStorageWith(x.data)).toBe(true);
    x.mul(d).sum().backward();
    expect(x.grad!.toArray()).toEqual([1, 2]);
  });

  it('lets gradients flow through clone(), into new storage', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const c = x.clone();
    expect(c.data.sharesStorageWith(x.data)).toBe(false);
    c.mul(c).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 4]);
  });
});

describe('in-place ops', () => {
  it('update values and bump the version of every view of the storage', () => {
    const t = tensor([[1, 2], [3, 4]]);
    const row = t.narrow(0, 1, 1);
    row.mul_(10);
    expect(t.toArray()).toEqual([[1, 2], [30, 40]]);
    expect(t.version).toBe(1);
    t.add_(tensor([1, 1])).sub_(1).div_(2);
    expect(t.toArray()).toEqual([[0.5, 1], [15, 20]]);
    t.zero_();
    expect(t.toArray()).toEqual([[0, 0], [0, 0]]);
    t.fill_(7).copy_(tensor([1, 2]));
    expect(t.toArray()).toEqual([[1, 2], [1, 2]]);
  });

  it('are refused on a leaf that requires grad, but allowed inside noGrad (an optimizer step)', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(() => w.add_(1)).toThrow(/add_: cannot modify a leaf tensor that requires grad in place; wrap the update in noGrad/);
    noGrad(() => w.sub_(tensor([0.5, 0.5])));
    expect(w.toArray()).toEqual([0.5, 1.5]);
  });

  it('on a tensor inside a graph join its history, as in PyTorch', () => {
    const x = tensor([1], { requiresGrad: true });
    const h = x.mul(2);
    h.mul_(3);
    expect(h.gradFn).toBe('MulBackward');
    expect(h.toArray()).toEqual([6]);
    h.sum().backward();
    expect(x.grad!.toArray()).toEqual([6]);
  });

  it('must keep the tensor\'s shape', () => {
    expect(() => tensor([1, 2]).add_(tensor([[1], [2]]))).toThrow(/add_: .*an in-place result must keep this tensor's shape/);
  });

  it('on a tensor saved for backward make backward fail with a clear error', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const a = tensor([3, 4]);
    const y = w.mul(a); // Mul saves a
    a.mul_(2);
    expect(() => y.sum().backward()).toThrow(/MulBackward: saved tensor 1 \(shape \[2\]\) was modified in place after it was saved \(version 0, now 1\)/);
  });

  it('through a detached alias are caught too (versions belong to the storage)', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const y = w.exp(); // Exp saves its output
    noGrad(() => y.detach().zero_());
    expect(() => y.sum().backward()).toThrow(/ExpBackward: saved tensor 0 .* was modified in place/);
  });
});

describe('misuse errors', () => {
  it('a second backward through the same graph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const loss = x.mul(x).sum();
    loss.backward();
    expect(() => loss.backward()).toThrow(/backward: the graph behind this tensor \(SumBackward\) was already used by an earlier backward and is freed; pass backward\(\{ retainGraph: true \}\) to the earlier backward/);
  });

  it('a second backward that reaches a freed node from a new root', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.add(1);
    h.sum().backward();
    expect(() => h.mul(2).sum().backward()).toThrow(/AddBackward was already used by an earlier backward/);
  });

  it('a backward started in the middle of a graph warns once, then computes the gradient as PyTorch does', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    h.sum(); // h now has a consumer
    h.backward(Tensor.ones([2]));
    expect(x.grad!.toArray()).toEqual([2, 2]);
    const k = x.mul(3);
    k.exp(); // a second backward from the middle does not warn again
    k.backward(Tensor.ones([2]));
    expect(x.grad!.toArray()).toEqual([5, 5]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/backward\(\) from a tensor in the middle of a graph \(MulBackward, shape \[2\]\): 1 later op\(s\) use it/);
    warn.mockRestore();
  });

  it('a backward on a non-scalar without a gradient', () => {
    const y = tensor([1, 2], { requiresGrad: true }).mul(2);
    expect(() => y.backward()).toThrow(/backward: a gradient can be implied only for a one-element tensor, this one has shape \[2\]/);
  });

  it('a gradient of the wrong shape', () => {
    const y = tensor([1, 2], { requiresGrad: true }).mul(2);
    expect(() => y.backward(Tensor.ones([3]))).toThrow(/backward: gradient shape \[3\] does not match the tensor's shape \[2\]/);
  });

  it('a backward on a tensor that does not require grad', () => {
    expect(() => tensor([1]).backward()).toThrow(/backward: this tensor does not require grad/);
  });

  it('a Function whose backward returns a gradient of the wrong shape', () => {
    class Broken extends Function {
      forward(x: TensorData): TensorData { return x.neg(); }
      backward(): (TensorData | null)[] { return [TensorData.const(1, [5])]; }
    }
    const y = apply(new Broken(), tensor([1, 2], { requiresGrad: true }));
    expect(() => y.sum().backward()).toThrow(/BrokenBackward: backward returned a gradient of shape \[5\] for input 0 of shape \[2\]/);
  });

  it('a Function whose backward returns the wrong number of gradients', () => {
    class Broken extends Function {
      forward(x: TensorData): TensorData { return x.neg(); }
      backward(grad: TensorData): (TensorData | null)[] { return [grad, grad]; }
    }
    const y = apply(new Broken(), tensor([1], { requiresGrad: true }));
    expect(() => y.sum().backward()).toThrow(/BrokenBackward: backward returned 2 gradients for 1 inputs/);
  });

  it('shapes that do not broadcast, naming the op and both shapes', () => {
    expect(() => Tensor.ones([2, 3]).add(Tensor.ones([4]))).toThrow(/add: shapes \[2,3\] and \[4\] cannot be broadcast: dim -1 is 3 vs 4/);
    expect(() => Tensor.ones([2, 3]).mul(Tensor.ones([3, 3]))).toThrow(/mul: shapes \[2,3\] and \[3,3\] cannot be broadcast: dim -2 is 2 vs 3/);
  });

  it('matrices that cannot be multiplied', () => {
    expect(() => Tensor.ones([2, 3]).matmul(Tensor.ones([4, 5]))).toThrow(/matmul: shapes \[2,3\] and \[4,5\] cannot be multiplied: the inner dims differ \(3 columns in the first, 4 rows in the second\)/);
    expect(() => Tensor.ones([2, 2, 3]).matmul(Tensor.ones([3, 3, 2]))).toThrow(/matmul: shapes \[2\] and \[3\] cannot be broadcast/);
    expect(() => Tensor.ones([3]).dot(Tensor.ones([4]))).toThrow(/dot: expected two 1-D tensors of one length, got \[3\] and \[4\]/);
  });

  it('dims out of range', () => {
    const t = Tensor.ones([2, 3]);
    expect(() => t.sum(2)).toThrow(/sum: dim 2 is out of range for a tensor of rank 2 \(expected -2..1\)/);
    expect(() => t.softmax(-3)).toThrow(/max: dim -3 is out of range for a tensor of rank 2/);
    expect(() => t.transpose(0, 5)).toThrow(/transpose: dim 5 is out of range/);
    expect(() => t.unsqueeze(4)).toThrow(/unsqueeze: dim 4 is out of range for a tensor of rank 3/);
    expect(() => t.permute([0, 0])).toThrow(/permute: \[0,0\] is not an ordering of the 2 dims of \[2,3\]/);
  });

  it('bad shapes and values at creation', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/tensor: ragged nested array at data\[1\]: expected a list of length 2/);
    expect(() => Tensor.ones([2, 3]).reshape([4, 2])).toThrow(/reshape: cannot reshape \[2,3\] \(6 cells\) into \[4,2\]/);
    expect(() => Tensor.ones([2, -1])).toThrow(/ones: shape \[2,-1\] must be a list of non-negative integers/);
    expect(() => Tensor.ones([3]).crossEntropy(tensor([0]))).toThrow(/crossEntropy: expected input of shape \[N, C\], got \[3\]/);
    expect(() => Tensor.ones([2, 3]).crossEntropy(tensor([0, 3]))).toThrow(/crossEntropy: target 3 at position 1 is not a class index in 0..2/);
    expect(() => Tensor.ones([1, 3, 5, 5]).conv2d(Tensor.ones([2, 2, 3, 3]))).toThrow(/conv2d: weight \[2,2,3,3\] expects 2 input channels, got input \[1,3,5,5\]/);
  });

  it('expand with -1 on a new dim', () => {
    expect(() => Tensor.ones([3]).expand([-1, 3])).toThrow(/expand: -1 at dim 0 of \[-1,3\] is a new leading dim, so it has no size to keep; give its size/);
    expect(Tensor.ones([1, 3]).expand([2, -1, 3]).shape).toEqual([2, 1, 3]);
  });

  it('a view that would need a copy', () => {
    const t = Tensor.ones([2, 3]).T;
    expect(() => t.view([6])).toThrow(/view: a tensor of shape \[3,2\] with strides \[1,3\] cannot be viewed as \[6\]; use reshape\(\), which copies/);
    expect(t.reshape([6]).shape).toEqual([6]);
  });
});

describe('dispose', () => {
  it('frees a tensor and every view of its storage; later use throws', () => {
    const t = tensor([[1, 2], [3, 4]]);
    const view = t.T;
    t.dispose();
    expect(t.data.isDisposed).toBe(true);
    expect(view.data.isDisposed).toBe(true);
    expect(() => view.toArray()).toThrow(/dispos/);
    expect(() => t.add(1)).toThrow(/dispos/);
  });
});

describe('printing and reading values', () => {
  it('prints like PyTorch', () => {
    expect(tensor([[1, 2], [3, 4]]).toString()).toBe('tensor([[1., 2.],\n        [3., 4.]])');
    expect(tensor([0.5], { requiresGrad: true }).toString()).toBe('tensor([0.5000], requires_grad=True)');
    expect(tensor([1], { requiresGrad: true }).mul(2).toString()).toBe('tensor([2.], grad_fn=<MulBackward0>)');
    expect(tensor(3).toString()).toBe('tensor(3.)');
  });

  it('reads values back as nested arrays and numbers', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(t.T.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(t.sum().item()).toBe(21);
    expect(t.shape).toEqual([2, 3]);
    expect(() => t.item()).toThrow(/item: only a one-element tensor has an item, this one has shape \[2,3\]/);
  });
});
