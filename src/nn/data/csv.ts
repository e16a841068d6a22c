/**
 * Reader for the CSV format of Kaggle's digit-recognizer `train.csv`: a header line
 * `label,pixel0,...,pixel783`, then one image per line: the label, then 784 pixels 0..255 row by row.
 *
 * Every line is checked before anything is returned; a bad line throws a DataFormatError naming the
 * file, the line (and column) and what was expected there.
 *
 * May import: ./dataset, ./errors, ./files.
 */
import { ImageDataset } from './dataset';
import { DataFormatError } from './errors';
import { readDataText } from './files';

/** Reads a Kaggle digit-recognizer CSV with labels; images are square (784 pixels: 28x28). */
export function loadKaggleCsv(file: string, classes = 10): ImageDataset {
  const text = readDataText(file);
  const lines = text.split(/\r?\n/);
  const pixelCount = checkHeader(file, lines[0]);
  const side = Math.sqrt(pixelCount);
  const rows = lines.slice(1).map((line, i) => ({ line, number: i + 2 })).filter((r) => r.line.trim() !== '');
  if (rows.length === 0) throw new DataFormatError(file, 'line 2', 'no data lines after the header; expected at least one image');
  const pixels = new Float32Array(rows.length * pixelCount);
  const labels = new Uint8Array(rows.length);
  rows.forEach(({ line, number }, k) => {
    const fields = line.split(',');
    if (fields.length !== pixelCount + 1) {
      throw new DataFormatError(file, `line ${number}`, `${fields.length} values; expected ${pixelCount + 1} (a label and ${pixelCount} pixels)`);
    }
    labels[k] = parseInteger(file, number, 1, 'label', fields[0], classes - 1);
    for (let p = 0; p < pixelCount; p++) {
      pixels[k * pixelCount + p] = parseInteger(file, number, p + 2, `pixel${p}`, fields[p + 1], 255) / 255;
    }
  });
  return new ImageDataset(file, pixels, labels, side, side, classes);
}

/** Checks `label,pixel0,...,pixelN-1` and returns N, which must be a square number. */
function checkHeader(file: string, header: string | undefined): number {
  const names = (header ?? '').trim().split(',');
  const pixelCount = names.length - 1;
  const expected = (n: number): string => `label,pixel0,...,pixel${n - 1}`;
  const ok = names[0] === 'label' && names.slice(1).every((name, i) => name === `pixel${i}`);
  if (!ok || pixelCount < 1) {
    throw new DataFormatError(file, 'line 1', `header ${JSON.stringify(names.slice(0, 3).join(',') + (names.length > 3 ? ',...' : ''))}; expected ${expected(784)} (Kaggle's train.csv, with a label column)`);
  }
  if (!Number.isInteger(Math.sqrt(pixelCount))) {
    throw new DataFormatError(file, 'line 1', `${pixelCount} pixel columns; expected a square number such as 784 (28x28)`);
  }
  return pixelCount;
}

function parseInteger(file: string, line: number, column: number, name: string, text: string, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new DataFormatError(file, `line ${line}, column ${column} (${name})`, `${JSON.stringify(text)}; expected an integer in 0..${max}`);
  }
  return value;
}
