/**
 * `KernelRunner`: runs the kernels of one gpu backend and keeps the temporary data they need.
 *
 * What the kernels read and return is host arrays on webasm and textures on headlessgl. On
 * headlessgl compute kernels only ever get textures: host inputs are first cut to their window and
 * uploaded by the copy kernel (given an array where it had a texture before, gpu.js compiles a
 * second kernel and switches to it, and the switched kernel returned results of an earlier call's
 * length: 7 values for a 1000-cell add). Temporary textures are deleted when the op that made them
 * returns or throws (`scoped`).
 *
 * May import: gpu.js, ../backend, ../shape, ./kernelTable, ./layout, ./textures.
 */
import { GPU, Texture, type KernelVariable } from 'gpu.js';
import { formatShape, shapesEqual, type Shape } from '../shape';
import { checkArray, createKernels, isGlMode, runKernel, type GpuMode, type Kernel, type KernelTable } from './kernelTable';
import { windowOf, type ViewOf } from './layout';
import { Textures } from './textures';

/** What the kernels read and return: host arrays on webasm, textures on headlessgl. */
export type KernelData = Float32Array | Texture;
/** A view over kernel data. */
export type KernelView = ViewOf<KernelData>;

/** The kernels of one mode, the textures they make (headlessgl only), and how to run them. */
export class KernelRunner {
  readonly kernels: KernelTable;
  /** Null on webasm, which has no textures. */
  readonly textures: Textures | null;

  constructor(readonly mode: GpuMode) {
    const gl = isGlMode(mode);
    this.kernels = createKernels(new GPU({ mode }), gl);
    this.textures = gl ? new Textures((values) => this.run(this.kernels.upload, 'upload', values.length, [values]) as Texture) : null;
  }

  /** Runs `kernel` over `cells` output cells: a checked array on webasm, a counted texture on GL. */
  run(kernel: Kernel, op: string, cells: number, args: KernelVariable[]): KernelData {
    const out = runKernel(this.mode, kernel, op, cells, args);
    return this.textures ? this.textures.adopt(op, out, cells) : checkArray(this.mode, op, out, cells);
  }

  /** Deletes a texture (arrays are left to the garbage collector). */
  free(data: KernelData): void {
    if (data instanceof Texture) this.glTextures().delete(data);
  }

  /** Runs `use` with a list for temporary textures, all deleted when it returns or throws. */
  scoped<T>(use: (temps: KernelData[]) => T): T {
    const temps: KernelData[] = [];
    try {
      return use(temps);
    } finally {
      temps.forEach((data) => this.free(data));
    }
  }

  /** A host array as a kernel argument: itself on webasm, an uploaded temporary texture on GL. */
  argument(array: Float32Array, temps: KernelData[]): KernelData {
    if (!this.textures) return array;
    const texture = this.textures.upload(array);
    temps.push(texture);
    return texture;
  }

  /** A view as kernels read it: a host array is cut to the window it touches (and uploaded on GL). */
  ready(op: string, view: KernelView, temps: KernelData[]): KernelView {
    if (!(view.array instanceof Float32Array)) return view;
    const window = windowOf(op, { ...view, array: view.array });
    return { ...window, array: this.argument(window.array, temps) };
  }

  /** A kernel result handed to the host: a texture is read back and deleted. */
  result(data: KernelData): Float32Array {
    if (data instanceof Float32Array) return data;
    try {
      return this.glTextures().download(data, lengthOf(data));
    } finally {
      this.free(data);
    }
  }

  private glTextures(): Textures {
    if (!this.textures) throw new Error(`gpu: a texture reached the '${this.mode}' backend, which has none`);
    return this.textures;
  }
}

/** Values an array or texture holds (tsgrad's kernels are 1-D: a texture's output is [length]). */
export function lengthOf(data: KernelData): number {
  return data instanceof Float32Array ? data.length : (data as Texture & { output: number[] }).output[0];
}

/** Throws, naming the op and the shapes, unless all views have one shape. */
export function checkSameShapes(op: string, views: readonly { shape: Shape }[]): void {
  if (!views.every((view) => shapesEqual(view.shape, views[0].shape))) {
    throw new RangeError(`${op}: inputs must have one shape, got ${views.map((view) => formatShape(view.shape)).join(' and ')}`);
  }
}
