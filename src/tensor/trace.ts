/**
 * An opt-in record of a backward pass, for learners: each gradient that arrives at a tensor, the lock
 * it leaves behind, and each node that fires. `traceBackward(() => loss.backward())` returns it.
 *
 * May import: src/data, ./tensor (types only).
 */
import { formatShape, type TensorData } from '../data';
import type { Tensor } from './tensor';

/** What happened at one step of backward. */
export type TraceKind =
  | 'start'    // backward begins at the root with this gradient
  | 'arrive'   // a gradient reached a tensor; `lock` consumers are still to report
  | 'fire'     // the lock reached 0: the tensor's Function runs backward with the summed gradient
  | 'release'  // the walk was stuck; this waiting tensor is released (its other consumers lead elsewhere)
  | 'leaf';    // a gradient was added to a leaf's .grad

/** One step of a traced backward pass. */
export interface TraceEvent {
  /** 1, 2, 3, ... in the order the engine did them. */
  step: number;
  /** What happened (see TraceKind). */
  kind: TraceKind;
  /** The tensor it happened to. */
  tensor: Tensor;
  /** The tensor's lock after this event. */
  lock: number;
  /** The shape of the gradient: the one that arrived, or the summed one that fires. */
  gradShape: number[];
  /** The gradient's values, for gradients of at most 16 cells. */
  gradValues: number[] | null;
}

/** What one or more backward passes did, step by step: `traceBackward` returns it. */
export class BackwardTrace {
  /** The steps, in order. */
  readonly events: TraceEvent[] = [];

  /** Adds one step (called by the engine while tracing). */
  record(kind: TraceKind, tensor: Tensor, grad: TensorData): void {
    const values = grad.size <= 16 ? grad.toFlat().map((v) => Math.round(v * 1e4) / 1e4) : null;
    this.events.push({ step: this.events.length + 1, kind, tensor, lock: tensor.lock, gradShape: [...grad.shape], gradValues: values });
  }

  /** One line per event; `names` labels tensors (otherwise they show as #id). */
  toString(names: Record<string, Tensor> = {}): string {
    return this.events.map((e) => {
      const what = `${tensorLabel(e.tensor, names)} (${e.tensor.gradFn ?? 'leaf'})`;
      const grad = `grad ${formatShape(e.gradShape)}${e.gradValues ? ` ${JSON.stringify(e.gradValues)}` : ''}`;
      const lock = e.kind === 'arrive' ? `, lock now ${e.lock}` : '';
      return `${String(e.step).padStart(3)}. ${e.kind.padEnd(7)} ${what}: ${grad}${lock}`;
    }).join('\n');
  }
}

/** A tensor's name in `names`, or #id. */
export function tensorLabel(t: Tensor, names: Record<string, Tensor>): string {
  const entry = Object.entries(names).find(([, value]) => value === t);
  return entry ? entry[0] : `#${t.id}`;
}

let active: BackwardTrace | null = null;

/** The trace being recorded now, or null (the engine calls `record` on it). */
export function activeTrace(): BackwardTrace | null {
  return active;
}

/** Runs `fn` (typically `() => loss.backward()`) and returns what its backward passes did. */
export function traceBackward(fn: () => void): BackwardTrace {
  const trace = new BackwardTrace();
  const previous = active;
  active = trace;
  try {
    fn();
  } finally {
    active = previous;
  }
  return trace;
}
