/**
 * Checkpoints: a model's parameters and buffers, and optionally an optimizer's and a scheduler's
 * state, in one safetensors file (see data/safetensors.ts), written atomically.
 *
 * Tensor names: 'model.<dotted name>' (e.g. 'model.conv1.weight') and 'optimizer.<i>.<buffer>'
 * (e.g. 'optimizer.0.expAvg'). The `__metadata__` strings hold 'format', the optimizer's kind,
 * hyperparameters and step counts ('optimizer', JSON), the scheduler's state ('scheduler', JSON),
 * and any extra strings the caller adds (learnMnist stores the epoch and its settings).
 *
 * Loading checks the whole file against the model, optimizer and scheduler before it writes into
 * any of them, so a failed load leaves them as they were.
 *
 * May import: ./module, ./optim, ./data (safetensors, DataFormatError), src/tensor.
 */
import type { Tensor } from '../tensor';
import { DataFormatError, loadSafetensors, saveSafetensors, type AtomicWriteHooks } from './data';
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
 * A checkpoint that does not fit what it is loaded into (another optimizer kind, other shapes, a
 * state out of range...), naming the file and the problem. Malformed files throw DataFormatError.
 */
export class CheckpointError extends Error {
  /**
   * @param file the checkpoint's path
   * @param problem what does not fit, and what was expected
   * @param op the loading function, for the message (nn.loadFromTorch uses it too)
   */
  constructor(readonly file: string, readonly problem: string, op = 'loadCheckpoint') {
    super(`${op}: ${file}: ${problem}`);
    this.name = 'CheckpointError';
  }
}

/**
 * Loads a checkpoint into the given model (and optimizer, scheduler) and returns its metadata.
 * Asking for an optimizer or scheduler that the file does not hold is an error.
 *
 * Everything is checked before anything is written: the format, `checkMetadata` (the caller's own
 * checks, e.g. that a resumed run has the settings it was saved with), the model's names and shapes,
 * the optimizer's kind and state, the scheduler's. A failed load throws (DataFormatError for a
 * malformed file, CheckpointError for one that does not fit) and leaves all three as they were.
 */
export function loadCheckpoint(file: string, state: TrainingState, checkMetadata?: (metadata: Record<string, string>) => void): Record<string, string> {
  const { tensors, metadata } = loadSafetensors(file);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new DataFormatError(file, 'metadata "format"', `${JSON.stringify(metadata.format)}; expected ${JSON.stringify(CHECKPOINT_FORMAT)} (a file written by saveCheckpoint)`);
  }
  const unknown = Object.keys(tensors).filter((n) => !n.startsWith('model.') && !n.startsWith('optimizer.'));
  if (unknown.length) throw new DataFormatError(file, 'header', `tensors outside 'model.' and 'optimizer.': ${unknown.join(', ')}`);
  checkMetadata?.(metadata);
  const modelState = withPrefix(tensors, 'model.');
  const optimizerState = state.optimizer ? readOptimizerState(file, metadata, tensors) : undefined;
  const schedulerState = state.scheduler ? readJson<SchedulerState>(file, metadata, 'scheduler') : undefined;
  inFile(file, () => {
    state.model.checkStateDict(modelState);
    if (optimizerState) state.optimizer?.checkStateDict(optimizerState);
    if (schedulerState) state.scheduler?.checkStateDict(schedulerState);
  });
  state.model.loadStateDict(modelState);
  if (optimizerState) state.optimizer?.loadStateDict(optimizerState);
  if (schedulerState) state.scheduler?.loadStateDict(schedulerState);
  return metadata;
}

function readOptimizerState(file: string, metadata: Record<string, string>, tensors: Record<string, Tensor>): OptimizerState {
  const saved = readJson<Omit<OptimizerState, 'buffers'>>(file, metadata, 'optimizer');
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) {
    throw new DataFormatError(file, 'metadata "optimizer"', `${JSON.stringify(saved)}; expected an object { kind, hyper, steps }`);
  }
  return { ...saved, buffers: withPrefix(tensors, 'optimizer.') };
}

/** The JSON value of metadata string `key`, which must be there (the state was saved). */
function readJson<T>(file: string, metadata: Record<string, string>, key: 'optimizer' | 'scheduler'): T {
  const text = metadata[key];
  if (text === undefined) throw new CheckpointError(file, `holds no ${key} state (it was saved without ${key === 'optimizer' ? 'an optimizer' : 'a scheduler'})`);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new DataFormatError(file, `metadata "${key}"`, `not valid JSON (${(e as Error).message}); expected the ${key} state saveCheckpoint writes`);
  }
}

/** Runs `check`; an error it throws becomes a CheckpointError naming the file. */
function inFile(file: string, check: () => void): void {
  try {
    check();
  } catch (e) {
    throw new CheckpointError(file, (e as Error).message);
  }
}

/** The tensors whose names start with `prefix`, with the prefix removed (in an object without a prototype, so any name is a plain key). */
function withPrefix(tensors: Record<string, Tensor>, prefix: string): Record<string, Tensor> {
  const out = Object.create(null) as Record<string, Tensor>;
  for (const [name, t] of Object.entries(tensors)) if (name.startsWith(prefix)) out[name.slice(prefix.length)] = t;
  return out;
}
