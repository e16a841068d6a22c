/**
 * Backprop on scalars, the way micrograd teaches it: one neuron whose every gradient is printed and
 * checked by hand, then a tiny MLP trained on four points. Everything is a 0-d (scalar) or small
 * tensor, so each number can be followed.
 *
 *   npm run backprop      (writes out/neuron.svg; out/ is git-ignored)
 *
 * May import: src (the public API).
 */
import { tensor, Tensor, nn, optim, manualSeed, traceBackward, renderSvg, BackwardTrace } from '../src';
import { mkdirSync, writeFileSync } from 'fs';

export interface NeuronResult {
  output: number;
  grads: Record<'x1' | 'x2' | 'w1' | 'w2' | 'b', number>;
  trace: string;
  svg: Promise<string>;
}

/** o = tanh(x1·w1 + x2·w2 + b), and d(o)/d(every input). */
export function neuron(): NeuronResult {
  const x1 = tensor(2, { requiresGrad: true });
  const x2 = tensor(0, { requiresGrad: true });
  const w1 = tensor(-3, { requiresGrad: true });
  const w2 = tensor(1, { requiresGrad: true });
  const b = tensor(6.8813735870195432, { requiresGrad: true });
  const x1w1 = x1.mul(w1);
  const x2w2 = x2.mul(w2);
  const x1w1x2w2 = x1w1.add(x2w2);
  const n = x1w1x2w2.add(b);
  const o = n.tanh();
  const names = { x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o }; // every tensor named: each box shows its data and grad
  const trace = traceBackward(() => o.backward());
  const grad = (t: Tensor): number => (t.grad as Tensor).item();
  return {
    output: o.item(),
    grads: { x1: grad(x1), x2: grad(x2), w1: grad(w1), w2: grad(w2), b: grad(b) },
    trace: trace.toString(names),
    svg: renderSvg(o, { names, trace }),
  };
}

/** A 3-4-4-1 tanh MLP fitted to micrograd's four points with plain SGD; returns the loss per step. */
export function tinyMlp(steps = 60, lr = 0.05): { losses: number[]; predictions: number[] } {
  manualSeed(1337);
  const model = new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 4), new nn.Tanh(), new nn.Linear(4, 1), new nn.Tanh());
  const xs = tensor([[2, 3, -1], [3, -1, 0.5], [0.5, 1, 1], [1, 1, -1]]);
  const ys = tensor([[1], [-1], [-1], [1]]);
  const opt = new optim.SGD(model.parameters(), { lr });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = model.forward(xs).mseLoss(ys, { reduction: 'sum' });
    opt.zeroGrad();
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  return { losses, predictions: (model.forward(xs).toArray() as number[][]).map((row) => row[0]) };
}

async function main(): Promise<void> {
  const result = neuron();
  console.log(`o = tanh(x1·w1 + x2·w2 + b) = ${result.output.toFixed(4)}`);
  console.log('gradients:', Object.entries(result.grads).map(([k, v]) => `${k}=${v.toFixed(4)}`).join(' '));
  console.log(`how backward walked the graph. ${BackwardTrace.legend}\n${result.trace}`);
  mkdirSync('out', { recursive: true });
  writeFileSync('out/neuron.svg', await result.svg);
  console.log('graph picture written to out/neuron.svg');
  const { losses, predictions } = tinyMlp();
  losses.forEach((loss, step) => { if (step % 10 === 0 || step === losses.length - 1) console.log(`step ${step}: loss ${loss.toFixed(4)}`); });
  console.log('predictions for targets [1, -1, -1, 1]:', predictions.map((p) => p.toFixed(3)).join(', '));
}

if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
