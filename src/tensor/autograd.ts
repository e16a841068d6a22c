/**
 * The backward pass: a depth-first walk with locks (after kittygrad), using an explicit stack.
 *
 * During forward, every tensor that is not a leaf counts its consumers in `lock`. During backward, a
 * tensor's incoming gradients add up in `pending` and each arrival lowers its lock; when the lock
 * reaches 0 every consumer has reported, so the tensor calls its Function's backward and passes the
 * results on to its inputs. Leaves have no lock: their `.grad` adds up as gradients arrive.
 *
 * If the walk stops while some tensors still wait, their remaining consumers do not lead to the
 * tensor that backward started from (a side branch such as a logged metric). The most recently
 * created waiting tensor is then released first: consumers are always created after their inputs,
 * so nothing that could still reach it is left.
 *
 * May import: src/data, ./trace, ./tensor (types only).
 */
import { formatShape, shapesEqual, type TensorData } from '../data';
import type { Tensor } from './tensor';
import { activeTrace } from './trace';

export function runBackward(root: Tensor, rootGrad: TensorData): void {
  const pending = new Map<Tensor, TensorData>([[root, rootGrad]]);
  const ready: Tensor[] = [root];
  const waiting = new Set<Tensor>();
  const trace = activeTrace();
  trace?.record('start', root, rootGrad);

  while (ready.length > 0 || releaseNewestWaiting(waiting, pending, ready)) {
    const tensor = ready.pop() as Tensor;
    const grad = pending.get(tensor) as TensorData;
    pending.delete(tensor);
    const node = tensor.node;
    if (node === null || tensor.retainsGrad) tensor.accumulateGrad(grad);
    if (node === null) continue;

    trace?.record('fire', tensor, grad);
    const inputGrads = callBackward(tensor, grad);
    node.fn.release();
    node.inputs.forEach((input, i) => {
      const inputGrad = inputGrads[i];
      if (!input.requiresGrad) return;
      if (input.node === null) {
        if (inputGrad) {
          input.accumulateGrad(inputGrad);
          trace?.record('leaf', input, inputGrad);
        }
        return;
      }
      if (inputGrad) {
        const sum = pending.get(input);
        pending.set(input, sum ? sum.add(inputGrad) : inputGrad);
      }
      input.lock--;
      if (inputGrad) trace?.record('arrive', input, inputGrad);
      if (input.lock > 0) {
        waiting.add(input);
      } else {
        waiting.delete(input);
        if (pending.has(input)) ready.push(input);
      }
    });
  }
}

/** Runs one node's backward and checks what it returns: one gradient (or null) per input, of the input's shape. */
function callBackward(tensor: Tensor, grad: TensorData): (TensorData | null)[] {
  const { fn, inputs } = tensor.node as NonNullable<Tensor['node']>;
  if (fn.isReleased) {
    throw new Error(`backward: ${fn.name} was already used by an earlier backward and its graph is freed; run the forward pass again to get a new graph`);
  }
  const grads = fn.backward(grad);
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

/** Releases the most recently created waiting tensor that holds a gradient (see the file header). False when none does. */
function releaseNewestWaiting(waiting: Set<Tensor>, pending: Map<Tensor, TensorData>, ready: Tensor[]): boolean {
  let newest: Tensor | null = null;
  for (const t of waiting) if (pending.has(t) && (newest === null || t.id > newest.id)) newest = t;
  if (newest === null) return false;
  waiting.delete(newest);
  newest.lock = 0;
  activeTrace()?.record('release', newest, pending.get(newest) as TensorData);
  ready.push(newest);
  return true;
}
