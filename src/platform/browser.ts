/**
 * The platform seam, the browser's side: the same exports as ./node.ts, which the browser build
 * (scripts/buildBrowser.mjs) replaces by this file.
 *
 * - no forced garbage collection: device buffers of dropped tensors are freed by the
 *   FinalizationRegistry when the page yields to the event loop (a training loop that awaits
 *   between steps), or at once by `dispose()`;
 * - threads are Web Workers started from a Blob URL, possible only in a cross-origin isolated page
 *   (COOP/COEP headers) and only off the main thread, which may not block in `Atomics.wait`;
 * - a worker starts only once its creator returns to the event loop, so the fast backend runs alone
 *   until its helper reports ready;
 * - no environment variables; notices go to the console.
 *
 * May import: nothing (browser globals only).
 */

/** The name of this side of the seam. */
export const platformName: 'node' | 'browser' = 'browser';

/** 0: a page cannot tell which engine it runs on, nor set its flags. */
export function v8Major(): number {
  return 0;
}

/** Just `make()` in the browser: a page cannot set V8 flags. */
export function withV8Flag<T>(_flag: string, make: () => T): T {
  return make();
}

/** Always null in the browser: there is no way to set V8 flags from a page. */
export function freshContextGlobal<T>(_flag: string, _name: string): T | null {
  return null;
}

/** A started thread. */
export interface WorkerThread {
  terminate(): void;
}

/** The browser globals used here (tsgrad's TypeScript lib has no DOM). */
interface BrowserGlobals {
  Worker: new (url: string) => { postMessage(data: unknown): void; terminate(): void };
  Blob: new (parts: string[], options: { type: string }) => object;
  URL: { createObjectURL(blob: object): string; revokeObjectURL(url: string): void };
  crossOriginIsolated?: boolean;
  document?: unknown;
  console: { info(text: string): void };
}
const browser = globalThis as unknown as BrowserGlobals;

/** Starts a Web Worker that runs `main(data)` with the first message it receives. */
export function startWorker(main: string, data: unknown): WorkerThread {
  const source = `onmessage = (event) => { onmessage = null; (${main})(event.data); };`;
  const url = browser.URL.createObjectURL(new browser.Blob([source], { type: 'text/javascript' }));
  const worker = new browser.Worker(url);
  browser.URL.revokeObjectURL(url);
  worker.postMessage(data);
  return { terminate: () => worker.terminate() };
}

export const workerStartsWhileBlocked = false;

/** True in a cross-origin isolated page, off the main thread (a Web Worker may block, a page may not). */
export function canShareMemory(): boolean {
  return browser.crossOriginIsolated === true && browser.document === undefined && typeof browser.Worker === 'function';
}

/** No environment in a page. */
export function environment(_name: string): string | undefined {
  return undefined;
}

/** Writes one notice line to the console. */
export function writeLine(text: string): void {
  browser.console.info(text);
}
