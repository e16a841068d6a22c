/**
 * GL textures as the gpu backend's device buffers (headlessgl only; webasm has no textures).
 *
 * On headlessgl every kernel is created with `pipeline: true, immutable: true`: it renders into a new
 * texture and returns it instead of reading it back. gpu.js never deletes such a texture by itself,
 * so this file keeps the books:
 * - `Textures` uploads host arrays (a copy kernel), reads textures back (`toArray`), deletes them,
 *   and counts every texture made and deleted, and every transfer (`counters`);
 * - `TextureBuffer` is the `DeviceBuffer` TensorData keeps: one texture (none when empty), its
 *   length, and whether it was released.
 *
 * May import: gpu.js, ../backend.
 */
import { Texture } from 'gpu.js';
import type { DeviceBuffer, DeviceCounters } from '../backend';

/** The parts of a gpu.js GL texture used here that its typings leave out. */
interface GlTexture extends Texture {
  /** Width and height in texels; every texel is RGBA float32 (16 bytes). */
  readonly size: ArrayLike<number>;
  /** The kernel output it holds, [length] for tsgrad's 1-D kernels. */
  readonly output: readonly number[];
}

/** Bytes of one RGBA float32 texel. */
const TEXEL_BYTES = 16;

/** A texture handed to TensorData as a DeviceBuffer. An empty buffer has no texture. */
export class TextureBuffer implements DeviceBuffer {
  released = false;
  constructor(readonly owner: Textures, readonly texture: Texture | null, readonly length: number) {}
}

/** The textures of one gpu backend: made by its kernels, deleted here, counted. */
export class Textures {
  private counts = { live: 0, liveBytes: 0, created: 0, released: 0, uploads: 0, downloads: 0 };

  /** `copy` runs the upload kernel (a copy of a host array into a new texture). */
  constructor(private readonly copy: (values: Float32Array) => Texture) {}

  get counters(): DeviceCounters {
    return { ...this.counts };
  }

  /** Takes a texture a kernel just returned (`length` values) into the books; throws if it is not one. */
  adopt(op: string, output: unknown, length: number): Texture {
    if (!(output instanceof Texture) || (output as GlTexture).output[0] !== length) {
      const got = output instanceof Texture ? `a texture of ${(output as GlTexture).output[0]} values` : String(output);
      throw new Error(`${op}: the GL kernel returned ${got}, expected a texture of ${length} values`);
    }
    this.counts.created++;
    this.counts.live++;
    this.counts.liveBytes += bytesOf(output);
    return output;
  }

  upload(values: Float32Array): Texture {
    this.counts.uploads++;
    return this.copy(values);
  }

  download(texture: Texture, length: number): Float32Array {
    this.counts.downloads++;
    const values = texture.toArray();
    if (!(values instanceof Float32Array) || values.length !== length) {
      throw new Error(`reading a texture back gave ${values.length} values of type ${values.constructor.name}, expected a Float32Array of ${length}`);
    }
    return values;
  }

  delete(texture: Texture): void {
    texture.delete();
    this.counts.released++;
    this.counts.live--;
    this.counts.liveBytes -= bytesOf(texture);
  }

  // ---- as DeviceBuffers ----------------------------------------------------------------------

  wrap(texture: Texture | null, length: number): TextureBuffer {
    return new TextureBuffer(this, texture, length);
  }

  owns(buffer: DeviceBuffer): buffer is TextureBuffer {
    return buffer instanceof TextureBuffer && buffer.owner === this && !buffer.released;
  }

  /** The texture behind one of our live buffers (an empty array for an empty one); throws otherwise. */
  unwrap(buffer: DeviceBuffer): Texture | Float32Array {
    if (buffer instanceof TextureBuffer && buffer.released) {
      throw new Error('gpu: this buffer was released (its tensor was disposed, or garbage-collected)');
    }
    if (!this.owns(buffer)) throw new Error('gpu: this buffer belongs to another device; read it back to the host first');
    return buffer.texture ?? new Float32Array(0);
  }

  release(buffer: DeviceBuffer): void {
    if (!(buffer instanceof TextureBuffer) || buffer.owner !== this || buffer.released) return;
    buffer.released = true;
    if (buffer.texture) this.delete(buffer.texture);
  }

  read(buffer: DeviceBuffer): Float32Array {
    const texture = this.unwrap(buffer);
    return texture instanceof Float32Array ? texture : this.download(texture, buffer.length);
  }
}

function bytesOf(texture: Texture): number {
  const size = (texture as GlTexture).size;
  return size[0] * size[1] * TEXEL_BYTES;
}
