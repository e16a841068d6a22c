/**
 * tsgrad Lab's command line (docs/lab/README.md):
 *
 *   npm run lab                    lists the tasks (and, once you started, where you stand)
 *   npm run lab -- start N         sets up task N in lab/: its pieces become stubs for you to write
 *   npm run lab -- start N --reset the same, throwing away your work on task N
 *   npm run lab -- check N         grades task N in lab/: each check, pass or FAIL, and hints
 *   npm run lab -- check all       every task passes on the unmodified sources and fails on its stubs
 *
 * May import: node's fs and path, ./grade, ./tasks, ./workspace.
 */
import { rmSync } from 'fs';
import { join, relative } from 'path';
import { gradeRuns, gradeTasks } from './grade';
import { taskByNumber, tasks, type Task } from './tasks';
import { checkPiecesExist, createWorkspace, isWorkspace, repoRoot, restoreTaskFiles, startedTasks, stubTask } from './workspace';

/** The learner's workspace (git-ignored); LAB_DIR moves it (the lab's own tests use that). */
const labDir = process.env.LAB_DIR ?? join(repoRoot, 'lab');
const shown = relative(process.cwd(), labDir) || '.';

function list(): void {
  const started = isWorkspace(labDir) ? startedTasks(labDir) : [];
  console.log('tsgrad Lab: write the pieces of tsgrad yourself, graded by its PyTorch tables and gradchecks.\n');
  for (const t of tasks) console.log(`${started.includes(t.number) ? '*' : ' '} ${String(t.number).padStart(2)}. ${t.title}\n       ${t.page}`);
  console.log(`\nStart with docs/lab/README.md. Then: npm run lab -- start N, edit ${shown}/, npm run lab -- check N.`);
  if (started.length > 0) console.log(`(* = started in ${shown}/)`);
}

function start(task: Task, reset: boolean): void {
  checkPiecesExist(task);
  if (!isWorkspace(labDir)) {
    createWorkspace(labDir);
    console.log(`Made your workspace ${shown}/: a copy of src/, applications/, tests/helpers/, tests/fixtures/ and lab-tool/.`);
  }
  if (startedTasks(labDir).includes(task.number)) {
    if (!reset) {
      console.log(`Task ${task.number} is already started in ${shown}/; your work is kept. To start it over (losing that work): npm run lab -- start ${task.number} --reset`);
      return;
    }
    restoreTaskFiles(labDir, task);
  }
  stubTask(labDir, task);
  console.log(`Task ${task.number}: ${task.title}. Read ${task.page}.`);
  if (task.pieces.length > 0) {
    console.log('Write these (each now throws "not written yet"):');
    for (const p of task.pieces) console.log(`  ${p.name.padEnd(28)} in ${shown}/${p.file}`);
  }
  console.log(`Then: npm run lab -- check ${task.number}`);
}

function check(task: Task): boolean {
  if (!isWorkspace(labDir)) {
    console.log(`No workspace yet: run npm run lab -- start ${task.number} first.`);
    return false;
  }
  const [grade] = gradeTasks(labDir, [task], shown);
  console.log(grade.report.join('\n'));
  return grade.failed === 0;
}

/**
 * The course's own test: every task's pieces are still in the sources; every check passes on an
 * unmodified copy of them; and for each piece, on a copy where only that piece is a stub, a check
 * of its task fails naming it (a check that cannot fail would grade nothing). One jest run.
 */
function checkAll(): boolean {
  for (const task of tasks) checkPiecesExist(task);
  const root = join(repoRoot, 'build', 'lab-reference');
  rmSync(root, { recursive: true, force: true });
  const reference = join(root, 'reference');
  createWorkspace(reference);
  const stubbed = tasks.flatMap((task) => task.pieces.map((piece, i) => {
    const dir = join(root, `task${task.number}-${i + 1}`);
    createWorkspace(dir);
    stubTask(dir, { ...task, pieces: [piece] });
    return { dir, task, piece };
  }));
  const grades = gradeRuns(root, [...tasks.map((task) => ({ dir: reference, task })), ...stubbed]);
  let ok = true;
  for (const g of grades.slice(0, tasks.length)) {
    ok &&= g.failed === 0;
    console.log(g.failed === 0 ? `Task ${g.task.number}: all ${g.passed} checks pass on the reference sources.` : g.report.join('\n'));
  }
  grades.slice(tasks.length).forEach((g, i) => {
    const { piece } = stubbed[i];
    const named = g.report.some((line) => line.includes(piece.kernel ? `write ${piece.name} in` : `${piece.name} is still a stub`));
    ok &&= named;
    console.log(named
      ? `Task ${g.task.number}: with ${piece.name} stubbed, ${g.failed} of ${g.failed + g.passed} checks fail, naming it.`
      : `Task ${g.task.number}: no check fails on ${piece.name}'s stub:\n${g.report.join('\n')}`);
  });
  if (ok) rmSync(root, { recursive: true, force: true });
  console.log(ok ? `check all: the ${tasks.length} tasks pass on the unmodified tree, and fail on their stubs.` : 'check all: FAILED (see above).');
  return ok;
}

function main(args: string[]): number {
  const [command, which, ...rest] = args;
  if (command === undefined || command === 'list') {
    list();
    return 0;
  }
  if (command === 'check' && which === 'all') return checkAll() ? 0 : 1;
  const n = Number(which);
  if ((command === 'start' || command === 'check') && Number.isInteger(n)) {
    const task = taskByNumber(n);
    if (command === 'check') return check(task) ? 0 : 1;
    start(task, rest.includes('--reset'));
    return 0;
  }
  console.log('usage: npm run lab [-- list | start N [--reset] | check N | check all]');
  return 2;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
}
