/**
 * nn: how a Module finds its parameters, state dicts, modes, and the layers against PyTorch
 * (tests/fixtures/nn.json, written by scripts/generate_optim_fixtures.py): BatchNorm in train and
 * eval mode with its running statistics, GELU (tanh approximation), Conv2d options, a small network's
 * loss and gradients, and the statistics of each init.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { Tensor, manualSeed, nn, noGrad, tensor } from '../src';
import { defaultTolerance, expectClose, type Packed, type Tolerance } from './helpers/fixtures';
import { makeTensor, unpack } from './helpers/gradcheck';

interface LayerRow { name: string; [key: string]: unknown }
interface NetworkRow {
  input: Packed;
  labels: number[];
  loss: number;
  parameters: Record<string, Packed>;
  grads: Record<string, Packed>;
  stateAfter: Record<string, Packed>;
}
interface InitRow { name: string; shape: number[]; mean: number; std: number; absMax: number }

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'nn.json'), 'utf8')) as {
  layers: LayerRow[];
  network: NetworkRow;
  init: InitRow[];
};
const layerRow = (name: string): Record<string, Packed> & { options?: nn.Conv2dOptions } => {
  const row = fixture.layers.find((r) => r.name === name);
  if (!row) throw new Error(`no fixture row ${name}`);
  return row as unknown as Record<string, Packed>;
};
const fromPacked = (p: Packed, requiresGrad = false): Tensor => makeTensor(p.values, p.shape, requiresGrad);
/** Backward sums over batches and channels in float32: a little looser than forward values. */
const gradTolerance: Tolerance = { atol: 1e-4, rtol: 1e-4 };

class SmallNet extends nn.Module {
  conv = new nn.Conv2d(1, 3, 3, { padding: 1 });
  bn = new nn.BatchNorm2d(3);
  fc = new nn.Linear(3 * 3 * 3, 4);

  forward(x: Tensor): Tensor {
    const h = this.bn.forward(this.conv.forward(x)).relu().maxPool2d(2);
    return this.fc.forward(h.flatten(1));
  }
}

describe('Module: parts found by walking its fields', () => {
  class Block extends nn.Module {
    layers = [new nn.Linear(4, 3), new nn.Linear(3, 2)];
    forward(x: Tensor): Tensor { return this.layers.reduce((h, l) => l.forward(h).relu(), x); }
  }
  class Net extends nn.Module {
    stem = new nn.Conv2d(1, 2, 3, { bias: false });
    block = new Block();
    head = new nn.Sequential(new nn.Flatten(), new nn.Linear(2, 2), new nn.ReLU());
    scale = 2; // plain fields are ignored
    constant = Tensor.ones([2]); // so are plain tensors: neither trained nor saved
    forward(x: Tensor): Tensor { return this.head.forward(x); }
  }

  it('names parameters with dotted paths in field order (arrays and Sequential by index)', () => {
    expect(new Net().namedParameters().map(([n, p]) => `${n} ${JSON.stringify(p.shape)}`)).toEqual([
      'stem.weight [2,1,3,3]',
      'block.layers.0.weight [3,4]', 'block.layers.0.bias [3]',
      'block.layers.1.weight [2,3]', 'block.layers.1.bias [2]',
      'head.1.weight [2,2]', 'head.1.bias [2]',
    ]);
  });

  it('parameters() are Parameters that require grad, and count', () => {
    const net = new Net();
    expect(net.parameters().every((p) => p instanceof nn.Parameter && p.requiresGrad)).toBe(true);
    expect(net.parameterCount()).toBe(18 + 15 + 8 + 6);
  });

  it('lists a shared layer once', () => {
    class Tied extends nn.Module {
      a = new nn.Linear(2, 2);
      b = this.a;
      forward(x: Tensor): Tensor { return this.b.forward(this.a.forward(x)); }
    }
    expect(new Tied().namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias']);
  });

  it('train() and eval() reach every child; Dropout follows the mode', () => {
    const net = new nn.Sequential(new nn.Linear(3, 3), new nn.Dropout(0.5));
    net.eval();
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    const x = Tensor.ones([4, 3]);
    expect(net.forward(x).toArray()).toEqual(net.forward(x).toArray());
    net.train();
    expect(net.namedModules().every(([, m]) => m.training)).toBe(true);
  });

  it('zeroGrad() clears every gradient', () => {
    const net = new Net();
    net.forward(Tensor.ones([1, 2, 1, 1])).sum().backward();
    expect(net.head.parameters().every((p) => p.grad !== null)).toBe(true);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('toString shows the tree', () => {
    expect(new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU()).toString()).toBe('Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)');
    expect(new nn.MaxPool2d(3, 2, 1).toString()).toBe('MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)');
    expect(new nn.AvgPool2d([2, 3]).toString()).toBe('AvgPool2d(kernel_size=(2, 3), stride=(2, 3), padding=0)');
  });
});

describe('stateDict and loadStateDict', () => {
  it('holds parameters and buffers (BatchNorm running stats) and round-trips', () => {
    manualSeed(1);
    const a = new SmallNet();
    expect(Object.keys(a.stateDict())).toEqual(['conv.weight', 'conv.bias', 'bn.weight', 'bn.bias', 'fc.weight', 'fc.bias', 'bn.runningMean', 'bn.runningVar']);
    a.forward(Tensor.rand([2, 1, 6, 6])); // moves the running stats
    const b = new SmallNet();
    b.loadStateDict(a.stateDict());
    for (const [name, t] of Object.entries(b.stateDict())) expect(t.toArray()).toEqual(a.stateDict()[name].toArray());
    expect(b.conv.weight).not.toBe(a.conv.weight); // copied into b's own tensors
  });

  it('lists every missing, unexpected and mis-shaped key in one error, and changes nothing', () => {
    const net = new SmallNet();
    const before = net.fc.weight.toArray();
    const state = { ...net.stateDict() };
    delete state['bn.runningVar'];
    state['fc.extra'] = Tensor.zeros([1]);
    state['fc.weight'] = Tensor.zeros([4, 28]);
    state['conv.bias'] = Tensor.zeros([3]);
    expect(() => net.loadStateDict(state)).toThrow(
      'loadStateDict (SmallNet): missing keys: bn.runningVar. unexpected keys: fc.extra. shape mismatch: fc.weight: checkpoint [4,28], model [4,27]',
    );
    expect(net.fc.weight.toArray()).toEqual(before);
    expect(net.conv.bias!.toArray()).not.toEqual([0, 0, 0]);
  });

  it('non-strict loading skips missing and unexpected keys but not shape mismatches', () => {
    const net = new SmallNet();
    net.loadStateDict({ 'fc.bias': Tensor.ones([4]), other: Tensor.zeros([1]) }, false);
    expect(net.fc.bias!.toArray()).toEqual([1, 1, 1, 1]);
    expect(() => net.loadStateDict({ 'fc.bias': Tensor.ones([5]) }, false)).toThrow(/shape mismatch: fc.bias: checkpoint \[5\], model \[4\]/);
  });
});

describe('layers against PyTorch', () => {
  it.each(['batchnorm2d', 'batchnorm1d', 'batchnorm1d_3d'])('%s: train-mode forward, gradients, running stats, then eval mode', (name) => {
    const row = layerRow(name);
    const x = fromPacked(row.input, true);
    const features = row.weight.shape[0];
    const bn = x.ndim === 4 ? new nn.BatchNorm2d(features) : new nn.BatchNorm1d(features);
    bn.loadStateDict({ ...bn.stateDict(), weight: fromPacked(row.weight), bias: fromPacked(row.bias) });
    const out = bn.forward(x);
    expectClose(`${name} output`, unpack(out), row.output, defaultTolerance);
    out.backward(fromPacked(row.gradOut));
    expectClose(`${name} grad input`, unpack(x.grad!), row.gradInput, gradTolerance);
    expectClose(`${name} grad weight`, unpack(bn.weight!.grad!), row.gradWeight, gradTolerance);
    expectClose(`${name} grad bias`, unpack(bn.bias!.grad!), row.gradBias, gradTolerance);
    expectClose(`${name} running mean`, unpack(bn.runningMean!), row.runningMean, defaultTolerance);
    expectClose(`${name} running var`, unpack(bn.runningVar!), row.runningVar, defaultTolerance);
    expect(bn.runningMean!.requiresGrad).toBe(false);
    bn.eval();
    bn.loadStateDict({ ...bn.stateDict(), runningMean: fromPacked(row.runningMean2), runningVar: fromPacked(row.runningVar2) });
    expectClose(`${name} eval output`, unpack(bn.forward(fromPacked(row.evalInput))), row.evalOutput, defaultTolerance);
  });

  it('BatchNorm2d: a second training batch moves the running stats like PyTorch (momentum 0.1, unbiased variance)', () => {
    // Rebuild the second batch's effect from the first batch's stats: running = 0.9·old + 0.1·batch.
    const row = layerRow('batchnorm2d');
    const bn = new nn.BatchNorm2d(3);
    bn.forward(fromPacked(row.input));
    const x2 = Tensor.randn([4, 3, 5, 5]);
    bn.forward(x2);
    const mean = x2.mean([0, 2, 3]);
    const unbiased = x2.var([0, 2, 3], false, 1);
    const expectMean = fromPacked(row.runningMean).mul(0.9).add(mean.mul(0.1));
    const expectVar = fromPacked(row.runningVar).mul(0.9).add(unbiased.mul(0.1));
    expectClose('running mean', unpack(bn.runningMean!), unpack(expectMean), defaultTolerance);
    expectClose('running var', unpack(bn.runningVar!), unpack(expectVar), defaultTolerance);
  });

  it('GELU matches torch.nn.GELU(approximate="tanh") forward and backward', () => {
    const row = layerRow('gelu_tanh');
    const x = fromPacked(row.input, true);
    const out = new nn.GELU().forward(x);
    expectClose('gelu output', unpack(out), row.output, defaultTolerance);
    out.backward(fromPacked(row.gradOut));
    expectClose('gelu grad', unpack(x.grad!), row.gradInput, defaultTolerance);
  });

  it.each(['conv2d_stride_padding', 'conv2d_dilation_groups', 'conv2d_no_bias'])('%s: Conv2d options, forward and backward', (name) => {
    const row = layerRow(name) as unknown as { inChannels: number; outChannels: number; kernel: number | [number, number]; options: nn.Conv2dOptions } & Record<string, Packed>;
    const conv = new nn.Conv2d(row.inChannels, row.outChannels, row.kernel, row.options);
    conv.loadStateDict(row.bias ? { weight: fromPacked(row.weight), bias: fromPacked(row.bias) } : { weight: fromPacked(row.weight) });
    const x = fromPacked(row.input, true);
    const out = conv.forward(x);
    expectClose(`${name} output`, unpack(out), row.output, defaultTolerance);
    out.backward(fromPacked(row.gradOut));
    expectClose(`${name} grad input`, unpack(x.grad!), row.gradInput, gradTolerance);
    expectClose(`${name} grad weight`, unpack(conv.weight.grad!), row.gradWeight, gradTolerance);
    if (row.bias) expectClose(`${name} grad bias`, unpack(conv.bias!.grad!), row.gradBias, gradTolerance);
  });

  it('a small network (conv, batchnorm, relu, pool, linear) gives PyTorch\'s loss, gradients and running stats', () => {
    const row = fixture.network;
    const net = new SmallNet();
    const initial = { ...net.stateDict() };
    for (const [name, p] of Object.entries(row.parameters)) initial[name] = fromPacked(p);
    net.loadStateDict(initial);
    const loss = net.forward(fromPacked(row.input)).crossEntropy(tensor(row.labels), { labelSmoothing: 0.1 });
    expect(loss.item()).toBeCloseTo(row.loss, 5);
    loss.backward();
    for (const [name, p] of net.namedParameters()) expectClose(`grad of ${name}`, unpack(p.grad!), row.grads[name], gradTolerance);
    for (const [name, t] of Object.entries(net.stateDict())) expectClose(`state ${name}`, unpack(t), row.stateAfter[name], defaultTolerance);
  });
});

describe('simple layers', () => {
  it('activations and Flatten forward to the Tensor ops', () => {
    const x = tensor([[-1, 0.5], [2, -3]]);
    expect(new nn.ReLU().forward(x).toArray()).toEqual(x.relu().toArray());
    expect(new nn.Tanh().forward(x).toArray()).toEqual(x.tanh().toArray());
    expect(new nn.Sigmoid().forward(x).toArray()).toEqual(x.sigmoid().toArray());
    expect(new nn.Softmax(1).forward(x).toArray()).toEqual(x.softmax(1).toArray());
    expect(new nn.LogSoftmax(-1).forward(x).toArray()).toEqual(x.logSoftmax(-1).toArray());
    expect(new nn.Flatten().forward(Tensor.zeros([2, 3, 4])).shape).toEqual([2, 12]);
  });

  it('pooling modules', () => {
    const x = Tensor.arange(16).reshape([1, 1, 4, 4]);
    expect(new nn.MaxPool2d(2).forward(x).toArray()).toEqual([[[[5, 7], [13, 15]]]]);
    expect(new nn.AvgPool2d(2).forward(x).toArray()).toEqual([[[[2.5, 4.5], [10.5, 12.5]]]]);
  });

  it('loss modules equal the loss functions and the Tensor methods', () => {
    const logits = tensor([[1, 2, 0.5], [0.1, -1, 2]]);
    const labels = tensor([1, 2]);
    const smooth = { labelSmoothing: 0.2 };
    expect(new nn.CrossEntropyLoss(smooth).forward(logits, labels).item()).toBe(logits.crossEntropy(labels, smooth).item());
    expect(nn.crossEntropy(logits, labels).item()).toBe(logits.crossEntropy(labels).item());
    expect(new nn.NLLLoss().forward(logits.logSoftmax(1), labels).item()).toBe(logits.crossEntropy(labels).item());
    const p = tensor([0.2, 0.9]);
    const t = tensor([0, 1]);
    expect(new nn.MSELoss({ reduction: 'sum' }).forward(p, t).item()).toBeCloseTo(0.05, 6);
    expect(new nn.BCELoss().forward(p, t).item()).toBe(nn.bceLoss(p, t).item());
    expect(new nn.BCEWithLogitsLoss().forward(p, t).item()).toBeCloseTo(nn.bceLoss(p.sigmoid(), t).item(), 6);
  });

  it('errors name the layer, the expected shape and the given one', () => {
    expect(() => new nn.Linear(4, 2).forward(Tensor.zeros([3, 5]))).toThrow('Linear(4, 2): expected input [..., 4], got [3,5]');
    expect(() => new nn.BatchNorm2d(3).forward(Tensor.zeros([2, 3, 4]))).toThrow('BatchNorm2d: expected input [N, C, H, W], got [2,3,4]');
    expect(() => new nn.BatchNorm1d(3).forward(Tensor.zeros([2, 4]))).toThrow('BatchNorm1d(3): expected 3 channels in dim 1, got input [2,4]');
    expect(() => new nn.BatchNorm1d(3).forward(Tensor.zeros([1, 3]))).toThrow(/needs more than 1 value per channel/);
    expect(() => new nn.Conv2d(3, 4, 3, { groups: 2 })).toThrow('Conv2d: groups 2 must divide inChannels 3 and outChannels 4');
    expect(() => new nn.Linear(0, 2)).toThrow('Linear: inFeatures must be a positive integer, got 0');
    expect(() => new nn.Dropout(1.5)).toThrow('Dropout: p must be in [0, 1], got 1.5');
  });
});

describe('init: sample statistics match torch.nn.init', () => {
  const fills: Record<string, (t: Tensor) => void> = {
    kaimingUniform_fanIn_relu: (t) => nn.init.kaimingUniform(t, { nonlinearity: 'relu' }),
    kaimingUniform_fanOut_conv: (t) => nn.init.kaimingUniform(t, { mode: 'fanOut', nonlinearity: 'relu' }),
    kaimingNormal_fanIn_relu: (t) => nn.init.kaimingNormal(t, { nonlinearity: 'relu' }),
    kaimingNormal_leaky: (t) => nn.init.kaimingNormal(t, { a: 0.2, nonlinearity: 'leaky_relu' }),
    xavierUniform: (t) => nn.init.xavierUniform(t),
    xavierNormal_tanh: (t) => nn.init.xavierNormal(t, nn.init.calculateGain('tanh')),
    defaultLinear: (t) => noGrad(() => t.copy_(new nn.Linear(t.shape[1], t.shape[0]).weight)),
    defaultConv2d: (t) => noGrad(() => t.copy_(new nn.Conv2d(t.shape[1], t.shape[0], [t.shape[2], t.shape[3]]).weight)),
  };

  it('has a fill for every fixture row', () => {
    expect(Object.keys(fills).sort()).toEqual(fixture.init.map((r) => r.name).sort());
  });

  it.each(fixture.init.map((r) => [r.name, r] as const))('%s', (name, row) => {
    manualSeed(7);
    const t = Tensor.zeros(row.shape);
    fills[name](t);
    const std = t.std().item();
    // Two samples of ≥ 30,000 draws: their stds agree to well under 2%, and the means are near 0.
    expect(Math.abs(std - row.std) / row.std).toBeLessThan(0.02);
    expect(Math.abs(t.mean().item())).toBeLessThan(0.05 * row.std);
    const absMax = t.abs().max().item();
    const uniform = name.includes('Uniform') || name.startsWith('default');
    // A uniform init reaches within 1% of its bound; torch's largest draw estimates that bound.
    if (uniform) expect(Math.abs(absMax - row.absMax) / row.absMax).toBeLessThan(0.01);
  });

  it('errors say what is unsupported', () => {
    expect(() => nn.init.kaimingUniform(Tensor.zeros([3]))).toThrow('kaimingUniform: fan in and fan out need a tensor with at least 2 dims, got [3]');
    expect(() => nn.init.calculateGain('swish' as nn.init.Nonlinearity)).toThrow(/unsupported nonlinearity "swish"/);
  });
});
