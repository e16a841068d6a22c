/**
 * `Storage`: the values behind every view of one tensor, on the host, on a device, or on both.
 *
 * - `host`: a Float32Array, or null while the values are only on a device;
 * - `device`: a buffer of one `DeviceMemory` (a region of the fast backend's WebAssembly memory, a GL
 *   texture of the gpu backend on headlessgl), or null.
 * When both exist they hold the same values. Whichever is missing is made on demand: `host()` reads
 * the buffer back (and keeps the copy); a device op on a host-only storage uploads it for that op.
 * An in-place write keeps the side it happened on and drops the other, now stale.
 *
 * Device buffers are not garbage-collected (gpu.js textures need an explicit delete, regions of the
 * WebAssembly memory go back to its free lists), so they are freed here, in three ways:
 * 1. `dispose()`, at once;
 * 2. a FinalizationRegistry: when a Storage is garbage-collected, its buffer is released. V8 runs
 *    these callbacks as separate tasks of the event loop, so a synchronous training loop (one long
 *    task) would never see them;
 * 3. so, a safety net: when a device holds more than RECLAIM_BYTES (or RECLAIM_BUFFERS buffers),
 *    creating a buffer first calls `reclaimDeviceMemory()`, which forces a full garbage collection
 *    and runs the registry's callbacks synchronously (`cleanupSome`). Neither is reachable from
 *    plain JavaScript: both come from a fresh `vm` context made with a V8 flag switched on just for
 *    it (`--expose-gc`, `--harmony-weak-refs-with-cleanup-some`). Where that fails (another engine,
 *    a V8 without the flag), one warning says so and only 1 and 2 remain.
 * After a reclaim the thresholds move to twice what is still live, so live data never causes a
 * garbage collection per op.
 *
 * In a browser (../platform/browser.ts) there is no forced collection, and 2 may wait a long time:
 * textures are not JavaScript memory, so the collector is in no hurry. There, a memory scope
 * (scope.ts, the tensor layer's `tidy`) frees a step's storages at the step's end: a storage knows
 * whether a scope noted it, how many long-lived places hold it (`hold`/`letGo`), and why it was
 * freed, so that a later use says so.
 *
 * May import: ./backend, ./scope, ../platform/node (the platform seam).
 */
import type { DeviceBuffer, DeviceMemory } from './backend';
import { noteLetGo, noteMade } from './scope';
import { freshContextGlobal, writeLine } from '../platform/node';

/** Device bytes, and buffers, above which a new buffer first reclaims unreachable ones. */
export const RECLAIM_BYTES = 64 * 2 ** 20;
export const RECLAIM_BUFFERS = 2048;

/** Where a storage's values are. */
export type Residence = 'host' | 'device' | 'both';

/** Who freed a storage's values: `dispose()`, or the end of the memory scope that made them. */
export type FreedBy = 'dispose' | 'scope';

interface OnDevice {
  readonly buffer: DeviceBuffer;
  readonly memory: DeviceMemory;
}

export class Storage {
  /** In-place writes so far (autograd checks it). */
  version = 0;
  private device: OnDevice | null = null;
  private freed: FreedBy | null = null;
  /** Long-lived places (parameters, gradients, optimizer state, ...) holding it: no scope frees it while > 0. */
  private holders = 0;
  /** True when a memory scope noted it as it was made (see scope.ts). */
  private readonly madeInScope: boolean;

  private constructor(private hostArray: Float32Array | null) {
    this.madeInScope = noteMade(this);
  }

  static onHost(array: Float32Array): Storage {
    return new Storage(array);
  }

  static onDevice(buffer: DeviceBuffer, memory: DeviceMemory): Storage {
    const storage = new Storage(null);
    storage.attach(buffer, memory);
    return storage;
  }

  get residence(): Residence {
    this.checkAlive();
    if (this.device === null) return 'host';
    return this.hostArray === null ? 'device' : 'both';
  }

  /** The values on the host; read back from the device (once) if they are only there. */
  host(): Float32Array {
    this.checkAlive();
    if (this.hostArray === null) {
      const { buffer, memory } = this.device as OnDevice; // one of the two always exists
      this.hostArray = memory.download(buffer);
    }
    return this.hostArray;
  }

  /** What an op of `memory` reads: the buffer when `memory` holds this storage, else the host values. */
  on(memory: DeviceMemory): DeviceBuffer | Float32Array {
    this.checkAlive();
    if (this.device !== null && this.device.memory === memory && memory.owns(this.device.buffer)) return this.device.buffer;
    return this.host();
  }

  /** After an in-place write into the host array: the device copy is stale. */
  wroteOnHost(): void {
    this.dropDevice();
  }

  /**
   * After an in-place write on a device: `buffer` holds all the values; the host copy is stale, and so
   * is the old buffer unless the write went into it (`buffer` is the one it had).
   */
  wroteOnDevice(buffer: DeviceBuffer, memory: DeviceMemory): void {
    this.hostArray = null;
    if (this.device !== null && this.device.buffer === buffer) return;
    this.dropDevice();
    this.attach(buffer, memory);
  }

  /** Frees the values now, on the host and on the device. Every later use throws. */
  dispose(): void {
    this.free('dispose');
  }

  /** Frees the values now; every later use throws, naming `by` as the reason. */
  free(by: FreedBy): void {
    if (this.freed !== null) return;
    this.dropDevice();
    this.hostArray = null;
    this.freed = by;
  }

  get isDisposed(): boolean {
    return this.freed !== null;
  }

  /** Who freed the values, or null while they can be used. */
  get freedBy(): FreedBy | null {
    return this.freed;
  }

  /** A long-lived place now holds these values: no scope frees them until it lets go. */
  hold(): void {
    this.holders++;
  }

  /** One long-lived place let go; when none is left, the open scope (if any) decides about it at its end. */
  letGo(): void {
    if (this.holders === 0) return;
    this.holders--;
    if (this.holders === 0 && this.madeInScope && this.freed === null) noteLetGo(this);
  }

  get isHeld(): boolean {
    return this.holders > 0;
  }

  private attach(buffer: DeviceBuffer, memory: DeviceMemory): void {
    this.device = { buffer, memory };
    finalizers().register(this, { buffer, memory }, buffer);
    reclaimIfFull(memory);
  }

  private dropDevice(): void {
    if (this.device === null) return;
    finalizers().unregister(this.device.buffer);
    this.device.memory.release(this.device.buffer);
    this.device = null;
  }

  private checkAlive(): void {
    if (this.freed !== null) throw new Error(freedMessage(this.freed));
  }
}

/** Why a freed tensor cannot be used, and what to do instead. */
export function freedMessage(by: FreedBy): string {
  return by === 'dispose'
    ? 'this tensor was disposed: dispose() freed its values, for every view of them, and they cannot be used anymore'
    : 'this tensor was freed at the end of a tidy() scope: it was made (or, as a .grad that zeroGrad cleared, let go of) ' +
        "inside it, and neither returned by the scope's function nor passed to keep(); return or keep() it to use it after the scope";
}

// ---- automatic release ---------------------------------------------------------------------

/**
 * The parts of a FinalizationRegistry used here (typed locally: the ES2020 lib of tsconfig predates
 * it), including the not yet standard synchronous `cleanupSome`.
 */
export interface Finalizers<Held> {
  register(target: object, held: Held, unregisterToken?: object): void;
  unregister(unregisterToken: object): void;
  cleanupSome?: () => void;
}
type FinalizersClass<Held> = new (cleanup: (held: Held) => void) => Finalizers<Held>;

/**
 * A FinalizationRegistry that offers `cleanupSome` where this V8 allows it (see the header), so
 * that a synchronous loop can run the callbacks of already-collected targets.
 */
export function finalizationRegistry<Held>(cleanup: (held: Held) => void): Finalizers<Held> {
  const Registry = freshContextGlobal<FinalizersClass<Held>>('harmony-weak-refs-with-cleanup-some', 'FinalizationRegistry') ??
    (globalThis as unknown as { FinalizationRegistry: FinalizersClass<Held> }).FinalizationRegistry;
  return new Registry(cleanup);
}

let registry: Finalizers<OnDevice> | null = null;
let collectGarbage: (() => void) | null = null;
/** What the automatic release has done so far (for tests and benchmarks). */
export interface ReclaimStats {
  /** Buffers released because their storage was garbage-collected (by either way). */
  readonly releasedByGc: number;
  /** Calls of reclaimDeviceMemory (by the safety net or by hand), and the milliseconds they took. */
  readonly reclaims: number;
  readonly reclaimMs: number;
}

const stats = { releasedByGc: 0, reclaims: 0, reclaimMs: 0 };
let threshold = { bytes: RECLAIM_BYTES, buffers: RECLAIM_BUFFERS };
let warned = false;

/** The registry, made on first use (importing tsgrad sets no V8 flag). */
function finalizers(): Finalizers<OnDevice> {
  if (registry === null) {
    registry = finalizationRegistry(({ buffer, memory }: OnDevice): void => {
      memory.release(buffer);
      stats.releasedByGc++;
    });
  }
  return registry;
}

/** V8's forced full garbage collection, found once (see the header); null where this engine has none. */
export function garbageCollector(): (() => void) | null {
  collectGarbage ??= (globalThis as { gc?: () => void }).gc ?? freshContextGlobal<() => void>('expose-gc', 'gc');
  return collectGarbage;
}

/**
 * Frees the device buffers of all storages that nothing can reach anymore, now: a full garbage
 * collection, then the registry's callbacks. Works inside a synchronous loop, where the registry
 * alone would wait for the loop to end. Returns the number of buffers freed (0 when this engine
 * offers neither a forced collection nor `cleanupSome`).
 */
export function reclaimDeviceMemory(): number {
  const finalizing = finalizers();
  const collectGarbage = garbageCollector();
  if (collectGarbage === null || finalizing.cleanupSome === undefined) {
    warnOnce();
    return 0;
  }
  const [start, before] = [performance.now(), stats.releasedByGc];
  collectGarbage();
  finalizing.cleanupSome();
  stats.reclaims++;
  stats.reclaimMs += performance.now() - start;
  return stats.releasedByGc - before;
}

export function reclaimStats(): ReclaimStats {
  return { ...stats };
}

function reclaimIfFull(memory: DeviceMemory): void {
  const before = memory.counters;
  if (before.liveBytes <= threshold.bytes && before.live <= threshold.buffers) return;
  reclaimDeviceMemory();
  const { liveBytes, live } = memory.counters;
  threshold = { bytes: Math.max(RECLAIM_BYTES, 2 * liveBytes), buffers: Math.max(RECLAIM_BUFFERS, 2 * live) };
}

function warnOnce(): void {
  if (warned) return;
  warned = true;
  writeLine(
    'tsgrad: cannot force a garbage collection here, so device buffers of dropped tensors are freed only between ' +
      'event-loop turns; in a long synchronous loop, call dispose() on tensors you no longer need',
  );
}
