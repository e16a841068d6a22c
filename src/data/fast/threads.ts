/**
 * A second thread for the GEMM kernel: one worker_threads worker that instantiates the same module on
 * the same shared memory and runs `gemm` on the part of a job it is handed.
 *
 * Hand-off goes through a control block at the start of the memory (Int32 words):
 *   [0] job counter, bumped by the main thread to start a job (notified)
 *   [1] last job the worker finished (notified)
 *   [2..12] the 11 arguments of `gemm`; [10] and [11] are the range of tasks [first, last) of the job
 *   [13] the next task to take: the worker takes tasks one at a time (Atomics.add) until it passes
 *        `last`. The main thread either takes from the same counter (`share`: whichever thread is
 *        free takes the next block of C, so a late wake-up or a slower core costs nothing) or runs a
 *        job of its own meanwhile (`run`: the two halves of a K split)
 *   [14] set to 1 when the worker's part failed (a trap), so the main thread throws instead of waiting forever
 *   [15] set to 1 by the worker once it is ready; the main thread waits for it (up to STARTUP_MS) before
 *        handing it any job, and runs alone if it never comes
 * The main thread then waits for [1] to catch up. The worker is unref'd, so it never keeps the
 * process alive; if it cannot start, everything runs on the main thread.
 *
 * Threads pay only for large jobs (waking the worker costs tens of microseconds): gemm.ts decides.
 * Set TSGRAD_THREADS=1 in the environment (or call `setFastThreads(1)`) to keep to one thread.
 *
 * May import: node:worker_threads, ./wasm.
 */
import { Worker } from 'node:worker_threads';
import { CONTROL_BASE, type WasmRuntime } from './wasm';

/** Runs in the worker: wait for a job, run it, report, repeat. Plain JS (a worker evaluates it as a script). */
const workerSource = `
const { workerData } = require('node:worker_threads');
const { module, memory, control } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctrl = new Int32Array(memory.buffer, control, 16);
let seen = Atomics.load(ctrl, 0); // read before saying ready: jobs are posted only after that
Atomics.store(ctrl, 15, 1);
Atomics.notify(ctrl, 15);
for (;;) {
  Atomics.wait(ctrl, 0, seen);
  seen = Atomics.load(ctrl, 0);
  try {
    const last = ctrl[11];
    for (let task = Atomics.add(ctrl, 13, 1); task < last; task = Atomics.add(ctrl, 13, 1)) {
      kernels.gemm(ctrl[2], ctrl[3], ctrl[4], ctrl[5], ctrl[6], ctrl[7], ctrl[8], ctrl[9], task, task + 1, ctrl[12]);
    }
  } catch (error) {
    Atomics.store(ctrl, 14, 1);
  }
  Atomics.store(ctrl, 1, seen);
  Atomics.notify(ctrl, 1);
}
`;

/** The arguments of kernels.gemm, in order. */
export type GemmArgs = [a: number, b: number, c: number, mPanels: number, nPanels: number, kTotal: number,
  k0: number, k1: number, first: number, last: number, addToC: number];

export class Helper {
  private readonly ctrl: Int32Array;
  private readonly worker: Worker;

  constructor(runtime: WasmRuntime) {
    this.ctrl = new Int32Array(runtime.memory.buffer, CONTROL_BASE, 16);
    this.worker = new Worker(workerSource, {
      eval: true,
      workerData: { module: runtime.module, memory: runtime.memory, control: CONTROL_BASE },
    });
    this.worker.unref();
  }

  /** Waits until the worker has instantiated the module; false (and the worker ended) if it does not in time. */
  ready(): boolean {
    if (Atomics.wait(this.ctrl, 15, 0, STARTUP_MS) === 'timed-out' && Atomics.load(this.ctrl, 15) === 0) {
      void this.worker.terminate();
      return false;
    }
    return true;
  }

  /** Runs `theirs` on the worker while `ours` runs here; returns when both are done. */
  run(theirs: GemmArgs, ours: () => void): void {
    const job = this.post(theirs);
    try {
      ours();
    } finally {
      this.finish(job);
    }
  }

  /** Runs the tasks of `job` on both threads: each takes the next task (`runTask` here) until none is left. */
  share(job: GemmArgs, runTask: (task: number) => void): void {
    const posted = this.post(job);
    try {
      const last = job[9];
      for (let task = Atomics.add(this.ctrl, 13, 1); task < last; task = Atomics.add(this.ctrl, 13, 1)) runTask(task);
    } finally {
      this.finish(posted);
    }
  }

  /** Hands the worker a job (its arguments, and the first task to take); returns the job's number. */
  private post(args: GemmArgs): number {
    const ctrl = this.ctrl;
    for (let i = 0; i < args.length; i++) ctrl[2 + i] = args[i];
    Atomics.store(ctrl, 13, args[8]);
    const job = Atomics.add(ctrl, 0, 1) + 1;
    Atomics.notify(ctrl, 0);
    return job;
  }

  /** Waits until the worker has finished job number `job`; throws if its part failed. */
  private finish(job: number): void {
    const ctrl = this.ctrl;
    for (let done = Atomics.load(ctrl, 1); done !== job; done = Atomics.load(ctrl, 1)) Atomics.wait(ctrl, 1, done, 1000);
    if (Atomics.exchange(ctrl, 14, 0) !== 0) throw new Error('fast backend: the GEMM worker thread failed on its part of a matrix product');
  }
}

/** How long the main thread waits, once, for the worker to start. */
const STARTUP_MS = 10_000;

let threads = Number(process.env.TSGRAD_THREADS ?? 2) >= 2 ? 2 : 1;
let helper: Helper | null = null;
let failed = false;

/** Uses at most `count` threads (1 or 2) for large matrix products. */
export function setFastThreads(count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`setFastThreads: expected a positive integer, got ${count}`);
  threads = Math.min(count, 2);
}

/** False when only one thread is allowed, or the worker could not start. */
export function threadsAllowed(): boolean {
  return threads >= 2 && !failed;
}

/** The worker over the shared runtime, started on first use, or null when threads are not allowed. */
export function helperThread(runtime: WasmRuntime): Helper | null {
  if (!threadsAllowed()) return null;
  if (!helper) {
    try {
      const started = new Helper(runtime);
      if (started.ready()) helper = started;
      else failed = true;
    } catch {
      failed = true;
    }
  }
  return helper;
}
