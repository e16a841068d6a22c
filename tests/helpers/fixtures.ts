/**
 * Loading the PyTorch fixture tables (written by scripts/generate_fixtures.py) and comparing values.
 *
 * A fixture file holds rows: a name, the inputs (shape, float32 values row-major, requiresGrad),
 * the output, and for rows with gradients the upstream gradient `gradOut` and the input gradients
 * of sum(out * gradOut) (null for inputs that do not require grad).
 */
import { readFileSync } from 'fs';
import { join } from 'path';

export type NestedArray = number | NestedArray[];

export interface Packed {
  shape: number[];
  values: number[];
}

export interface FixtureInput extends Packed {
  requiresGrad: boolean;
}

export interface FixtureRow {
  name: string;
  inputs: FixtureInput[];
  output: Packed;
  gradOut?: Packed;
  grads?: (Packed | null)[];
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Forward values: float32 kernels against float64 reference math rounded to float32. */
export const defaultTolerance: Tolerance = { atol: 1e-5, rtol: 1e-4 };

/** Reads tests/fixtures/<file>. */
export function loadFixture(file: string): FixtureRow[] {
  const parsed = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', file), 'utf8')) as { rows: FixtureRow[] };
  return parsed.rows;
}

/**
 * Names in the fixture without a lambda, and lambdas without a fixture row. Both lists must be
 * empty: otherwise the table has silently shrunk (or a lambda was never checked against PyTorch).
 */
export function tableMismatch(rows: readonly FixtureRow[], lambdas: object): { missingLambda: string[]; missingFixture: string[] } {
  const fixtureNames = new Set(rows.map((r) => r.name));
  const lambdaNames = new Set(Object.keys(lambdas));
  return {
    missingLambda: [...fixtureNames].filter((n) => !lambdaNames.has(n)),
    missingFixture: [...lambdaNames].filter((n) => !fixtureNames.has(n)),
  };
}

/** Row-major flat values of `shape` as nested arrays (a plain number for shape []). */
export function nest(values: readonly number[], shape: readonly number[]): NestedArray {
  const size = shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) throw new RangeError(`nest: ${values.length} values for shape [${shape.join(',')}]`);
  const build = (depth: number, start: number): NestedArray => {
    if (depth === shape.length) return values[start];
    const step = shape.slice(depth + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: shape[depth] }, (_, i) => build(depth + 1, start + i * step));
  };
  return build(0, 0);
}

/** Nested arrays (or a number) as flat row-major values. */
export function flatten(value: NestedArray): number[] {
  if (typeof value === 'number') return [value];
  const out: number[] = [];
  const walk = (node: NestedArray): void => {
    if (typeof node === 'number') out.push(node);
    else node.forEach(walk);
  };
  walk(value);
  return out;
}

/** True when |actual - expected| <= atol + rtol * |expected| (NaN matches NaN, ±Infinity matches itself). */
export function isClose(actual: number, expected: number, { atol, rtol }: Tolerance): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
}

/**
 * Throws (failing the test) with the first mismatching cells when the shapes differ or any value is
 * not close. The message says which row and which quantity, so a failure reads on its own.
 */
export function expectClose(label: string, actual: { shape: readonly number[]; values: readonly number[] }, expected: Packed, tol: Tolerance): void {
  const shapeText = (s: readonly number[]): string => `[${s.join(',')}]`;
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    throw new Error(`${label}: shape ${shapeText(actual.shape)}, expected ${shapeText(expected.shape)}`);
  }
  if (actual.values.length !== expected.values.length) {
    throw new Error(`${label}: ${actual.values.length} values, expected ${expected.values.length}`);
  }
  const bad: string[] = [];
  let count = 0;
  expected.values.forEach((e, i) => {
    const a = actual.values[i];
    if (!isClose(a, e, tol)) {
      count++;
      if (bad.length < 6) bad.push(`  [${i}] got ${a}, expected ${e} (diff ${Math.abs(a - e).toExponential(2)})`);
    }
  });
  if (count > 0) {
    throw new Error(
      `${label}: ${count} of ${expected.values.length} values differ (atol ${tol.atol}, rtol ${tol.rtol}), shape ${shapeText(expected.shape)}\n` +
        `${bad.join('\n')}\n  got      ${JSON.stringify(actual.values.slice(0, 12))}\n  expected ${JSON.stringify(expected.values.slice(0, 12))}`,
    );
  }
}
