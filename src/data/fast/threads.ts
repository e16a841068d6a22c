/**
 * A second thread for the fast backend's matrix products: one worker_threads worker that instantiates
 * the same module on the same shared memory and runs tasks of a job: blocks of C (`gemmTask`) or
 * groups of panels of a pack (`packTask`).
 *
 * Hand-off goes through a control block at the start of the memory (Int32 words):
 *   [0] job counter, bumped by the main thread to start a job (notified)
 *   [1] last job the worker finished (notified)
 *   [2] which kernel: 0 gemmTask, 1 packTask
 *   [3..11] its 9 arguments; the task number is the 10th
 *   [12] the next task to take, [13] the end of the job's tasks: the worker takes tasks one at a time
 *        (Atomics.add) until it passes the end. The main thread either takes from the same counter
 *        (`share`: whichever thread is free takes the next task, so a late wake-up or a slower core
 *        costs nothing) or runs work of its own meanwhile (`run`: the two halves of a K split)
 *   [14] set to 1 when the worker's part failed (a trap), so the main thread throws instead of waiting forever
 *   [15] set to 1 by the worker once it is ready; the main thread waits for it (up to STARTUP_MS) before
 *        handing it any job, and runs alone if it never comes
 * The main thread then waits for [1] to catch up. The worker is unref'd, so it never keeps the
 * process alive; if it cannot start, everything runs on the main thread. In a browser the helper is a
 * Web Worker, started only in a cross-origin isolated page and only when tsgrad itself runs in a worker.
 *
 * Threads pay only for large jobs (waking the worker costs tens of microseconds): gemm.ts decides.
 * Set TSGRAD_THREADS=1 in the environment (or call `setFastThreads(1)`) to keep to one thread.
 *
 * May import: ../../platform/node (the platform seam: worker_threads or Web Workers), ./wasm.
 */
import { canShareMemory, environment, startWorker, workerStartsWhileBlocked, type WorkerThread } from '../../platform/node';
import { CONTROL_BASE, type WasmRuntime } from './wasm';

/** The kernels a job may run, by their number in the control block. */
const TASK_KERNELS = ['gemmTask', 'packTask'] as const;
export type TaskKernel = (typeof TASK_KERNELS)[number];

/**
 * Runs in the worker: wait for a job, take its tasks, report, repeat. Plain JS source of a function
 * of the worker's data (the platform seam starts it as a worker_threads worker or a Web Worker).
 */
const workerMain = `function ({ module, memory, control, names }) {
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const ctrl = new Int32Array(memory.buffer, control, 16);
  let seen = Atomics.load(ctrl, 0); // read before saying ready: jobs are posted only after that
  Atomics.store(ctrl, 15, 1);
  Atomics.notify(ctrl, 15);
  for (;;) {
    Atomics.wait(ctrl, 0, seen);
    seen = Atomics.load(ctrl, 0);
    try {
      const run = kernels[names[ctrl[2]]];
      const end = ctrl[13];
      for (let task = Atomics.add(ctrl, 12, 1); task < end; task = Atomics.add(ctrl, 12, 1)) {
        run(ctrl[3], ctrl[4], ctrl[5], ctrl[6], ctrl[7], ctrl[8], ctrl[9], ctrl[10], ctrl[11], task);
      }
    } catch (error) {
      Atomics.store(ctrl, 14, 1);
    }
    Atomics.store(ctrl, 1, seen);
    Atomics.notify(ctrl, 1);
  }
}`;

/** Tasks [first, end) of one kernel with these 9 arguments (the task number is passed last). */
export interface TaskJob {
  readonly kernel: TaskKernel;
  readonly args: readonly number[];
  readonly first: number;
  readonly end: number;
}

export class Helper {
  private readonly ctrl: Int32Array;
  private readonly worker: WorkerThread;
  private readonly started = Date.now();

  constructor(private readonly runtime: WasmRuntime) {
    this.ctrl = new Int32Array(runtime.memory.buffer, CONTROL_BASE, 16);
    this.worker = startWorker(workerMain, { module: runtime.module, memory: runtime.memory, control: CONTROL_BASE, names: [...TASK_KERNELS] });
  }

  /**
   * Whether the worker has instantiated the module: 'ready', 'starting' (a browser worker starts only
   * once this thread returns to its event loop; Node waits here up to STARTUP_MS instead), or
   * 'failed' (and the worker ended) after STARTUP_MS without a sign of it.
   */
  state(): 'ready' | 'starting' | 'failed' {
    if (Atomics.load(this.ctrl, 15) === 1) return 'ready';
    if (workerStartsWhileBlocked) Atomics.wait(this.ctrl, 15, 0, STARTUP_MS);
    if (Atomics.load(this.ctrl, 15) === 1) return 'ready';
    if (Date.now() - this.started < STARTUP_MS) return 'starting';
    this.worker.terminate();
    return 'failed';
  }

  /** Runs all of `theirs` on the worker while `ours` runs here; returns when both are done. */
  run(theirs: TaskJob, ours: () => void): void {
    const job = this.post(theirs);
    try {
      ours();
    } finally {
      this.finish(job);
    }
  }

  /** Runs the tasks of `job` on both threads, each taking the next one until none is left. */
  share(job: TaskJob): void {
    const posted = this.post(job);
    const run = this.runtime.kernels[job.kernel] as (...args: number[]) => void;
    const [a0, a1, a2, a3, a4, a5, a6, a7, a8] = job.args;
    try {
      for (let task = Atomics.add(this.ctrl, 12, 1); task < job.end; task = Atomics.add(this.ctrl, 12, 1)) {
        run(a0, a1, a2, a3, a4, a5, a6, a7, a8, task);
      }
    } finally {
      this.finish(posted);
    }
  }

  /** Hands the worker a job (kernel, arguments, task range); returns the job's number. */
  private post(job: TaskJob): number {
    const ctrl = this.ctrl;
    ctrl[2] = TASK_KERNELS.indexOf(job.kernel);
    job.args.forEach((value, i) => { ctrl[3 + i] = value; });
    ctrl[13] = job.end;
    Atomics.store(ctrl, 12, job.first);
    const posted = Atomics.add(ctrl, 0, 1) + 1;
    Atomics.notify(ctrl, 0);
    return posted;
  }

  /** Waits until the worker has finished job number `job`; throws if its part failed. */
  private finish(job: number): void {
    const ctrl = this.ctrl;
    for (let done = Atomics.load(ctrl, 1); done !== job; done = Atomics.load(ctrl, 1)) Atomics.wait(ctrl, 1, done, 1000);
    if (Atomics.exchange(ctrl, 14, 0) !== 0) throw new Error('fast backend: the worker thread failed on its part of a matrix product');
  }
}

/** How long the main thread waits, once, for the worker to start. */
const STARTUP_MS = 10_000;

let threads = Number(environment('TSGRAD_THREADS') ?? 2) >= 2 ? 2 : 1;
let helper: Helper | null = null;
let pending: Helper | null = null;
let failed = false;

/** Uses at most `count` threads (1 or 2) for large matrix products. */
export function setFastThreads(count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`setFastThreads: expected a positive integer, got ${count}`);
  threads = Math.min(count, 2);
}

/** False when only one thread is allowed, the worker could not start, or this platform cannot share memory (see the seam). */
export function threadsAllowed(): boolean {
  return threads >= 2 && !failed && canShareMemory();
}

/** The worker over the shared runtime, started on first use, or null when threads are not allowed. */
export function helperThread(runtime: WasmRuntime): Helper | null {
  if (!threadsAllowed()) return null;
  if (!helper) {
    try {
      pending ??= new Helper(runtime);
      const state = pending.state();
      if (state === 'ready') helper = pending;
      if (state === 'failed') failed = true;
    } catch {
      failed = true;
    }
  }
  return helper;
}
