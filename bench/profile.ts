/**
 * Where a training step's time goes: wraps every Backend method (and its device's: the fast backend's
 * ops on resident tensors) and prints, per method and shapes, the
 * median over steps of the milliseconds spent in it per step (medians resist a busy machine).
 *
 *   npx tsc -p tsconfig.json && node build/bench/profile.js [a|b|c] [fast|cpu] [batch] [steps]
 *
 * May import: src, ./data, ./tsgradModels.
 */
import { referenceBackend, useBackend, type Backend, type ComputeOps, type DeviceMemory } from '../src/data';
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

/** `fn` (a method of `self`) timed under the key `name` and its `detail` of the arguments. */
function timedMethod<A extends unknown[], R>(self: object, name: string, fn: (...args: A) => R, detail: (...args: A) => string): (...args: A) => R {
  return (...args: A): R => {
    const start = performance.now();
    const result = fn.apply(self, args);
    record(`${name} ${detail(...args)}`, performance.now() - start);
    return result;
  };
}

const shape = (v: { shape: readonly number[] }): string => `[${v.shape.join(',')}]`;

/** The compute ops (and scatter) of a backend or a device memory, each timed. */
function timedOps<V extends { shape: readonly number[]; strides: readonly number[] }, R, S>(
  ops: ComputeOps<V, R> & { scatter(target: V, source: V): S },
): ComputeOps<V, R> & { scatter(target: V, source: V): S } {
  return {
    unary: timedMethod(ops, 'unary', ops.unary, (op, x) => `${op} ${shape(x)}`),
    binary: timedMethod(ops, 'binary', ops.binary, (op, a) => `${op} ${shape(a)}`),
    where: timedMethod(ops, 'where', ops.where, (c) => shape(c)),
    mulacc: timedMethod(ops, 'mulacc', ops.mulacc, (a, _b, axes) => `${shape(a)} axes ${axes.join(',')} a${JSON.stringify(a.strides)}`),
    reduce: timedMethod(ops, 'reduce', ops.reduce, (op, x, axes) => `${op} ${shape(x)} axes ${axes.join(',')}`),
    gather: timedMethod(ops, 'gather', ops.gather, (x) => `${shape(x)} ${JSON.stringify(x.strides)}`),
    scatter: timedMethod(ops, 'scatter', ops.scatter, (t) => `${shape(t)} ${JSON.stringify(t.strides)}`),
  };
}

/** The same device memory with every op timed (where a backend with a device runs them). */
function timedDevice(memory: DeviceMemory): DeviceMemory {
  return {
    ...timedOps(memory),
    owns: (buffer) => memory.owns(buffer),
    upload: timedMethod(memory, 'upload', memory.upload, (values) => `[${values.length}]`),
    download: timedMethod(memory, 'download', memory.download, (buffer) => `[${buffer.length}]`),
    release: (buffer) => memory.release(buffer),
    get counters() { return memory.counters; },
  };
}

/** The same backend with every method timed (and its device's, when it has one). */
function timed(backend: Backend): Backend {
  return {
    ...timedOps(backend),
    name: backend.name,
    indexSelect: timedMethod(backend, 'indexSelect', backend.indexSelect, (x, rows) => `${shape(x)} rows ${rows.length}`),
    indexAdd: timedMethod(backend, 'indexAdd', backend.indexAdd, (t, rows) => `${shape(t)} rows ${rows.length}`),
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
