/**
 * `DataLoader`: cuts a dataset into batches, in a new random order each epoch when `shuffle` is on.
 * The order of epoch e depends only on (seed, e), so a resumed run sees the same batches.
 *
 *   for (const { images, labels } of loader) { ... }   // one epoch; the next loop is the next epoch
 *
 * May import: ./dataset, ./augment, ./random.
 */
import type { Augmentation } from './augment';
import type { Batch, ImageDataset } from './dataset';
import { SeededRandom } from './random';

/** Settings of a DataLoader; only batchSize is required. */
export interface DataLoaderOptions {
  /** Items per batch. */
  batchSize: number;
  /** A new random order each epoch (default false: dataset order). */
  shuffle?: boolean;
  /** Seeds the order and the augmentation (default 0). */
  seed?: number;
  /** Skip the last batch when it is smaller than batchSize. */
  dropLast?: boolean;
  /** Randomly shift/rotate each image of each batch. */
  augment?: Augmentation | null;
}

/** Batches of an ImageDataset: `for (const { images, labels } of loader)` runs one epoch. */
export class DataLoader implements Iterable<Batch> {
  /** See DataLoaderOptions. */
  readonly batchSize: number;
  /** See DataLoaderOptions. */
  readonly shuffle: boolean;
  /** See DataLoaderOptions. */
  readonly seed: number;
  /** See DataLoaderOptions. */
  readonly dropLast: boolean;
  /** See DataLoaderOptions. */
  readonly augment: Augmentation | null;
  /** The epoch the next `for ... of` loop runs; `setEpoch` moves it (e.g. when resuming). */
  epoch = 0;

  /** @param dataset the items to batch */
  constructor(readonly dataset: ImageDataset, options: DataLoaderOptions) {
    this.batchSize = options.batchSize;
    this.shuffle = options.shuffle ?? false;
    this.seed = options.seed ?? 0;
    this.dropLast = options.dropLast ?? false;
    this.augment = options.augment ?? null;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${this.batchSize}`);
    if (this.length === 0) throw new RangeError(`DataLoader: ${dataset.length} items make no batch of ${this.batchSize} with dropLast`);
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length / this.batchSize;
    return this.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /** Makes the next loop run epoch `epoch` (its order depends only on seed and epoch). */
  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  /** The batches of one epoch (the current one, then the counter moves on). */
  [Symbol.iterator](): Iterator<Batch> {
    const epoch = this.epoch++;
    return this.batchesOf(epoch);
  }

  /** The batches of `epoch`, without moving the epoch counter. */
  *batchesOf(epoch: number): Generator<Batch> {
    const rng = new SeededRandom(mix(this.seed, epoch));
    const n = this.dataset.length;
    const order = this.shuffle ? rng.permutation(n) : Array.from({ length: n }, (_, i) => i);
    for (let b = 0; b < this.length; b++) {
      yield this.dataset.batch(order.slice(b * this.batchSize, (b + 1) * this.batchSize), this.augment, rng);
    }
  }
}

/** One 32-bit seed from (seed, epoch), so that nearby pairs give unrelated sequences. */
function mix(seed: number, epoch: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0;
}
