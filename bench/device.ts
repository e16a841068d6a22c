/**
 * A training step of a small ConvNet on each device, and the memory it keeps over many steps: does the
 * data stay on the device, and are its textures freed?
 *
 *   npx tsc -p tsconfig.json && xvfb-run -a node build/bench/device.js [--steps N] [--devices cpu,webasm,headlessgl]
 *
 * The model: conv 1→8 3×3, relu, maxpool 2, conv 8→16 3×3, relu, maxpool 2, linear 400→10, on batches
 * of 32 random 28×28 images (8 batches, cycled), cross-entropy loss, plain SGD (`noGrad` + `sub_`).
 * The loss is read back (`item`) only where RSS is printed, as a training loop printing progress would.
 *
 * Each device runs in a child process of its own (`--child`), so the RSS is that device's alone.
 * Printed per device: the median and mean step time (after 5 warm-up steps), the RSS at steps 0
 * (before the first), 100, 500 and the last, with the device's live textures and transfers there.
 * Without an X display (plain `node`) headlessgl is skipped with a note; run it under `xvfb-run -a`.
 *
 * May import: src, node:child_process.
 */
import { spawnSync } from 'node:child_process';
import { manualSeed, nn, noGrad, setDevice, Tensor, TensorData } from '../src';
import type { DeviceCounters } from '../src/data/backend';
import { currentBackend } from '../src/data/device';
import { isGpuModeAvailable } from '../src/data/gpu/backend';
import { reclaimStats } from '../src/data/storage';

const BATCH = 32;
const BATCHES = 8;
const LEARNING_RATE = 0.05;
const WARMUP = 5;
const devices = ['cpu', 'webasm', 'headlessgl'] as const;
type Device = (typeof devices)[number];

interface Options {
  steps: number;
  devices: Device[];
  child: Device | null;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { steps: 1000, devices: [...devices], child: null };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === '--steps') options.steps = Number(value);
    else if (argv[i] === '--devices') options.devices = value.split(',') as Device[];
    else if (argv[i] === '--child') options.child = value as Device;
    else throw new Error(`bench/device: unknown argument ${argv[i]}; use --steps N, --devices cpu,webasm,headlessgl`);
    i++;
  }
  if (!Number.isInteger(options.steps) || options.steps < 1) throw new Error('bench/device: --steps needs a positive integer');
  const unknown = options.devices.filter((d) => !devices.includes(d));
  if (unknown.length > 0) throw new Error(`bench/device: unknown device ${unknown.join(', ')}; the devices are ${devices.join(', ')}`);
  return options;
}

function model(): nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(1, 8, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(400, 10),
  );
}

/** Host batches, as a data loader would hand them out: new tensors from host arrays every step. */
function batches(): { images: Float32Array; labels: Float32Array }[] {
  return Array.from({ length: BATCHES }, () => ({
    images: Float32Array.from(TensorData.rand([BATCH, 1, 28, 28]).toFlat()),
    labels: Float32Array.from(TensorData.rand([BATCH]).toFlat(), (u) => Math.floor(10 * u)),
  }));
}

/** One SGD step; returns the loss tensor (not read back). */
function step(net: nn.Module, images: Float32Array, labels: Float32Array): Tensor {
  const x = new Tensor(TensorData.fromArray(images, [BATCH, 1, 28, 28]));
  const y = new Tensor(TensorData.fromArray(labels, [BATCH]));
  net.zeroGrad();
  const loss = net.forward(x).crossEntropy(y);
  loss.backward();
  noGrad(() => {
    for (const p of net.parameters()) if (p.grad) p.sub_(p.grad.mul(LEARNING_RATE));
  });
  return loss;
}

function counters(): DeviceCounters | undefined {
  return currentBackend().device?.counters;
}

function memoryLine(stepsDone: number, loss: Tensor | null): string {
  const lossText = loss ? `, loss ${loss.item().toFixed(4)}` : '';
  const rss = (process.memoryUsage().rss / 2 ** 20).toFixed(0);
  const heap = (process.memoryUsage().heapUsed / 2 ** 20).toFixed(0);
  const c = counters();
  const { releasedByGc, reclaims, reclaimMs } = reclaimStats();
  const device = c
    ? `; textures: ${c.live} live (${(c.liveBytes / 2 ** 20).toFixed(1)} MB), ${c.created} made, ${releasedByGc} freed by GC ` +
      `(${reclaims} reclaims, ${reclaimMs.toFixed(0)} ms); ${c.uploads} uploads, ${c.downloads} downloads`
    : '; no device buffers';
  return `  step ${String(stepsDone).padStart(5)}: RSS ${rss.padStart(4)} MB, heap ${heap.padStart(3)} MB${lossText}${device}`;
}

function runChild(device: Device, steps: number): void {
  setDevice(device === 'cpu' ? 'cpu' : 'gpu', device === 'cpu' ? {} : { mode: device });
  manualSeed(0);
  const net = model();
  const data = batches();
  const marks = new Set([100, 500, steps]);
  const times: number[] = [];
  console.log(memoryLine(0, null));
  for (let i = 1; i <= steps; i++) {
    const { images, labels } = data[i % BATCHES];
    const start = performance.now();
    const loss = step(net, images, labels);
    times.push(performance.now() - start);
    if (marks.has(i)) console.log(memoryLine(i, loss));
  }
  const timed = times.slice(Math.min(WARMUP, times.length - 1)).sort((a, b) => a - b);
  const median = timed[Math.floor(timed.length / 2)];
  const mean = timed.reduce((a, b) => a + b, 0) / timed.length;
  console.log(`  step time: median ${median.toFixed(1)} ms, mean ${mean.toFixed(1)} ms over ${timed.length} steps (first: ${times[0].toFixed(0)} ms)`);
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  if (options.child) {
    runChild(options.child, options.steps);
    return;
  }
  console.log(`ConvNet training step, batch ${BATCH}, ${options.steps} steps per device (node ${process.version})`);
  for (const device of options.devices) {
    if (device === 'headlessgl' && !isGpuModeAvailable('headlessgl')) {
      console.log(`\n${device}: skipped (no GL context here; run under xvfb-run -a)`);
      continue;
    }
    console.log(`\n${device}:`);
    const child = spawnSync(process.execPath, [__filename, '--child', device, '--steps', String(options.steps)], { stdio: 'inherit' });
    if (child.status !== 0) throw new Error(`bench/device: the ${device} run failed (exit ${child.status})`);
  }
}

main();
