/**
 * The platform seam, Node's side: every Node-only API the core of tsgrad uses goes through this file.
 * The browser build (scripts/buildBrowser.mjs) swaps it for ./browser.ts, which has the same exports.
 *
 * - `v8Major`, `withV8Flag`: V8's version, and running a function while a V8 flag is on (wasm.ts compiles its relaxed-SIMD kernels so
 *   on a Node whose V8 has them behind `--experimental-wasm-relaxed-simd`);
 * - `freshContextGlobal`: a global of a new `vm` context made while a V8 flag is on (storage.ts gets
 *   a forced garbage collection and a FinalizationRegistry with `cleanupSome` from it);
 * - `startWorker`: a thread running a plain-JavaScript function, for the fast backend's second thread;
 * - `workerStartsWhileBlocked`: whether a worker can start while the thread that made it blocks in
 *   `Atomics.wait` (true in Node);
 * - `canShareMemory`: whether threads over a shared WebAssembly memory are possible here;
 * - `environment`, `writeLine`: settings (TSGRAD_DEVICE, TSGRAD_THREADS) and one-line notices.
 *
 * The data-file readers of src/nn/data keep their own `fs`/`zlib` imports; the browser build maps
 * those modules to stubs that throw on use (load data with `fetch` there, see docs/browser.md).
 *
 * May import: node:v8, node:vm, node:worker_threads.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Worker } from 'node:worker_threads';

/** The name of this side of the seam. */
export const platformName: 'node' | 'browser' = 'node';

/** The major version of this process's V8 (11 in Node 20). */
export function v8Major(): number {
  return Number(process.versions.v8.split('.')[0]);
}

/** What `make()` returns while the V8 flag `--flag` is on (it is switched off again after). */
export function withV8Flag<T>(flag: string, make: () => T): T {
  try {
    v8.setFlagsFromString(`--${flag}`);
    return make();
  } finally {
    v8.setFlagsFromString(`--no-${flag}`);
  }
}

/** A global of a new vm context made while the V8 flag `--name` is on; null when that fails. */
export function freshContextGlobal<T>(flag: string, name: string): T | null {
  try {
    const value: unknown = withV8Flag(flag, () => vm.runInNewContext(name));
    return typeof value === 'function' ? (value as T) : null;
  } catch {
    return null;
  }
}

/** A started thread; it never keeps the process (or page) alive by itself. */
export interface WorkerThread {
  terminate(): void;
}

/**
 * Starts a thread that runs `main(data)`. `main` is plain JavaScript source of a function of one
 * argument; it sees no module scope. `data` may hold a WebAssembly module and a shared memory.
 */
export function startWorker(main: string, data: unknown): WorkerThread {
  const worker = new Worker(`(${main})(require('node:worker_threads').workerData);`, { eval: true, workerData: data });
  worker.unref();
  return { terminate: () => void worker.terminate() };
}

export const workerStartsWhileBlocked = true;

/** Node can always share a WebAssembly memory between threads and block on it. */
export function canShareMemory(): boolean {
  return true;
}

/** The environment variable `name`, or undefined. */
export function environment(name: string): string | undefined {
  return process.env[name];
}

/** Writes one notice line to stderr. */
export function writeLine(text: string): void {
  process.stderr.write(`${text}\n`);
}
