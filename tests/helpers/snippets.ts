/**
 * Reads code blocks out of Markdown pages and runs them against this repository's src/, so the docs
 * cannot drift from the code: fenced-block extraction, the 'tsgrad' import rewrite, a type check with
 * the repo's tsconfig, and a run with console.log captured. Also the link helpers for pages.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { format } from 'util';

export const repoRoot = path.resolve(__dirname, '..', '..');
const indexPath = path.join(repoRoot, 'src', 'index');

export const readPage = (file: string): string => fs.readFileSync(path.join(repoRoot, file), 'utf8');

export interface FencedBlock {
  /** The text after the opening ``` (e.g. "ts cube-example"). */
  info: string;
  /** 1-based line of the opening fence. */
  line: number;
  body: string;
}

/** Every fenced block of a page (path relative to the repo root). */
export function fencedBlocks(file: string): FencedBlock[] {
  const lines = readPage(file).split('\n');
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^( *)```(.*)$/);
    if (!open) continue;
    const indent = open[1].length;
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
    if (end < 0) throw new Error(`${file}:${i + 1}: a fenced block is never closed`);
    blocks.push({ info: open[2].trim(), line: i + 1, body: lines.slice(i + 1, end).map((l) => l.slice(indent)).join('\n') });
    i = end;
  }
  return blocks;
}

/** The body of the one block whose info is exactly `info`; throws unless there is exactly one. */
export function fencedBlock(file: string, info: string): string {
  const matches = fencedBlocks(file).filter((b) => b.info === info);
  if (matches.length !== 1) throw new Error(`${file}: expected exactly one block opening with \`\`\`${info}, found ${matches.length}`);
  return matches[0].body;
}

/** Points `import ... from 'tsgrad'` at this repository's src/index (absolute path). */
export function useRepoSource(source: string): string {
  return source.replace(/from\s+(['"])tsgrad\1/g, `from ${JSON.stringify(indexPath)}`);
}

/**
 * Type errors of several programs, each compiled as a file of the repo with its tsconfig, in one
 * TypeScript program (one pass is much faster than one per block). Keys are virtual file names.
 */
export function typeErrors(sources: Record<string, string>): Record<string, string[]> {
  const config = ts.readConfigFile(path.join(repoRoot, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, repoRoot);
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, declaration: false, sourceMap: false };
  const virtual = new Map(Object.entries(sources).map(([name, text]) => [path.join(repoRoot, 'docs', name), text]));
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, version, ...rest) =>
    virtual.has(name) ? ts.createSourceFile(name, virtual.get(name) as string, version, true) : getSourceFile.call(host, name, version, ...rest);
  host.fileExists = (name) => virtual.has(name) || fileExists.call(host, name);
  host.readFile = (name) => virtual.get(name) ?? readFile.call(host, name);
  const program = ts.createProgram([...virtual.keys()], options, host);
  const result: Record<string, string[]> = {};
  for (const [name, file] of Object.keys(sources).map((n) => [n, path.join(repoRoot, 'docs', n)])) {
    result[name] = ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => {
      const where = d.file && d.start !== undefined ? `line ${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
      return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
    });
  }
  return result;
}

export interface Run {
  /** The arguments of each console.log call. */
  calls: unknown[][];
  /** Each console.log call as Node would print it. */
  lines: string[];
  /** Top-level names the caller asked for, read after the program ran. */
  names: Record<string, unknown>;
}

/** Transpiles `source` to CommonJS and runs it; `require` resolves only src/index, and console.log is captured. */
export function runProgram(source: string, expose: string[] = []): Run {
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

/** GitHub's anchor for a heading: lower case, punctuation other than - and _ dropped, spaces as -. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The relative links of a page that point nowhere: a missing file, or an #anchor with no such heading. */
export function brokenLinks(file: string): string[] {
  const text = readPage(file).replace(/^( *)```[^\n]*\n[\s\S]*?^\1```/gm, '').replace(/`[^`\n]*`/g, '');
  const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l));
  const dir = path.dirname(path.join(repoRoot, file));
  return links.filter((link) => {
    const [target, anchor] = link.split('#');
    const resolved = target ? path.resolve(dir, target) : path.join(repoRoot, file);
    if (!fs.existsSync(resolved)) return true;
    if (anchor === undefined || !resolved.endsWith('.md')) return false;
    const headings = [...fs.readFileSync(resolved, 'utf8').matchAll(/^#{1,6} (.*)$/gm)].map((m) => slug(m[1]));
    return !headings.includes(anchor);
  });
}

/**
 * The printed-value convention of the docs: a comment `// → text` says that the block prints the
 * line `text`. It may end a `console.log(...)` line or stand on its own line below it; in the second
 * form, the `//` lines right after it continue the printed text (aligned under the first line's text),
 * for values that print on several lines. A remark may follow the value after ` // `. `...` in the
 * value stands for any text (a number's further digits).
 */
export const printedMark = '// →';

/** The printed lines a block's `// →` comments promise, in order; empty when it has none. */
export function promisedOutput(body: string): string[] {
  const lines = body.split('\n');
  const promised: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const at = lines[i].indexOf(printedMark);
    if (at < 0) continue;
    const column = at + printedMark.length + 1;
    promised.push(withoutRemark(lines[i].slice(column)));
    const standsAlone = lines[i].slice(0, at).trim() === '';
    while (standsAlone && i + 1 < lines.length && /^\s*\/\/( |$)/.test(lines[i + 1]) && !lines[i + 1].includes(printedMark)) {
      promised.push(lines[++i].slice(column).trimEnd());
    }
  }
  return promised;
}

function withoutRemark(text: string): string {
  const remark = text.indexOf(' // ');
  return (remark < 0 ? text : text.slice(0, remark)).trimEnd();
}

/** True when a printed line matches a promised one (`...` matching any text). */
export function matchesPromise(printed: string, promised: string): boolean {
  const pattern = promised.split('...').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${pattern}$`).test(printed.trimEnd());
}

/**
 * Comments on a `console.log` without the `// →` mark, at the end of its line or on the line below:
 * a printed value shown there would go unchecked. (A remark about a print belongs above it.)
 */
export function unmarkedPrintComments(body: string): string[] {
  const lines = body.split('\n');
  const isLog = (line: string | undefined): boolean => line !== undefined && line.includes('console.log(');
  return lines.filter((line, i) =>
    !line.includes(printedMark) && ((isLog(line) && /\/\/ /.test(line)) || (/^\s*\/\/ /.test(line) && isLog(lines[i - 1]))));
}
