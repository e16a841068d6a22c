/**
 * The cost of the backward engine (src/tensor/autograd.ts): releasing side branches stays
 * O(n log n), counted by the engine's own operation counter (no wall-clock timing), and a result kept
 * after backward (a loss pushed onto a list) no longer keeps its inputs' activations alive, checked
 * with a WeakRef and a forced garbage collection.
 */
import { Tensor, tensor } from '../src';
import { garbageCollector } from '../src/data/storage';
import { engineStats } from '../src/tensor/autograd';

/**
 * x feeds n products h_i = x·c_i; the loss sums them all, and each h_i also feeds a metric that is
 * dropped (a side branch). After the loss's chain of adds has run, all n products wait at once,
 * each released by the side-branch rule.
 */
function sideBranchGraph(n: number): { x: Tensor; loss: Tensor } {
  const x = tensor([1, 2], { requiresGrad: true });
  let loss: Tensor | null = null;
  for (let i = 0; i < n; i++) {
    const h = x.mul(1 + i / n);
    h.exp(); // a metric, computed and dropped
    loss = loss === null ? h : loss.add(h);
  }
  return { x, loss: (loss as Tensor).sum() };
}

function waitingStepsOf(n: number): number {
  const { x, loss } = sideBranchGraph(n);
  const before = engineStats().waitingSteps;
  loss.backward();
  const steps = engineStats().waitingSteps - before;
  const expected = Array.from({ length: n }, (_, i) => 1 + i / n).reduce((a, b) => a + b, 0);
  (x.grad!.toArray() as number[]).forEach((g) => expect(g).toBeCloseTo(expected, 0));
  return steps;
}

describe('releasing side branches', () => {
  it('costs O(n log n) heap steps: 3× the branches cost well under 9× the steps', () => {
    const small = waitingStepsOf(3_000);
    const large = waitingStepsOf(9_000);
    // A scan of every waiting node per release (the old rule) costs n²/2 steps: 9× for 3× n.
    expect(large / small).toBeLessThan(4);
    expect(large).toBeLessThan(9_000 * Math.log2(9_000) * 3);
  });
});

type WeakRefTo<T extends object> = { deref(): T | undefined };
const WeakRefClass = (globalThis as unknown as { WeakRef: new <T extends object>(target: T) => WeakRefTo<T> }).WeakRef;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('memory after backward', () => {
  it('a kept loss holds its activations until backward, and not after', async () => {
    const collect = garbageCollector();
    if (collect === null) throw new Error('this test needs a forced garbage collection (V8)');
    const step = (): { loss: Tensor; activations: WeakRefTo<object>[] } => {
      const x = Tensor.randn([32, 32]);
      const w = Tensor.randn([32, 32], { requiresGrad: true });
      const h = x.matmul(w);
      const r = h.sin(); // Sin saves h
      const loss = r.mul(r).sum(); // Mul saves r
      return { loss, activations: [new WeakRefClass(h.data), new WeakRefClass(r.data)] };
    };
    const { loss, activations } = step();
    await nextTurn(); // WeakRef targets are kept alive until the turn that made them ends
    collect();
    expect(activations.map((a) => a.deref() !== undefined)).toEqual([true, true]); // saved for backward, as in PyTorch
    loss.backward();
    await nextTurn();
    collect();
    expect(activations.map((a) => a.deref() !== undefined)).toEqual([false, false]);
    expect(loss.gradFn).toBe('SumBackward'); // the graph's structure stays, without values
  });
});
