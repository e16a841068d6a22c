/**
 * Arguments as a plain-JavaScript caller passes them. Every public method and static of Tensor is
 * called with a valid call first, then with each argument replaced by a bad value (null, undefined,
 * a string, an object, left out, and kind-specific ones such as 1.5 for an integer): each must throw
 * an error that names the op, never a raw TypeError from inside the library.
 *
 * `methods` must list every method on Tensor.prototype and every static, so a new method without
 * checks fails this suite until it gets a row (and its checks).
 * Also: what tensor() accepts, varargs sizes, dtype, and the size-like arguments of conv, pool and pad.
 */
import { nn, Tensor, tensor } from '../src';

/** One argument: a factory for a valid value, and whether leaving it out (or null) is valid. */
interface Arg {
  good: () => unknown;
  optional?: boolean;
  nullable?: boolean;
  /** An options object: `{}` is valid. */
  options?: boolean;
  bad?: unknown[];
}

/** A method's receiver (a 2×2 tensor unless given) and its arguments; `rest` for varargs methods. */
interface Case {
  self?: () => Tensor;
  args: Arg[];
}

const x22 = (): Tensor => tensor([[1, 2], [3, 4]]);
const probs = (): Tensor => tensor([[0.2, 0.7], [0.4, 0.9]]);
const tensorArg = (good: () => Tensor = x22): Arg => ({ good, bad: [1.5, [1, 2], true] });
const optTensor = (good: () => Tensor): Arg => ({ good, optional: true, nullable: true, bad: [1.5, [1, 2]] });
const scalarOrTensor = (good: () => unknown = () => 2): Arg => ({ good, bad: [true, [1, 2]] });
const num = (good: number): Arg => ({ good: () => good, bad: [true, [1]] });
const optNum = (good: number): Arg => ({ good: () => good, optional: true, bad: [true, [1]] });
const int = (good: number): Arg => ({ good: () => good, bad: [1.5, NaN, true] });
const optInt = (good: number): Arg => ({ good: () => good, optional: true, bad: [1.5, NaN, true] });
const optBool = (good: boolean): Arg => ({ good: () => good, optional: true, bad: [1, 'true'] });
const optDims = (good: number | number[]): Arg => ({ good: () => good, optional: true, bad: [1.5, [0, 'a'], [0.5]] });
const sizes = (good: number[]): Arg => ({ good: () => good, bad: [[2, 'a'], [1.5, 2], 1.5] });
const shape = (good: number[]): Arg => ({ good: () => good, bad: [[2, -1], [1.5], 3] });
const options = (good: object = { requiresGrad: false }): Arg => ({ good: () => good, optional: true, options: true, bad: [5, [1], { requiresGrad: 'yes' }, { dtype: 'int64' }] });
const lossOptions = (): Arg => ({ good: () => ({ reduction: 'sum' }), optional: true, options: true, bad: [5, [1], { reduction: 'all' }] });
const pair = (good: number, min: number): Arg => ({ good: () => good, bad: [1.5, min - 1, [1, 'a'], [1, 2, 3]] });
const optPair = (good: number, min: number): Arg => ({ ...pair(good, min), optional: true, nullable: true });
const tensors = (): Arg => ({ good: () => [x22(), x22()], bad: [[], [x22(), null], x22()] });

const none: Case = { args: [] };
const binary: Case = { args: [scalarOrTensor()] };
const reduction: Case = { args: [optDims(1), optBool(true)] };
const classLoss: Case = { self: () => Tensor.rand([2, 3]), args: [tensorArg(() => tensor([0, 2])), lossOptions()] };
const pairLoss: Case = { self: probs, args: [tensorArg(() => tensor([[0, 1], [1, 0]])), lossOptions()] };
const pool: Case = { self: () => Tensor.rand([1, 1, 4, 4]), args: [pair(2, 1), optPair(2, 1), optPair(0, 0)] };
const createLike: Case = { args: [tensorArg(), options()] };
const create: Case = { args: [shape([2, 3]), options()] };

/** Every public method of Tensor.prototype. */
const methods: Record<string, Case> = {
  numel: none, toArray: none, detach: none, clone: none, toString: none,
  item: { self: () => tensor(3), args: [] },
  dispose: none,
  backward: {
    self: () => tensor(2, { requiresGrad: true }).mul(1),
    args: [{ good: () => tensor(1), optional: true, options: true, bad: [1.5, [1, 2], { gradient: 'a' }, { retainGraph: 'yes' }] }],
  },
  requiresGrad_: { args: [optBool(true)] },
  retainGrad: { self: () => tensor(2, { requiresGrad: true }).mul(1), args: [] },
  add: binary, sub: binary, mul: binary, div: binary, maximum: binary, minimum: binary,
  pow: binary,
  neg: none, exp: none, log: none, sqrt: none, sin: none, relu: none, sigmoid: none, cos: none, tanh: none, abs: none, reciprocal: none,
  clamp: { args: [optNum(0), optNum(1)] },
  lt: binary, gt: binary, le: binary, ge: binary, eq: binary, ne: binary,
  sum: reduction, mean: reduction, max: reduction, min: reduction,
  argmax: { args: [optInt(1), optBool(true)] },
  argmin: { args: [optInt(1), optBool(true)] },
  var: { args: [optDims(1), optBool(true), optNum(0)] },
  std: { args: [optDims(1), optBool(true), optNum(0)] },
  reshape: { args: [sizes([4, 1])] },
  view: { args: [sizes([4])] },
  permute: { args: [sizes([1, 0])] },
  expand: { args: [sizes([3, 2, 2])] },
  flip: { args: [sizes([0])] },
  transpose: { args: [int(0), int(1)] },
  squeeze: { args: [optInt(0)] },
  unsqueeze: { args: [int(0)] },
  flatten: { args: [optInt(0), optInt(1)] },
  pad: { args: [{ good: () => [1, 1], bad: [[1, 'a'], [-1, 1], [1.5, 1], 1] }, optNum(0)] },
  narrow: { args: [int(0), int(0), int(1)] },
  slice: { args: [{ good: () => 0, optional: true, nullable: true, bad: [1.5, [0, 'a'], [0, 1, 1, 1]] }] },
  matmul: { args: [tensorArg()] },
  dot: { self: () => tensor([1, 2]), args: [tensorArg(() => tensor([3, 4]))] },
  linear: { args: [tensorArg(() => Tensor.rand([3, 2])), optTensor(() => Tensor.rand([3]))] },
  softmax: { args: [int(1)] },
  logSoftmax: { args: [int(1)] },
  conv2d: {
    self: () => Tensor.rand([1, 1, 4, 4]),
    args: [tensorArg(() => Tensor.rand([1, 1, 3, 3])), optTensor(() => Tensor.rand([1])), { good: () => ({ stride: 1 }), optional: true, options: true, bad: [5, [1], { stride: 0 }, { dilation: 0 }, { padding: -1 }, { groups: 0 }] }],
  },
  maxPool2d: pool,
  avgPool2d: pool,
  dropout: { args: [optNum(0.5), optBool(true)] },
  crossEntropy: { ...classLoss, args: [...classLoss.args.slice(0, 1), { ...lossOptions(), bad: [5, { reduction: 'all' }, { labelSmoothing: 'a' }] }] },
  nllLoss: classLoss,
  mseLoss: pairLoss, binaryCrossEntropy: pairLoss, binaryCrossEntropyWithLogits: pairLoss,
  add_: binary, sub_: binary, mul_: binary, div_: binary,
  copy_: { args: [tensorArg()] },
  fill_: { args: [num(1)] },
  zero_: none,
  // indexing and the extra ops
  elu: { args: [optNum(1)] },
  cumsum: { args: [int(0)] },
  multinomial: { self: () => tensor([0.2, 0.8]), args: [int(1), optBool(false)] },
  at: { args: [{ good: () => 0, optional: true, nullable: true, bad: [1.5, 'ab', true] }] },
  indexPut: { args: [{ good: () => [0], bad: [0, [1.5]] }, scalarOrTensor(() => 5), optBool(false)] },
  indexPut_: { args: [{ good: () => [0], bad: [0, [1.5]] }, scalarOrTensor(() => 5), optBool(false)] },
  indexAdd: { args: [int(0), tensorArg(() => tensor([0])), tensorArg(() => tensor([[1, 1]]))] },
  gather: { args: [int(1), tensorArg(() => tensor([[0, 0], [1, 0]]))] },
  scatter: { args: [int(1), tensorArg(() => tensor([[0, 0], [1, 0]])), scalarOrTensor(() => tensor([[5, 6], [7, 8]]))] },
  scatterAdd: { args: [int(1), tensorArg(() => tensor([[0, 0], [1, 0]])), tensorArg(() => tensor([[5, 6], [7, 8]]))] },
  split: { args: [{ good: () => 1, bad: [1.5, [1, 'a'], true] }, optInt(0)] },
  chunk: { args: [int(2), optInt(0)] },
  repeat: { args: [sizes([2, 1])] },
  mm: { args: [tensorArg()] },
  mv: { args: [tensorArg(() => tensor([1, 2]))] },
  bmm: { self: () => Tensor.rand([2, 2, 2]), args: [tensorArg(() => Tensor.rand([2, 2, 2]))] },
};

/** Every static of Tensor. */
const statics: Record<string, Case> = {
  zeros: create, ones: create, rand: create, randn: create,
  full: { args: [shape([2]), num(1.5), options()] },
  arange: { args: [num(3), optNum(5), optNum(1), options()] },
  eye: { args: [int(2), optInt(3), options()] },
  uniform: { args: [shape([2]), optNum(-1), optNum(1), options()] },
  zerosLike: createLike, onesLike: createLike, randLike: createLike, randnLike: createLike,
  fullLike: { args: [tensorArg(), num(2), options()] },
  where: { args: [tensorArg(() => tensor([1, 0])), scalarOrTensor(), scalarOrTensor()] },
  cat: { args: [tensors(), optInt(0)] },
  stack: { args: [tensors(), optInt(0)] },
  empty: create,
  randint: { args: [int(0), int(5), shape([2]), options()] },
  normal: { args: [num(0), num(1), shape([2]), options()] },
  broadcastTensors: { args: [{ good: x22, optional: true, bad: [1.5, [x22()]] }] },
};

/** Private helpers on the prototype (TypeScript's `private` is not private at run time). */
const privateHelpers = ['constructor', 'initialGrad', 'lift', 'broadcastTo', 'binary', 'compare', 'axes', 'nonEmptyAxes', 'poolWindows', 'inPlace', 'checkSameShape', 'checkClassInput'];

const common: unknown[] = [null, undefined, 'a', {}];

/** [label, bad args] for every argument of a case: each bad value in turn, and the call cut short before a required argument. */
function badCalls(c: Case): [string, () => unknown[]][] {
  const calls: [string, () => unknown[]][] = [];
  c.args.forEach((arg, i) => {
    const before = (): unknown[] => c.args.slice(0, i).map((a) => a.good());
    const after = (): unknown[] => c.args.slice(i + 1).map((a) => a.good());
    const values = [...common, ...(arg.bad ?? [])].filter((v) =>
      !(v === undefined && arg.optional) && !(v === null && arg.nullable) && !(arg.options && isEmptyObject(v)));
    for (const v of values) calls.push([`argument ${i} = ${label(v)}`, () => [...before(), v, ...after()]]);
    if (!arg.optional) calls.push([`argument ${i} left out`, before]);
  });
  return calls;
}

function isEmptyObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
}

function label(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  return JSON.stringify(v, (_key, value: unknown) => (value instanceof Tensor ? `Tensor${JSON.stringify(value.shape)}` : value));
}

function expectNamedError(name: string, call: () => unknown): void {
  let error: unknown = null;
  try {
    call();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(Error);
  const message = (error as Error).message;
  expect(message).toContain(`${name}:`);
  expect(message).not.toMatch(/Cannot read propert|is not a function|is not iterable|of undefined|of null/);
}

describe('the method tables', () => {
  it('list every public method of Tensor.prototype', () => {
    const own = Object.getOwnPropertyNames(Tensor.prototype).filter((n) => {
      const d = Object.getOwnPropertyDescriptor(Tensor.prototype, n);
      return d !== undefined && typeof d.value === 'function' && !privateHelpers.includes(n);
    });
    expect(own.filter((n) => !(n in methods))).toEqual([]);
    expect(Object.keys(methods).filter((n) => !own.includes(n))).toEqual([]);
  });

  it('list every static of Tensor', () => {
    const own = Object.getOwnPropertyNames(Tensor).filter((n) => typeof (Tensor as unknown as Record<string, unknown>)[n] === 'function');
    expect(own.filter((n) => !(n in statics))).toEqual([]);
    expect(Object.keys(statics).filter((n) => !own.includes(n))).toEqual([]);
  });
});

describe.each(Object.entries(methods))('Tensor.prototype.%s', (name, c) => {
  const call = (args: unknown[]): unknown => {
    const self = (c.self ?? x22)();
    return (self as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args);
  };

  it('accepts a valid call', () => {
    expect(() => call(c.args.map((a) => a.good()))).not.toThrow();
  });

  const bad = badCalls(c);
  if (bad.length > 0) {
    it.each(bad)('refuses %s, naming the op', (_label, args) => expectNamedError(name, () => call(args())));
  }
});

describe.each(Object.entries(statics))('Tensor.%s', (name, c) => {
  const call = (args: unknown[]): unknown => (Tensor as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args);

  it('accepts a valid call', () => {
    expect(() => call(c.args.map((a) => a.good()))).not.toThrow();
  });

  it.each(badCalls(c))('refuses %s, naming the op', (_label, args) => expectNamedError(name, () => call(args())));
});

describe('tensor()', () => {
  it('reads nested arrays, numbers, booleans and typed arrays', () => {
    expect(tensor([[1, 2], [3, 4]]).shape).toEqual([2, 2]);
    expect(tensor(2.5).toArray()).toBe(2.5);
    expect(tensor(true).toArray()).toBe(1);
    expect(tensor([true, false, true]).toArray()).toEqual([1, 0, 1]);
    expect(tensor(new Float32Array([0.5, 1.5])).toArray()).toEqual([0.5, 1.5]);
    expect(tensor(new Float64Array([1, 2])).toArray()).toEqual([1, 2]);
    expect(tensor(new Int32Array([-3, 4])).toArray()).toEqual([-3, 4]);
    expect(tensor(new Uint8Array([255, 0])).toArray()).toEqual([255, 0]);
    expect(tensor([new Float32Array([1, 2]), new Float32Array([3, 4])]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(tensor([NaN, Infinity]).toArray()).toEqual([NaN, Infinity]);
  });

  it.each([
    ['null', null], ['undefined', undefined], ['a string', 'abc'], ['an object', { a: 1 }],
    ['a string inside', [1, 'a']], ['null inside', [[1, 2], [3, null]]], ['a ragged array', [[1, 2], [3]]],
    ['a BigInt array', new BigInt64Array(2)],
  ])('refuses %s, naming tensor and the place', (_label, value) => {
    expectNamedError('tensor', () => tensor(value as unknown as number));
  });

  it('says where a bad value sits', () => {
    expect(() => tensor([[1, 2], [3, 'x']] as unknown as number[][])).toThrow(/tensor: data\[1\]\[1\] must be a number, a boolean, a typed array or \(nested\) arrays of these, got the string "x"/);
  });
});

describe('PyTorch-style argument forms', () => {
  const x = Tensor.arange(6);

  it('takes sizes as varargs or as one array', () => {
    expect(x.reshape(3, 2).shape).toEqual([3, 2]);
    expect(x.reshape([3, 2]).shape).toEqual([3, 2]);
    expect(x.reshape(-1, 3).shape).toEqual([2, 3]);
    expect(x.view(2, 3).shape).toEqual([2, 3]);
    expect(x.reshape(2, 3).permute(1, 0).shape).toEqual([3, 2]);
    expect(x.reshape(1, 6).expand(4, 6).shape).toEqual([4, 6]);
    expect(x.reshape(2, 3).flip(0, 1).toArray()).toEqual([[5, 4, 3], [2, 1, 0]]);
    expect(x.reshape(2, 3).flip([1]).toArray()).toEqual([[2, 1, 0], [5, 4, 3]]);
    expect(tensor([5]).reshape([]).shape).toEqual([]);
  });

  it('refuses a shape left out', () => {
    expect(() => (x.reshape as () => Tensor)()).toThrow(/reshape: shape must be given, as integers \(reshape\(2, 3\)\) or one array \(reshape\(\[2, 3\]\)\), got undefined/);
  });

  it('takes JS numbers where PyTorch takes a Python scalar', () => {
    const t = tensor([1, 2, 3]);
    expect(t.add(1).toArray()).toEqual([2, 3, 4]);
    expect(t.maximum(2).toArray()).toEqual([2, 2, 3]);
    expect(t.minimum(2).toArray()).toEqual([1, 2, 2]);
    expect(t.pow(2).toArray()).toEqual([1, 4, 9]);
    expect(t.ge(2).toArray()).toEqual([0, 1, 1]);
    expect(Tensor.where(tensor([1, 0, 1]), 7, t).toArray()).toEqual([7, 2, 7]);
    expect(t.clamp(1.5, 2.5).toArray()).toEqual([1.5, 2, 2.5]);
  });

  it('names the op for the calls that used to end in raw TypeErrors', () => {
    expect(() => tensor([1]).matmul(1.5 as unknown as Tensor)).toThrow(/^matmul: other must be a Tensor, got the number 1.5$/);
    expect(() => tensor([1]).add(null as unknown as number)).toThrow(/^add: other must be a Tensor or a number, got null$/);
    expect(() => (tensor([1]).dot as () => Tensor)()).toThrow(/^dot: other must be a Tensor, got undefined$/);
  });
});

describe('dtype', () => {
  it('is float32, and float32 may be asked for', () => {
    expect(tensor([1]).dtype).toBe('float32');
    expect(tensor([1], { dtype: 'float32' }).dtype).toBe('float32');
    expect(Tensor.zeros([2], { dtype: 'float32' }).dtype).toBe('float32');
  });

  it('refuses any other dtype by name', () => {
    const ask = (f: (o: object) => Tensor, dtype: string): (() => Tensor) => () => f({ dtype });
    expect(ask((o) => tensor([1], o), 'int64')).toThrow(/^tensor: dtype 'int64' is not supported; tsgrad computes in float32 only/);
    expect(ask((o) => Tensor.zeros([2], o), 'float64')).toThrow(/^zeros: dtype 'float64' is not supported/);
    expect(ask((o) => Tensor.arange(3, undefined, 1, o), 'int32')).toThrow(/^arange: dtype 'int32' is not supported/);
    expect(ask((o) => Tensor.randn([2], o), 'float16')).toThrow(/^randn: dtype 'float16' is not supported/);
  });
});

describe('size-like arguments of conv, pool and pad', () => {
  const x = Tensor.rand([1, 1, 5, 5]);
  const w = Tensor.rand([1, 1, 3, 3]);

  it.each([
    ['dilation 0', { dilation: 0 }, /^conv2d: dilation must be an integer ≥ 1 or a pair \[h, w\] of them, got 0$/],
    ['dilation [1, 0]', { dilation: [1, 0] }, /^conv2d: dilation must be .*, got \[1, 0\]$/],
    ['stride 0', { stride: 0 }, /^conv2d: stride must be an integer ≥ 1 or a pair \[h, w\] of them, got 0$/],
    ['stride 1.5', { stride: 1.5 }, /^conv2d: stride must be .*, got 1.5$/],
    ['padding -1', { padding: -1 }, /^conv2d: padding must be an integer ≥ 0 or a pair \[h, w\] of them, got -1$/],
    ['padding "same"', { padding: 'same' }, /^conv2d: padding must be .*, got the string "same"$/],
    ['groups 0', { groups: 0 }, /^conv2d: groups 0 must divide/],
    ['groups 1.5', { groups: 1.5 }, /^conv2d: groups must be an integer, got the number 1.5$/],
    ['a kernel larger than the input', { dilation: 3 }, /^conv2d: the kernel \[3,3\] with dilation \[3,3\] spans \[7,7\], more than the padded input \[5,5\]; the output would be \[0,0\]/],
  ])('conv2d refuses %s', (_label, args, message) => {
    expect(() => x.conv2d(w, undefined, args as never)).toThrow(message);
  });

  it('conv2d accepts a kernel that fits only with padding', () => {
    expect(Tensor.rand([1, 1, 2, 2]).conv2d(w, undefined, { padding: 1 }).shape).toEqual([1, 1, 2, 2]);
  });

  it.each(['maxPool2d', 'avgPool2d'] as const)('%s checks kernel, stride and padding by name', (op) => {
    expect(() => x[op](2, 0)).toThrow(new RegExp(`^${op}: stride must be an integer ≥ 1 or a pair \\[h, w\\] of them, got 0$`));
    expect(() => x[op](0)).toThrow(new RegExp(`^${op}: kernel must be an integer ≥ 1`));
    expect(() => x[op]([2, 1.5])).toThrow(new RegExp(`^${op}: kernel must be .*, got \\[2, 1.5\\]$`));
    expect(() => x[op](3, 1, -1)).toThrow(new RegExp(`^${op}: padding must be an integer ≥ 0`));
    expect(() => x[op](3, [1, 0])).toThrow(new RegExp(`^${op}: stride must be .*, got \\[1, 0\\]$`));
  });

  it.each(['maxPool2d', 'avgPool2d'] as const)('%s refuses a kernel larger than the input, as PyTorch does', (op) => {
    expect(() => Tensor.rand([1, 1, 2, 2])[op](3)).toThrow(new RegExp(`^${op}: the kernel \\[3,3\\] is larger than the input \\[2,2\\] \\(padded: \\[2,2\\]\\); the output would be empty`));
    expect(Tensor.rand([1, 1, 2, 2])[op](3, 1, 1).shape).toEqual([1, 1, 2, 2]);
  });

  it('pad refuses negative and fractional counts by name', () => {
    expect(() => x.pad([-1, 1])).toThrow(/^pad: pads\[0\] must be a non-negative integer \(tsgrad does not crop with negative pads\), got the number -1$/);
    expect(() => x.pad([1, 1.5])).toThrow(/^pad: pads\[1\] must be an integer, got the number 1.5$/);
  });

  it('the layers check their settings when built', () => {
    expect(() => new nn.Conv2d(1, 1, 3, { dilation: 0 })).toThrow(/^Conv2d: dilation must be an integer ≥ 1/);
    expect(() => new nn.Conv2d(1, 1, 3, { stride: 0 })).toThrow(/^Conv2d: stride must be an integer ≥ 1/);
    expect(() => new nn.Conv2d(1, 1, 0)).toThrow(/^Conv2d: kernelSize must be an integer ≥ 1/);
    expect(() => new nn.Conv2d(1, 1, 3, { padding: -2 })).toThrow(/^Conv2d: padding must be an integer ≥ 0/);
    expect(() => new nn.MaxPool2d(2, 0)).toThrow(/^MaxPool2d: stride must be an integer ≥ 1/);
    expect(() => new nn.AvgPool2d(0)).toThrow(/^AvgPool2d: kernelSize must be an integer ≥ 1/);
    expect(() => new nn.MaxPool2d(2, 1, -1)).toThrow(/^MaxPool2d: padding must be an integer ≥ 0/);
  });
});
