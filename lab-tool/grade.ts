/**
 * Grading: runs a task's check file with jest in a workspace, then prints each check as pass or
 * FAIL, the start of each failure's message, and the task's hint for each group that failed.
 *
 * May import: node's child_process, fs and path, ./tasks, ./workspace.
 */
import { spawnSync } from 'child_process';
import { existsSync, readFileSync, rmSync } from 'fs';
import { join, resolve } from 'path';
import { tasks as allTasks, type Task } from './tasks';
import { jestConfig } from './workspace';

/** One check's outcome, as jest's --json report gives it. */
interface CheckResult {
  ancestorTitles: string[];
  title: string;
  status: 'passed' | 'failed' | 'pending' | 'skipped' | 'todo' | 'disabled';
  failureMessages: string[];
}

/** What one task's grading found. */
export interface TaskGrade {
  task: Task;
  passed: number;
  failed: number;
  /** Lines to print. */
  report: string[];
}

/** Runs the checks of `tasks` in workspace `dir` (one jest run) and grades each task. */
export function gradeTasks(dir: string, tasks: readonly Task[], shownDir = dir): TaskGrade[] {
  return gradeRuns(dir, tasks.map((task) => ({ dir, task, shownDir })));
}

/** One task's checks to run in one workspace. */
export interface CheckRun {
  dir: string;
  task: Task;
  /** How messages name the workspace (default: its path). */
  shownDir?: string;
}

/** Runs each task's checks in its own workspace, all in one jest run from `rootDir` (which holds the workspaces). */
export function gradeRuns(rootDir: string, runs: readonly CheckRun[]): TaskGrade[] {
  const file = (r: CheckRun): string => join(r.dir, 'lab-tool', 'checks', r.task.check);
  const results = runJest(rootDir, [...new Set(runs.map((r) => r.dir))], runs.map(file));
  return runs.map((r) => gradeOne(r.task, results.get(file(r)), r.shownDir ?? r.dir));
}

function runJest(rootDir: string, workspaces: string[], files: string[]): Map<string, CheckResult[] | string> {
  const output = join(rootDir, '.lab-results.json');
  rmSync(output, { force: true });
  const jest = require.resolve('jest/bin/jest');
  const config = jestConfig(rootDir, workspaces);
  const run = spawnSync(process.execPath, [jest, '--config', config, '--json', `--outputFile=${output}`, '--runTestsByPath', ...files], {
    cwd: rootDir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!existsSync(output)) throw new Error(`lab: jest did not run:\n${run.stderr}`);
  const report = JSON.parse(readFileSync(output, 'utf8')) as {
    testResults: { name: string; message: string; assertionResults: CheckResult[] }[];
  };
  const byFile = new Map<string, CheckResult[] | string>();
  for (const file of report.testResults) {
    // A file that fails to load (a syntax error in the learner's code) has a message and no checks.
    byFile.set(resolve(file.name), file.assertionResults.length > 0 ? file.assertionResults : file.message || 'the check file ran no checks');
  }
  return byFile;
}

function gradeOne(task: Task, results: CheckResult[] | string | undefined, shownDir: string): TaskGrade {
  const report = [`Task ${task.number}: ${task.title}   (${task.page})`];
  if (results === undefined || typeof results === 'string') {
    report.push('  FAIL  the checks could not run:', ...indent(firstLines(results ?? 'no result from jest', 12), '        '));
    return { task, passed: 0, failed: 1, report };
  }
  const failedGroups = new Set<string>();
  let passed = 0;
  for (const r of results) {
    const group = r.ancestorTitles[0] ?? r.title;
    const name = [...r.ancestorTitles, r.title].join(' › ');
    if (r.status === 'passed') {
      passed++;
      report.push(`  pass  ${name}`);
      continue;
    }
    failedGroups.add(group);
    report.push(`  FAIL  ${name}`, ...indent(explain(r.failureMessages[0] ?? r.status, shownDir), '        '));
  }
  const failed = results.length - passed;
  for (const group of failedGroups) {
    const hint = task.hints[group];
    if (hint) report.push(`  hint (${group}): ${hint}`);
  }
  report.push(failed === 0 ? `  all ${passed} checks pass.` : `  ${passed} of ${results.length} checks pass.`);
  return { task, passed, failed, report };
}

/** The useful start of a failure: a stub's message as an instruction, else the error without its stack. */
function explain(message: string, shownDir: string): string[] {
  const stub = /not written yet: (\S+) \(([^)]+)\)/.exec(message);
  if (stub) {
    const owner = allTasks.find((t) => t.pieces.some((p) => p.name === stub[1] && p.file === stub[2]));
    return [`${stub[1]} is still a stub: write it in ${join(shownDir, stub[2])}${owner ? ` (a piece of task ${owner.number})` : ''}.`];
  }
  if (message.includes('unhandled type "ThrowStatement"')) {
    const kernels = allTasks.flatMap((t) => t.pieces.filter((p) => p.kernel).map((p) => `${p.name} in ${join(shownDir, p.file)}`));
    return [`gpu.js cannot compile a kernel that still throws (a stub): write ${kernels.join(' or ')}.`];
  }
  return firstLines(message, 8);
}

function firstLines(text: string, count: number): string[] {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
  return plain.split('\n').filter((l) => !/^\s+at /.test(l) && l.trim() !== '').slice(0, count);
}

function indent(lines: string[], prefix: string): string[] {
  return lines.map((l) => prefix + l.trim());
}
