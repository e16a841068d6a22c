/**
 * Lab task 4: the DFS-lock engine's backward walk (docs/lab/04-engine.md): pending gradients that
 * add up, locks that count down, and the release rule for nodes whose other consumers never report.
 *
 * May import: src, tests/helpers, ./rows.
 */
import { tensor, traceBackward, type Tensor } from '../../src';
import { checkRows } from './rows';

const grad = (t: Tensor): unknown => (t.grad as Tensor).toArray();

describe('pending gradients and locks', () => {
  it('a chain: y = sum(exp(2x)) gives dy/dx = 2·exp(2x)', () => {
    const x = tensor([0, 0.5], { requiresGrad: true });
    x.mul(2).exp().sum().backward();
    const g = grad(x) as number[];
    expect(g[0]).toBeCloseTo(2, 5);
    expect(g[1]).toBeCloseTo(2 * Math.E, 4);
  });

  it('a diamond: h = 3x read by two consumers, y = h·h + h: dy/dx = 3·(2h + 1), summed before h fires', () => {
    const x = tensor(2, { requiresGrad: true });
    const h = x.mul(3);
    h.mul(h).add(h).backward();
    expect(grad(x)).toBeCloseTo(3 * (2 * 6 + 1), 4);
  });

  it('each node fires once, only after all its consumers have reported (lock 0)', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.exp();
    const y = h.mul(2).add(h.sin()).add(h).sum();
    const trace = traceBackward(() => y.backward());
    const fires = trace.events.filter((e) => e.kind === 'fire');
    expect(new Set(fires.map((e) => e.at)).size).toBe(fires.length);
    const hFire = fires.find((e) => e.at === h.node);
    expect(hFire).toBeDefined();
    const arrivalsAtH = trace.events.filter((e) => e.kind === 'arrive' && e.at === h.node);
    expect(arrivalsAtH.map((e) => e.lock)).toEqual([2, 1, 0]);
    expect(arrivalsAtH.every((e) => e.step < (hFire?.step ?? 0))).toBe(true);
  });

  checkRows('ops.json', {
    chain_reused_input: (x) => x.mul(x).sum(1).add(x.exp().mean(1)),
    chain_mlp: (x, w1, b1, w2, t) => x.linear(w1, b1).tanh().linear(w2).crossEntropy(t),
  });
});

describe('the release rule', () => {
  it('a side branch that never reports (a logged metric) does not block the gradient', () => {
    const x = tensor([0.5, -1], { requiresGrad: true });
    const h = x.exp();
    const metric = h.sum(); // read by nothing: its gradient never comes
    void metric;
    h.mul(3).sum().backward();
    const g = grad(x) as number[];
    expect(g[0]).toBeCloseTo(3 * Math.exp(0.5), 4);
    expect(g[1]).toBeCloseTo(3 * Math.exp(-1), 4);
  });

  it('releases the newest waiting node first: two stuck nodes, one feeding the other', () => {
    const x = tensor(1, { requiresGrad: true });
    const h1 = x.mul(2);
    const h2 = h1.mul(h1);        // h2 = 4x², reads h1 twice
    void h1.exp();                // side branch on h1
    void h2.sin();                // side branch on h2
    h2.mul(5).add(h1).backward(); // y = 20x² + 2x: dy/dx = 40x + 2
    expect(grad(x)).toBeCloseTo(42, 4);
  });

  it('retainGraph keeps the locks for a second pass, which adds the same gradient again', () => {
    const x = tensor(1.5, { requiresGrad: true });
    const h = x.mul(x);
    void h.neg(); // a side branch, so the release rule runs on both passes
    const y = h.mul(h);
    y.backward({ retainGraph: true });
    y.backward();
    expect(grad(x)).toBeCloseTo(2 * 4 * 1.5 ** 3, 3);
  });
});
