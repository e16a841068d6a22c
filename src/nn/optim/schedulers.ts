/**
 * Learning-rate schedulers: StepLR, CosineAnnealingLR and OneCycleLR, with torch.optim.lr_scheduler's
 * formulas. A scheduler sets `optimizer.lr` when it is made (step 0) and after each `step()`:
 *
 *   opt.step(); scheduler.step();   // once per epoch (StepLR, CosineAnnealingLR) or per batch (OneCycleLR)
 *
 * Each learning rate is computed from the step count in closed form, so restoring `lastEpoch`
 * (`loadStateDict`) is all a resumed run needs.
 *
 * May import: ./optimizers.
 */
import { Adam, SGD, type Optimizer } from './optimizers';

/** What a checkpoint stores for a scheduler. */
export interface SchedulerState {
  /** The scheduler's class name; loading into another kind is an error. */
  kind: string;
  /** Steps taken so far. */
  lastEpoch: number;
}

/** The base of the schedulers: keeps the step count and sets `optimizer.lr` from it. */
export abstract class LRScheduler {
  /** The learning rate the optimizer had when the scheduler was made. */
  readonly baseLr: number;
  /** Scheduler steps taken so far (0 right after construction). */
  lastEpoch = 0;

  /** @param optimizer the optimizer whose `lr` it sets */
  constructor(readonly optimizer: Optimizer) {
    this.baseLr = optimizer.lr;
  }

  /** The learning rate after `epoch` steps. */
  protected abstract lrAt(epoch: number): number;

  /** Advances one step and sets the optimizer's learning rate. */
  step(): void {
    this.lastEpoch += 1;
    this.apply();
  }

  /** The learning rate set by the last step (PyTorch's get_last_lr, for one parameter group). */
  getLastLr(): number {
    return this.optimizer.lr;
  }

  /** The step count, to save in a checkpoint. */
  stateDict(): SchedulerState {
    return { kind: this.constructor.name, lastEpoch: this.lastEpoch };
  }

  /** Throws, naming the problem, unless `state` is of this kind with a step count this scheduler can take. Changes nothing. */
  checkStateDict(state: SchedulerState): void {
    const name = `${this.constructor.name}.loadStateDict`;
    if (typeof state !== 'object' || state === null) throw new TypeError(`${name}: expected a state object { kind, lastEpoch }, got ${JSON.stringify(state)}`);
    if (state.kind !== this.constructor.name) throw new Error(`${name}: the state was saved by ${JSON.stringify(state.kind)}, not ${this.constructor.name}`);
    if (!Number.isSafeInteger(state.lastEpoch) || state.lastEpoch < 0) throw new RangeError(`${name}: lastEpoch must be an integer >= 0, got ${JSON.stringify(state.lastEpoch)}`);
    const last = this.lastStep();
    if (state.lastEpoch > last) throw new RangeError(`${name}: lastEpoch ${state.lastEpoch} is past this schedule's end (${last} steps)`);
  }

  /** Restores the step count and sets the learning rate that goes with it (checked first: see checkStateDict). */
  loadStateDict(state: SchedulerState): void {
    this.checkStateDict(state);
    this.lastEpoch = state.lastEpoch;
    this.apply();
  }

  /** The largest step count the schedule has (unbounded unless a scheduler says otherwise). */
  protected lastStep(): number {
    return Infinity;
  }

  /** Sets the optimizer's learning rate for the current step. */
  protected apply(): void {
    this.optimizer.lr = this.lrAt(this.lastEpoch);
  }
}

/** lr = baseLr · gamma^⌊epoch / stepSize⌋: divides the rate by 1/gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  /** Epochs between two decays. */
  readonly stepSize: number;
  /** Factor applied at each decay (default 0.1). */
  readonly gamma: number;

  constructor(optimizer: Optimizer, options: { stepSize: number; gamma?: number }) {
    super(optimizer);
    this.stepSize = options.stepSize;
    this.gamma = options.gamma ?? 0.1;
    if (!Number.isInteger(this.stepSize) || this.stepSize < 1) throw new RangeError(`StepLR: stepSize must be a positive integer, got ${this.stepSize}`);
    this.apply();
  }

  protected lrAt(epoch: number): number {
    return this.baseLr * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/** lr = etaMin + (baseLr − etaMin) · (1 + cos(π · epoch / tMax)) / 2: half a cosine from baseLr down to etaMin. */
export class CosineAnnealingLR extends LRScheduler {
  /** Steps from baseLr down to etaMin. */
  readonly tMax: number;
  /** The lowest rate (default 0). */
  readonly etaMin: number;

  constructor(optimizer: Optimizer, options: { tMax: number; etaMin?: number }) {
    super(optimizer);
    this.tMax = options.tMax;
    this.etaMin = options.etaMin ?? 0;
    if (!(this.tMax > 0)) throw new RangeError(`CosineAnnealingLR: tMax must be > 0, got ${this.tMax}`);
    this.apply();
  }

  protected lrAt(epoch: number): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}

/** Settings of OneCycleLR; the defaults are PyTorch's. */
export interface OneCycleOptions {
  /** The peak learning rate. */
  maxLr: number;
  /** Steps in the whole schedule (usually epochs × batches per epoch). */
  totalSteps: number;
  /** Fraction of the steps spent warming up. */
  pctStart?: number;
  /** Start at maxLr / divFactor. */
  divFactor?: number;
  /** End at maxLr / divFactor / finalDivFactor. */
  finalDivFactor?: number;
  /** How the rate moves within a phase (default 'cos'). */
  annealStrategy?: 'cos' | 'linear';
  /** Move momentum (SGD) or β₁ (Adam) against the learning rate, between baseMomentum and maxMomentum. */
  cycleMomentum?: boolean;
  /** Momentum at the peak rate (default 0.85). */
  baseMomentum?: number;
  /** Momentum at the lowest rates (default 0.95). */
  maxMomentum?: number;
  /** Warm up, come back down to the initial rate, then anneal (instead of warm up, then anneal). */
  threePhase?: boolean;
}

/** One phase of the cycle: from `start` to `end` (lr and momentum) over steps up to `endStep`. */
interface Phase {
  endStep: number;
  lr: [number, number];
  momentum: [number, number];
}

/**
 * The one-cycle policy (Smith & Topin 2017), stepped once per batch: the rate warms up from
 * maxLr/divFactor to maxLr over pctStart of the steps, then anneals to maxLr/(divFactor·finalDivFactor),
 * while momentum moves the opposite way. Stepping past totalSteps is an error, as in PyTorch.
 */
export class OneCycleLR extends LRScheduler {
  /** Steps in the schedule; stepping past it throws. */
  readonly totalSteps: number;
  private readonly phases: Phase[];
  private readonly anneal: (start: number, end: number, pct: number) => number;
  private readonly cycleMomentum: boolean;

  constructor(optimizer: Optimizer, options: OneCycleOptions) {
    super(optimizer);
    const { maxLr, totalSteps, pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4 } = options;
    if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new RangeError(`OneCycleLR: totalSteps must be a positive integer, got ${totalSteps}`);
    if (!(pctStart >= 0 && pctStart <= 1)) throw new RangeError(`OneCycleLR: pctStart must be in [0, 1], got ${pctStart}`);
    if (!(maxLr > 0)) throw new RangeError(`OneCycleLR: maxLr must be > 0, got ${maxLr}`);
    this.totalSteps = totalSteps;
    this.cycleMomentum = options.cycleMomentum ?? true;
    if (this.cycleMomentum && !(optimizer instanceof SGD || optimizer instanceof Adam)) {
      throw new Error(`OneCycleLR: cycleMomentum needs an optimizer with momentum (SGD) or betas (Adam, AdamW), got ${optimizer.constructor.name}`);
    }
    const initial = maxLr / divFactor;
    const min = initial / finalDivFactor;
    const [lo, hi] = [options.baseMomentum ?? 0.85, options.maxMomentum ?? 0.95];
    const warm = pctStart * totalSteps - 1;
    this.phases = options.threePhase
      ? [
          { endStep: warm, lr: [initial, maxLr], momentum: [hi, lo] },
          { endStep: 2 * pctStart * totalSteps - 2, lr: [maxLr, initial], momentum: [lo, hi] },
          { endStep: totalSteps - 1, lr: [initial, min], momentum: [hi, hi] },
        ]
      : [
          { endStep: warm, lr: [initial, maxLr], momentum: [hi, lo] },
          { endStep: totalSteps - 1, lr: [maxLr, min], momentum: [lo, hi] },
        ];
    const strategy = options.annealStrategy ?? 'cos';
    if (strategy !== 'cos' && strategy !== 'linear') throw new RangeError(`OneCycleLR: annealStrategy must be 'cos' or 'linear', got ${JSON.stringify(strategy)}`);
    this.anneal = strategy === 'cos' ? cosineAnneal : linearAnneal;
    this.apply();
  }

  protected lrAt(epoch: number): number {
    return this.at(epoch).lr;
  }

  /** OneCycleLR stops at totalSteps. */
  protected lastStep(): number {
    return this.totalSteps;
  }

  /** Sets the learning rate and the momentum for the current step. */
  protected apply(): void {
    if (this.lastEpoch > this.totalSteps) {
      throw new Error(`OneCycleLR: tried to step ${this.lastEpoch} times; the schedule has totalSteps ${this.totalSteps}`);
    }
    const { lr, momentum } = this.at(this.lastEpoch);
    this.optimizer.lr = lr;
    if (this.cycleMomentum) setMomentum(this.optimizer, momentum);
  }

  /** Learning rate and momentum after `step` steps: find the phase, then interpolate within it. */
  private at(step: number): { lr: number; momentum: number } {
    let start = 0;
    for (let i = 0; i < this.phases.length; i++) {
      const phase = this.phases[i];
      if (step <= phase.endStep || i === this.phases.length - 1) {
        const pct = (step - start) / (phase.endStep - start);
        return { lr: this.anneal(...phase.lr, pct), momentum: this.anneal(...phase.momentum, pct) };
      }
      start = phase.endStep;
    }
    throw new Error('OneCycleLR: no phases'); // unreachable: the last phase always matches
  }
}

/** From start (pct 0) to end (pct 1) along half a cosine. */
function cosineAnneal(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

function linearAnneal(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

/** SGD's momentum, or Adam's β₁, which plays the same role. */
function setMomentum(optimizer: Optimizer, momentum: number): void {
  if (optimizer instanceof SGD) optimizer.momentum = momentum;
  else if (optimizer instanceof Adam) optimizer.betas = [momentum, optimizer.betas[1]];
}
