/**
 * The learner's workspace: a copy of the sources the checks need (src/, applications/,
 * tests/helpers/, tests/fixtures/, lab-tool/) under one folder inside the repository (so that
 * node_modules resolves), with a jest config that runs the lab's checks against that copy.
 *
 * May import: node's fs and path, ./stub, ./tasks.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { dirname, join, relative } from 'path';
import { stubPiece } from './stub';
import type { Task } from './tasks';

/** The repository root (this file is lab-tool/workspace.ts). */
export const repoRoot = join(__dirname, '..');

/** What the workspace copies from the repository. */
const copied = ['src', 'applications', 'tests/helpers', 'tests/fixtures', 'lab-tool'];

/** The workspace's record of which tasks were started. */
interface LabState {
  started: number[];
}

/** Makes `dir` a fresh copy of the sources (removing what was there) and writes its configs. */
export function createWorkspace(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  for (const path of copied) cpSync(join(repoRoot, path), join(dir, path), { recursive: true });
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(workspaceTsconfig(dir), null, 2) + '\n');
  writeState(dir, { started: [] });
}

/** True when `dir` holds a workspace made by createWorkspace. */
export function isWorkspace(dir: string): boolean {
  return existsSync(join(dir, '.lab.json'));
}

/** The tasks started in the workspace so far. */
export function startedTasks(dir: string): number[] {
  return (JSON.parse(readFileSync(join(dir, '.lab.json'), 'utf8')) as LabState).started;
}

/** Replaces `task`'s pieces in the workspace by stubs and records the task as started. */
export function stubTask(dir: string, task: Task): void {
  for (const piece of task.pieces) {
    const file = join(dir, piece.file);
    writeFileSync(file, stubPiece(readFileSync(file, 'utf8'), piece));
  }
  const started = startedTasks(dir).filter((n) => n !== task.number);
  writeState(dir, { started: [...started, task.number].sort((a, b) => a - b) });
}

/** Puts `task`'s files back as they are in the repository (undoing the learner's edits to them). */
export function restoreTaskFiles(dir: string, task: Task): void {
  for (const file of new Set(task.pieces.map((p) => p.file))) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(repoRoot, file), join(dir, file));
  }
}

/** Throws, naming each one, when a piece of `task` is no longer in the repository's sources. */
export function checkPiecesExist(task: Task): void {
  const missing: string[] = [];
  for (const piece of task.pieces) {
    try {
      stubPiece(readFileSync(join(repoRoot, piece.file), 'utf8'), piece);
    } catch {
      missing.push(`${piece.name} in ${piece.file}`);
    }
  }
  if (missing.length > 0) throw new Error(`lab: task ${task.number} names pieces that are not in the sources: ${missing.join(', ')}`);
}

/** The jest config (as JSON, for --config) that runs the lab's checks of `workspaces`, from `rootDir`. */
export function jestConfig(rootDir: string, workspaces: readonly string[]): string {
  return JSON.stringify({
    rootDir,
    roots: workspaces.map((w) => join(w, 'lab-tool', 'checks')),
    testEnvironment: 'node',
    testMatch: ['**/task*.test.ts'],
    transform: { '^.+\\.ts$': [require.resolve('ts-jest'), { isolatedModules: true, tsconfig: join(workspaces[0], 'tsconfig.json') }] },
  });
}

function workspaceTsconfig(dir: string): object {
  const base = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
  return {
    compilerOptions: { ...base.compilerOptions, outDir: 'build', typeRoots: [relative(dir, join(repoRoot, 'node_modules', '@types'))] },
    include: ['src', 'applications', 'tests', 'lab-tool'],
  };
}

function writeState(dir: string, state: LabState): void {
  writeFileSync(join(dir, '.lab.json'), JSON.stringify(state) + '\n');
}
