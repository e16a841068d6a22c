/**
 * Data augmentation for digit images: a random shift of a few pixels and a small random rotation,
 * drawn per image from a seeded generator, so a run can be repeated exactly.
 *
 * Each output pixel looks up where it came from (the inverse transform) and reads that point of the
 * source image with bilinear interpolation; points outside the image read 0 (background).
 *
 * May import: ./random.
 */
import type { SeededRandom } from './random';

/** Settings of an Augmentation. */
export interface AugmentOptions {
  /** Largest shift in pixels, in each direction (an integer). */
  maxShift?: number;
  /** Largest rotation in degrees, either way. */
  maxRotation?: number;
}

/** A random shift and rotation per image, drawn from the loader's seeded generator. */
export class Augmentation {
  /** Largest shift in pixels (default 2). */
  readonly maxShift: number;
  /** Largest rotation in degrees (default 10). */
  readonly maxRotation: number;

  constructor(options: AugmentOptions = {}) {
    this.maxShift = options.maxShift ?? 2;
    this.maxRotation = options.maxRotation ?? 10;
    if (!Number.isInteger(this.maxShift) || this.maxShift < 0) throw new RangeError(`Augmentation: maxShift must be a whole number of pixels >= 0, got ${this.maxShift}`);
    if (!(this.maxRotation >= 0 && this.maxRotation <= 180)) throw new RangeError(`Augmentation: maxRotation must be in [0, 180] degrees, got ${this.maxRotation}`);
  }

  /** Writes a randomly shifted and rotated copy of `source` (rows·cols values) into `target`. */
  apply(source: Float32Array, target: Float32Array, rows: number, cols: number, rng: SeededRandom): void {
    const dx = rng.int(-this.maxShift, this.maxShift);
    const dy = rng.int(-this.maxShift, this.maxShift);
    const angle = (rng.uniform(-this.maxRotation, this.maxRotation) * Math.PI) / 180;
    transform(source, target, rows, cols, dx, dy, angle);
  }
}

/**
 * Moves the image by (dx, dy) pixels and rotates it by `angle` radians about its centre.
 * Output pixel p came from source point R(−angle)·(p − centre − shift) + centre.
 */
export function transform(source: Float32Array, target: Float32Array, rows: number, cols: number, dx: number, dy: number, angle: number): void {
  const cy = (rows - 1) / 2;
  const cx = (cols - 1) / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const u = x - cx - dx;
      const v = y - cy - dy;
      target[y * cols + x] = bilinear(source, rows, cols, cos * u + sin * v + cx, -sin * u + cos * v + cy);
    }
  }
}

/** The image's value at a point between pixels: a weighted mean of the four neighbours (0 outside). */
function bilinear(image: Float32Array, rows: number, cols: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (r: number, c: number): number => (r >= 0 && r < rows && c >= 0 && c < cols ? image[r * cols + c] : 0);
  const top = at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx;
  const bottom = at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx;
  return top * (1 - fy) + bottom * fy;
}
