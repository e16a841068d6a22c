/**
 * tsgrad Lab (docs/lab/) as part of the suite, so the course cannot rot:
 * - `npm run lab -- check all` passes on the unmodified tree: every task's pieces are still where the
 *   task names them, every check passes with tsgrad's own code, and each task's checks fail when
 *   only its pieces are stubs;
 * - tasks 1 and 4 walked as a learner does, in a workspace of their own: start (the checks fail on
 *   the stubs, with hints), a wrong answer (its check fails with its hint), the right one (all pass);
 * - finding and stubbing pieces by name.
 */
import { spawnSync } from 'child_process';
import { readFileSync, rmSync, writeFileSync } from 'fs';
import { join, relative } from 'path';
import { brokenLinks } from './helpers/snippets';
import { bodyText, findBody, isStub, replaceBody, stubMessage, stubPiece, type Piece } from '../lab-tool/stub';
import { taskByNumber, tasks } from '../lab-tool/tasks';

const root = join(__dirname, '..');
const workspace = join(root, 'build', `lab-test-${process.pid}`);

/** Runs the lab's command line with the test workspace; returns its exit status and output. */
function lab(...args: string[]): { status: number | null; out: string } {
  const run = spawnSync(process.execPath, ['-r', './tests/helpers/registerTs.js', 'lab-tool/lab.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, LAB_DIR: workspace },
  });
  return { status: run.status, out: run.stdout + run.stderr };
}

/** Writes `body` as `piece`'s body in the test workspace, as a learner's edit. */
function write(piece: Piece, body: string): void {
  const file = join(workspace, piece.file);
  writeFileSync(file, replaceBody(readFileSync(file, 'utf8'), piece, body));
}

/** Writes tsgrad's own body of `piece` into the workspace (the solution). */
function solve(piece: Piece): void {
  write(piece, bodyText(readFileSync(join(root, piece.file), 'utf8'), piece));
}

afterAll(() => rmSync(workspace, { recursive: true, force: true }));

describe('the lab on the unmodified tree', () => {
  it('check all passes: every piece is found, every task passes on tsgrad\'s own code and fails on its own stubs', () => {
    const { status, out } = lab('check', 'all');
    expect(out).toContain(`check all: the ${tasks.length} tasks pass on the unmodified tree, and fail on their stubs.`);
    expect(status).toBe(0);
  }, 300_000);

  it('lists the ten tasks with their pages', () => {
    const { status, out } = lab();
    expect(status).toBe(0);
    for (const t of tasks) expect(out).toContain(t.page);
  }, 60_000);

  it('has a page per task, and every relative link of the lab\'s pages resolves', () => {
    const pages = ['docs/lab/README.md', ...tasks.map((t) => t.page)];
    for (const page of pages) expect({ page, broken: brokenLinks(page) }).toEqual({ page, broken: [] });
  });
});

describe('a learner on task 1', () => {
  const task = taskByNumber(1);
  const [numerical, slope, tanh] = task.pieces;

  it('start stubs the pieces; check fails on each, naming the piece and giving the hints', () => {
    expect(lab('start', '1').status).toBe(0);
    const { status, out } = lab('check', '1');
    expect(status).toBe(1);
    expect(out).toContain('numericalDerivative is still a stub');
    expect(out).toContain('Tanh.backward is still a stub');
    expect(out).toContain(`hint (numericalDerivative): ${task.hints.numericalDerivative}`);
    expect(out).toContain('0 of 11 checks pass.');
  }, 120_000);

  it('a one-sided difference and a wrong tanh slope fail with their hints; the right ones pass', () => {
    write(numerical, '\n  return (fn(x + h) - fn(x)) / h;\n');
    solve(slope);
    write(tanh, '\n    const [out] = this.savedTensors;\n    return [grad.mul(fill(1, out).sub(out))];\n  ');
    const wrong = lab('check', '1');
    expect(wrong.status).toBe(1);
    expect(wrong.out).toMatch(/FAIL {2}numericalDerivative › is central/);
    expect(wrong.out).toMatch(/pass {2}slopeOfF/);
    expect(wrong.out).toMatch(/FAIL {2}Tanh.backward › PyTorch row tanh/);
    expect(wrong.out).toContain('hint (Tanh.backward)');
    solve(numerical);
    solve(tanh);
    const right = lab('check', '1');
    expect(right.out).toContain('all 11 checks pass.');
    expect(right.status).toBe(0);
  }, 120_000);

  it('start again keeps the work; --reset stubs it again', () => {
    expect(lab('start', '1').out).toContain('already started');
    expect(isStub(readFileSync(join(workspace, tanh.file), 'utf8'), tanh)).toBe(false);
    lab('start', '1', '--reset');
    expect(isStub(readFileSync(join(workspace, tanh.file), 'utf8'), tanh)).toBe(true);
    task.pieces.forEach(solve);
  }, 60_000);
});

describe('a learner on task 4', () => {
  const task = taskByNumber(4);
  const [arrive, release] = task.pieces;

  it('fails on the stubs, then on a release rule that does not skip nodes that fired already, then passes', () => {
    lab('start', '4');
    const stubbed = lab('check', '4');
    expect(stubbed.status).toBe(1);
    expect(stubbed.out).toContain(`Walk.arrive is still a stub: write it in ${join(relative(root, workspace), arrive.file)} (a piece of task 4).`);
    solve(arrive);
    // Wrong: releases without checking that the node still waits (it may have fired already).
    write(release, `
    const node = this.waiting.pop();
    stats.waitingSteps += this.waiting.lastSteps;
    if (node === undefined) return false;
    this.locks.set(node, 0);
    this.ready.push(node);
    return true;
  `);
    const wrong = lab('check', '4');
    expect(wrong.status).toBe(1);
    expect(wrong.out).toContain('hint (the release rule)');
    solve(release);
    const right = lab('check', '4');
    expect(right.out).toContain('all 8 checks pass.');
    expect(right.status).toBe(0);
  }, 180_000);
});

describe('pieces by name', () => {
  const source = 'export class A {\n  f(x: number): number {\n    return x;\n  }\n}\nexport function g(): number {\n  return 1;\n}\n';

  it('finds methods and functions, and stubs only their bodies', () => {
    const method = { file: 'a.ts', name: 'A.f' };
    const stubbed = stubPiece(source, method);
    expect(stubbed).toContain(`throw new Error(${JSON.stringify(stubMessage(method))});`);
    expect(isStub(stubbed, method)).toBe(true);
    expect(bodyText(stubbed, { file: 'a.ts', name: 'g' }).trim()).toBe('return 1;');
    expect(findBody(source, { file: 'a.ts', name: 'A.h' })).toBeNull();
  });

  it('names a missing piece and its file', () => {
    expect(() => stubPiece(source, { file: 'a.ts', name: 'B.f' })).toThrow('lab: cannot find B.f in a.ts (was it renamed or moved?)');
  });
});
