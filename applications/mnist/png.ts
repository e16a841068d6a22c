/**
 * A minimal PNG encoder for 8-bit grey-scale images, on Node's zlib.
 *
 * A PNG file is an 8-byte signature and a list of chunks, each: length (4 bytes, big-endian), type
 * (4 ASCII letters), data, and a CRC-32 of type + data. Three chunks suffice:
 *   IHDR  width, height, bit depth 8, colour type 0 (grey), compression 0, filter 0, interlace 0
 *   IDAT  the zlib-compressed scanlines, each prefixed by its filter type (0: none)
 *   IEND  empty
 *
 * May import: node's zlib.
 */
import { deflateSync } from 'zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG bytes of a grey image given as rows of values in [0, 1] (0 black, 1 white). */
export function encodeGreyPng(rows: readonly (readonly number[])[]): Buffer {
  const height = rows.length;
  const width = height ? rows[0].length : 0;
  if (width === 0 || rows.some((r) => r.length !== width)) throw new RangeError(`encodeGreyPng: expected a non-empty rectangle of rows, got ${height} rows of lengths ${[...new Set(rows.map((r) => r.length))].join('/')}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8);
  const scanlines = Buffer.alloc(height * (width + 1));
  rows.forEach((row, y) => {
    const start = y * (width + 1); // scanlines[start] = 0: filter type none
    row.forEach((v, x) => { scanlines[start + 1 + x] = Math.round(Math.min(1, Math.max(0, v)) * 255); });
  });
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(scanlines)), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

let table: Uint32Array | null = null;

/** CRC-32 (polynomial 0xEDB88320, as in PNG and zlib), one table lookup per byte. */
export function crc32(bytes: Uint8Array): number {
  if (table === null) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of bytes) crc = table[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Tiles equally sized images into one grid, `columns` per row, with a `gap` of grey (0.5) between
 * them and around the edge.
 */
export function tileImages(images: readonly (readonly (readonly number[])[])[], columns: number, gap = 2): number[][] {
  if (images.length === 0) throw new RangeError('tileImages: no images');
  const h = images[0].length;
  const w = images[0][0].length;
  const gridRows = Math.ceil(images.length / columns);
  const height = gridRows * (h + gap) + gap;
  const width = columns * (w + gap) + gap;
  const out = Array.from({ length: height }, () => new Array<number>(width).fill(0.5));
  images.forEach((image, k) => {
    const top = gap + Math.floor(k / columns) * (h + gap);
    const left = gap + (k % columns) * (w + gap);
    image.forEach((row, y) => row.forEach((v, x) => { out[top + y][left + x] = v; }));
  });
  return out;
}
