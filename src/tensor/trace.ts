/**
 * An opt-in record of a backward pass, for learners: each gradient that arrives at a tensor, the lock
 * it leaves behind, and each node that fires. `traceBackward(() => loss.backward())` returns it.
 *
 * May import: src/data, ./autograd and ./tensor (types only).
 */
import { formatShape, type TensorData } from '../data';
import type { ConstantInput, GraphInput, GraphNode } from './autograd';
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
  /** Where it happened: the graph node (an op's result), or the leaf tensor for 'leaf'. */
  at: GraphNode | Tensor;
  /** The node's lock after this event (0 for a leaf). */
  lock: number;
  /** The shape of the gradient: the one that arrived, or the summed one that fires. */
  gradShape: number[];
  /** The gradient's values, for gradients of at most 16 cells. */
  gradValues: number[] | null;
}

/** What one or more backward passes did, step by step: `traceBackward` returns it. */
export class BackwardTrace {
  /** How to read `toString`'s lines, for printing above them. */
  static readonly legend =
    'Each line: step. event tensor (the Function that made it): grad <shape> <values>. ' +
    '`grad [] [1]` is a gradient of shape [] (a single number) whose value is 1. ' +
    'start: backward begins; arrive: a gradient reaches a tensor, "lock now k" = k more readers must still send theirs; ' +
    "fire: all arrived, the tensor's Function runs backward with the sum; leaf: added to a leaf's .grad.";

  /** The steps, in order. */
  readonly events: TraceEvent[] = [];

  /** Adds one step (called by the engine while tracing). */
  record(kind: TraceKind, at: GraphNode | Tensor, grad: TensorData, lock: number): void {
    const values = grad.size <= 16 ? grad.toFlat().map((v) => Math.round(v * 1e4) / 1e4) : null;
    this.events.push({ step: this.events.length + 1, kind, at, lock, gradShape: [...grad.shape], gradValues: values });
  }

  /** One line per event; `names` labels tensors (otherwise they show as #id). */
  toString(names: Record<string, Tensor | GraphInput> = {}): string {
    return this.events.map((e) => {
      const what = `${graphLabel(e.at, names)} (${isNode(e.at) ? e.at.fn.name : 'leaf'})`;
      const grad = `grad ${formatShape(e.gradShape)}${e.gradValues ? ` ${JSON.stringify(e.gradValues)}` : ''}`;
      const lock = e.kind === 'arrive' ? `, lock now ${e.lock}` : '';
      return `${String(e.step).padStart(3)}. ${e.kind.padEnd(7)} ${what}: ${grad}${lock}`;
    }).join('\n');
  }
}

/** True for a graph node (told apart by shape, so that this file needs no value import of autograd.ts). */
export function isNode(item: GraphInput): item is GraphNode {
  return 'fn' in item;
}

/** True for a constant input (an id, shape and version without values). */
export function isConstant(item: GraphInput): item is ConstantInput {
  return !('fn' in item) && !('data' in item);
}

/** The id of the tensor behind a graph item: the one a node wrote, a leaf's own, a constant's. */
export function tensorIdOf(item: GraphInput): number {
  return isNode(item) ? item.tensorId : isConstant(item) ? item.tensorId : item.id;
}

/** True when `item` is what `t` is now: its node, or (as a constant) the leaf itself at its present version. */
export function isCurrent(item: GraphInput, t: Tensor): boolean {
  if (isNode(item)) return t.node === item;
  return isConstant(item) && t.id === item.tensorId && t.node === null && t.version === item.version;
}

/**
 * A graph item's name in `names`: the entry that is the item itself, or the tensor whose current
 * node it is; an older version of a named tensor (before an in-place op) gets `name (v0)`. Else #id.
 */
export function graphLabel(item: GraphInput, names: Record<string, Tensor | GraphInput>): string {
  const entries = Object.entries(names);
  const same = entries.find(([, value]) => value === item || ('data' in value && isCurrent(item, value)));
  if (same) return same[0];
  const id = tensorIdOf(item);
  const older = entries.find(([, value]) => 'data' in value && value.id === id);
  if (older) return `${older[0]} (v${isNode(item) || isConstant(item) ? item.version : 0})`;
  return `#${id}`;
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

// ---- composites -------------------------------------------------------------------------------

/** One call of a composite (a Tensor method made of other ops), e.g. the 3rd `logSoftmax` call. */
export interface CompositeCall {
  /** The method's name. */
  readonly name: string;
  /** A number of its own, so that two calls of one method are told apart. */
  readonly id: number;
}

const openCalls: CompositeCall[] = [];
let callsMade = 0;
/** For each node made inside composite calls: those calls, outermost first. */
const callsOfNode = new WeakMap<GraphNode, readonly CompositeCall[]>();

/**
 * Runs `body` as one call of the composite `name`: the nodes it records are drawn together in a box
 * labelled `name` (see graph.ts). Returns what `body` returns.
 */
export function composite<T>(name: string, body: () => T): T {
  openCalls.push({ name, id: ++callsMade });
  try {
    return body();
  } finally {
    openCalls.pop();
  }
}

/** Called when a node is recorded: remembers the composite calls it was made in. */
export function noteComposite(node: GraphNode): void {
  if (openCalls.length > 0) callsOfNode.set(node, [...openCalls]);
}

/** The composite calls a node was made in, outermost first (empty for a node made directly). */
export function compositeCallsOf(node: GraphNode): readonly CompositeCall[] {
  return callsOfNode.get(node) ?? [];
}
