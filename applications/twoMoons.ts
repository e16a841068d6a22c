/**
 * A small classifier on a 2-D toy dataset (two interleaved half moons), and a picture of what it
 * learned: the decision boundary as an SVG, with the training points on top.
 *
 *   npm run moons      (writes out/moons.svg; out/ is git-ignored)
 *
 * May import: src (the public API).
 */
import { tensor, Tensor, nn, optim, manualSeed, noGrad } from '../src';
import { mkdirSync, writeFileSync } from 'fs';

/** n points per moon, with Gaussian noise; labels 0 (upper moon) and 1 (lower moon). */
export function makeMoons(n: number, noise = 0.1, seed = 0): { points: number[][]; labels: number[] } {
  manualSeed(seed);
  const t = Tensor.rand([n]).mul(Math.PI).toArray() as number[];
  const jitter = Tensor.randn([2 * n, 2]).mul(noise).toArray() as number[][];
  const upper = t.map((a) => [Math.cos(a), Math.sin(a)]);
  const lower = t.map((a) => [1 - Math.cos(a), 0.5 - Math.sin(a)]);
  const points = [...upper, ...lower].map(([x, y], i) => [x + jitter[i][0], y + jitter[i][1]]);
  return { points, labels: [...upper.map(() => 0), ...lower.map(() => 1)] };
}

class MoonNet extends nn.Module {
  hidden1 = new nn.Linear(2, 16);
  hidden2 = new nn.Linear(16, 16);
  out = new nn.Linear(16, 2);
  forward(x: Tensor): Tensor {
    return this.out.forward(this.hidden2.forward(this.hidden1.forward(x).relu()).relu());
  }
}

export interface MoonsResult {
  accuracy: number;
  losses: number[];
  svg: string;
}

/** Trains the MLP with Adam on the full batch and draws its decision boundary. */
export function trainMoons(options: { points?: number; steps?: number; seed?: number } = {}): MoonsResult {
  const { points, labels } = makeMoons(options.points ?? 100, 0.1, options.seed ?? 0);
  const x = tensor(points);
  const y = tensor(labels);
  const model = new MoonNet();
  const opt = new optim.Adam(model.parameters(), { lr: 0.02 });
  const losses: number[] = [];
  for (let step = 0; step < (options.steps ?? 300); step++) {
    const loss = model.forward(x).crossEntropy(y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  const predicted = noGrad(() => model.forward(x).argmax(1)).toArray() as number[];
  const accuracy = predicted.filter((p, i) => p === labels[i]).length / labels.length;
  return { accuracy, losses, svg: drawBoundary(model, points, labels) };
}

/** Colours a grid of cells by the predicted class, then draws the points. */
function drawBoundary(model: MoonNet, points: number[][], labels: number[]): string {
  const [x0, x1, y0, y1, cells, size] = [-1.5, 2.5, -1, 1.5, 60, 480];
  const grid = Array.from({ length: cells * cells }, (_, i) => [x0 + ((i % cells) + 0.5) * (x1 - x0) / cells, y1 - (Math.floor(i / cells) + 0.5) * (y1 - y0) / cells]);
  const classes = noGrad(() => model.forward(tensor(grid)).argmax(1)).toArray() as number[];
  const px = (x: number): number => ((x - x0) / (x1 - x0)) * size;
  const py = (y: number): number => ((y1 - y) / (y1 - y0)) * size;
  const cell = size / cells;
  const rects = grid.map(([gx, gy], i) =>
    `<rect x="${(px(gx) - cell / 2).toFixed(1)}" y="${(py(gy) - cell / 2).toFixed(1)}" width="${cell.toFixed(1)}" height="${cell.toFixed(1)}" fill="${classes[i] ? '#f9d7b0' : '#cfe2ff'}"/>`);
  const dots = points.map(([x, y], i) => `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${labels[i] ? '#d9730d' : '#1f5fbf'}" stroke="white" stroke-width="0.8"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">\n${rects.join('\n')}\n${dots.join('\n')}\n</svg>\n`;
}

function main(): void {
  const result = trainMoons();
  result.losses.forEach((loss, step) => { if (step % 50 === 0) console.log(`step ${step}: loss ${loss.toFixed(4)}`); });
  console.log(`training accuracy: ${(result.accuracy * 100).toFixed(1)}%`);
  mkdirSync('out', { recursive: true });
  writeFileSync('out/moons.svg', result.svg);
  console.log('decision boundary written to out/moons.svg');
}

if (require.main === module) main();
