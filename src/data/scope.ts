/**
 * Memory scopes: freeing a training step's values at the step's end, without a garbage collector.
 *
 * A page cannot force a garbage collection, and GPU textures are not JavaScript memory, so the
 * collector is never in a hurry to find the dropped tensors that hold them. A scope frees them by
 * rule instead (the tensor layer's `tidy(fn)`, as TensorFlow.js's `tf.tidy`):
 *
 * - every storage made while a scope is open is noted in the innermost one;
 * - when the scope ends, each noted storage is
 *   - passed to the enclosing scope if the scope's function returned it (no scope left: it lives on),
 *   - left alone if a long-lived place holds it (`hold()`: a parameter, a leaf's `.grad`, an
 *     optimizer's state, a module's buffer, anything passed to `keep()`),
 *   - freed otherwise: its device buffer is released at once and any later use throws, saying so;
 * - a held storage that was made in a scope and is let go of later (a `.grad` that `zeroGrad`
 *   clears or that backward replaces) is noted in the scope open at that moment, so it is freed at
 *   that scope's end unless something takes it again.
 *
 * Storages made outside every scope are never touched: they are freed by `dispose()` or by the
 * garbage collector, as before (storage.ts).
 *
 * May import: ./storage (its type only: a Storage calls in here as it is made and let go of).
 */
import type { Storage } from './storage';

/** The storages one open scope will decide about when it ends. */
class Scope {
  readonly noted = new Set<Storage>();
}

/** Open scopes, innermost last. Scopes nest like the calls that open them. */
const openScopes: Scope[] = [];

function innermost(): Scope | undefined {
  return openScopes[openScopes.length - 1];
}

/** Called by a new Storage: the innermost scope, if any, decides about it at its end. Returns whether one did. */
export function noteMade(storage: Storage): boolean {
  innermost()?.noted.add(storage);
  return openScopes.length > 0;
}

/** Called when the last long-lived place lets go of a storage that was made in a scope. */
export function noteLetGo(storage: Storage): void {
  innermost()?.noted.add(storage);
}

/** How many scopes are open now (0 outside every scope). */
export function scopeDepth(): number {
  return openScopes.length;
}

/**
 * Runs `fn` in a new scope. At its end, storages made in it are freed except those in
 * `kept(result)` (passed to the enclosing scope) and those held (see the header). When `fn` or
 * `kept` throws, nothing is kept but what is held, and the error goes on.
 */
export function inScope<T>(fn: () => T, kept: (result: T) => readonly Storage[]): T {
  const scope = new Scope();
  openScopes.push(scope);
  let keep: readonly Storage[] = [];
  try {
    const result = fn();
    keep = kept(result);
    return result;
  } finally {
    close(scope, new Set(keep));
  }
}

function close(scope: Scope, keep: ReadonlySet<Storage>): void {
  openScopes.splice(openScopes.lastIndexOf(scope), 1);
  const enclosing = innermost();
  for (const storage of scope.noted) {
    if (storage.isDisposed || storage.isHeld) continue;
    if (keep.has(storage)) enclosing?.noted.add(storage);
    else storage.free('scope');
  }
}
