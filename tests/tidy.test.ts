/**
 * `tidy(fn)` and `keep(t)` (src/tensor/tidy.ts over src/data/scope.ts): what a scope frees at its end
 * and what it keeps, nested scopes, the error a freed tensor gives, and a training step in a scope
 * that frees its dead tensors and nothing live (parameters, gradients, optimizer state, batchnorm's
 * running statistics), giving the same numbers as without the scope.
 *
 * Runs on the fast cpu backend and on gpu.js's webasm mode (no device buffers there: the storages
 * are freed on the host, and the rules are the same), and, with TSGRAD_TEST_GL=1 under xvfb-run, on
 * headlessgl, where the live GL textures are counted too.
 */
import { keep, manualSeed, nn, optim, setDevice, tensor, tidy, Tensor } from '../src';
import { currentBackend, useBackend } from '../src/data/device';
import { referenceBackend } from '../src/data/reference';

type Device = 'cpu' | 'webasm' | 'headlessgl';
const devices: Device[] = process.env.TSGRAD_TEST_GL === '1' ? ['cpu', 'webasm', 'headlessgl'] : ['cpu', 'webasm'];

function use(device: Device): void {
  if (device === 'cpu') setDevice('cpu');
  else setDevice('gpu', { mode: device });
}

const freed = (t: Tensor): boolean => t.data.isDisposed;
const FREED = /this tensor was freed at the end of a tidy\(\) scope/;

/** A small model with every kind of long-lived state: parameters, and batchnorm's running statistics (buffers). */
class Net extends nn.Module {
  fc1 = new nn.Linear(4, 6);
  norm = new nn.BatchNorm1d(6);
  fc2 = new nn.Linear(6, 3);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.norm.forward(this.fc1.forward(x)).relu());
  }
}

/** Trains `steps` steps of Adam on a fixed batch, each in a tidy() scope or not; returns the model, optimizer and losses. */
function train(steps: number, scoped: boolean): { net: Net; optimizer: optim.Adam; losses: number[] } {
  manualSeed(3);
  const net = new Net();
  const optimizer = new optim.Adam(net.parameters(), { lr: 0.05 });
  const x = Tensor.randn([8, 4]);
  const labels = tensor([0, 1, 2, 0, 1, 2, 0, 1]);
  const step = (): number => {
    optimizer.zeroGrad();
    const loss = net.forward(x).crossEntropy(labels);
    loss.backward();
    optimizer.step();
    return loss.item();
  };
  const losses = Array.from({ length: steps }, () => (scoped ? tidy(step) : step()));
  return { net, optimizer, losses };
}

describe.each(devices)('tidy on %s', (device) => {
  beforeAll(() => use(device)); // throws, failing every test, when the device cannot run
  afterAll(() => useBackend(referenceBackend));

  it(`runs on ${device}`, () => {
    expect(currentBackend().name).toBe(device);
  });

  it('frees the tensors made inside, keeps the returned ones and those made before', () => {
    const x = tensor([1, 2, 3]);
    const inside: Tensor[] = [];
    const total = tidy(() => {
      const doubled = x.mul(2);
      const shifted = doubled.add(1);
      inside.push(doubled, shifted);
      return shifted.sum();
    });
    expect(total.item()).toBe(15);
    expect(inside.map(freed)).toEqual([true, true]);
    expect(freed(x)).toBe(false);
    expect(x.toArray()).toEqual([1, 2, 3]);
  });

  it('keeps tensors returned in arrays and plain objects, and views of them', () => {
    const { pair, nested } = tidy(() => {
      const a = tensor([[1, 2], [3, 4]]);
      return { pair: [a.reshape([4]), a.neg()], nested: { sum: a.sum() } };
    });
    expect(pair[0].toArray()).toEqual([1, 2, 3, 4]);
    expect(pair[1].toArray()).toEqual([[-1, -2], [-3, -4]]);
    expect(nested.sum.item()).toBe(10);
  });

  it('keeps what keep() marks and a .grad, frees a leaf neither returned nor kept', () => {
    let leaf: Tensor | null = null;
    let kept: Tensor | null = null;
    tidy(() => {
      leaf = tensor([1, 2, 3], { requiresGrad: true });
      kept = keep(leaf.mul(leaf));
      kept.sum().backward();
    });
    expect(freed(leaf as unknown as Tensor)).toBe(true);
    expect((kept as unknown as Tensor).toArray()).toEqual([1, 4, 9]);
    expect((leaf as unknown as Tensor).grad?.toArray()).toEqual([2, 4, 6]);
  });

  it('nests: what an inner scope returns belongs to the outer one', () => {
    let fromInner: Tensor | null = null;
    let deadInInner: Tensor | null = null;
    const outer = tidy(() => {
      fromInner = tidy(() => {
        deadInInner = tensor([1, 2]).neg();
        return deadInInner.mul(-1);
      });
      expect(freed(deadInInner as unknown as Tensor)).toBe(true);
      expect(freed(fromInner)).toBe(false); // still inside the outer scope
      return fromInner.mul(2);
    });
    expect(freed(fromInner as unknown as Tensor)).toBe(true); // the outer scope did not return it
    expect(outer.toArray()).toEqual([2, 4]);
  });

  it('a freed tensor used afterwards throws, naming the op and the shape', () => {
    let dead: Tensor | null = null;
    tidy(() => {
      dead = tensor([[1, 2, 3], [4, 5, 6]]).neg();
    });
    const t = dead as unknown as Tensor;
    expect(() => t.item()).toThrow(/^item: \(a tensor of shape \[2,3\]\) cannot be used: this tensor was freed at the end of a tidy\(\) scope/);
    expect(() => t.toArray()).toThrow(FREED);
    expect(() => t.exp()).toThrow(/^Exp: \(a tensor of shape \[2,3\]\) cannot be used/);
    expect(() => tensor([1, 1, 1]).mul(t.sum(0))).toThrow(FREED);
  });

  it('backward outside the scope that built the graph throws instead of using freed values', () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const loss = tidy(() => w.exp().mul(w).sum());
    expect(() => loss.backward()).toThrow(FREED);
    expect(w.grad).toBeNull();
  });

  it('frees everything but held tensors when the function throws, and rethrows', () => {
    let made: Tensor | null = null;
    expect(() =>
      tidy(() => {
        made = tensor([1, 2]).add(1);
        throw new Error('stop');
      }),
    ).toThrow('stop');
    expect(freed(made as unknown as Tensor)).toBe(true);
  });

  it('refuses a function that returns a Promise, and anything that is not a function', () => {
    expect(() => tidy(async () => tensor([1]))).toThrow(/tidy: the function returned a Promise/);
    expect(() => tidy(42 as unknown as () => void)).toThrow(/tidy: expected a function to run, got number/);
    expect(() => keep([1, 2] as unknown as Tensor)).toThrow(/keep: expected a Tensor, got object/);
  });

  it('a training step in tidy() gives the same numbers and keeps parameters, grads, optimizer state and running stats', () => {
    const plain = train(4, false);
    const scoped = train(4, true);
    expect(scoped.losses).toEqual(plain.losses);
    const plainState = plain.net.stateDict();
    for (const [name, t] of Object.entries(scoped.net.stateDict())) expect(t.toArray()).toEqual(plainState[name].toArray());
    for (const p of scoped.net.parameters()) {
      expect(freed(p)).toBe(false);
      expect(p.grad && !freed(p.grad)).toBe(true);
    }
    const buffers = scoped.optimizer.stateDict().buffers;
    expect(Object.keys(buffers)).toHaveLength(2 * scoped.net.parameters().length);
    expect(scoped.net.norm.runningMean && !freed(scoped.net.norm.runningMean)).toBe(true);
  });

  it('a gradient that zeroGrad clears inside a scope is freed at its end; one cleared outside every scope is not', () => {
    const { net, optimizer } = train(1, true);
    const p = net.parameters()[0];
    const first = p.grad as Tensor;
    tidy(() => optimizer.zeroGrad());
    expect(freed(first)).toBe(true);
    net.forward(Tensor.randn([2, 4])).sum().backward();
    const second = p.grad as Tensor;
    optimizer.zeroGrad();
    expect(freed(second)).toBe(false);
  });

  it('a gradient replaced by accumulation inside a scope is freed there; the new one is kept', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    let firstGrad: Tensor | null = null;
    tidy(() => {
      w.mul(w).sum().backward();
      firstGrad = w.grad;
      w.mul(3).sum().backward();
    });
    expect(freed(firstGrad as unknown as Tensor)).toBe(true);
    expect(w.grad?.toArray()).toEqual([5, 7]);
  });

  it('a gradient the user also holds elsewhere stays while any holder is left', () => {
    const [a, b] = [tensor([1, 2], { requiresGrad: true }), tensor([3, 4], { requiresGrad: true })];
    tidy(() => a.mul(2).sum().backward());
    b.grad = a.grad;
    tidy(() => { a.grad = null; });
    expect(b.grad?.toArray()).toEqual([2, 2]);
  });

  if (device === 'headlessgl') {
    it('live textures stay flat over scoped training steps', () => {
      const counters = (): number => currentBackend().device?.counters.live ?? -1;
      const { net, optimizer } = train(3, true);
      const x = Tensor.randn([8, 4]);
      const labels = tensor([0, 1, 2, 0, 1, 2, 0, 1]);
      const step = (): void => {
        optimizer.zeroGrad();
        net.forward(x).crossEntropy(labels).backward();
        optimizer.step();
      };
      tidy(step);
      const before = counters();
      for (let i = 0; i < 10; i++) tidy(step);
      expect(counters()).toBeLessThanOrEqual(before); // no growth (the safety net may free older dead textures meanwhile)
    });
  }
});
