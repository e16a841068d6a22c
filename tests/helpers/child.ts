/**
 * Runs a script in a child node process that can require the TypeScript sources (through
 * registerTs.js): for tests that measure a process's memory, need node flags such as --expose-gc or
 * --max-old-space-size, or kill a process mid-write.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { join } from 'path';

/** The repository root; scripts require sources as `./src/...` from here. */
export const ROOT = join(__dirname, '..', '..');

const REGISTER = join(__dirname, 'registerTs.js');

/** What a finished child printed, and how it ended. */
export interface ChildResult {
  /** Exit status (null when a signal ended it). */
  status: number | null;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `script` (JavaScript, with `require('./src')` etc. resolving from the repository root) and waits for it. */
export function runChild(script: string, nodeFlags: string[] = [], timeoutMs = 60_000): ChildResult {
  const result = spawnSync(process.execPath, [...nodeFlags, '-r', REGISTER, '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** Starts `script` as runChild does, without waiting: the caller may kill it. */
export function startChild(script: string, nodeFlags: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, '-r', REGISTER, '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * JavaScript source of `peakRss()`, for child scripts: the process's peak resident memory in bytes,
 * from VmHWM in /proc/self/status. Not `process.resourceUsage().maxRSS`: Linux carries that one over
 * from the parent through fork and exec, so a child of a large test process would start high.
 */
export const PEAK_RSS_SOURCE = `function peakRss() {
  const status = require('fs').readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\\s+(\\d+) kB/.exec(status)[1]) * 1024;
}`;

/** The last line a child printed to stdout, parsed as JSON (scripts report their measurements this way). */
export function lastJsonLine<T>(result: ChildResult): T {
  const lines = result.stdout.trim().split('\n');
  const last = lines[lines.length - 1];
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`child printed no JSON line (status ${result.status}, signal ${result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
}
