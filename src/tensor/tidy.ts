/**
 * `tidy(fn)` and `keep(t)`: freeing a step's tensors at the step's end, as TensorFlow.js's `tf.tidy`
 * and `tf.keep` do. Where no garbage collection can be forced (a page), the GPU textures of dropped
 * tensors would otherwise wait for a collection that may not come; wrapping each training step in
 * `tidy` frees them when the step returns.
 *
 * The rules are the data layer's memory scopes (src/data/scope.ts): tensors made inside `fn` are
 * freed at its end, except those it returns and those held by a long-lived place: a parameter or
 * module buffer (held from their creation), a `.grad` (held while it is one), an optimizer's state,
 * and anything passed to `keep`. A gradient cleared by `zeroGrad()` inside a scope is freed at that
 * scope's end. Using a freed tensor throws, naming the op and the tensor's shape.
 *
 * May import: src/data, ./tensor (used at call time only: tensor.ts imports this file back).
 */
import { formatShape, TensorData } from '../data';
import { Tensor } from './tensor';

/** What `tidy` walks to find the tensors `fn` returns: a tensor, or arrays and plain objects of them. */
function tensorsIn(value: unknown, found: TensorData[], seen: Set<unknown>): TensorData[] {
  if (value === null || typeof value !== 'object' || seen.has(value)) return found;
  seen.add(value);
  if (value instanceof Tensor) {
    found.push(value.data);
  } else if (Array.isArray(value)) {
    for (const item of value) tensorsIn(item, found, seen);
  } else if (isPlainObject(value)) {
    for (const item of Object.values(value)) tensorsIn(item, found, seen);
  }
  return found;
}

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function returnedTensors(result: unknown): readonly TensorData[] {
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError(
      'tidy: the function returned a Promise; a scope must end when its function returns, so await outside tidy() and run each synchronous step inside it',
    );
  }
  return tensorsIn(result, [], new Set());
}

/**
 * Runs `fn` and frees, when it returns, the values of every tensor made inside it, except the
 * tensors it returns (alone, or in arrays and plain objects) and those held by a parameter, a
 * module buffer, a `.grad`, an optimizer's state or `keep()`. Scopes nest: what an inner `tidy`
 * returns belongs to the outer one. Using a freed tensor afterwards throws.
 *
 * ```ts
 * const x = tsgrad.tensor([1, 2, 3]);
 * const total = tsgrad.tidy(() => x.mul(2).add(1).sum()); // frees x·2 and x·2 + 1, keeps the sum
 * total.item(); // → 15
 * ```
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`tidy: expected a function to run, got ${fn === null ? 'null' : typeof fn}`);
  return TensorData.scoped(fn, returnedTensors);
}

/**
 * Keeps `t`'s values past the end of every `tidy` scope (they are freed by `dispose()` or the
 * garbage collector, as outside a scope). Returns `t`.
 */
export function keep<T extends Tensor>(t: T): T {
  if (!(t instanceof Tensor)) throw new TypeError(`keep: expected a Tensor, got ${t === null ? 'null' : typeof t}`);
  t.data.hold();
  return t;
}

/** Throws, naming `op` and the tensor, when one of `inputs` was freed (by `dispose()` or a `tidy` scope). */
export function checkNotFreed(op: string, inputs: readonly Tensor[]): void {
  inputs.forEach((t, i) => {
    const reason = t.data.freedReason;
    if (reason !== null) {
      const which = inputs.length > 1 ? `input ${i} ` : '';
      throw new Error(`${op}: ${which}(a tensor of shape ${formatShape(t.shape)}) cannot be used: ${reason}`);
    }
  });
}

/** What the `.grad` setter does: the new gradient is held while it is one, the old one let go of. */
export function swapHeldGrad(previous: Tensor | null, next: Tensor | null): void {
  next?.data.hold();
  previous?.data.letGo();
}
