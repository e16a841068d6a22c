/**
 * Docs that cannot rot: every ```ts block in README.md and docs/*.md is type-checked against src/ and
 * run, unless its opening line marks it as a fragment (```ts fragment: code shown to be pasted into a
 * file, not a program). A block marked ```ts throws must throw when run (it shows an error). A block
 * that shows printed values with `// → value` comments (see `promisedOutput`) must print exactly
 * those lines, and no console.log line may carry a comment without the mark. Every relative link of
 * those pages must point to a file (and heading) that exists.
 */
import * as fs from 'fs';
import * as path from 'path';
import { brokenLinks, fencedBlocks, matchesPromise, promisedOutput, repoRoot, runProgram, typeErrors, unmarkedPrintComments, useRepoSource } from './helpers/snippets';

const pages = ['README.md', ...fs.readdirSync(path.join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

const runnable = pages.flatMap((page) =>
  fencedBlocks(page)
    .filter((b) => /^(ts|typescript)\b/.test(b.info) && !/\bfragment\b/.test(b.info))
    .map((b) => ({
      id: `${page}:${b.line}`,
      file: `${page.replace(/[/.]/g, '_')}_${b.line}.ts`,
      source: useRepoSource(b.body),
      throws: /\bthrows\b/.test(b.info),
      promised: promisedOutput(b.body),
      unmarked: unmarkedPrintComments(b.body),
    })),
);

let errors: Record<string, string[]> = {};
beforeAll(() => {
  errors = typeErrors(Object.fromEntries(runnable.map((b) => [b.file, b.source])));
}, 120_000);

it('finds the runnable blocks of the README and docs/', () => {
  expect(runnable.length).toBeGreaterThanOrEqual(3);
});

describe.each(runnable)('$id', ({ file, source, throws, promised, unmarked }) => {
  it('type-checks against src/', () => {
    expect(errors[file]).toEqual([]);
  });

  it(throws ? 'throws when run, as the page says' : 'runs without throwing', () => {
    if (throws) expect(() => runProgram(source)).toThrow();
    else expect(() => runProgram(source)).not.toThrow();
  });

  it('marks every printed value it shows with // →', () => {
    expect(unmarked).toEqual([]);
  });

  if (promised.length > 0 && !throws) {
    it('prints exactly the values its // → comments show', () => {
      const printed = runProgram(source).lines.join('\n').split('\n');
      const shown = printed.map((line, i) => (promised[i] !== undefined && matchesPromise(line, promised[i]) ? promised[i] : line));
      expect(shown).toEqual(promised);
    });
  }
});

describe('the // → convention', () => {
  const block = [
    'console.log(a.shape); // → [ 2, 3 ] // a remark',
    'console.log(t);',
    '// → tensor([[1., 2.],',
    '//           [3., 4.]])',
    'console.log(x); // → 3.14...',
  ].join('\n');

  it('reads inline values, remarks and values continued on the next lines', () => {
    expect(promisedOutput(block)).toEqual(['[ 2, 3 ]', 'tensor([[1., 2.],', '        [3., 4.]])', '3.14...']);
  });

  it('lets ... stand for any digits, and nothing else', () => {
    expect(matchesPromise('3.14159', '3.14...')).toBe(true);
    expect(matchesPromise('3.24159', '3.14...')).toBe(false);
    expect(matchesPromise('[ 2, 3 ]', '[ 2, 3 ]')).toBe(true);
    expect(matchesPromise('[ 2, 4 ]', '[ 2, 3 ]')).toBe(false);
  });

  it('finds a console.log comment without the mark', () => {
    expect(unmarkedPrintComments('console.log(x); // [ 1 ]\nconsole.log(y); // → 2')).toEqual(['console.log(x); // [ 1 ]']);
    expect(unmarkedPrintComments('console.log(x);\n// [ 1 ]\n// a remark above a line\nf();')).toEqual(['// [ 1 ]']);
  });
});

describe.each(pages)('%s', (page) => {
  it('has no broken relative links', () => {
    expect(brokenLinks(page)).toEqual([]);
  });
});
