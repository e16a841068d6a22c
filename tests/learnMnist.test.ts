/**
 * applications/learnMnist as an integration test: a seeded run on a slice of the npm digits must
 * pass an accuracy floor; a run saved after one epoch and resumed must equal an uninterrupted one;
 * the report folder holds its files; the command line parses.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseArgs, trainAndEvaluate, type MnistOptions } from '../applications/learnMnist';

let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'tsgrad-mnist-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function quiet(extra: MnistOptions): { options: MnistOptions; lines: string[] } {
  const lines: string[] = [];
  return { options: { progress: null, log: (l) => lines.push(l), ...extra }, lines };
}

it('trains the small ConvNet on 1,500 npm digits to over 85% on 500 held-out digits', async () => {
  // Seed 1 reaches 92.6% on both the fast and the reference CPU backend (seeds 2 and 3: 93.2%, 88.6%); the floor leaves room.
  const { options, lines } = quiet({ model: 'small', epochs: 2, batchSize: 32, lr: 0.01, augment: false, trainLimit: 1500, testLimit: 500, seed: 1 });
  const result = await trainAndEvaluate(options);
  expect(result.total).toBe(500);
  expect(result.accuracy).toBeGreaterThan(0.85);
  expect(lines[lines.length - 1]).toBe(`test accuracy: ${result.accuracy.toFixed(4)} (${result.correct}/500)`);
  expect(lines.some((l) => l.includes('held out from the training data'))).toBe(true);
  expect(result.confusion.flat().reduce((a, b) => a + b, 0)).toBe(500);
}, 120_000);

it('a run stopped after epoch 1 and resumed from its checkpoint ends exactly like an uninterrupted run', async () => {
  const base: MnistOptions = { model: 'small', epochs: 2, batchSize: 32, trainLimit: 128, testLimit: 100, seed: 4 };
  const straight = await trainAndEvaluate(quiet(base).options);
  const file = join(dir, 'run.safetensors');
  await trainAndEvaluate(quiet({ ...base, save: file, stopAfter: 1 }).options);
  const report = join(dir, 'report');
  const resumed = quiet({ ...base, resume: file, report });
  const result = await trainAndEvaluate(resumed.options);
  expect(resumed.lines).toContain(`resumed from ${file} after epoch 1`);
  expect(result.correct).toBe(straight.correct);
  const expected = straight.model.stateDict();
  for (const [name, t] of Object.entries(result.model.stateDict())) expect(t.toArray()).toEqual(expected[name].toArray());

  for (const name of ['settings.json', 'results.json', 'loss.svg', 'accuracy.svg', 'confusion.svg', 'confusion.txt', 'misclassified.png', 'misclassified.txt']) {
    expect(existsSync(join(report, name))).toBe(true);
  }
  expect(JSON.parse(readFileSync(join(report, 'settings.json'), 'utf8'))).toMatchObject({ model: 'small', seed: 4, epochs: 2 });
  expect(readFileSync(join(report, 'misclassified.png')).subarray(1, 4).toString()).toBe('PNG');
}, 120_000);

describe('command line', () => {
  it('parses every flag, in both --flag value and --flag=value forms', () => {
    expect(parseArgs(['--epochs', '3', '--batch-size=64', '--lr', '0.01', '--model', 'small', '--device', 'cpu', '--seed', '7',
      '--data', 'd', '--test-data', 't', '--csv', 'c.csv', '--no-augment', '--save', 's', '--resume', 'r', '--report', 'out',
      '--stop-after', '1', '--holdout', '500', '--train-limit', '100', '--test-limit', '50'])).toEqual({
      epochs: 3, batchSize: 64, lr: 0.01, model: 'small', device: 'cpu', seed: 7, data: 'd', testData: 't', csv: 'c.csv',
      augment: false, save: 's', resume: 'r', report: 'out', stopAfter: 1, holdout: 500, trainLimit: 100, testLimit: 50,
    });
    expect(parseArgs(['--augment'])).toEqual({ augment: true });
  });

  it('rejects unknown flags, missing values and bad numbers', () => {
    expect(() => parseArgs(['--epoch', '3'])).toThrow(/^learnMnist: unknown option "--epoch"\nusage:/);
    expect(() => parseArgs(['--epochs'])).toThrow(/^learnMnist: --epochs needs a value/);
    expect(() => parseArgs(['--lr', 'fast'])).toThrow('learnMnist: --lr expects a number, got "fast"');
  });

  it('rejects bad settings before loading anything', async () => {
    await expect(trainAndEvaluate(quiet({ model: 'huge' as 'small' }).options)).rejects.toThrow('learnMnist: unknown model "huge"; choose one of small, compact, medium, large');
    await expect(trainAndEvaluate(quiet({ epochs: 0 }).options)).rejects.toThrow('learnMnist: epochs must be a positive integer, got 0');
    await expect(trainAndEvaluate(quiet({ device: 'tpu' }).options)).rejects.toThrow('learnMnist: --device tpu: expected cpu, gpu, gpu:webasm or gpu:headlessgl');
  });
});
