/**
 * `optim`: optimizers (optimizers.ts) and learning-rate schedulers (schedulers.ts).
 *
 *   import { optim } from 'tsgrad';
 *   const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
 *   const schedule = new optim.OneCycleLR(opt, { maxLr: 3e-3, totalSteps: 780 });
 */
export { Optimizer, SGD, Adam, AdamW, type SGDOptions, type AdamOptions, type OptimizerState, type Hyperparameters } from './optimizers';
export { LRScheduler, StepLR, CosineAnnealingLR, OneCycleLR, type OneCycleOptions, type SchedulerState } from './schedulers';
