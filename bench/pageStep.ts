/**
 * The web page's training step (applications/web/training.js) in Node, for the table of
 * docs/browser.md beside headless Chromium: learnMnist's MediumNet, Adam (lr 2e-3), shuffled batches
 * of the npm digits, each step in `tidy`. Prints the mean ms per step, the first step left out.
 *
 *   npx tsc -p tsconfig.json && node build/bench/pageStep.js [batch 32] [steps 12] [threads 1|2]
 *
 * May import: src, applications/mnist/models.
 */
import { manualSeed, nn, optim, setDevice, setFastThreads, tidy } from '../src';
import { MediumNet } from '../applications/mnist/models';

const [batchSize = 32, steps = 12, threads = 1] = process.argv.slice(2).map(Number);
setDevice('cpu');
setFastThreads(threads);
manualSeed(1);
const digits = nn.data.loadNpmMnist();
const model = tidy(() => new MediumNet());
const optimizer = new optim.Adam(model.parameters(), { lr: 2e-3 });
const batches = new nn.data.DataLoader(digits, { batchSize, shuffle: true, seed: 1, dropLast: true })[Symbol.iterator]();

const times: number[] = [];
for (let step = 0; step < steps; step++) {
  const start = performance.now();
  tidy(() => {
    const { images, labels } = batches.next().value as nn.data.Batch;
    optimizer.zeroGrad();
    const loss = model.forward(images).crossEntropy(labels);
    loss.backward();
    optimizer.step();
    return loss.item();
  });
  times.push(performance.now() - start);
}
const mean = times.slice(1).reduce((s, t) => s + t, 0) / (times.length - 1);
console.log(`MediumNet, batch ${batchSize}, ${threads} thread${threads > 1 ? 's' : ''}: ${mean.toFixed(0)} ms/step (mean of steps 2-${steps})`);
