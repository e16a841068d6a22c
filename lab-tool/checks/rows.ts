/**
 * The lab's checks reuse the project's PyTorch tables: `checkRows` runs the named rows of a fixture
 * file (output, input gradients, and a finite-difference gradcheck) on the reference backend,
 * one `it` per row. A name missing from the fixture fails, so a renamed row cannot shrink a check.
 *
 * May import: src, tests/helpers.
 */
import { referenceBackend, useBackend } from '../../src/data';
import { defaultTolerance, expectClose, loadFixture, type Tolerance } from '../../tests/helpers/fixtures';
import { analyticGrads, gradcheck, makeTensor, unpack, type TensorFn } from '../../tests/helpers/gradcheck';

/** Runs `table`'s rows of tests/fixtures/`file` against PyTorch's numbers and a gradcheck. */
export function checkRows(file: string, table: Record<string, TensorFn>, tol: Tolerance = defaultTolerance): void {
  const rows = new Map(loadFixture(file).map((row) => [row.name, row]));
  beforeAll(() => useBackend(referenceBackend));
  it.each(Object.keys(table))(`PyTorch row %s (${file})`, (name) => {
    const row = rows.get(name);
    if (row === undefined) throw new Error(`lab check: no row ${name} in tests/fixtures/${file}`);
    const fn = table[name];
    if (row.gradOut === undefined || row.grads === undefined) {
      expectClose(`${name}: output`, unpack(fn(...row.inputs.map((x) => makeTensor(x.values, x.shape, x.requiresGrad)))), row.output, tol);
      return;
    }
    const { output, grads } = analyticGrads(fn, row.inputs, row.gradOut);
    expectClose(`${name}: output`, output, row.output, tol);
    row.grads.forEach((expected, i) => {
      if (expected === null) expect(grads[i]).toBeNull();
      else expectClose(`${name}: grad of input ${i}`, grads[i] ?? { shape: [], values: [] }, expected, tol);
    });
    gradcheck(name, fn, row.inputs, row.gradOut, grads);
  });
}
