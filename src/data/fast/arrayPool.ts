/**
 * Output arrays for the fast backend's ops, recycled: a new 6 MB Float32Array costs about 3 ms of page
 * faults and zeroing before an op writes a byte of it, and a training step makes a hundred megabytes of
 * them. So the ArrayBuffer behind each array handed out is registered with a FinalizationRegistry: once
 * the array is garbage-collected (its tensor is gone), the buffer comes back here and the next op that
 * needs an output of the same length reuses it.
 *
 * Safe because the array is the only way to its buffer: tsgrad keeps it inside a Storage and never
 * hands out a second view of it that could outlive it (reads copy). Callbacks run when V8 gets to them;
 * inside a synchronous loop that is only through `cleanupSome`, called when the pool has no buffer of a
 * length, and after COLLECT_AFTER_BYTES of fresh arrays such a miss first forces a full collection (so
 * that dead arrays come back instead of new ones piling up). The pool keeps at most MAX_POOLED_BYTES,
 * dropping the buffers returned longest ago.
 *
 * May import: ../storage.
 */
import { finalizationRegistry, garbageCollector, type Finalizers } from '../storage';

/** Arrays below this many bytes are cheap to allocate: they are not pooled. */
const MIN_POOLED_BYTES = 64 * 1024;
/** The pool's limit; past it the buffers returned longest ago are left to the collector. */
const MAX_POOLED_BYTES = 64 * 2 ** 20;

/** Pooled buffers by byte length (the last one returned is taken first), and all of them oldest first. */
const bySize = new Map<number, ArrayBuffer[]>();
const oldestFirst = new Set<ArrayBuffer>();
let pooledBytes = 0;
let registry: Finalizers<ArrayBuffer> | null = null;
const stats = { fresh: 0, reused: 0, collections: 0 };
/** Bytes of fresh arrays since the last forced collection; past COLLECT_AFTER_BYTES a miss forces one. */
let freshSinceCollection = 0;
const COLLECT_AFTER_BYTES = 64 * 2 ** 20;

function remove(buffer: ArrayBuffer): void {
  const list = bySize.get(buffer.byteLength) ?? [];
  list.splice(list.lastIndexOf(buffer), 1);
  oldestFirst.delete(buffer);
  pooledBytes -= buffer.byteLength;
}

function giveBack(buffer: ArrayBuffer): void {
  if (buffer.byteLength > MAX_POOLED_BYTES) return;
  for (const oldest of oldestFirst) {
    if (pooledBytes + buffer.byteLength <= MAX_POOLED_BYTES) break;
    remove(oldest);
  }
  const list = bySize.get(buffer.byteLength) ?? [];
  list.push(buffer);
  bySize.set(buffer.byteLength, list);
  oldestFirst.add(buffer);
  pooledBytes += buffer.byteLength;
}

function take(bytes: number): ArrayBuffer | undefined {
  const list = bySize.get(bytes);
  const buffer = list?.[list.length - 1];
  if (buffer) remove(buffer);
  return buffer;
}

/** A buffer of `bytes` from the pool: after the callbacks V8 has queued, and then after a collection. */
function reclaim(bytes: number, pool: Finalizers<ArrayBuffer>): ArrayBuffer | undefined {
  if (!pool.cleanupSome) return take(bytes);
  pool.cleanupSome();
  let buffer = take(bytes);
  const collect = garbageCollector();
  if (!buffer && collect && freshSinceCollection > COLLECT_AFTER_BYTES) {
    collect();
    pool.cleanupSome();
    freshSinceCollection = 0;
    stats.collections++;
    buffer = take(bytes);
  }
  return buffer;
}

/** A Float32Array of `length` cells with unspecified contents: the caller must write every cell. */
export function outputArray(length: number): Float32Array {
  const bytes = length * 4;
  if (bytes < MIN_POOLED_BYTES) return new Float32Array(length);
  registry ??= finalizationRegistry(giveBack);
  const buffer = take(bytes) ?? reclaim(bytes, registry);
  const array = buffer ? new Float32Array(buffer) : new Float32Array(length);
  if (buffer) {
    stats.reused++;
  } else {
    stats.fresh++;
    freshSinceCollection += bytes;
  }
  registry.register(array, array.buffer as ArrayBuffer);
  return array;
}

/** Outputs made fresh and reused so far, and the bytes waiting in the pool (for benchmarks and tests). */
export function arrayPoolStats(): { fresh: number; reused: number; collections: number; pooledBytes: number } {
  return { ...stats, pooledBytes };
}
