/**
 * The report folder of a learnMnist run (--report DIR):
 *   settings.json        the options of the run and where the data came from
 *   results.json         test accuracy, wall time, per-epoch loss and accuracy
 *   loss.svg             training loss per batch, and its mean per epoch
 *   accuracy.svg         training accuracy per epoch, and the test accuracy
 *   confusion.svg, .txt  counts of (true class, predicted class) on the test set
 *   misclassified.png    up to 100 misclassified test digits, 10 per row
 *   misclassified.txt    for each of them: its place in the grid, the true and the predicted class
 *
 * May import: ./png, ./svg, node's fs and path.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { encodeGreyPng, tileImages } from './png';
import { confusionSvg, lineChart } from './svg';

export interface EpochRecord {
  epoch: number;
  /** Mean training loss and accuracy over the epoch's batches. */
  loss: number;
  accuracy: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface Mistake {
  /** The image as rows of values in [0, 1]. */
  image: number[][];
  label: number;
  predicted: number;
}

export interface ReportData {
  settings: Record<string, unknown>;
  results: Record<string, unknown>;
  epochs: EpochRecord[];
  /** [epoch + fraction, loss] for every training batch. */
  batchLosses: [number, number][];
  testAccuracy: number;
  confusion: number[][];
  mistakes: Mistake[];
}

/** Writes the report files into `dir` (created if needed) and returns their paths. */
export function writeReport(dir: string, data: ReportData): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string | Buffer][] = [
    ['settings.json', `${JSON.stringify(data.settings, null, 2)}\n`],
    ['results.json', `${JSON.stringify({ ...data.results, epochs: data.epochs }, null, 2)}\n`],
    ['loss.svg', lossChart(data)],
    ['accuracy.svg', accuracyChart(data)],
    ['confusion.svg', confusionSvg(data.confusion, data.confusion.map((_, i) => String(i)))],
    ['confusion.txt', confusionText(data.confusion)],
  ];
  if (data.mistakes.length > 0) {
    const shown = data.mistakes.slice(0, 100);
    const scaled = shown.map((m) => upscale(m.image, 2));
    files.push(['misclassified.png', encodeGreyPng(tileImages(scaled, 10))]);
    files.push(['misclassified.txt', mistakesText(shown)]);
  }
  return files.map(([name, content]) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  });
}

function lossChart(data: ReportData): string {
  const last = data.epochs.length ? data.epochs[data.epochs.length - 1].epoch : 1;
  return lineChart({
    title: 'training loss',
    xLabel: 'epoch',
    yLabel: 'cross-entropy',
    xRange: [Math.min(0, ...data.batchLosses.map((p) => Math.floor(p[0]))), last],
    series: [
      { name: 'per batch', color: '#9ecae1', points: data.batchLosses, width: 1 },
      // An epoch's mean is drawn at the middle of the epoch.
      { name: 'epoch mean', color: '#08519c', points: data.epochs.map((e) => [e.epoch - 0.5, e.loss]) },
    ],
  });
}

function accuracyChart(data: ReportData): string {
  const last = data.epochs.length ? data.epochs[data.epochs.length - 1].epoch : 1;
  const first = data.epochs.length ? data.epochs[0].epoch - 1 : 0;
  const lowest = Math.min(data.testAccuracy, ...data.epochs.map((e) => e.accuracy));
  return lineChart({
    title: 'accuracy',
    xLabel: 'epoch',
    yLabel: 'accuracy',
    xRange: [first, last],
    yRange: [Math.floor(lowest * 20) / 20, 1],
    legend: 'bottom',
    series: [
      { name: 'training (epoch mean)', color: '#08519c', points: data.epochs.map((e) => [e.epoch - 0.5, e.accuracy]) },
      { name: `test: ${(100 * data.testAccuracy).toFixed(2)}%`, color: '#d94801', points: [[last, data.testAccuracy]] },
    ],
  });
}

/** The matrix as aligned text, with per-class recall in the last column. */
export function confusionText(counts: number[][]): string {
  const width = Math.max(5, ...counts.flat().map((c) => String(c).length + 1));
  const pad = (s: string): string => s.padStart(width);
  const header = `true\\pred${counts.map((_, j) => pad(String(j))).join('')}${pad('recall').padStart(width + 3)}`;
  const lines = counts.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const recall = total ? ((100 * row[i]) / total).toFixed(1) + '%' : '-';
    return `${String(i).padStart(9)}${row.map((c) => pad(String(c))).join('')}${recall.padStart(width + 3)}`;
  });
  return `${[header, ...lines].join('\n')}\n`;
}

function mistakesText(mistakes: Mistake[]): string {
  const lines = mistakes.map((m, k) => `row ${Math.floor(k / 10)}, column ${k % 10}: true ${m.label}, predicted ${m.predicted}`);
  return `misclassified.png, read left to right, top to bottom:\n${lines.join('\n')}\n`;
}

function upscale(image: number[][], factor: number): number[][] {
  return image.flatMap((row) => {
    const wide = row.flatMap((v) => new Array<number>(factor).fill(v));
    return Array.from({ length: factor }, () => wide);
  });
}
