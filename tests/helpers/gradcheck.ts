/**
 * Finite-difference gradient checks of tsgrad against itself, with the package's `gradcheck`.
 *
 * The objective is L = Σ out · gradOut, computed in float64 from the output's values, so ∂L/∂x is
 * exactly what `out.backward(gradOut)` puts in `x.grad`. `gradcheck` moves each input cell x to the
 * float32 neighbours of x ± eps and ∂L/∂x ≈ (L(x+) − L(x−)) / (x+ − x−) (central differences, using the
 * step that float32 storage actually took).
 */
import { gradcheck as packageGradcheck, Tensor, TensorData } from '../../src';
import { defaultTolerance, expectClose, flatten, type FixtureInput, type FixtureRow, type Packed, type Tolerance } from './fixtures';

export const gradcheckEps = 1e-3;

/**
 * The forward runs in float32: each output carries a rounding error of about 1e-7 relative, and the
 * difference quotient divides it by 2·eps = 2e-3, so a cell that feeds outputs summing to |out·gradOut|
 * ≈ 10 sees noise of order 1e-7·10 / 2e-3 = 5e-4, more after float32 reductions. 2e-2 leaves room for
 * that and the O(eps²) truncation error, while a wrong gradient (a missing factor, a sign, a wrong
 * broadcast reduction) is off by O(1).
 */
export const gradcheckTolerance: Tolerance = { atol: 2e-2, rtol: 2e-2 };

export type TensorFn = (...inputs: Tensor[]) => Tensor;

/** A new tensor holding `values` (row-major) in `shape`. */
export function makeTensor(values: readonly number[], shape: readonly number[], requiresGrad = false): Tensor {
  // fromArray keeps shapes that nested arrays cannot spell, such as [0, 3].
  return new Tensor(TensorData.fromArray(values, shape), { requiresGrad });
}

/** The tensor's shape and row-major values. */
export function unpack(t: Tensor): Packed {
  return { shape: [...t.shape], values: flatten(t.toArray()) };
}

/** Runs fn on fresh inputs, backpropagates gradOut, and returns the output and each input's grad. */
export function analyticGrads(fn: TensorFn, inputs: readonly FixtureInput[], gradOut: Packed): { output: Packed; grads: (Packed | null)[] } {
  const xs = inputs.map((x) => makeTensor(x.values, x.shape, x.requiresGrad));
  const out = fn(...xs);
  out.backward(makeTensor(gradOut.values, gradOut.shape));
  return {
    output: unpack(out),
    grads: xs.map((x, i) => {
      if (!inputs[i].requiresGrad) return null;
      if (x.grad === null) throw new Error(`input ${i} requires grad but its grad is null after backward`);
      return unpack(x.grad);
    }),
  };
}

/**
 * Fails (throws) when an analytic gradient differs from the finite-difference one of the package's
 * `gradcheck` (checked along gradOut: one backward, Σ out·gradOut), within `tol`.
 */
export function gradcheck(label: string, fn: TensorFn, inputs: readonly FixtureInput[], gradOut: Packed, analytic: readonly (Packed | null)[], tol = gradcheckTolerance): void {
  const xs = inputs.map((x) => makeTensor(x.values, x.shape, x.requiresGrad));
  const report = packageGradcheck(fn, xs, { eps: gradcheckEps, ...tol, gradOutput: makeTensor(gradOut.values, gradOut.shape), raiseException: false });
  report.numeric.forEach((rows, i) => {
    const got = analytic[i];
    if (rows === null) return;
    if (got === null) throw new Error(`${label}: input ${i} has no analytic gradient`);
    expectClose(`${label}: gradcheck of input ${i} (analytic vs central differences)`, got, { shape: [...inputs[i].shape], values: rows[0] }, tol);
  });
}

/** How `expectRowMatches` compares: `tol` for the output, `gradTol` (default `tol`) for the input gradients. */
export interface RowCheck {
  tol?: Tolerance;
  gradTol?: Tolerance;
  /** Also run the finite-difference gradcheck (default true; off for kinks, where only PyTorch's number is right). */
  finiteDifference?: boolean;
}

/**
 * One PyTorch fixture row: fn's output against PyTorch's, and for rows with gradients each input's
 * gradient of Σ out · gradOut against PyTorch's, then a finite-difference gradcheck.
 */
export function expectRowMatches(row: FixtureRow, fn: TensorFn, check: RowCheck = {}): void {
  const tol = check.tol ?? defaultTolerance;
  if (row.gradOut === undefined || row.grads === undefined) {
    const out = fn(...row.inputs.map((x) => makeTensor(x.values, x.shape, x.requiresGrad)));
    expectClose(`${row.name}: output`, unpack(out), row.output, tol);
    return;
  }
  const { output, grads } = analyticGrads(fn, row.inputs, row.gradOut);
  expectClose(`${row.name}: output`, output, row.output, tol);
  row.grads.forEach((expected, i) => {
    if (expected === null) expect(grads[i]).toBeNull();
    else expectClose(`${row.name}: grad of input ${i}`, grads[i] ?? { shape: [], values: [] }, expected, check.gradTol ?? tol);
  });
  if (check.finiteDifference ?? true) gradcheck(row.name, fn, row.inputs, row.gradOut, grads);
}
