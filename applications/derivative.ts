/**
 * A derivative before any framework, the way micrograd's first hour starts: f(x) = 3x² − 4x + 5,
 * its slope measured by finite differences, then worked out by hand. The lab's task 1 checks both.
 *
 *   node -r ./tests/helpers/registerTs.js applications/derivative.ts
 *
 * May import: nothing.
 */

/** The example function, f(x) = 3x² − 4x + 5. */
export function f(x: number): number {
  return 3 * x * x - 4 * x + 5;
}

/**
 * The slope of `fn` at `x`, measured by stepping `h` to either side of `x` (central differences). Its
 * error shrinks like h² until rounding (about 1e-16 / h) takes over.
 */
export function numericalDerivative(fn: (x: number) => number, x: number, h = 1e-5): number {
  return (fn(x + h) - fn(x - h)) / (2 * h);
}

/** f'(x), worked out by hand: exact, with no differences. */
export function slopeOfF(x: number): number {
  return 6 * x - 4;
}

function main(): void {
  for (const x of [-2, 0, 2 / 3, 3]) {
    console.log(`x = ${x.toFixed(4)}: by differences ${numericalDerivative(f, x).toFixed(6)}, by hand ${slopeOfF(x).toFixed(6)}`);
  }
}

if (require.main === module) main();
