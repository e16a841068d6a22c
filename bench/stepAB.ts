/**
 * Median ms per training step of the bench's models on the fast backend, for comparing two builds
 * run in turn (`node build/bench/stepAB.js A 128 8`).
 *
 * May import: src/data, src/data/fast, ./*.
 */
import { useBackend } from '../src/data';
import { fastBackend } from '../src/data/fast';
import { syntheticBatch } from './data';
import { median, timeOnce } from './timing';
import { tsgradModelA, tsgradModelB, tsgradModelC } from './tsgradModels';

const [model = 'A', batchArg = '128', stepsArg = '8'] = process.argv.slice(2);
useBackend(fastBackend);
const makers = { A: tsgradModelA, B: tsgradModelB, C: tsgradModelC } as const;
const trainer = makers[model as keyof typeof makers](syntheticBatch(Number(batchArg)));
trainer.step();
const times = Array.from({ length: Number(stepsArg) }, () => timeOnce(() => trainer.step()));
console.log(`${model} ${median(times).toFixed(1)}`);
