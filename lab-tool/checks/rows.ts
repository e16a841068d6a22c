/**
 * The lab's checks reuse the project's PyTorch tables: `checkRows` runs the named rows of a fixture
 * file (output, input gradients, and a finite-difference gradcheck) on the reference backend,
 * one `it` per row. A name missing from the fixture fails, so a renamed row cannot shrink a check.
 *
 * May import: src, tests/helpers.
 */
import { referenceBackend, useBackend } from '../../src/data';
import { defaultTolerance, loadFixture, type Tolerance } from '../../tests/helpers/fixtures';
import { expectRowMatches, type TensorFn } from '../../tests/helpers/gradcheck';

/** Runs `table`'s rows of tests/fixtures/`file` against PyTorch's numbers and a gradcheck. */
export function checkRows(file: string, table: Record<string, TensorFn>, tol: Tolerance = defaultTolerance): void {
  const rows = new Map(loadFixture(file).map((row) => [row.name, row]));
  beforeAll(() => useBackend(referenceBackend));
  it.each(Object.keys(table))(`PyTorch row %s (${file})`, (name) => {
    const row = rows.get(name);
    if (row === undefined) throw new Error(`lab check: no row ${name} in tests/fixtures/${file}`);
    expectRowMatches(row, table[name], { tol });
  });
}
