/**
 * Finding a task's pieces in the sources by name and replacing their bodies with stubs, using the
 * TypeScript compiler API (no markers in src/). A piece is named `file` + `name`, where `name` is a
 * top-level function (`numericalDerivative`) or a class member (`Tanh.backward`).
 *
 * May import: typescript.
 */
import * as ts from 'typescript';

/** One piece a learner writes: a function or a method, found by name in a file. */
export interface Piece {
  /** The file, relative to the repository root (e.g. `src/function/unary.ts`). */
  file: string;
  /** `functionName` or `ClassName.memberName`. */
  name: string;
  /** True for a gpu.js kernel function: gpu.js cannot compile its stub's `throw`, and says so. */
  kernel?: boolean;
}

/** Where a piece's body sits in its file: the text between its braces. */
export interface BodySpan {
  /** Offset just after the opening brace. */
  start: number;
  /** Offset of the closing brace. */
  end: number;
}

/** The message a stub throws; the grader recognises it. */
export function stubMessage(piece: Piece): string {
  return `not written yet: ${piece.name} (${piece.file})`;
}

/** Finds the body of `piece` in `source` (the file's text), or returns null when it is not there. */
export function findBody(source: string, piece: Piece): BodySpan | null {
  const file = ts.createSourceFile(piece.file, source, ts.ScriptTarget.ES2020, true);
  const [owner, member] = piece.name.includes('.') ? piece.name.split('.') : [null, piece.name];
  for (const statement of file.statements) {
    if (owner === null && ts.isFunctionDeclaration(statement) && statement.name?.text === member) return span(statement.body);
    if (owner !== null && ts.isClassDeclaration(statement) && statement.name?.text === owner) {
      for (const element of statement.members) {
        if (memberName(element) === member) return span(bodyOf(element));
      }
    }
  }
  return null;
}

/** The text of `source` with `piece`'s body replaced by a throwing stub; throws when the piece is missing. */
export function stubPiece(source: string, piece: Piece): string {
  const body = findBody(source, piece);
  if (body === null) throw new Error(`lab: cannot find ${piece.name} in ${piece.file} (was it renamed or moved?)`);
  const indent = lineIndent(source, body.start) + '  ';
  const stub = `\n${indent}throw new Error(${JSON.stringify(stubMessage(piece))});\n${indent.slice(2)}`;
  return source.slice(0, body.start) + stub + source.slice(body.end);
}

/** True when `piece`'s body in `source` is a stub that was never edited. */
export function isStub(source: string, piece: Piece): boolean {
  const body = findBody(source, piece);
  return body !== null && source.slice(body.start, body.end).trim() === `throw new Error(${JSON.stringify(stubMessage(piece))});`;
}

function memberName(element: ts.ClassElement): string | null {
  if (ts.isConstructorDeclaration(element)) return 'constructor';
  const name = element.name;
  return name !== undefined && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) ? name.text : null;
}

function bodyOf(element: ts.ClassElement): ts.Block | undefined {
  if (ts.isMethodDeclaration(element) || ts.isConstructorDeclaration(element) || ts.isGetAccessor(element) || ts.isSetAccessor(element)) {
    return element.body;
  }
  return undefined;
}

function span(body: ts.Block | undefined): BodySpan | null {
  if (body === undefined) return null;
  return { start: body.getStart() + 1, end: body.getEnd() - 1 };
}

function lineIndent(source: string, offset: number): string {
  const lineStart = source.lastIndexOf('\n', offset - 1) + 1;
  return /^\s*/.exec(source.slice(lineStart))?.[0] ?? '';
}

/** The text of `piece`'s body in `source` (between its braces); throws when the piece is missing. */
export function bodyText(source: string, piece: Piece): string {
  const body = findBody(source, piece);
  if (body === null) throw new Error(`lab: cannot find ${piece.name} in ${piece.file}`);
  return source.slice(body.start, body.end);
}

/** `source` with `piece`'s body replaced by `body` (the text between the braces). */
export function replaceBody(source: string, piece: Piece, body: string): string {
  const span = findBody(source, piece);
  if (span === null) throw new Error(`lab: cannot find ${piece.name} in ${piece.file}`);
  return source.slice(0, span.start) + body + source.slice(span.end);
}
