/**
 * Printing against PyTorch: each row of tests/fixtures/print.json (written by
 * scripts/generate_print_fixtures.py) holds the text `repr()` gives in PyTorch 1.13; tsgrad's
 * `toString()`, `String(t)` and Node's `util.inspect` (what console.log prints) must give the same.
 * The op and module tables below must name exactly the fixture's rows.
 */
import { inspect } from 'util';
import { readFileSync } from 'fs';
import { join } from 'path';
import { apply, nn, Tensor, TensorData, tensor } from '../src';
import { Cube } from '../scripts/make_figures';
import { referenceBackend, useBackend } from '../src/data';
import { backends } from './helpers/backends';

interface TensorRow { name: string; shape: number[]; values: string[]; requiresGrad: boolean; op: string | null; expected: string }
interface ModuleRow { name: string; expected: string }

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'print.json'), 'utf8')) as { tensors: TensorRow[]; modules: ModuleRow[] };

/** The ops applied before printing, by the names the generator uses. */
const opTable: Record<string, (x: Tensor) => Tensor> = {
  mul2: (x) => x.mul(2),
  add1: (x) => x.add(1),
  exp: (x) => x.exp(),
  neg: (x) => x.neg(),
  sum: (x) => x.sum(),
  relu: (x) => x.relu(),
  sigmoid: (x) => x.sigmoid(),
  parameter: (x) => new nn.Parameter(x),
  cube: (x) => apply(new Cube(), x),
  pow2: (x) => x.pow(2),
  pow_tensor: (x) => x.pow(tensor(2)),
  clamp01: (x) => x.clamp(0, 1),
  clamp_min0: (x) => x.clamp(0),
  tanh: (x) => x.tanh(),
  std: (x) => x.std(),
  cumsum: (x) => x.cumsum(0),
  max_pool2: (x) => x.maxPool2d(2),
  conv_ones3: (x) => x.conv2d(Tensor.ones([1, 1, 3, 3])),
  copy_double: (x) => x.clone().copy_(x.mul(2)),
  fill2: (x) => x.clone().fill_(2),
  add_through_view_base: (x) => addThroughView(x)[0],
  add_through_view_view: (x) => addThroughView(x)[1],
};

/** A copy of x with 1 added to its first cell through a view: [the base, the view]. */
function addThroughView(x: Tensor): [Tensor, Tensor] {
  const base = x.clone();
  const view = base.narrow(0, 0, 1);
  view.add_(1);
  return [base, view];
}

class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 8, 3, { padding: 1 });
  pool = new nn.MaxPool2d(2);
  body = new nn.Sequential(new nn.Flatten(), new nn.Linear(8 * 14 * 14, 10));
  forward(x: Tensor): Tensor { return this.body.forward(this.pool.forward(this.conv1.forward(x))); }
}

class Stack extends nn.Module {
  layers = [new nn.Linear(4, 4), new nn.Tanh(), new nn.Sequential(new nn.Linear(4, 2), new nn.Sigmoid())];
  head = new nn.Softmax(1);
  forward(x: Tensor): Tensor { return this.head.forward(this.layers.reduce((h, layer) => layer.forward(h), x)); }
}

class Empty extends nn.Module {
  forward(x: Tensor): Tensor { return x; }
}

/** The tsgrad module of each module row. */
const moduleTable: Record<string, () => nn.Module> = {
  mlp: () => new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10)),
  cnn: () => new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2), new nn.AvgPool2d(2),
    new nn.Flatten(), new nn.Dropout(0.5), new nn.Linear(8 * 7 * 7, 10), new nn.LogSoftmax(1)),
  nested: () => new Net(),
  module_list: () => new Stack(),
  empty_module: () => new Empty(),
  empty_sequential: () => new nn.Sequential(),
  linear_no_bias: () => new nn.Linear(3, 2, { bias: false }),
  conv_defaults: () => new nn.Conv2d(3, 16, 5),
  conv_all_settings: () => new nn.Conv2d(4, 8, [3, 5], { stride: 2, padding: 1, dilation: 2, groups: 2, bias: false }),
  conv_pairs: () => new nn.Conv2d(3, 6, 3, { stride: [1, 2], padding: [0, 2] }),
  maxpool: () => new nn.MaxPool2d(2),
  maxpool_stride_padding: () => new nn.MaxPool2d(3, 2, 1),
  maxpool_pair: () => new nn.MaxPool2d([2, 3]),
  avgpool: () => new nn.AvgPool2d(2),
  avgpool_pair_stride: () => new nn.AvgPool2d([2, 3], 1),
  dropout: () => new nn.Dropout(),
  dropout_quarter: () => new nn.Dropout(0.25),
  flatten: () => new nn.Flatten(),
  flatten_dims: () => new nn.Flatten(0, 2),
  batchnorm1d: () => new nn.BatchNorm1d(16),
  batchnorm2d_settings: () => new nn.BatchNorm2d(8, { eps: 1e-3, momentum: 0.2, affine: false, trackRunningStats: false }),
  relu: () => new nn.ReLU(),
  tanh: () => new nn.Tanh(),
  sigmoid: () => new nn.Sigmoid(),
  gelu_tanh: () => new nn.GELU(),
  softmax: () => new nn.Softmax(1),
  log_softmax: () => new nn.LogSoftmax(-1),
  cross_entropy_loss: () => new nn.CrossEntropyLoss(),
  nll_loss: () => new nn.NLLLoss(),
  mse_loss: () => new nn.MSELoss(),
  bce_loss: () => new nn.BCELoss(),
  bce_with_logits_loss: () => new nn.BCEWithLogitsLoss(),
};

/** Python's repr of a float, back to a number ('inf', 'nan' and '-0.0' included). */
function parseValue(text: string): number {
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  if (text === 'nan') return NaN;
  return Number(text);
}

function buildTensor(row: TensorRow): Tensor {
  const x = new Tensor(TensorData.fromArray(row.values.map(parseValue), row.shape), { requiresGrad: row.requiresGrad });
  return row.op ? opTable[row.op](x) : x;
}

describe('the print tables', () => {
  it('name the same ops and modules as the fixture', () => {
    const ops = new Set(fixture.tensors.map((r) => r.op).filter((op): op is string => op !== null));
    expect([...ops].sort()).toEqual(Object.keys(opTable).sort());
    expect(fixture.modules.map((r) => r.name).sort()).toEqual(Object.keys(moduleTable).sort());
  });
});

describe.each(backends)('printing tensors on the %s backend', (_name, backend) => {
  beforeAll(() => useBackend(backend));
  afterAll(() => useBackend(referenceBackend));

  it.each(fixture.tensors.map((r) => [r.name, r] as const))('%s', (_row, row) => {
    const t = buildTensor(row);
    expect(t.toString()).toBe(row.expected);
    expect(String(t)).toBe(row.expected);
    expect(`${t}`).toBe(row.expected);
    expect(inspect(t)).toBe(row.expected);
  });
});

describe('printing modules', () => {
  it.each(fixture.modules.map((r) => [r.name, r] as const))('%s', (name, row) => {
    const module = moduleTable[name]();
    expect(module.toString()).toBe(row.expected);
    expect(inspect(module)).toBe(row.expected);
  });

  it('prints a module met again inside its own tree as Name(...), instead of recursing forever', () => {
    class Loop extends nn.Module {
      fc = new nn.Linear(2, 2);
      self: nn.Module = this;
      forward(x: Tensor): Tensor { return this.fc.forward(x); }
    }
    expect(new Loop().toString()).toBe('Loop(\n  (fc): Linear(in_features=2, out_features=2, bias=True)\n  (self): Loop(...)\n)');
  });

  it('prints a module nested in an object through console.log as its tree', () => {
    expect(inspect({ model: new nn.ReLU() })).toBe('{ model: ReLU() }');
  });
});
