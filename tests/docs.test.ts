/**
 * Keeps docs/ true to the code: runs the tagged examples against src/ and checks every relative link.
 *
 * - ```ts cube-example``` in docs/extending.md: a complete program importing from 'tsgrad'. The import
 *   is rewritten to this repo's src/index.ts; the program is type-checked, transpiled to CommonJS and
 *   run, and must print the gradient [3, 12, 27]. Its `Cube` class is then checked on random inputs.
 * - ```ts autograd-example``` in docs/autograd.md must print exactly the ```text autograd-output``` block.
 * - Every relative link in the three pages must name an existing file, and an #anchor into a page
 *   must name one of its headings.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { format } from 'util';
import { Tensor, apply, manualSeed } from '../src';
import type { Function as TsgradFunction } from '../src';

const root = path.resolve(__dirname, '..');
const docsDir = path.join(root, 'docs');
const indexPath = path.join(root, 'src', 'index.ts');
const pages = ['architecture.md', 'autograd.md', 'extending.md'];

const readPage = (page: string): string => fs.readFileSync(path.join(docsDir, page), 'utf8');

/** The body of the one fenced block whose opening line is exactly ```<info>; throws when there is not exactly one. */
function fencedBlock(page: string, info: string): string {
  const lines = readPage(page).split('\n');
  const starts = lines.flatMap((line, i) => (line.trim() === '```' + info ? [i] : []));
  if (starts.length !== 1) {
    throw new Error(`docs/${page}: expected exactly one block opening with \`\`\`${info}, found ${starts.length}`);
  }
  const indent = lines[starts[0]].length - lines[starts[0]].trimStart().length;
  const end = lines.findIndex((line, i) => i > starts[0] && line.trim() === '```');
  if (end < 0) throw new Error(`docs/${page}: the \`\`\`${info} block is never closed`);
  return lines.slice(starts[0] + 1, end).map((line) => line.slice(indent)).join('\n');
}

/** Points `import ... from 'tsgrad'` at this repository's src/index.ts (absolute path). */
function useRepoSource(source: string): string {
  const rewritten = source.replace(/from\s+(['"])tsgrad\1/g, `from ${JSON.stringify(indexPath)}`);
  if (rewritten === source) throw new Error("the example must import from 'tsgrad'");
  return rewritten;
}

/** Type errors in `source`, compiled as a file of docs/ with the repo's tsconfig. Errors inside src/ are not reported. */
function typeErrors(source: string): string[] {
  const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const options: ts.CompilerOptions = {
    ...parsed.options, noEmit: true, declaration: false, sourceMap: false, allowImportingTsExtensions: true,
  };
  const fileName = path.join(docsDir, '__docs-example__.ts');
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, version, ...rest) =>
    name === fileName ? ts.createSourceFile(name, source, version, true) : getSourceFile.call(host, name, version, ...rest);
  host.fileExists = (name) => name === fileName || fileExists.call(host, name);
  host.readFile = (name) => (name === fileName ? source : readFile.call(host, name));
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(fileName)).map((d) => {
    const where = d.file && d.start !== undefined ? `line ${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
}

interface Run {
  /** The arguments of each console.log call. */
  calls: unknown[][];
  /** Each console.log call as Node would print it. */
  lines: string[];
  /** Top-level names the test asked for, read after the program ran. */
  names: Record<string, unknown>;
}

/** Transpiles `source` to CommonJS and runs it; `require` resolves only src/index.ts, and console.log is captured. */
function runProgram(source: string, expose: string[] = []): Run {
  const output = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true },
    reportDiagnostics: true,
  });
  const syntax = (output.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  if (syntax.length) throw new Error(`the example does not parse: ${syntax.join('; ')}`);
  const names: Record<string, unknown> = {};
  const readNames = expose.map((n) => `__names[${JSON.stringify(n)}] = typeof ${n} === 'undefined' ? undefined : ${n};`).join('\n');
  const calls: unknown[][] = [];
  const capture = { log: (...args: unknown[]): void => { calls.push(args); } };
  const load = (id: string): unknown => {
    if (id !== indexPath) throw new Error(`the example may import only 'tsgrad', not ${JSON.stringify(id)}`);
    return require(indexPath);
  };
  const module = { exports: {} };
  const program = new Function('require', 'module', 'exports', 'console', '__names', `${output.outputText}\n${readNames}`);
  program(load, module, module.exports, capture, names);
  return { calls, lines: calls.map((args) => format(...args)), names };
}

describe('docs/extending.md: the cube-example block', () => {
  const source = (): string => useRepoSource(fencedBlock('extending.md', 'ts cube-example'));

  it('is a single block that imports from tsgrad', () => {
    expect(fencedBlock('extending.md', 'ts cube-example')).toMatch(/from 'tsgrad'/);
  });

  it('type-checks against src/ with the repo tsconfig', () => {
    expect(typeErrors(source())).toEqual([]);
  }, 60_000);

  it('runs and prints x.grad = [3, 12, 27] and gradFn CubeBackward', () => {
    const { calls } = runProgram(source());
    expect(calls).toContainEqual([[3, 12, 27]]);
    expect(calls).toContainEqual(['CubeBackward']);
  });

  it('defines a Cube whose gradient is 3x² on random inputs, named CubeBackward', () => {
    const Cube = runProgram(source(), ['Cube']).names.Cube as (new () => TsgradFunction) | undefined;
    if (typeof Cube !== 'function') throw new Error('the example must define class Cube at top level');
    manualSeed(11);
    const x = Tensor.uniform([3, 4], -2, 2, { requiresGrad: true });
    const upstream = Tensor.uniform([3, 4], -1, 1);
    const y = apply(new Cube(), x);
    expect(y.gradFn).toBe('CubeBackward');
    y.mul(upstream).sum().backward();

    const xs = (x.toArray() as number[][]).flat();
    const gs = (upstream.toArray() as number[][]).flat();
    const forward = (y.toArray() as number[][]).flat();
    const grads = (x.grad?.toArray() as number[][]).flat();
    expect(x.grad?.shape).toEqual([3, 4]);
    xs.forEach((v, i) => {
      // float32 results against float64 math: atol 1e-5, rtol 1e-5.
      expect(Math.abs(forward[i] - v ** 3)).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(v ** 3));
      const expected = gs[i] * 3 * v * v;
      expect(Math.abs(grads[i] - expected)).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(expected));
    });
  });
});

describe('docs/autograd.md: the worked example', () => {
  it('prints exactly the autograd-output block', () => {
    const source = useRepoSource(fencedBlock('autograd.md', 'ts autograd-example'));
    const expected = fencedBlock('autograd.md', 'text autograd-output').trimEnd().split('\n');
    expect(runProgram(source).lines.join('\n').split('\n')).toEqual(expected);
  });
});

/** GitHub's anchor for a heading: lower case, punctuation other than - and _ dropped, spaces as -. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The page's text outside fenced blocks and inline code, where a link can be. */
function prose(text: string): string {
  return text.replace(/^( *)```[^\n]*\n[\s\S]*?^\1```/gm, '').replace(/`[^`\n]*`/g, '');
}

describe.each(pages)('docs/%s: relative links', (page) => {
  it('point to files that exist (and to headings that exist)', () => {
    const links = [...prose(readPage(page)).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    const relative = links.filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l));
    expect(relative.length).toBeGreaterThan(0);
    const broken = relative.filter((link) => {
      const [file, anchor] = link.split('#');
      const target = file ? path.resolve(docsDir, file) : path.join(docsDir, page);
      if (!fs.existsSync(target)) return true;
      if (anchor === undefined || !target.endsWith('.md')) return false;
      const headings = [...fs.readFileSync(target, 'utf8').matchAll(/^#{1,6} (.*)$/gm)].map((m) => slug(m[1]));
      return !headings.includes(anchor);
    });
    expect(broken).toEqual([]);
  });
});
