/**
 * Checkpoints: a model's parameters and buffers, and optionally an optimizer's and a scheduler's
 * state, in one safetensors file (see data/safetensors.ts), written atomically.
 *
 * Tensor names: 'model.<dotted name>' (e.g. 'model.conv1.weight') and 'optimizer.<i>.<buffer>'
 * (e.g. 'optimizer.0.expAvg'). The `__metadata__` strings hold 'format', the optimizer's kind,
 * hyperparameters and step counts ('optimizer', JSON), the scheduler's state ('scheduler', JSON),
 * and any extra strings the caller adds (learnMnist stores the epoch and its settings).
 *
 * May import: ./module, ./optim, ./data (safetensors), src/tensor.
 */
import type { Tensor } from '../tensor';
import { loadSafetensors, saveSafetensors, type AtomicWriteHooks } from './data';
import type { Module } from './module';
import type { Optimizer, OptimizerState } from './optim';
import type { LRScheduler, SchedulerState } from './optim';

/** The 'format' metadata string of a checkpoint file; loadCheckpoint refuses others. */
export const CHECKPOINT_FORMAT = 'tsgrad-checkpoint-1';

/** What a checkpoint saves and restores. */
export interface TrainingState {
  /** Its parameters and buffers, as 'model.<name>'. */
  model: Module;
  /** Its buffers as 'optimizer.<i>.<name>', the rest as JSON metadata. */
  optimizer?: Optimizer;
  /** Its step count, as JSON metadata. */
  scheduler?: LRScheduler;
}

/** Saves the model (and optimizer, scheduler) with extra metadata strings; an old file survives a failed save. */
export function saveCheckpoint(file: string, state: TrainingState, extra: Record<string, string> = {}, io?: AtomicWriteHooks): void {
  const tensors: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(state.model.stateDict())) tensors[`model.${name}`] = t;
  const metadata: Record<string, string> = { ...extra, format: CHECKPOINT_FORMAT };
  if (state.optimizer) {
    const { buffers, ...rest } = state.optimizer.stateDict();
    for (const [name, t] of Object.entries(buffers)) tensors[`optimizer.${name}`] = t;
    metadata.optimizer = JSON.stringify(rest);
  }
  if (state.scheduler) metadata.scheduler = JSON.stringify(state.scheduler.stateDict());
  saveSafetensors(file, tensors, metadata, io);
}

/**
 * Loads a checkpoint into the given model (and optimizer, scheduler) and returns its metadata.
 * Asking for an optimizer or scheduler that the file does not hold is an error.
 */
export function loadCheckpoint(file: string, state: TrainingState): Record<string, string> {
  const { tensors, metadata } = loadSafetensors(file);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new Error(`loadCheckpoint: ${file} has format ${JSON.stringify(metadata.format)}; expected ${JSON.stringify(CHECKPOINT_FORMAT)} (a file written by saveCheckpoint)`);
  }
  const unknown = Object.keys(tensors).filter((n) => !n.startsWith('model.') && !n.startsWith('optimizer.'));
  if (unknown.length) throw new Error(`loadCheckpoint: ${file} holds tensors outside 'model.' and 'optimizer.': ${unknown.join(', ')}`);
  state.model.loadStateDict(withPrefix(tensors, 'model.'));
  if (state.optimizer) {
    if (metadata.optimizer === undefined) throw new Error(`loadCheckpoint: ${file} holds no optimizer state (it was saved without an optimizer)`);
    const saved = JSON.parse(metadata.optimizer) as Omit<OptimizerState, 'buffers'>;
    state.optimizer.loadStateDict({ ...saved, buffers: withPrefix(tensors, 'optimizer.') });
  }
  if (state.scheduler) {
    if (metadata.scheduler === undefined) throw new Error(`loadCheckpoint: ${file} holds no scheduler state (it was saved without a scheduler)`);
    state.scheduler.loadStateDict(JSON.parse(metadata.scheduler) as SchedulerState);
  }
  return metadata;
}

/** The tensors whose names start with `prefix`, with the prefix removed. */
function withPrefix(tensors: Record<string, Tensor>, prefix: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(tensors)) if (name.startsWith(prefix)) out[name.slice(prefix.length)] = t;
  return out;
}
