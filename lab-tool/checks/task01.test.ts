/**
 * Lab task 1: a scalar derivative by finite differences, then by hand (docs/lab/01-derivative.md).
 *
 * May import: src, applications, tests/helpers, ./rows.
 */
import { f, numericalDerivative, slopeOfF } from '../../applications/derivative';
import { neuron } from '../../applications/scalarBackprop';
import { checkRows } from './rows';

describe('numericalDerivative', () => {
  it('measures the slope of f(x) = 3x² − 4x + 5 at x = 3 (14)', () => {
    expect(numericalDerivative(f, 3)).toBeCloseTo(14, 6);
  });

  it('is central: the slope of x³ at 2 with h = 0.001 is within 1e-5 of 12 (a one-sided difference is 0.006 off)', () => {
    expect(Math.abs(numericalDerivative((x) => x ** 3, 2, 1e-3) - 12)).toBeLessThan(1e-5);
  });

  it('uses the step h it is given: the slope of |x| at 0.5 with h = 1 is 0.5', () => {
    expect(numericalDerivative(Math.abs, 0.5, 1)).toBeCloseTo(0.5, 12);
  });
});

describe('slopeOfF', () => {
  it.each([-2, 0, 2 / 3, 3, 10])("is f'(x), exactly, at x = %d", (x) => {
    expect(slopeOfF(x)).toBeCloseTo(6 * x - 4, 12);
  });

  it('agrees with numericalDerivative(f, x) at x = 1.7', () => {
    expect(slopeOfF(1.7)).toBeCloseTo(numericalDerivative(f, 1.7), 6);
  });
});

describe('Tanh.backward', () => {
  checkRows('ops.json', { tanh: (x) => x.tanh() });

  it("gives micrograd's neuron its gradients: o = tanh(x1·w1 + x2·w2 + b)", () => {
    const { grads } = neuron();
    expect(grads.x1).toBeCloseTo(-1.5, 4);
    expect(grads.w1).toBeCloseTo(1, 4);
    expect(grads.x2).toBeCloseTo(0.5, 4);
    expect(grads.w2).toBeCloseTo(0, 4);
    expect(grads.b).toBeCloseTo(0.5, 4);
  });
});
