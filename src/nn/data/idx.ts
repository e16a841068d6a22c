/**
 * Reader for the IDX files of MNIST and Fashion-MNIST, plain or gzipped (detected by the gzip magic
 * bytes 1f 8b, not by the file name).
 *
 * An IDX file is big-endian: a magic number 0x0000TTNN (TT the value type, 0x08 = unsigned byte;
 * NN the number of dims), NN 32-bit dim sizes, then the values. Images have magic 2051 (0x803:
 * [count, rows, cols]) and labels 2049 (0x801: [count]).
 *
 * The whole file is checked before anything is returned: a wrong magic number, a short or over-long
 * file, a label out of range or an image/label count mismatch throw a DataFormatError naming the
 * file, the byte offset (in the decompressed data for .gz files) and what was expected.
 *
 * A .gz file is inflated in two steps, so that a gzip bomb (a small file that inflates to gigabytes)
 * costs nothing: first only its head, for the header's dims; then the rest, stopping with an error
 * as soon as the output passes the size the header declares.
 *
 * May import: ./dataset, ./errors, ./files, node's fs, path and zlib.
 */
import { existsSync } from 'fs';
import { join } from 'path';
import { constants as zlibConstants, gunzipSync } from 'zlib';
import { ImageDataset } from './dataset';
import { DataFormatError } from './errors';
import { MAX_FILE_BYTES, readDataFile } from './files';

/** Magic number of an IDX images file: unsigned bytes, 3 dims (0x00000803). */
export const IMAGES_MAGIC = 2051;
/** Magic number of an IDX labels file: unsigned bytes, 1 dim (0x00000801). */
export const LABELS_MAGIC = 2049;

/** The dims and values of one IDX file of unsigned bytes. */
export interface IdxArray {
  /** The dim sizes from the header, e.g. [60000, 28, 28]. */
  dims: number[];
  /** All values, row-major. */
  values: Uint8Array;
}

/** The largest IDX header: the magic number and up to 255 dim sizes. */
const MAX_HEADER_BYTES = 4 + 4 * 255;

/**
 * The file's bytes, gunzipped when they start with the gzip magic bytes. Inflating stops with a
 * DataFormatError once the output passes `maxBytes`.
 */
export function readMaybeGzipped(file: string, maxBytes = MAX_FILE_BYTES): Buffer {
  const bytes = readDataFile(file);
  return isGzip(bytes) ? inflate(file, bytes, maxBytes, `the limit of ${maxBytes} bytes`) : bytes;
}

function isGzip(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** All of a gzip stream, refusing to inflate more than `maxBytes` (`limit` says where that number comes from). */
function inflate(file: string, gzipped: Buffer, maxBytes: number, limit: string): Buffer {
  const out = inflatePrefix(file, gzipped, gzipped.length, maxBytes, true);
  if (out === null) throw new DataFormatError(file, `gzip data (${gzipped.length} bytes)`, `inflates to more than ${limit}; refused (a corrupt file or a gzip bomb)`);
  return out;
}

/**
 * What the first `length` compressed bytes inflate to, or null when that passes `maxBytes` (zlib
 * stops as soon as it does). A prefix is inflated as far as it goes unless `complete` is asked for.
 */
function inflatePrefix(file: string, gzipped: Buffer, length: number, maxBytes: number, complete = false): Buffer | null {
  try {
    const finishFlush = complete ? zlibConstants.Z_FINISH : zlibConstants.Z_SYNC_FLUSH;
    return gunzipSync(gzipped.subarray(0, length), { finishFlush, maxOutputLength: Math.max(1, maxBytes) });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return null;
    throw new DataFormatError(file, `gzip data (${gzipped.length} bytes)`, `cannot decompress: ${(e as Error).message}; expected a complete .gz file (is it truncated?)`);
  }
}

/** Most a head read may inflate: far more than a header, far less than a bomb. */
const HEAD_CAP = 1 << 20;

/**
 * At least the first `wanted` inflated bytes of a gzip stream (fewer if it is shorter), never
 * inflating more than HEAD_CAP: prefixes of the compressed bytes double in length until one gives
 * `wanted` bytes; if one passes the cap instead, a binary search between the last two lengths finds
 * a prefix in between (one compressed byte inflates to about 1 KB at most, far less than the cap).
 */
function inflateHead(file: string, gzipped: Buffer, wanted: number): Buffer {
  let short = 0; // a prefix length known to give fewer than `wanted` bytes
  let long = 0; // one known to pass HEAD_CAP (0: none yet)
  for (let k = 64; long === 0; k *= 2) {
    const head = inflatePrefix(file, gzipped, Math.min(k, gzipped.length), HEAD_CAP);
    if (head === null) long = k;
    else if (head.length >= wanted || k >= gzipped.length) return head;
    else short = k;
  }
  while (long - short > 1) {
    const middle = Math.floor((short + long) / 2);
    const head = inflatePrefix(file, gzipped, middle, HEAD_CAP);
    if (head === null) long = middle;
    else if (head.length >= wanted) return head;
    else short = middle;
  }
  throw new DataFormatError(file, `gzip data (${gzipped.length} bytes)`, `no prefix inflates to between ${wanted} and ${HEAD_CAP} bytes; expected a .gz file`);
}

/** Parses one IDX file whose magic number must be `expectedMagic` (2051 images, 2049 labels). */
export function readIdx(file: string, expectedMagic: number): IdxArray {
  const raw = readDataFile(file);
  const head = isGzip(raw) ? inflateHead(file, raw, MAX_HEADER_BYTES) : raw;
  const { dims, headerBytes } = readHeader(file, head, expectedMagic);
  const count = dims.reduce((a, b) => a * b, 1);
  const expectedLength = headerBytes + count;
  if (expectedLength > MAX_FILE_BYTES) {
    throw new DataFormatError(file, 'byte 4', `the header declares ${dims.join(' x ')} = ${count} values; a reader takes at most ${MAX_FILE_BYTES} bytes`);
  }
  const bytes = isGzip(raw) ? inflate(file, raw, expectedLength, `the ${expectedLength} bytes its IDX header declares`) : raw;
  if (bytes.length < expectedLength) {
    throw new DataFormatError(file, `byte ${bytes.length}`, `the file is truncated: the header promises ${dims.join(' x ')} = ${count} values (${expectedLength} bytes in all), but it ends after ${bytes.length - headerBytes}`);
  }
  if (bytes.length > expectedLength) {
    throw new DataFormatError(file, `byte ${expectedLength}`, `${bytes.length - expectedLength} unexpected bytes after the ${dims.join(' x ')} values; expected the file to end here`);
  }
  return { dims, values: new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, count) };
}

/** The magic number (checked) and the dims of an IDX header. */
function readHeader(file: string, bytes: Buffer, expectedMagic: number): { dims: number[]; headerBytes: number } {
  const what = expectedMagic === IMAGES_MAGIC ? 'images' : 'labels';
  if (bytes.length < 4) throw new DataFormatError(file, `byte ${bytes.length}`, `the file ends inside the 4-byte magic number; expected an IDX ${what} file`);
  const magic = bytes.readUInt32BE(0);
  if (magic !== expectedMagic) {
    throw new DataFormatError(file, 'byte 0', `magic number ${magic} (0x${magic.toString(16).padStart(8, '0')}); expected ${expectedMagic} (0x${expectedMagic.toString(16).padStart(8, '0')}) for an IDX ${what} file of unsigned bytes`);
  }
  const rank = magic & 0xff;
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw new DataFormatError(file, `byte ${bytes.length}`, `the file ends inside the header; expected ${rank} dim sizes (${headerBytes} header bytes)`);
  return { dims: Array.from({ length: rank }, (_, i) => bytes.readUInt32BE(4 + 4 * i)), headerBytes };
}

/** Reads an images file and a labels file into one dataset; pixels are scaled from 0..255 to [0, 1]. */
export function loadIdx(imagesFile: string, labelsFile: string, classes = 10): ImageDataset {
  const images = readIdx(imagesFile, IMAGES_MAGIC);
  const labels = readIdx(labelsFile, LABELS_MAGIC);
  if (images.dims.length !== 3) throw new DataFormatError(imagesFile, 'byte 3', `${images.dims.length} dims; expected 3 ([count, rows, cols])`);
  if (labels.dims.length !== 1) throw new DataFormatError(labelsFile, 'byte 3', `${labels.dims.length} dims; expected 1 ([count])`);
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new DataFormatError(labelsFile, 'byte 4', `the header counts ${labels.dims[0]} labels, but ${imagesFile} holds ${count} images; expected one label per image`);
  }
  const bad = labels.values.findIndex((t) => t >= classes);
  if (bad >= 0) throw new DataFormatError(labelsFile, `byte ${8 + bad}`, `label ${labels.values[bad]} of item ${bad}; expected a class index in 0..${classes - 1}`);
  const pixels = new Float32Array(images.values.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.values[i] / 255;
  return new ImageDataset(imagesFile, pixels, Uint8Array.from(labels.values), rows, cols, classes);
}

/** The standard file names of one split, e.g. train-images-idx3-ubyte(.gz) and the variant with a dot. */
function candidates(prefix: string, kind: 'images' | 'labels'): string[] {
  const rank = kind === 'images' ? 3 : 1;
  const names = [`${prefix}-${kind}-idx${rank}-ubyte`, `${prefix}-${kind}.idx${rank}-ubyte`];
  return names.flatMap((n) => [`${n}.gz`, n]);
}

/**
 * The images and labels files of a split in an MNIST-layout folder, as in the MNIST download and
 * /usr/share/datasets/fashion-mnist: 'train' finds train-images-idx3-ubyte[.gz] and
 * train-labels-idx1-ubyte[.gz]; 'test' the same with the prefix t10k.
 */
export function findIdxFiles(dir: string, split: 'train' | 'test'): {
  /** The path of the images file. */
  images: string;
  /** The path of the labels file. */
  labels: string;
} {
  const prefix = split === 'train' ? 'train' : 't10k';
  const find = (kind: 'images' | 'labels'): string => {
    const tried = candidates(prefix, kind);
    const found = tried.map((name) => join(dir, name)).find((path) => existsSync(path));
    if (!found) throw new DataFormatError(dir, 'folder', `no ${split} ${kind} file; expected one of ${tried.join(', ')}`);
    return found;
  };
  return { images: find('images'), labels: find('labels') };
}

/** The 'train' or 'test' split of an MNIST-layout folder. */
export function loadIdxFolder(dir: string, split: 'train' | 'test'): ImageDataset {
  const { images, labels } = findIdxFiles(dir, split);
  return loadIdx(images, labels);
}
