/**
 * Docs that cannot rot: every ```ts block in README.md and docs/*.md is type-checked against src/ and
 * run, unless its opening line marks it as a fragment (```ts fragment: code shown to be pasted into a
 * file, not a program). A block marked ```ts throws must throw when run (it shows an error). Every
 * relative link of those pages must point to a file (and heading) that exists.
 */
import * as fs from 'fs';
import * as path from 'path';
import { brokenLinks, fencedBlocks, repoRoot, runProgram, typeErrors, useRepoSource } from './helpers/snippets';

const pages = ['README.md', ...fs.readdirSync(path.join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

const runnable = pages.flatMap((page) =>
  fencedBlocks(page)
    .filter((b) => /^(ts|typescript)\b/.test(b.info) && !/\bfragment\b/.test(b.info))
    .map((b) => ({
      id: `${page}:${b.line}`,
      file: `${page.replace(/[/.]/g, '_')}_${b.line}.ts`,
      source: useRepoSource(b.body),
      throws: /\bthrows\b/.test(b.info),
    })),
);

let errors: Record<string, string[]> = {};
beforeAll(() => {
  errors = typeErrors(Object.fromEntries(runnable.map((b) => [b.file, b.source])));
}, 120_000);

it('finds the runnable blocks of the README and docs/', () => {
  expect(runnable.length).toBeGreaterThanOrEqual(3);
});

describe.each(runnable)('$id', ({ file, source, throws }) => {
  it('type-checks against src/', () => {
    expect(errors[file]).toEqual([]);
  });

  it(throws ? 'throws when run, as the page says' : 'runs without throwing', () => {
    if (throws) expect(() => runProgram(source)).toThrow();
    else expect(() => runProgram(source)).not.toThrow();
  });
});

describe.each(pages)('%s', (page) => {
  it('has no broken relative links', () => {
    expect(brokenLinks(page)).toEqual([]);
  });
});
