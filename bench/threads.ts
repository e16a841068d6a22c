/**
 * One thread or two for the fast backend's matrix products: the same model steps alternately with
 * `setFastThreads(1)` and `setFastThreads(2)`, in one process, and prints min and median ms per step.
 *
 *   npx tsc -p tsconfig.json && node build/bench/threads.js [a|b|c] [rounds]
 *
 * May import: src/data, src/data/fast, ./data, ./timing, ./tsgradModels.
 */
import { useBackend } from '../src/data';
import { fastBackend, setFastThreads } from '../src/data/fast';
import { syntheticBatch } from './data';
import { median, timeOnce } from './timing';
import { tsgradModelA, tsgradModelB, tsgradModelC, type TrainStep } from './tsgradModels';

const makers: Record<string, (batch: ReturnType<typeof syntheticBatch>) => TrainStep> = { a: tsgradModelA, b: tsgradModelB, c: tsgradModelC };
const [model = 'a', roundsArg = '8'] = process.argv.slice(2);
const make = makers[model];
if (!make) throw new Error(`threads: unknown model '${model}' (a, b or c)`);
useBackend(fastBackend);
const trainer = make(syntheticBatch(128));
const times: Record<number, number[]> = { 1: [], 2: [] };
for (let round = 0; round < Number(roundsArg); round++) {
  for (const threads of [1, 2]) {
    setFastThreads(threads);
    trainer.step();
    times[threads].push(timeOnce(() => trainer.step()), timeOnce(() => trainer.step()));
  }
}
for (const threads of [1, 2]) {
  const list = times[threads];
  console.log(`model ${model}, ${threads} thread${threads > 1 ? 's' : ''}: min ${Math.min(...list).toFixed(1)} ms, median ${median(list).toFixed(1)} ms per step (${list.length} steps)`);
}
