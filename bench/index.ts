/**
 * `npm run bench [-- --quick]`: one training step (forward, backward, Adam step) of the same models on
 * identical shapes in tsgrad (fast backend, and the plain reference backend) and TensorFlow.js 4.22
 * (wasm and cpu backends), in one process; then model A at three batch sizes, and matrix-product
 * GFLOP/s. Prints markdown tables of median ms per step and the tsgrad/tfjs ratios (below 1: tsgrad
 * is faster). Systems take turns in rounds, so a busy machine slows them alike. About 3 minutes on a
 * quiet machine (tfjs-cpu on model A alone takes 7-16 s a step; it, and the reference backend on
 * model C, run one step); --quick, under a minute, takes fewer steps and leaves those out.
 * When Debian's /usr/bin/python3 has torch, PyTorch runs models A and B on the same shapes
 * (bench/torch_models.py, 2 threads, in a child process after tsgrad's rounds of each model) and the
 * table adds the tsgrad / PyTorch ratio; otherwise the column says why it is missing.
 *
 * May import: src, src/data/fast, ./*.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { referenceBackend, useBackend, type Backend, type StridedView } from '../src/data';
import { fastBackend, setFastThreads } from '../src/data/fast';
import { syntheticBatch, type Batch } from './data';
import { useTfjs, tfjsMatmul, tfjsModelA, tfjsModelB, tfjsModelC, type TfjsBackend } from './tfjsModels';
import { compare, type Contender } from './timing';
import { modelCName, tsgradModelA, tsgradModelB, tsgradModelC, type TrainStep } from './tsgradModels';

const quick = process.argv.includes('--quick');
const rounds = quick ? 2 : 5;

type Maker = (batch: Batch) => TrainStep;
type TfjsMaker = (backend: TfjsBackend, batch: Batch) => TrainStep;

/**
 * Steps per round for each system; 0 leaves it out. `slowRounds` caps the rounds of the two slow ones
 * (reference, tfjs-cpu), which skip the warm-up step when `slowWarm` is false (their steps take seconds).
 */
interface Plan {
  fast: number;
  reference: number;
  wasm: number;
  cpu: number;
  slowRounds: number;
  slowWarm?: boolean;
}

function tsgrad(name: string, backend: Backend, make: Maker, batch: Batch, perRound: number, warm = true): Contender {
  useBackend(backend);
  const trainer = perRound > 0 ? make(batch) : null;
  return { name, perRound, warm, enter: async () => useBackend(backend), run: () => trainer?.step() };
}

async function tfjs(name: string, backend: TfjsBackend, make: TfjsMaker | null, batch: Batch, perRound: number, warm = true): Promise<Contender> {
  if (!make || perRound === 0) return { name, perRound: 0, enter: async () => undefined, run: () => undefined };
  await useTfjs(backend);
  const trainer = make(backend, batch);
  return { name, perRound, warm, enter: () => useTfjs(backend), run: () => trainer.step() };
}

/** Median ms per step of each system on one model and batch size. */
async function stepTimes(make: Maker, makeTfjs: TfjsMaker | null, batchSize: number, plan: Plan): Promise<Map<string, number>> {
  const batch = syntheticBatch(batchSize);
  const everyRound = [
    tsgrad('fast', fastBackend, make, batch, plan.fast),
    await tfjs('tfjs-wasm', 'wasm', makeTfjs, batch, plan.wasm),
  ];
  const slow = [
    tsgrad('reference', referenceBackend, make, batch, plan.reference, plan.slowWarm),
    await tfjs('tfjs-cpu', 'cpu', makeTfjs, batch, plan.cpu, plan.slowWarm),
  ];
  const main = await compare(everyRound, rounds);
  const rest = await compare(slow, Math.min(rounds, plan.slowRounds));
  useBackend(fastBackend);
  return new Map([...main, ...rest]);
}

const ms = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? 'not run' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b) ? '-' : (a / b).toFixed(2);

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

const torchPython = '/usr/bin/python3';

/**
 * PyTorch's median ms per step of model A or B at `batch` (bench/torch_models.py in a child process),
 * or the reason it could not run.
 */
function torchStepTime(model: 'A' | 'B', batch: number, steps: number): number | string {
  const script = join(__dirname, '..', '..', 'bench', 'torch_models.py');
  const run = spawnSync(torchPython, [script, model, String(batch), String(steps), String(rounds)], { encoding: 'utf8', timeout: 600_000 });
  if (run.error) return `${torchPython} did not run (${run.error.message})`;
  if (run.status !== 0) return `${torchPython} ${run.status === 3 ? 'has no torch' : `failed (exit ${run.status})`}: ${run.stderr.trim().split('\n').pop() ?? ''}`;
  return (JSON.parse(run.stdout) as Record<string, number>)[model];
}

async function modelTable(): Promise<void> {
  const models: [string, Maker, TfjsMaker | null, Plan][] = [
    ['A: convnet, batch 128', tsgradModelA, tfjsModelA, { fast: 6, wasm: 6, reference: quick ? 1 : 2, cpu: quick ? 0 : 1, slowRounds: 1, slowWarm: false }],
    ['B: MLP 784-128-10, batch 128', tsgradModelB, tfjsModelB, { fast: 10, wasm: 10, reference: 3, cpu: 3, slowRounds: 2 }],
    [`C: learnMnist '${modelCName}', batch 128`, tsgradModelC, tfjsModelC,
      { fast: quick ? 2 : 4, wasm: quick ? 2 : 4, reference: quick ? 0 : 1, cpu: 0, slowRounds: 1, slowWarm: false }],
  ];
  console.log('\n## Training step, median ms (forward, backward, Adam)\n');
  console.log(row(['model', 'tsgrad fast', 'tsgrad reference', 'tfjs-wasm', 'tfjs-cpu', 'PyTorch CPU', 'fast / tfjs-wasm', 'fast / tfjs-cpu', 'fast / PyTorch']));
  console.log(row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
  let torchNote = '';
  for (const [name, make, makeTfjs, plan] of models) {
    const t = await stepTimes(make, makeTfjs, 128, plan);
    const [fast, reference, wasm, cpu] = ['fast', 'reference', 'tfjs-wasm', 'tfjs-cpu'].map((k) => t.get(k));
    const key = name.slice(0, 1);
    const torch = key === 'A' || key === 'B' ? torchStepTime(key, 128, plan.fast) : undefined;
    if (typeof torch === 'string') torchNote = torch;
    const torchMs = typeof torch === 'number' ? torch : undefined;
    console.log(row([name, ms(fast), ms(reference), ms(wasm), ms(cpu), ms(torchMs), ratio(fast, wasm), ratio(fast, cpu), ratio(fast, torchMs)]));
  }
  console.log(torchNote ? `\n(PyTorch column left out: ${torchNote})` : '\n(PyTorch: 2 threads, models A and B only, timed in a child process after tsgrad\'s rounds of the same model)');
}

async function batchTable(): Promise<void> {
  console.log('\n## Model A by batch size, median ms per step\n');
  console.log(row(['batch', 'tsgrad fast', 'tfjs-wasm', 'fast / tfjs-wasm', 'fast, ms per image']));
  console.log(row(['---:', '---:', '---:', '---:', '---:']));
  for (const size of [32, 128, 512]) {
    const steps = size === 512 ? 2 : 5;
    const t = await stepTimes(tsgradModelA, tfjsModelA, size, { fast: steps, wasm: steps, reference: 0, cpu: 0, slowRounds: 0 });
    const [fast, wasm] = [t.get('fast'), t.get('tfjs-wasm')];
    console.log(row([String(size), ms(fast), ms(wasm), ratio(fast, wasm), fast === undefined ? '-' : (fast / size).toFixed(3)]));
  }
}

/** The views tsgrad's matmul hands to mulacc for [m, k]·[k, n]: shape [m, n, k]. */
function matmulViews(m: number, k: number, n: number): [StridedView, StridedView] {
  const a = Float32Array.from({ length: m * k }, Math.random);
  const b = Float32Array.from({ length: k * n }, Math.random);
  return [
    { array: a, shape: [m, n, k], strides: [k, 0, 1], offset: 0 },
    { array: b, shape: [m, n, k], strides: [0, 1, n], offset: 0 },
  ];
}

function tsgradMatmul(name: string, backend: Backend, threads: number, m: number, k: number, n: number, perRound: number): Contender {
  const [a, b] = matmulViews(m, k, n);
  return {
    name, perRound,
    enter: async () => setFastThreads(threads),
    run: () => backend.mulacc(a, b, [2]),
  };
}

async function matmulTable(): Promise<void> {
  console.log('\n## Matrix product [m, k]·[k, n], GFLOP/s (median; result read back)\n');
  console.log(row(['m×k×n', 'tsgrad fast, 1 thread', 'tsgrad fast, 2 threads', 'tfjs-wasm', 'tsgrad reference']));
  console.log(row(['---', '---:', '---:', '---:', '---:']));
  for (const [m, k, n] of [[256, 784, 128], [512, 512, 512]]) {
    await useTfjs('wasm');
    const wasmRun = tfjsMatmul(m, k, n);
    const reps = quick ? 5 : 20;
    const t = await compare([
      tsgradMatmul('fast1', fastBackend, 1, m, k, n, reps),
      tsgradMatmul('fast2', fastBackend, 2, m, k, n, reps),
      { name: 'wasm', perRound: reps, enter: () => useTfjs('wasm'), run: wasmRun },
    ], rounds);
    const ref = await compare([tsgradMatmul('reference', referenceBackend, 1, m, k, n, 1)], quick ? 1 : 2);
    setFastThreads(2);
    const gflops = (x: number | undefined): string => (x === undefined ? '-' : ((2 * m * k * n) / x / 1e6).toFixed(1));
    console.log(row([`${m}×${k}×${n}`, gflops(t.get('fast1')), gflops(t.get('fast2')), gflops(t.get('wasm')), gflops(ref.get('reference'))]));
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`# tsgrad bench${quick ? ' (--quick)' : ''}`);
  console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} at start`);
  await modelTable();
  await batchTable();
  await matmulTable();
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s; data: a fixed synthetic batch, see bench/data.ts)`);
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exitCode = 1;
});
