/**
 * Optimizers: SGD (momentum, dampening, Nesterov, weight decay), Adam and AdamW, with the update
 * rules of torch.optim (PyTorch 1.13, single-tensor path), checked step by step against recorded
 * values in tests/optim.test.ts.
 *
 * Usage, once per batch:  opt.zeroGrad(); loss.backward(); opt.step();
 *
 * Updates run under noGrad with in-place Tensor ops (`sub_`, `mul_`, ...), so a parameter keeps its
 * identity and storage. Per-parameter state (momentum buffers, Adam's moments, the step count) can
 * be exported with `stateDict()` and restored with `loadStateDict()` for checkpoints. A saved state is
 * checked whole before any of it is used (`checkStateDict`): kind, hyperparameters and their ranges,
 * step counts, buffer names, shapes and values. A bad state throws and leaves the optimizer as it was.
 * State buffers are long-lived: each is passed to `keep()` when made, so a `tidy()` step does not free it.
 *
 * May import: src/tensor, src/data (shape formatting).
 */
import { formatShape, shapesEqual } from '../../data';
import { keep, noGrad, Tensor } from '../../tensor';

/** Hyperparameters as plain values (what a checkpoint stores in its metadata). */
export type Hyperparameters = Record<string, number | boolean | number[]>;

/** Everything an optimizer needs to continue where it stopped. */
export interface OptimizerState {
  /** The optimizer's class name; loading into another kind is an error. */
  kind: string;
  /** lr and the optimizer's other settings. */
  hyper: Hyperparameters;
  /** Updates applied so far, per parameter (in `params` order). */
  steps: number[];
  /** State tensors named `<parameter index>.<buffer>`, e.g. '0.expAvg'. */
  buffers: Record<string, Tensor>;
}

/** One parameter's state: its update count and named buffers (created on its first update). */
interface ParamState {
  step: number;
  buffers: Record<string, Tensor>;
}

/** The base of SGD, Adam and AdamW: checks the parameters, keeps per-parameter state, runs `update` on each. */
export abstract class Optimizer {
  /** The tensors it updates, in the order given (the order of state and checkpoints). */
  readonly params: Tensor[];
  /** The learning rate; schedulers change it between steps. */
  lr: number;
  /** Per-parameter step counts and buffers, in `params` order. */
  protected readonly state: ParamState[];

  constructor(params: Iterable<Tensor>, lr: number) {
    this.params = [...params];
    const name = this.constructor.name;
    if (this.params.length === 0) throw new Error(`${name}: got an empty parameter list`);
    this.params.forEach((p, i) => {
      if (!p.requiresGrad || !p.isLeaf) throw new Error(`${name}: parameter ${i} (shape ${formatShape(p.shape)}) must be a leaf tensor that requires grad, such as an nn.Parameter`);
    });
    if (new Set(this.params).size !== this.params.length) throw new Error(`${name}: a parameter appears more than once in the list`);
    checkHyper(`${name}:`, 'lr', lr, (v) => v >= 0, 'a number >= 0');
    this.lr = lr;
    this.state = this.params.map(() => ({ step: 0, buffers: {} }));
  }

  /** Clears every parameter's gradient (sets it to null, as PyTorch's set_to_none=True). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    noGrad(() => {
      this.params.forEach((p, i) => {
        if (p.grad === null) return;
        const state = this.state[i];
        state.step += 1;
        this.update(p, p.grad, state);
      });
    });
  }

  /** The update rule for one parameter; runs under noGrad. */
  protected abstract update(param: Tensor, grad: Tensor, state: ParamState): void;

  /** Hyperparameters to save; each optimizer lists its own. */
  abstract hyperparameters(): Hyperparameters;

  /** Throws unless `hyper` holds every hyperparameter of this kind, of the right type and range. */
  protected abstract checkHyperparameters(hyper: Hyperparameters): void;

  /** Sets hyperparameters from a saved state (already checked by checkHyperparameters). */
  protected abstract setHyperparameters(hyper: Hyperparameters): void;

  /** The names of the per-parameter buffers this kind keeps (e.g. expAvg and expAvgSq for Adam). */
  protected abstract bufferNames(): string[];

  /** A snapshot of the state (buffers are copies, so later steps do not change it). */
  stateDict(): OptimizerState {
    const buffers: Record<string, Tensor> = {};
    this.state.forEach((s, i) => {
      for (const [name, t] of Object.entries(s.buffers)) buffers[`${i}.${name}`] = t.clone();
    });
    return { kind: this.constructor.name, hyper: this.hyperparameters(), steps: this.state.map((s) => s.step), buffers };
  }

  /**
   * Throws, naming the problem, unless `saved` is a state this optimizer can take: its kind, its
   * hyperparameters (types and ranges, as the constructor checks them), one step count (an integer
   * >= 0) per parameter, and buffers of this kind's names, each of its parameter's shape, with
   * finite values, belonging to a parameter that has stepped. Changes nothing.
   */
  checkStateDict(saved: OptimizerState): void {
    const name = `${this.constructor.name}.loadStateDict`;
    if (typeof saved !== 'object' || saved === null) throw new TypeError(`${name}: expected a state object { kind, hyper, steps, buffers }, got ${JSON.stringify(saved)}`);
    if (saved.kind !== this.constructor.name) throw new Error(`${name}: the state was saved by ${typeof saved.kind === 'string' ? saved.kind : JSON.stringify(saved.kind)}, not ${this.constructor.name}`);
    if (typeof saved.hyper !== 'object' || saved.hyper === null || Array.isArray(saved.hyper)) throw new TypeError(`${name}: expected hyperparameters as an object, got ${JSON.stringify(saved.hyper)}`);
    this.checkHyperparameters(saved.hyper);
    this.checkSteps(saved.steps);
    if (typeof saved.buffers !== 'object' || saved.buffers === null) throw new TypeError(`${name}: expected buffers as an object of tensors`);
    for (const [key, t] of Object.entries(saved.buffers)) this.checkBuffer(key, t, saved.steps);
  }

  /** Restores a snapshot taken from an optimizer of the same kind over parameters of the same shapes (checked first: see checkStateDict). */
  loadStateDict(saved: OptimizerState): void {
    this.checkStateDict(saved);
    const restored: ParamState[] = this.params.map((p, i) => ({ step: saved.steps[i], buffers: {} }));
    for (const [key, t] of Object.entries(saved.buffers)) {
      const [index, buffer] = splitKey(key);
      restored[index].buffers[buffer] = keep(t.detach().clone());
    }
    this.setHyperparameters(saved.hyper);
    restored.forEach((s, i) => {
      for (const old of Object.values(this.state[i].buffers)) old.data.letGo(); // a tidy() scope open now may free it
      this.state[i] = s;
    });
  }

  private checkSteps(steps: unknown): void {
    const name = `${this.constructor.name}.loadStateDict`;
    if (!Array.isArray(steps)) throw new TypeError(`${name}: expected steps as a list of ${this.params.length} counts (one per parameter), got ${JSON.stringify(steps)}`);
    if (steps.length !== this.params.length) throw new Error(`${name}: the state has ${steps.length} parameters, this optimizer ${this.params.length}`);
    const bad = steps.findIndex((n) => !Number.isSafeInteger(n) || (n as number) < 0);
    if (bad >= 0) throw new RangeError(`${name}: steps[${bad}] is ${JSON.stringify(steps[bad])}; expected an integer >= 0`);
  }

  private checkBuffer(key: string, t: unknown, steps: number[]): void {
    const name = `${this.constructor.name}.loadStateDict`;
    const [index, buffer] = splitKey(key);
    const param = this.params[index];
    if (param === undefined || !this.bufferNames().includes(buffer)) {
      throw new Error(`${name}: unexpected buffer '${key}'; expected '<parameter index>.<${this.bufferNames().join(' | ')}>' with an index below ${this.params.length}`);
    }
    if (!(t instanceof Tensor)) throw new TypeError(`${name}: buffer '${key}' is not a Tensor`);
    if (!shapesEqual(t.shape, param.shape)) {
      throw new Error(`${name}: buffer '${key}' has shape ${formatShape(t.shape)}, parameter ${index} has ${formatShape(param.shape)}`);
    }
    if (steps[index] === 0) throw new Error(`${name}: buffer '${key}' belongs to parameter ${index}, whose step count is 0; a buffer is made by the first step`);
    if (!allFinite(t)) throw new RangeError(`${name}: buffer '${key}' holds NaN or infinite values`);
    if (buffer === 'expAvgSq' && t.numel() > 0 && t.min().item() < 0) throw new RangeError(`${name}: buffer '${key}' holds negative values; a running mean of squares is >= 0`);
  }
}

// ---- SGD ------------------------------------------------------------------------------------------

/** Settings of SGD; only lr is required. */
export interface SGDOptions {
  /** Learning rate. */
  lr: number;
  /** Weight of the previous update in the momentum buffer (default 0: plain SGD). */
  momentum?: number;
  /** Damps the new gradient in the momentum buffer: buf = momentum·buf + (1 − dampening)·g. */
  dampening?: number;
  /** Look ahead: step along g + momentum·buf instead of buf (needs momentum > 0, dampening 0). */
  nesterov?: boolean;
  /** Adds weightDecay·param to the gradient (L2 regularization). */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent:
 *   g ← grad + weightDecay·p
 *   buf ← g on the first step, then momentum·buf + (1 − dampening)·g
 *   g ← g + momentum·buf (Nesterov) or buf (classic momentum)
 *   p ← p − lr·g
 */
export class SGD extends Optimizer {
  /** See SGDOptions; OneCycleLR may change it between steps. */
  momentum: number;
  /** See SGDOptions. */
  dampening: number;
  /** See SGDOptions. */
  nesterov: boolean;
  /** See SGDOptions. */
  weightDecay: number;

  constructor(params: Iterable<Tensor>, options: SGDOptions) {
    super(params, options.lr);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.weightDecay = options.weightDecay ?? 0;
    checkHyper('SGD:', 'momentum', this.momentum, (v) => v >= 0, 'a number >= 0');
    checkHyper('SGD:', 'weightDecay', this.weightDecay, (v) => v >= 0, 'a number >= 0');
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError(`SGD: nesterov needs momentum > 0 and dampening 0, got momentum ${this.momentum}, dampening ${this.dampening}`);
    }
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState): void {
    let g = this.weightDecay !== 0 ? grad.add(p.mul(this.weightDecay)) : grad;
    if (this.momentum !== 0) {
      let buf = state.buffers.momentumBuffer;
      if (buf === undefined) buf = state.buffers.momentumBuffer = keep(g.clone());
      else buf.mul_(this.momentum).add_(g.mul(1 - this.dampening));
      g = this.nesterov ? g.add(buf.mul(this.momentum)) : buf;
    }
    p.sub_(g.mul(this.lr));
  }

  hyperparameters(): Hyperparameters {
    return { lr: this.lr, momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }

  protected checkHyperparameters(h: Hyperparameters): void {
    const where = 'SGD.loadStateDict: hyperparameter';
    checkHyper(where, 'lr', h.lr, (v) => v >= 0, 'a number >= 0');
    checkHyper(where, 'momentum', h.momentum, (v) => v >= 0, 'a number >= 0');
    checkHyper(where, 'dampening', h.dampening, () => true, 'a finite number');
    checkHyper(where, 'weightDecay', h.weightDecay, (v) => v >= 0, 'a number >= 0');
    if (typeof h.nesterov !== 'boolean') throw new TypeError(`${where} nesterov must be true or false, got ${JSON.stringify(h.nesterov)}`);
    if (h.nesterov && ((h.momentum as number) <= 0 || h.dampening !== 0)) {
      throw new RangeError(`${where} nesterov needs momentum > 0 and dampening 0, got momentum ${h.momentum}, dampening ${h.dampening}`);
    }
  }

  protected setHyperparameters(h: Hyperparameters): void {
    this.lr = h.lr as number;
    this.momentum = h.momentum as number;
    this.dampening = h.dampening as number;
    this.nesterov = h.nesterov as boolean;
    this.weightDecay = h.weightDecay as number;
  }

  protected bufferNames(): string[] {
    return ['momentumBuffer'];
  }
}

// ---- Adam and AdamW ----------------------------------------------------------------------------------

/** Settings of Adam and AdamW. */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates of the running mean of the gradient and of its square. */
  betas?: [number, number];
  /** Added to the denominator, so a zero second moment does not divide by zero. */
  eps?: number;
  /** L2 penalty for Adam (default 0); decoupled decay for AdamW (default 0.01). */
  weightDecay?: number;
}

/**
 * Adam (Kingma & Ba 2015). With t the parameter's step count:
 *   g ← grad + weightDecay·p                      (L2, added to the gradient)
 *   m ← β₁·m + (1 − β₁)·g                          running mean of the gradient
 *   v ← β₂·v + (1 − β₂)·g²                         running mean of its square
 *   p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)   (bias-corrected, as in PyTorch)
 */
export class Adam extends Optimizer {
  /** [β₁, β₂]; OneCycleLR may change β₁ between steps. */
  betas: [number, number];
  /** See AdamOptions. */
  eps: number;
  /** See AdamOptions. */
  weightDecay: number;

  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    super(params, options.lr ?? 1e-3);
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? this.defaultWeightDecay();
    const name = this.constructor.name;
    this.betas.forEach((b, i) => checkHyper(`${name}:`, `betas[${i}]`, b, (v) => v >= 0 && v < 1, 'a number in [0, 1)'));
    checkHyper(`${name}:`, 'eps', this.eps, (v) => v >= 0, 'a number >= 0');
    checkHyper(`${name}:`, 'weightDecay', this.weightDecay, (v) => v >= 0, 'a number >= 0');
  }

  /** weightDecay when the options leave it out: 0 for Adam. */
  protected defaultWeightDecay(): number {
    return 0;
  }

  /** The gradient Adam's moments see; AdamW overrides this and decays the weight directly instead. */
  protected decayed(p: Tensor, grad: Tensor): Tensor {
    return this.weightDecay !== 0 ? grad.add(p.mul(this.weightDecay)) : grad;
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState): void {
    const [beta1, beta2] = this.betas;
    const g = this.decayed(p, grad);
    const m = (state.buffers.expAvg ??= keep(Tensor.zerosLike(p)));
    const v = (state.buffers.expAvgSq ??= keep(Tensor.zerosLike(p)));
    m.mul_(beta1).add_(g.mul(1 - beta1));
    v.mul_(beta2).add_(g.mul(g).mul(1 - beta2));
    const stepSize = this.lr / (1 - beta1 ** state.step);
    const denominator = v.sqrt().div(Math.sqrt(1 - beta2 ** state.step)).add(this.eps);
    p.sub_(m.div(denominator).mul(stepSize));
  }

  hyperparameters(): Hyperparameters {
    return { lr: this.lr, betas: [...this.betas], eps: this.eps, weightDecay: this.weightDecay };
  }

  protected checkHyperparameters(h: Hyperparameters): void {
    const where = `${this.constructor.name}.loadStateDict: hyperparameter`;
    checkHyper(where, 'lr', h.lr, (v) => v >= 0, 'a number >= 0');
    const betas = h.betas;
    if (!Array.isArray(betas) || betas.length !== 2) throw new TypeError(`${where} betas must be two numbers, got ${JSON.stringify(betas)}`);
    betas.forEach((b, i) => checkHyper(where, `betas[${i}]`, b, (v) => v >= 0 && v < 1, 'a number in [0, 1)'));
    checkHyper(where, 'eps', h.eps, (v) => v >= 0, 'a number >= 0');
    checkHyper(where, 'weightDecay', h.weightDecay, (v) => v >= 0, 'a number >= 0');
  }

  protected setHyperparameters(h: Hyperparameters): void {
    const betas = h.betas as number[];
    this.lr = h.lr as number;
    this.betas = [betas[0], betas[1]];
    this.eps = h.eps as number;
    this.weightDecay = h.weightDecay as number;
  }

  protected bufferNames(): string[] {
    return ['expAvg', 'expAvgSq'];
  }
}

/**
 * AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay. The weight shrinks directly,
 *   p ← p · (1 − lr·weightDecay),
 * before the Adam update, which then sees the plain gradient. The default weightDecay is 0.01.
 */
export class AdamW extends Adam {
  /** weightDecay when the options leave it out: 0.01 for AdamW. */
  protected defaultWeightDecay(): number {
    return 1e-2;
  }

  protected decayed(p: Tensor, grad: Tensor): Tensor {
    if (this.weightDecay !== 0) p.mul_(1 - this.lr * this.weightDecay);
    return grad;
  }
}

// ---- helpers -----------------------------------------------------------------------------------------

/** Throws a RangeError `<where> <name> must be <expected>, got <value>` unless value is a finite number that passes `ok`. */
function checkHyper(where: string, name: string, value: unknown, ok: (v: number) => boolean, expected: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new RangeError(`${where} ${name} must be ${expected}, got ${typeof value === 'number' ? value : JSON.stringify(value)}`);
  }
}

/** True when no value is NaN or infinite: x − x is 0 for a finite x and NaN otherwise. */
function allFinite(t: Tensor): boolean {
  return t.sub(t).sum().item() === 0;
}

function splitKey(key: string): [number, string] {
  const dot = key.indexOf('.');
  const index = Number(key.slice(0, dot));
  return [dot > 0 && Number.isInteger(index) ? index : -1, dot > 0 ? key.slice(dot + 1) : ''];
}
