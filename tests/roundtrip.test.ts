/**
 * From tsgrad to PyTorch and back (src/nn/torch.ts).
 *
 * Without PyTorch: the state_dict names and dtypes, model.py's text, refusals by name, and
 * loadFromTorch's checks (every name, shape and dtype; nothing written on failure).
 * With PyTorch (/usr/bin/python3 with torch; .ci/run installs Debian's python3-torch): learnMnist's
 * models and a model with every layer type tsgrad has are trained a few steps, exported, rebuilt by
 * PyTorch from model.py (scripts/torch_roundtrip.py) and must give tsgrad's logits on a batch of
 * digits within 1e-5; then PyTorch trains, saves (float32 and float64), and tsgrad loads the files
 * and must give PyTorch's logits.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Tensor, manualSeed, nn, noGrad, optim, tensor } from '../src';
import { models } from '../applications/mnist/models';
import { parseArgs, trainAndEvaluate } from '../applications/learnMnist';
import { fencedBlock, runProgram, useRepoSource } from './helpers/snippets';
import { backends } from './helpers/backends';
import { referenceBackend, useBackend } from '../src/data';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, '..', 'scripts', 'torch_roundtrip.py');

let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'tsgrad-torch-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every layer type tsgrad has, in one model that runs on [B, 1, 28, 28] digits. */
class EveryLayer extends nn.Module {
  convs = new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(4), new nn.Tanh(), new nn.MaxPool2d(2),
    new nn.Conv2d(4, 4, [3, 2], { stride: [1, 2], dilation: [2, 1], groups: 2 }), new nn.GELU(),
    new nn.AvgPool2d(2, 2, 1), new nn.Sigmoid(),
  );
  flatten = new nn.Flatten();
  head = [new nn.Linear(4 * 6 * 4, 16), new nn.BatchNorm1d(16, { momentum: 0.2 }), new nn.ReLU(), new nn.Dropout(0.25), new nn.Linear(16, 10)];
  scale = new nn.Parameter(tensor([1.5]));
  shift = new nn.Buffer(Tensor.zeros([10]));
  softmax = new nn.Softmax(1);
  logSoftmax = new nn.LogSoftmax(1);

  forward(x: Tensor): Tensor {
    let h = this.flatten.forward(this.convs.forward(x));
    for (const layer of this.head) h = layer.forward(h);
    h = h.mul(this.scale).add(this.shift);
    return this.logSoftmax.forward(h).add(this.softmax.forward(h));
  }

  torchForward(): string[] {
    return [
      'def forward(self, x):',
      '    h = self.flatten(self.convs(x))',
      '    for layer in self.head:',
      '        h = layer(h)',
      '    h = h * self.scale + self.shift',
      '    return self.logSoftmax(h) + self.softmax(h)',
    ];
  }
}

describe('state_dict names and model.py', () => {
  test("LargeNet's names are PyTorch's, with num_batches_tracked as int64", () => {
    const names = nn.stateNames(new models.large());
    const bn = names.filter((n) => n.torch.startsWith('features.1.'));
    expect(bn).toEqual([
      { torch: 'features.1.weight', tsgrad: 'features.1.weight', dtype: 'F32', shape: [32] },
      { torch: 'features.1.bias', tsgrad: 'features.1.bias', dtype: 'F32', shape: [32] },
      { torch: 'features.1.running_mean', tsgrad: 'features.1.runningMean', dtype: 'F32', shape: [32] },
      { torch: 'features.1.running_var', tsgrad: 'features.1.runningVar', dtype: 'F32', shape: [32] },
      { torch: 'features.1.num_batches_tracked', tsgrad: null, dtype: 'I64', shape: [] },
    ]);
    expect(names.map((n) => n.torch)).toContain('classifier.4.weight');
  });

  test('exportToTorch writes model.safetensors (int64 num_batches_tracked) and model.py', () => {
    manualSeed(3);
    const model = new models.large();
    const out = nn.exportToTorch(model, join(dir, 'large'));
    const read = nn.data.loadSafetensors(out.weights, { convert: true });
    expect(read.dtypes['features.1.num_batches_tracked']).toBe('I64');
    expect(read.tensors['features.1.num_batches_tracked'].shape).toEqual([]);
    expect(read.tensors['classifier.2.weight'].toArray()).toEqual(model.classifier.layers[2].stateDict().weight.toArray());
    const python = readFileSync(out.python, 'utf8');
    expect(python).toContain('class LargeNet(nn.Module):');
    expect(python).toContain('nn.BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)');
    expect(python).toContain('nn.Dropout(p=0.3)');
  });

  test('every layer type translates; arrays become ModuleList, own parameters and buffers keep their names', () => {
    const { python, names } = nn.translateToTorch(new EveryLayer());
    for (const layer of ['Conv2d', 'BatchNorm2d', 'Tanh', 'MaxPool2d', 'GELU(approximate=\'tanh\')', 'AvgPool2d', 'Sigmoid', 'Flatten', 'Linear', 'BatchNorm1d', 'ReLU', 'Dropout', 'Softmax', 'LogSoftmax']) {
      expect(python).toContain(`nn.${layer}`);
    }
    expect(python).toContain('self.head = nn.ModuleList([');
    expect(python).toContain("self.register_buffer('shift', torch.zeros((10,)))");
    expect(names.map((n) => n.torch)).toEqual(expect.arrayContaining(['head.1.num_batches_tracked', 'scale', 'shift', 'convs.0.weight']));
  });

  test("a module of the user's own without torchForward is refused by name, and nothing is written", () => {
    class Mine extends nn.Module {
      fc = new nn.Linear(2, 2);
      forward(x: Tensor): Tensor { return this.fc.forward(x).exp(); }
    }
    const net = new nn.Sequential(new nn.Linear(2, 2), new Mine());
    expect(() => nn.exportToTorch(net, join(dir, 'refused'))).toThrow("exportToTorch: Mine (at '1') is a module of your own, and tsgrad cannot translate its forward");
    expect(() => readFileSync(join(dir, 'refused', 'model.py'))).toThrow();
    expect(nn.stateNames(net).map((n) => n.torch)).toEqual(['0.weight', '0.bias', '1.fc.weight', '1.fc.bias']);
  });

  test('a tensor shared by two layers is refused by name', () => {
    const a = new nn.Linear(2, 2);
    const b = new nn.Linear(2, 2);
    (b as unknown as { weight: nn.Parameter }).weight = a.weight;
    expect(() => nn.translateToTorch(new nn.Sequential(a, b))).toThrow('found twice or not in it (a tensor shared by two layers?): 1.weight');
  });
});

describe('docs/pytorch.md', () => {
  test('the export example prints what its comments say, and model.py holds the build() shown', () => {
    const source = fencedBlock('docs/pytorch.md', 'ts export-example');
    const { lines } = runProgram(useRepoSource(source));
    const promised = source.split('\n').map((l) => l.match(/(?:^|; )\/\/ → (.*)$/)?.[1]).filter((l) => l !== undefined);
    expect(lines.join('\n')).toBe(promised.join('\n'));
    const python = readFileSync('out/tsgrad-to-pytorch/model.py', 'utf8');
    expect(python).toContain(fencedBlock('docs/pytorch.md', 'python export-python'));
  });
});

describe('learnMnist --export', () => {
  test('parses, and writes model.py and model.safetensors after training', async () => {
    expect(parseArgs(['--export', 'out/x'])).toEqual({ export: 'out/x' });
    const folder = join(dir, 'learnMnist');
    const lines: string[] = [];
    const result = await trainAndEvaluate({ model: 'small', epochs: 1, trainLimit: 64, testLimit: 32, batchSize: 32, export: folder, log: (l) => lines.push(l), progress: null });
    expect(lines).toContain(`exported for PyTorch: ${join(folder, 'model.py')} and model.safetensors`);
    const fresh = new models.small();
    expect(nn.loadFromTorch(fresh, join(folder, 'model.safetensors'))).toEqual([]);
    expect(fresh.stateDict()['fc.weight'].toArray()).toEqual(result.model.stateDict()['fc.weight'].toArray());
  }, 60_000);
});

describe('loadFromTorch checks everything before writing', () => {
  function file(name: string, tensors: Record<string, { dtype: string; values: number[]; shape: number[] }>): string {
    const header: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    let offset = 0;
    for (const [key, t] of Object.entries(tensors)) {
      const size = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8 }[t.dtype] as number;
      const bytes = Buffer.alloc(t.values.length * size);
      t.values.forEach((v, i) => {
        if (t.dtype === 'F32') bytes.writeFloatLE(v, i * 4);
        else if (t.dtype === 'F64') bytes.writeDoubleLE(v, i * 8);
        else if (t.dtype === 'I64') bytes.writeBigInt64LE(BigInt(v), i * 8);
        else bytes.writeUInt16LE(v, i * 2); // F16 and BF16 given as raw bits
      });
      header[key] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
      chunks.push(bytes);
      offset += bytes.length;
    }
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    const path = join(dir, name);
    require('fs').writeFileSync(path, Buffer.concat([length, json, ...chunks]));
    return path;
  }

  const good = {
    '0.weight': { dtype: 'F64', values: [1, 2, 3, 4], shape: [2, 2] },
    '0.bias': { dtype: 'F16', values: [0x3c00, 0xc000], shape: [2] }, // 1, -2
    '1.weight': { dtype: 'BF16', values: [0x3f00, 0xbe80], shape: [2] }, // 0.5, -0.25
    '1.bias': { dtype: 'F32', values: [0, 1], shape: [2] },
    '1.running_mean': { dtype: 'F32', values: [3, 4], shape: [2] },
    '1.running_var': { dtype: 'F32', values: [5, 6], shape: [2] },
    '1.num_batches_tracked': { dtype: 'I64', values: [7], shape: [] },
  };
  const makeNet = (): nn.Sequential => new nn.Sequential(new nn.Linear(2, 2), new nn.BatchNorm1d(2));

  test('F64, F16 and BF16 are converted and num_batches_tracked dropped, each with a note', () => {
    const net = makeNet();
    const notes = nn.loadFromTorch(net, file('good.safetensors', good));
    expect(notes).toEqual(['0.weight: F64 converted to float32', '0.bias: F16 converted to float32', '1.weight: BF16 converted to float32', '1.num_batches_tracked: dropped (tsgrad\'s BatchNorm does not count batches)']);
    const state = net.stateDict();
    expect(state['0.weight'].toArray()).toEqual([[1, 2], [3, 4]]);
    expect(state['0.bias'].toArray()).toEqual([1, -2]);
    expect(state['1.weight'].toArray()).toEqual([0.5, -0.25]);
    expect(state['1.runningVar'].toArray()).toEqual([5, 6]);
  });

  test.each([
    ['a missing name', { ...good, '1.running_var': undefined }, 'missing keys: 1.running_var'],
    ['an unexpected name (a tsgrad name)', { ...good, '1.runningMean': good['1.running_mean'] }, 'unexpected keys: 1.runningMean'],
    ['an integer weight', { ...good, '1.weight': { dtype: 'I64', values: [1, 2], shape: [2] } }, 'dtype mismatch: 1.weight: I64, expected a float dtype'],
    ['a float num_batches_tracked', { ...good, '1.num_batches_tracked': { dtype: 'F32', values: [7], shape: [] } }, 'dtype mismatch: 1.num_batches_tracked: F32, expected I64'],
    ['a wrong shape', { ...good, '1.bias': { dtype: 'F32', values: [0, 1, 2], shape: [3] } }, 'shape mismatch: 1.bias: checkpoint [3], model [2]'],
  ])('%s is refused and the model is left as it was', (label, tensors, message) => {
    const net = makeNet();
    const before = Object.entries(net.stateDict()).map(([k, t]) => [k, t.toArray()]);
    const defined = Object.fromEntries(Object.entries(tensors).filter(([, t]) => t !== undefined)) as typeof good;
    const path = file(`bad-${label.replace(/\W/g, '')}.safetensors`, defined);
    expect(() => nn.loadFromTorch(net, path)).toThrow(message);
    expect(() => nn.loadFromTorch(net, path)).toThrow(nn.CheckpointError);
    expect(Object.entries(net.stateDict()).map(([k, t]) => [k, t.toArray()])).toEqual(before);
  });
});

// ---- with PyTorch itself ------------------------------------------------------------------------

const torchCheck = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const noTorch = torchCheck.status === 0 ? null : `${PYTHON} cannot import torch (${(torchCheck.stderr || String(torchCheck.error)).trim().split('\n').pop()}); install Debian's python3-torch`;
const withTorch = noTorch ? describe.skip : describe;
// Without torch the PyTorch half is skipped, saying why; CI sets TSGRAD_TEST_TORCH=1, which makes that a failure.
if (noTorch && process.env.TSGRAD_TEST_TORCH === '1') test('PyTorch is importable (TSGRAD_TEST_TORCH=1)', () => { throw new Error(noTorch); });
else if (noTorch) test.skip(`the round trip with PyTorch: skipped, ${noTorch}`, () => undefined);

/** Runs scripts/torch_roundtrip.py; returns what it printed. */
function python(...args: string[]): string {
  const run = spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${PYTHON} ${SCRIPT} ${args.join(' ')} failed (${run.status}):\n${run.stderr}`);
  return run.stdout;
}

/** A batch of 32 npm digits, 3 or 4 of each class, and their labels. */
function digits(): { images: Tensor; labels: Tensor } {
  const data = nn.data.loadNpmMnist();
  const indices = Array.from({ length: 32 }, (_, i) => (i * 313) % data.length);
  const { images, labels } = data.batch(indices);
  return { images, labels };
}

function maxDifference(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return Math.max(...a.sub(b).abs().reshape([-1]).toArray() as number[]);
}

const cases: [string, () => nn.Module][] = [
  ["learnMnist's default model (CompactNet)", () => new models.compact()],
  ['MediumNet', () => new models.medium()],
  ["edugrad's ConvNet (SmallNet)", () => new models.small()],
  ['LargeNet (batch norm, dropout, Sequential)', () => new models.large()],
  ['every layer type tsgrad has', () => new EveryLayer()],
];

withTorch('round trip with PyTorch', () => {
  let batch: { images: Tensor; labels: Tensor };
  beforeAll(() => {
    batch = digits();
    nn.data.saveSafetensors(join(dir, 'batch.safetensors'), batch);
  });

  test('the PyTorch command of docs/pytorch.md runs as written', () => {
    nn.exportToTorch(new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(4 * 13 * 13, 10)), 'out/tsgrad-to-pytorch');
    const command = fencedBlock('docs/pytorch.md', 'sh export-torch');
    const run = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('torch.Size([2, 10])');
  });

  describe.each(backends)('on the %s backend', (backendName, backend) => {
    beforeAll(() => useBackend(backend));
    afterAll(() => useBackend(referenceBackend));

    test.each(cases)('%s: tsgrad trains and exports, PyTorch rebuilds it and gets its logits; PyTorch trains, tsgrad loads its weights and gets its logits', (label, make) => {
      manualSeed(11);
      const model = make();
      const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
      for (let step = 0; step < 2; step++) { // a few steps, so batch norm's running statistics move
        optimizer.zeroGrad();
        model.forward(batch.images).crossEntropy(batch.labels).backward();
        optimizer.step();
      }
      model.eval();
      const folder = join(dir, `${backendName}-${label.replace(/\W+/g, '-')}`);
      nn.exportToTorch(model, folder);
      const ours = noGrad(() => model.forward(batch.images));
      const printed = python('logits', folder, join(dir, 'batch.safetensors'), join(folder, 'logits.safetensors'));
      expect(printed.trimEnd()).toBe(model.toString()); // the same modules and settings, as both print them
      const theirs = nn.data.loadSafetensors(join(folder, 'logits.safetensors')).tensors.logits;
      expect(maxDifference(ours, theirs)).toBeLessThan(1e-5);

      const [weights, weights64, logits] = ['trained.safetensors', 'trained64.safetensors', 'trained-logits.safetensors'].map((f) => join(folder, f));
      python('train', folder, join(dir, 'batch.safetensors'), weights, weights64, logits);
      const torchLogits = nn.data.loadSafetensors(logits).tensors.logits;
      expect(maxDifference(torchLogits, ours)).toBeGreaterThan(1e-4); // PyTorch's training changed the model
      for (const file of [weights, weights64]) {
        const loaded = make().eval();
        const notes = nn.loadFromTorch(loaded, file);
        expect(notes.every((n) => /num_batches_tracked: dropped|F64 converted/.test(n))).toBe(true);
        expect(maxDifference(noGrad(() => loaded.forward(batch.images)), torchLogits)).toBeLessThan(1e-5);
      }
    }, 120_000);
  });
});
