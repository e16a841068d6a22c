/**
 * Figures that cannot rot: scripts/make_figures.ts draws every picture of docs/figures/ with tsgrad,
 * and this test draws them again in memory and compares them with the committed files. After a change
 * to the graph pictures, the trace or an example, run
 *
 *   npx tsc -p tsconfig.json && node build/scripts/make_figures.js
 *
 * Also checks that the printed trace next to the worked example of docs/autograd.md is what the
 * program prints, that every figure is shown on some page, and that none is wider than a page.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Tensor } from '../src';
import { makeFigures, stableIds, type Figure } from '../scripts/make_figures';
import { fencedBlock, repoRoot, runProgram, useRepoSource } from './helpers/snippets';

const figuresDir = path.join(repoRoot, 'docs', 'figures');
const remake = 'run `npx tsc -p tsconfig.json && node build/scripts/make_figures.js` and commit docs/figures/';

let figures: Figure[] = [];
beforeAll(async () => {
  figures = await makeFigures();
}, 60_000);

describe('docs/figures/', () => {
  it('holds exactly the files make_figures.ts makes', () => {
    // PNG files are screenshots (browser.md's, taken with `node tests/browser/run.mjs --screenshot`), not drawings.
    const committed = fs.readdirSync(figuresDir).filter((f) => !f.endsWith('.png')).sort();
    expect(committed).toEqual(figures.map((f) => f.file).sort());
  });

  it('has every figure as make_figures.ts draws it now', () => {
    const stale = figures.filter(({ file, svg }) => fs.readFileSync(path.join(figuresDir, file), 'utf8') !== svg).map((f) => f.file);
    if (stale.length) throw new Error(`out of date: ${stale.join(', ')}; ${remake}`);
  });

  it('draws the same figures however many tensors were made before', async () => {
    for (let i = 0; i < 1000; i++) Tensor.zeros([1]);
    const again = await makeFigures();
    expect(again.map((f) => f.svg)).toEqual(figures.map((f) => f.svg));
  }, 60_000);

  it('are each readable at a page\'s width: at most 600 pt (800 px) wide', () => {
    const tooWide = figures.map(({ file, svg }) => ({ file, width: Number(/<svg width="([\d.]+)pt"/.exec(svg)?.[1]) }))
      .filter(({ width }) => !(width <= 600));
    expect(tooWide).toEqual([]);
  });

  it('are each shown on a page of docs/', () => {
    const pages = fs.readdirSync(path.join(repoRoot, 'docs')).filter((f) => f.endsWith('.md'))
      .map((f) => fs.readFileSync(path.join(repoRoot, 'docs', f), 'utf8')).join('\n');
    const unused = figures.filter(({ file }) => !pages.includes(`](figures/${file})`)).map((f) => f.file);
    expect(unused).toEqual([]);
  });
});

describe('stableIds', () => {
  it('renumbers t<id> and f<id> in order of first appearance, edges included', () => {
    expect(stableIds('<title>t40</title> <title>t40&#45;&gt;f52</title> <title>f52</title> <title>t7</title>'))
      .toBe('<title>t1</title> <title>t1&#45;&gt;f2</title> <title>f2</title> <title>t3</title>');
  });
});

describe('docs/autograd.md: the printed trace', () => {
  it('is what the autograd-trace program prints', () => {
    const source = useRepoSource(fencedBlock('docs/autograd.md', 'ts autograd-trace'));
    const expected = fencedBlock('docs/autograd.md', 'text autograd-trace-output').trimEnd().split('\n');
    expect(runProgram(source).lines.join('\n').split('\n')).toEqual(expected);
  });
});
