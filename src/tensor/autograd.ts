/**
 * The graph and the backward pass: a depth-first walk with locks (after kittygrad), using an explicit stack.
 *
 * The graph is made of `GraphNode`s, one per recorded op. A node's inputs are what each input of
 * the op was when the op read it: the input's own node (its history at that moment), the leaf
 * tensor itself when it requires grad, or a `ConstantInput` (id, shape, version; no values) when
 * it needs no gradient. A tensor points at its newest node (`tensor.node`); nodes never hold the
 * tensors they made, so once backward has freed the saved values, a kept result (a loss) no
 * longer keeps its inputs' activations alive.
 *
 * Locks. During forward, every node counts in `lock` the recorded nodes that read it. An in-place
 * op on a tensor records a new node whose one input is the tensor's old node (so that old node's
 * lock goes up by one, like any consumer's input) and then makes the tensor point at the new node,
 * whose lock starts at 0. Consumers recorded before the in-place op keep pointing at the old node.
 * The invariant: a node's lock is the number of counted nodes with an edge to it, whatever
 * in-place ops happened since; and every node has a larger `id` than every node it reads. A node
 * made by an op is counted at once. The node that a view gets when its base changed in place (made
 * when the view is next read) is counted only when something uses it (an op reads it, or backward
 * starts from it): merely looking at `view.gradFn` adds no consumer to the base.
 *
 * During backward, a node's incoming gradients add up in `pending` and each arrival lowers its
 * lock; when the lock reaches 0 every consumer has reported, so the node calls its Function's
 * backward and passes the results on to its inputs. Leaves have no lock: their `.grad` adds up as
 * gradients arrive. With `retainGraph` the walk counts down a copy of the locks and keeps the saved
 * values, so another backward through the same nodes finds them as forward left them.
 *
 * If the walk stops while some nodes still wait, their remaining consumers do not lead to the node
 * that backward started from (a side branch such as a logged metric). The newest waiting node is
 * then released first: consumers are always created after their inputs, so nothing that could
 * still reach it is left. The waiting nodes are kept in a heap by id, so each release costs
 * O(log n).
 *
 * May import: src/data, src/function (types only), ./trace, ./doctor (its hooks), ./tensor (`accumulateGrad`, used at call time only).
 */
import { formatShape, shapesEqual, type TensorData } from '../data';
import type { Function } from '../function';
import { accumulateGrad, type Tensor } from './tensor';
import { activeTrace } from './trace';
import { checkBackward, noteBackwardRoot } from './doctor';

let created = 0;

/** The next number in the creation order shared by tensors and graph nodes. */
export function nextId(): number {
  return ++created;
}

/**
 * An input that needs no gradient, as the graph remembers it: the tensor's id, shape and version,
 * for pictures. Its values are not kept.
 */
export class ConstantInput {
  constructor(
    /** The id of the tensor that was read. */
    readonly tensorId: number,
    /** Its shape. */
    readonly shape: readonly number[],
    /** Its version (in-place writes so far) when it was read. */
    readonly version: number,
  ) {}
}

/** What a node read: another node (the input's history), a leaf that requires grad, or a constant. */
export type GraphInput = GraphNode | Tensor | ConstantInput;

/** One recorded op: its Function, what it read, and its place in the backward walk. */
export class GraphNode {
  /** Recorded nodes that read this one and have not sent their gradient yet (see the file header). */
  lock = 0;
  /** The tensor whose `.grad` receives this node's gradient (set by `retainGrad`), or null. */
  retainer: Tensor | null = null;
  /** Whether this node's edges are counted in its inputs' locks (see the file header). */
  private counted = false;

  constructor(
    /** The Function instance that ran forward and will run backward. */
    readonly fn: Function,
    /** What each input of the op was when the op read it, in the order its forward took them. */
    readonly inputs: readonly GraphInput[],
    /** The id of the tensor this node wrote (a new tensor, or the one an in-place op changed). */
    readonly tensorId: number,
    /** The shape of what it wrote. */
    readonly shape: readonly number[],
    /** The version of that tensor's storage right after the op. */
    readonly version: number,
    /** Creation order: larger than the id of every node it reads. */
    readonly id: number = nextId(),
  ) {}

  /** Counts this node's edges in its inputs' locks, once: from now on it is a consumer of each. */
  countEdges(): void {
    if (this.counted) return;
    this.counted = true;
    for (const input of this.inputs) {
      if (input instanceof GraphNode) {
        input.countEdges();
        input.lock++;
      }
    }
  }
}

/** The engine's counters, for tests: how much work releasing side branches took. */
export interface EngineStats {
  /** Heap steps (pushes, pops and the swaps they made) spent on waiting nodes, over all backward passes. */
  waitingSteps: number;
}

const stats: EngineStats = { waitingSteps: 0 };

/** A copy of the engine's counters. */
export function engineStats(): EngineStats {
  return { ...stats };
}

/** Runs backward from `root` with d(root)/d(root) = `rootGrad`; `retainGraph` keeps the graph for another pass. */
export function runBackward(root: GraphNode, rootGrad: TensorData, retainGraph = false): void {
  root.countEdges();
  const walk = new Walk(retainGraph);
  walk.pending.set(root, rootGrad);
  walk.ready.push(root);
  activeTrace()?.record('start', root, rootGrad, root.lock);
  noteBackwardRoot(root);
  walk.run();
}

/** The state of one backward pass. */
class Walk {
  readonly pending = new Map<GraphNode, TensorData>();
  readonly ready: GraphNode[] = [];
  private readonly waiting = new NewestFirst();
  /** The locks counted down in this pass (copied from the nodes as they are reached). */
  private readonly locks = new Map<GraphNode, number>();

  constructor(private readonly retainGraph: boolean) {}

  run(): void {
    while (this.ready.length > 0 || this.releaseNewestWaiting()) this.fire(this.ready.pop() as GraphNode);
    if (!this.retainGraph) for (const [node, lock] of this.locks) node.lock = Math.max(lock, 0);
  }

  private lockOf(node: GraphNode): number {
    return this.locks.get(node) ?? node.lock;
  }

  private fire(node: GraphNode): void {
    const grad = this.pending.get(node) as TensorData;
    this.pending.delete(node);
    const trace = activeTrace();
    trace?.record('fire', node, grad, this.lockOf(node));
    if (node.retainer) accumulateGrad(node.retainer, grad);
    const inputGrads = callBackward(node, grad);
    if (!this.retainGraph) node.fn.release();
    node.inputs.forEach((input, i) => {
      const inputGrad = inputGrads[i];
      if (input instanceof GraphNode) {
        this.arrive(input, inputGrad);
      } else if (!(input instanceof ConstantInput) && input.requiresGrad && inputGrad) {
        accumulateGrad(input, inputGrad);
        trace?.record('leaf', input, inputGrad, 0);
      }
    });
  }

  private arrive(node: GraphNode, grad: TensorData | null): void {
    if (grad) {
      const sum = this.pending.get(node);
      this.pending.set(node, sum ? sum.add(grad) : grad);
    }
    const lock = this.lockOf(node) - 1;
    this.locks.set(node, lock);
    if (grad) activeTrace()?.record('arrive', node, grad, lock);
    if (!this.pending.has(node)) return;
    if (lock > 0) {
      this.waiting.push(node);
      stats.waitingSteps += this.waiting.lastSteps;
    } else {
      this.ready.push(node);
    }
  }

  /** Releases the newest waiting node that holds a gradient (see the file header). False when none does. */
  private releaseNewestWaiting(): boolean {
    for (;;) {
      const node = this.waiting.pop();
      stats.waitingSteps += this.waiting.lastSteps;
      if (node === undefined) return false;
      if (!this.pending.has(node) || this.lockOf(node) <= 0) continue; // fired already, or a second entry
      this.locks.set(node, 0);
      activeTrace()?.record('release', node, this.pending.get(node) as TensorData, 0);
      this.ready.push(node);
      return true;
    }
  }
}

/** Runs one node's backward and checks what it returns: one gradient (or null) per input, of the input's shape. */
function callBackward(node: GraphNode, grad: TensorData): (TensorData | null)[] {
  const { fn, inputs } = node;
  if (fn.isReleased) {
    throw new Error(
      `backward: ${fn.name} was already used by an earlier backward and its graph is freed; ` +
      'pass backward({ retainGraph: true }) to the earlier backward to go through the graph a second time, or run the forward pass again',
    );
  }
  const grads = fn.backward(grad);
  checkBackward(node, grad, grads);
  if (grads.length !== inputs.length) {
    throw new Error(`${fn.name}: backward returned ${grads.length} gradients for ${inputs.length} inputs; return one (or null) per input`);
  }
  grads.forEach((g, i) => {
    if (g && !shapesEqual(g.shape, inputs[i].shape)) {
      throw new Error(`${fn.name}: backward returned a gradient of shape ${formatShape(g.shape)} for input ${i} of shape ${formatShape(inputs[i].shape)}`);
    }
  });
  return grads;
}

/** A max-heap of nodes by id: the newest on top. `lastSteps` counts the work of the last push or pop. */
class NewestFirst {
  private readonly heap: GraphNode[] = [];
  lastSteps = 0;

  push(node: GraphNode): void {
    const heap = this.heap;
    heap.push(node);
    this.lastSteps = 1;
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (heap[parent].id >= heap[i].id) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
      this.lastSteps++;
    }
  }

  pop(): GraphNode | undefined {
    const heap = this.heap;
    this.lastSteps = 1;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    heap[0] = last;
    for (let i = 0; ;) {
      const [left, right] = [2 * i + 1, 2 * i + 2];
      let largest = i;
      if (left < heap.length && heap[left].id > heap[largest].id) largest = left;
      if (right < heap.length && heap[right].id > heap[largest].id) largest = right;
      if (largest === i) break;
      [heap[largest], heap[i]] = [heap[i], heap[largest]];
      i = largest;
      this.lastSteps++;
    }
    return top;
  }
}
