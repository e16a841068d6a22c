/**
 * Where a training step's time goes: wraps every Backend method of the fast and reference backends and
 * prints total milliseconds per method (and per mulacc shape) over a few steps of each model.
 *
 *   npx tsc -p tsconfig.json && node build/bench/profile.js [a|b] [fast|cpu] [batch]
 *
 * May import: src, ./data, ./tsgradModels.
 */
import { cpuBackend, useBackend, type Backend, type StridedView } from '../src/data';
import { fastBackend } from '../src/data/fast';
import { syntheticBatch } from './data';
import { tsgradModelA, tsgradModelB } from './tsgradModels';

const totals = new Map<string, { ms: number; calls: number }>();

function record(key: string, ms: number): void {
  const entry = totals.get(key) ?? { ms: 0, calls: 0 };
  entry.ms += ms;
  entry.calls++;
  totals.set(key, entry);
}

/** The same backend with every method timed. */
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
  };
}

const [model = 'a', which = 'fast', batchArg = '128'] = process.argv.slice(2);
const batch = syntheticBatch(Number(batchArg));
useBackend(timed(which === 'cpu' ? cpuBackend : fastBackend));
const trainer = model === 'a' ? tsgradModelA(batch) : tsgradModelB(batch);
trainer.step();
totals.clear();
const steps = 5;
const start = performance.now();
for (let i = 0; i < steps; i++) trainer.step();
const wall = (performance.now() - start) / steps;
const rows = [...totals.entries()].sort((x, y) => y[1].ms - x[1].ms);
const inBackend = rows.reduce((s, [, v]) => s + v.ms, 0) / steps;
console.log(`model ${model}, ${which}, batch ${batchArg}: ${wall.toFixed(1)} ms/step, ${inBackend.toFixed(1)} ms in the backend`);
for (const [key, v] of rows.slice(0, 40)) console.log(`${(v.ms / steps).toFixed(2).padStart(8)} ms  ${String(v.calls / steps).padStart(4)}x  ${key}`);
