/**
 * Whether new ops are recorded for backward. `noGrad(fn)` and `enableGrad(fn)` switch it for the
 * duration of `fn` and restore the previous state in `finally`, even when `fn` throws.
 *
 * May import: nothing.
 */

let enabled = true;

/** True when ops on tensors that require grad are recorded into a graph. */
export function isGradEnabled(): boolean {
  return enabled;
}

function withGradMode<T>(mode: boolean, fn: () => T): T {
  const previous = enabled;
  enabled = mode;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}

/** Runs `fn` without recording a graph: results do not require grad (evaluation, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with recording on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}
