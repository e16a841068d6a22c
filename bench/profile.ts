/**
 * Where a training step's time goes: wraps every Backend method (and its device's: the fast backend's
 * ops on resident tensors) and prints, per method and shapes, the
 * median over steps of the milliseconds spent in it per step (medians resist a busy machine).
 *
 *   npx tsc -p tsconfig.json && node build/bench/profile.js [a|b|c] [fast|cpu] [batch] [steps]
 *
 * May import: src, ./data, ./tsgradModels.
 */
import { referenceBackend, useBackend, type Backend, type DeviceMemory, type DeviceView, type StridedView } from '../src/data';
import { fastBackend } from '../src/data/fast';
import { syntheticBatch } from './data';
import { tsgradModelA, tsgradModelB, tsgradModelC } from './tsgradModels';

/** Per key (method and shapes): the milliseconds of each step (summed over the calls in that step). */
const perStep = new Map<string, number[]>();
let stepIndex = 0;

function record(key: string, ms: number): void {
  const list = perStep.get(key) ?? [];
  list[stepIndex] = (list[stepIndex] ?? 0) + ms;
  perStep.set(key, list);
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The same device memory with every compute op timed (where a backend with a device runs them). */
function timedDevice(memory: DeviceMemory): DeviceMemory {
  const wrap = <A extends unknown[], R>(name: string, fn: (...args: A) => R, detail: (...args: A) => string) =>
    (...args: A): R => {
      const start = performance.now();
      const result = fn.apply(memory, args);
      record(`${name} ${detail(...args)}`, performance.now() - start);
      return result;
    };
  const shape = (v: DeviceView): string => `[${v.shape.join(',')}]`;
  return {
    owns: (buffer) => memory.owns(buffer),
    upload: wrap('upload', memory.upload, (values) => `[${values.length}]`),
    download: wrap('download', memory.download, (buffer) => `[${buffer.length}]`),
    release: (buffer) => memory.release(buffer),
    get counters() { return memory.counters; },
    unary: wrap('unary', memory.unary, (op, x) => `${op} ${shape(x)}`),
    binary: wrap('binary', memory.binary, (op, a) => `${op} ${shape(a)}`),
    where: wrap('where', memory.where, (c) => shape(c)),
    mulacc: wrap('mulacc', memory.mulacc, (a, _b, axes) => `${shape(a)} axes ${axes.join(',')} a${JSON.stringify(a.strides)}`),
    reduce: wrap('reduce', memory.reduce, (op, x, axes) => `${op} ${shape(x)} axes ${axes.join(',')}`),
    gather: wrap('gather', memory.gather, (x) => `${shape(x)} ${JSON.stringify(x.strides)}`),
    scatter: wrap('scatter', memory.scatter, (t) => `${shape(t)} ${JSON.stringify(t.strides)}`),
  };
}

/** The same backend with every method timed (and its device's, when it has one). */
function timed(backend: Backend): Backend {
  const wrap = <A extends unknown[], R>(name: string, fn: (...args: A) => R, detail: (...args: A) => string) =>
    (...args: A): R => {
      const start = performance.now();
      const result = fn(...args);
      record(`${name} ${detail(...args)}`, performance.now() - start);
      return result;
    };
  const shape = (v: StridedView): string => `[${v.shape.join(',')}]`;
  return {
    name: backend.name,
    unary: wrap('unary', backend.unary, (op, x) => `${op} ${shape(x)}`),
    binary: wrap('binary', backend.binary, (op, a) => `${op} ${shape(a)}`),
    where: wrap('where', backend.where, (c) => shape(c)),
    mulacc: wrap('mulacc', backend.mulacc, (a, _b, axes) => `${shape(a)} axes ${axes.join(',')} a${JSON.stringify(a.strides)}`),
    reduce: wrap('reduce', backend.reduce, (op, x, axes) => `${op} ${shape(x)} axes ${axes.join(',')}`),
    gather: wrap('gather', backend.gather, (x) => `${shape(x)} ${JSON.stringify(x.strides)}`),
    scatter: wrap('scatter', backend.scatter, (t) => `${shape(t)} ${JSON.stringify(t.strides)}`),
    indexSelect: wrap('indexSelect', backend.indexSelect, (x, rows) => `${shape(x)} rows ${rows.length}`),
    indexAdd: wrap('indexAdd', backend.indexAdd, (t, rows) => `${shape(t)} rows ${rows.length}`),
    device: backend.device && timedDevice(backend.device),
  };
}

const [model = 'a', which = 'fast', batchArg = '128'] = process.argv.slice(2);
const batch = syntheticBatch(Number(batchArg));
useBackend(timed(which === 'cpu' ? referenceBackend : fastBackend));
const makers: Record<string, typeof tsgradModelA> = { a: tsgradModelA, b: tsgradModelB, c: tsgradModelC };
const trainer = makers[model]?.(batch);
if (!trainer) throw new Error(`profile: unknown model '${model}' (a, b or c)`);
trainer.step();
perStep.clear();
const steps = Number(process.argv[5] ?? 9);
const walls: number[] = [];
for (stepIndex = 0; stepIndex < steps; stepIndex++) {
  const start = performance.now();
  trainer.step();
  walls.push(performance.now() - start);
}
const rows = [...perStep.entries()].map(([key, list]) => [key, (process.env.PROFILE_MIN ? Math.min(...list.map((x) => x ?? 0)) : median(list.map((x) => x ?? 0)))] as const).sort((x, y) => y[1] - x[1]);
const byMethod = new Map<string, number>();
for (const [key, ms] of rows) byMethod.set(key.split(' ')[0], (byMethod.get(key.split(' ')[0]) ?? 0) + ms);
console.log(`model ${model}, ${which}, batch ${batchArg}: ${median(walls).toFixed(1)} ms/step (median of ${steps}); medians per method: ` +
  [...byMethod].map(([m, ms]) => `${m} ${ms.toFixed(1)}`).join(', '));
for (const [key, ms] of rows.slice(0, 30)) console.log(`${ms.toFixed(2).padStart(8)} ms  ${key}`);
