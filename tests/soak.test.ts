/**
 * Soak: 1,000 training steps of a tiny MLP (Adam, batches of 16) in a child process run with
 * --expose-gc. After forced collections every 100 steps, the JS heap, the RSS and the ArrayBuffer
 * memory must stay flat: a graph, a gradient or a pooled buffer kept per step would grow them by
 * several MB over the run. The first samples are skipped while V8's compiled code settles.
 */
import { lastJsonLine, runChild } from './helpers/child';

interface Sample {
  step: number;
  heap: number;
  rss: number;
  arrayBuffers: number;
}

const script = `
  const { Tensor, manualSeed, nn, optim } = require('./src');
  manualSeed(1);
  const model = new nn.Sequential(new nn.Linear(8, 32), new nn.ReLU(), new nn.Linear(32, 4));
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
  const samples = [];
  let firstLoss = 0, lastLoss = 0;
  for (let step = 1; step <= 1000; step++) {
    const x = Tensor.rand([16, 8]);
    const labels = x.narrow(1, 0, 4).argmax(1); // the class is the largest of the first four inputs
    const loss = model.forward(x).crossEntropy(labels);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    if (step <= 50) firstLoss += loss.item() / 50;
    if (step > 950) lastLoss += loss.item() / 50;
    if (step % 100 === 0) {
      global.gc();
      global.gc();
      const m = process.memoryUsage();
      samples.push({ step, heap: m.heapUsed, rss: m.rss, arrayBuffers: m.arrayBuffers });
    }
  }
  console.log(JSON.stringify({ firstLoss, lastLoss, samples }));`;

/** Least-squares slope of `value` over `step`, in bytes per 1,000 steps. */
function slope(samples: Sample[], value: (s: Sample) => number): number {
  const n = samples.length;
  const meanStep = samples.reduce((a, s) => a + s.step, 0) / n;
  const meanValue = samples.reduce((a, s) => a + value(s), 0) / n;
  const covariance = samples.reduce((a, s) => a + (s.step - meanStep) * (value(s) - meanValue), 0);
  const variance = samples.reduce((a, s) => a + (s.step - meanStep) ** 2, 0);
  return (covariance / variance) * 1000;
}

it('1,000 training steps of a tiny MLP keep memory flat (heap, RSS, ArrayBuffers after forced GC)', () => {
  const result = runChild(script, ['--expose-gc'], 180_000);
  const { firstLoss, lastLoss, samples } = lastJsonLine<{ firstLoss: number; lastLoss: number; samples: Sample[] }>(result);
  expect(samples.map((s) => s.step)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  expect(lastLoss).toBeLessThan(firstLoss * 0.8); // it trained
  const settled = samples.slice(2); // steps 300..1000
  expect(slope(settled, (s) => s.heap)).toBeLessThan(1.5e6);
  expect(slope(settled, (s) => s.arrayBuffers)).toBeLessThan(1e6);
  expect(slope(settled, (s) => s.rss)).toBeLessThan(16e6);
  const last = settled[settled.length - 1];
  expect(last.heap - settled[0].heap).toBeLessThan(2e6);
}, 240_000);
