/**
 * Optimizers and schedulers against torch.optim: each row of tests/fixtures/optim.json (written by
 * scripts/generate_optim_fixtures.py) replays 5 steps from the same start and compares the
 * parameters after every step; scheduler rows compare the learning rate (and momentum / β₁) of
 * every step. Then state export and restore, and the errors.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { Tensor, optim } from '../src';
import { expectClose, type Packed } from './helpers/fixtures';
import { makeTensor, unpack } from './helpers/gradcheck';

interface OptimizerRow {
  name: string;
  kind: 'SGD' | 'Adam' | 'AdamW';
  options: Record<string, unknown>;
  gradients: 'fixed' | 'problem';
  initial: Packed[];
  grads?: Packed[][];
  x?: Packed;
  y?: Packed;
  steps: Packed[][];
}

interface SchedulerRow {
  name: string;
  optimizer: { kind: 'SGD' | 'Adam'; options: Record<string, unknown> };
  scheduler: { kind: 'StepLR' | 'CosineAnnealingLR' | 'OneCycleLR'; options: Record<string, unknown> };
  lr: number[];
  momentum: number[];
}

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'optim.json'), 'utf8')) as {
  optimizers: OptimizerRow[];
  schedulers: SchedulerRow[];
};

/** float32 updates against float32 torch; five steps let rounding differences grow a little. */
const tolerance = { atol: 1e-6, rtol: 1e-5 };

function makeOptimizer(kind: string, params: Tensor[], options: Record<string, unknown>): optim.Optimizer {
  if (kind === 'SGD') return new optim.SGD(params, options as unknown as optim.SGDOptions);
  if (kind === 'Adam') return new optim.Adam(params, options as optim.AdamOptions);
  if (kind === 'AdamW') return new optim.AdamW(params, options as optim.AdamOptions);
  throw new Error(`unknown optimizer ${kind}`);
}

function makeScheduler(kind: string, opt: optim.Optimizer, options: Record<string, unknown>): optim.LRScheduler {
  if (kind === 'StepLR') return new optim.StepLR(opt, options as { stepSize: number; gamma?: number });
  if (kind === 'CosineAnnealingLR') return new optim.CosineAnnealingLR(opt, options as { tMax: number; etaMin?: number });
  if (kind === 'OneCycleLR') return new optim.OneCycleLR(opt, options as unknown as optim.OneCycleOptions);
  throw new Error(`unknown scheduler ${kind}`);
}

/** Sets each parameter's gradient for step k: stored, or from the least-squares problem. */
function setGradients(row: OptimizerRow, params: Tensor[], k: number): void {
  if (row.gradients === 'fixed') {
    params.forEach((p, i) => { p.grad = makeTensor(row.grads![k][i].values, row.grads![k][i].shape); });
    return;
  }
  const [w, b] = params;
  const x = makeTensor(row.x!.values, row.x!.shape);
  const y = makeTensor(row.y!.values, row.y!.shape);
  const diff = x.matmul(w).add(b).sub(y);
  diff.mul(diff).mean().backward();
}

describe('optimizers match torch.optim step by step', () => {
  it.each(fixture.optimizers.map((r) => [r.name, r] as const))('%s', (_, row) => {
    const params = row.initial.map((p) => makeTensor(p.values, p.shape, true));
    const opt = makeOptimizer(row.kind, params, row.options);
    row.steps.forEach((expected, k) => {
      opt.zeroGrad();
      setGradients(row, params, k);
      opt.step();
      params.forEach((p, i) => expectClose(`${row.name}: parameter ${i} after step ${k + 1}`, unpack(p), expected[i], tolerance));
    });
  });
});

describe('schedulers match torch.optim.lr_scheduler', () => {
  it.each(fixture.schedulers.map((r) => [r.name, r] as const))('%s', (_, row) => {
    const p = Tensor.zeros([1], { requiresGrad: true });
    const opt = makeOptimizer(row.optimizer.kind, [p], row.optimizer.options);
    const scheduler = makeScheduler(row.scheduler.kind, opt, row.scheduler.options);
    const momentum = (): number => (opt instanceof optim.Adam ? opt.betas[0] : (opt as optim.SGD).momentum);
    row.lr.forEach((lr, k) => {
      if (k > 0) {
        opt.step();
        scheduler.step();
      }
      expect(scheduler.getLastLr()).toBeCloseTo(lr, 12);
      expect(momentum()).toBeCloseTo(row.momentum[k], 12);
    });
  });

  it('OneCycleLR refuses to step past totalSteps, as PyTorch does', () => {
    const opt = new optim.Adam([Tensor.zeros([1], { requiresGrad: true })]);
    const scheduler = new optim.OneCycleLR(opt, { maxLr: 0.01, totalSteps: 3 });
    scheduler.step();
    scheduler.step();
    scheduler.step();
    expect(() => scheduler.step()).toThrow(/tried to step 4 times; the schedule has totalSteps 3/);
  });

  it('a restored scheduler continues the same schedule', () => {
    const make = (): [optim.Adam, optim.OneCycleLR] => {
      const opt = new optim.Adam([Tensor.zeros([1], { requiresGrad: true })]);
      return [opt, new optim.OneCycleLR(opt, { maxLr: 0.01, totalSteps: 10 })];
    };
    const [optA, a] = make();
    for (let i = 0; i < 4; i++) a.step();
    const [optB, b] = make();
    b.loadStateDict(a.stateDict());
    expect(optB.lr).toBe(optA.lr);
    expect(optB.betas).toEqual(optA.betas);
    a.step();
    b.step();
    expect(b.getLastLr()).toBe(a.getLastLr());
  });
});

describe('optimizer state', () => {
  const params = (): Tensor[] => [makeTensor([1, -2, 3, 0.5], [2, 2], true), makeTensor([0.1, 0.2], [2], true)];
  const stepWith = (opt: optim.Optimizer, ps: Tensor[], g: number): void => {
    ps.forEach((p) => { p.grad = Tensor.fullLike(p, g); });
    opt.step();
  };

  it('exports and restores Adam moments and step counts, so training continues identically', () => {
    const a = params();
    const optA = new optim.Adam(a, { lr: 0.1 });
    stepWith(optA, a, 0.5);
    stepWith(optA, a, -0.3);
    const state = optA.stateDict();
    expect(state.kind).toBe('Adam');
    expect(state.steps).toEqual([2, 2]);
    expect(Object.keys(state.buffers).sort()).toEqual(['0.expAvg', '0.expAvgSq', '1.expAvg', '1.expAvgSq']);

    const b = params();
    b.forEach((p, i) => p.data.assign(a[i].data));
    const optB = new optim.Adam(b, { lr: 0.5 });
    optB.loadStateDict(state);
    expect(optB.lr).toBe(0.1);
    stepWith(optA, a, 0.2);
    stepWith(optB, b, 0.2);
    b.forEach((p, i) => expect(p.toArray()).toEqual(a[i].toArray()));
  });

  it('the exported state is a snapshot: later steps do not change it', () => {
    const ps = params();
    const opt = new optim.SGD(ps, { lr: 0.1, momentum: 0.9 });
    stepWith(opt, ps, 1);
    const state = opt.stateDict();
    const before = state.buffers['0.momentumBuffer'].toArray();
    stepWith(opt, ps, 1);
    expect(state.buffers['0.momentumBuffer'].toArray()).toEqual(before);
  });

  it('skips parameters without a gradient (and does not count a step for them)', () => {
    const ps = params();
    const opt = new optim.Adam(ps);
    ps[0].grad = Tensor.onesLike(ps[0]);
    opt.step();
    expect(ps[1].toArray()).toEqual(params()[1].toArray());
    expect(opt.stateDict().steps).toEqual([1, 0]);
  });

  it('zeroGrad clears gradients', () => {
    const ps = params();
    const opt = new optim.SGD(ps, { lr: 1 });
    ps.forEach((p) => { p.grad = Tensor.onesLike(p); });
    opt.zeroGrad();
    expect(ps.every((p) => p.grad === null)).toBe(true);
  });

  it('errors name the optimizer, the setting and what was expected', () => {
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow('SGD: got an empty parameter list');
    expect(() => new optim.SGD([Tensor.zeros([2])], { lr: 0.1 })).toThrow(/SGD: parameter 0 \(shape \[2\]\) must be a leaf tensor that requires grad/);
    expect(() => new optim.SGD(params(), { lr: -1 })).toThrow('SGD: lr must be a number >= 0, got -1');
    expect(() => new optim.SGD(params(), { lr: 0.1, nesterov: true })).toThrow(/nesterov needs momentum > 0 and dampening 0/);
    expect(() => new optim.Adam(params(), { betas: [0.9, 1] })).toThrow('Adam: betas[1] must be a number in [0, 1), got 1');
    const ps = params();
    expect(() => new optim.Adam(ps).loadStateDict(new optim.SGD(ps, { lr: 1 }).stateDict())).toThrow('Adam.loadStateDict: the state was saved by SGD, not Adam');
    const one = [Tensor.zeros([3], { requiresGrad: true })];
    expect(() => new optim.Adam(one).loadStateDict(new optim.Adam(params()).stateDict())).toThrow(/the state has 2 parameters, this optimizer 1/);
    const opt = new optim.Adam([Tensor.zeros([3], { requiresGrad: true })]);
    expect(() => opt.loadStateDict({ kind: 'Adam', hyper: opt.hyperparameters(), steps: [1], buffers: { '0.expAvg': Tensor.zeros([4]) } }))
      .toThrow("Adam.loadStateDict: buffer '0.expAvg' has shape [4], parameter 0 has [3]");
  });

  it('scheduler errors say what was expected', () => {
    const opt = new optim.SGD([Tensor.zeros([1], { requiresGrad: true })], { lr: 0.1 });
    expect(() => new optim.StepLR(opt, { stepSize: 0 })).toThrow('StepLR: stepSize must be a positive integer, got 0');
    expect(() => new optim.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 2.5 })).toThrow('OneCycleLR: totalSteps must be a positive integer, got 2.5');
    expect(() => new optim.CosineAnnealingLR(opt, { tMax: 0 })).toThrow('CosineAnnealingLR: tMax must be > 0, got 0');
  });
});
