/**
 * The high level: the PyTorch-style `Tensor`, graph building (`apply`), and every op a user calls.
 *
 * Each op either applies one Function (src/function), which records a node in the graph, or is a
 * composite of other Tensor ops. Broadcasting happens here: both sides are expanded (a view) to one
 * shape before a binary Function sees them. Nothing here reads or writes raw arrays; values come in
 * and out through TensorData.
 *
 * May import: src/data, src/function, ./autograd, ./gradMode, ./doctor and ./trace (their hooks), ./format,
 * ./checks, ./creation, ./inplace, ./indexing and ./ops (whose functions the creation, in-place, indexing
 * and extra-op methods delegate to; checks, creation, inplace, indexing and ops import this file back,
 * used at call time only), ./tidy (freed-tensor checks and the `.grad` holder).
 */
import { formatShape, normalizeAxis, numel, shapesEqual, TensorData, type NestedArray, type Shape } from '../data';
import * as F from '../function';
import { ConstantInput, GraphNode, nextId, runBackward, type GraphInput } from './autograd';
import {
  creationArgs, dimsArg, intArg, likeArgs, lossArgs, nestedValuesArg, numberArg, optionalBoolArg, optionalDimsArg, optionalIntArg,
  optionalNumberArg, optionalTensorArg, optionsArg, padArgs, pairArg, reductionArgs, sizesArg, sliceSpecsArg, tensorArg, tensorDataArg,
  tensorListArg, tensorOptionsArg, tensorOrNumberArg, type DType, type TensorLike,
} from './checks';
import { formatTensor, gradFnSuffix } from './format';
import { arange, checkCreationShape, eye } from './creation';
import { isGradEnabled } from './gradMode';
import { checkForward, noteDetached, noteMadeWithoutGrad, noteTensor } from './doctor';
import { noteComposite } from './trace';
import { checkNotFreed, swapHeldGrad } from './tidy';
import { inPlace, type InPlaceOp } from './inplace';
import * as indexing from './indexing';
import type { IndexItem } from './indexing';
import * as ops from './ops';

/** Options of the tensor constructors (`tensor`, `Tensor.zeros`, ...). */
export interface TensorOptions {
  /** Make a leaf that collects gradients in `.grad` (default false). */
  requiresGrad?: boolean;
  /** Only 'float32' (the default): tsgrad computes in float32, and refuses any other dtype by name. */
  dtype?: DType;
}

/** How a loss reduces its per-element values. */
export type Reduction = 'mean' | 'sum' | 'none';

/** One entry of `slice`: an index (drops the dim), null (the whole dim), or [start, stop, step] like start:stop:step. */
export type SliceSpec = number | null | readonly [number?, number?, number?];

/** Settings of `Tensor.conv2d`; a number means the same value for height and width. */
export interface Conv2dArgs {
  /** Step between windows (default 1). */
  stride?: number | [number, number];
  /** Zeros added on each side of H and W (default 0). */
  padding?: number | [number, number];
  /** Spacing between the cells of the kernel (default 1). */
  dilation?: number | [number, number];
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
}

/** Options of `Tensor.backward` (PyTorch's `gradient` and `retain_graph`). */
export interface BackwardOptions {
  /** d(loss)/d(this); may be left out when this tensor has one element. */
  gradient?: Tensor;
  /** Keep the graph (saved values and locks) so that another backward can go through it again (default false). */
  retainGraph?: boolean;
}

/** How a view was made from its base: the base, the movement Functions in order, and the base's node when the view's node was made. */
export interface ViewLink {
  /** The tensor whose storage the view reads (itself not a view). */
  readonly base: Tensor;
  /** The movement Functions from the base to the view. */
  readonly chain: readonly F.Function[];
  /** The base's node when this view's node was recorded; when the base's node changes, the view's is made again. */
  baseNode: GraphNode | null;
  /** True when the view (or a view it was made from) was made inside noGrad: it never joins the base's history. */
  readonly madeInNoGrad: boolean;
}

/** The Functions whose result is a view of their input (when the data layer could make one). */
const viewFunctions = [F.Reshape, F.Permute, F.Expand, F.Shrink, F.Stride, F.Window, F.Index];

/** tsgrad's own Function classes (their nodes print with PyTorch's variant number, `MulBackward0`). */
const BUILT_IN_FUNCTIONS = new Set<unknown>(Object.values(F));

/**
 * Applies a Function: runs its forward on the inputs' data and, when grad is on and an input requires
 * grad, records the node and raises each input's lock. This is how every differentiable op, and a
 * user-defined Function, enters the graph.
 */
export function apply(fn: F.Function, ...inputs: Tensor[]): Tensor {
  const recording = isGradEnabled();
  fn.needsInputGrad = inputs.map((t) => recording && t.requiresGrad);
  // Read before the result exists, so that every node it reads is older (a stale view gets its node here).
  const graphInputs = fn.needsInputGrad.some(Boolean) ? inputs.map(graphInputOf) : null;
  checkNotFreed(fn.constructor.name, inputs);
  const out = new Tensor(fn.forward(...inputs.map((t) => t.data)));
  checkForward(fn, inputs, out.data);
  if (graphInputs !== null) out.node = recordNode(fn, graphInputs, out, out.id);
  else if (!recording && inputs.some((t) => t.requiresGrad)) noteMadeWithoutGrad(out);
  if (inputs.length === 1 && viewFunctions.some((View) => fn instanceof View)) linkView(out, fn, inputs[0], !recording);
  return out;
}

/** What the graph keeps of a tensor read by an op: its node, itself (a leaf that requires grad), or its id, shape and version. */
export function graphInputOf(t: Tensor): GraphInput {
  return t.node ?? (t.requiresGrad ? t : new ConstantInput(t.id, t.shape, t.version));
}

/** A new node that wrote `target`, reading `inputs`; every input node's lock goes up by one. */
export function recordNode(fn: F.Function, inputs: GraphInput[], target: Tensor, id = nextId()): GraphNode {
  const node = new GraphNode(fn, inputs, target.id, target.shape, target.version, id);
  noteComposite(node);
  node.countEdges();
  return node;
}

/** The node of a view whose base changed in place: it reads the base's new node. Counted only once used (see autograd.ts), so reading `gradFn` adds no consumer to the base. */
function viewReplayNode(view: Tensor, chain: readonly F.Function[], baseNode: GraphNode): GraphNode {
  const fn = new F.ViewReplay(chain);
  fn.needsInputGrad = [true];
  return new GraphNode(fn, [baseNode], view.id, view.shape, view.version);
}

/** Adds a gradient to `t.grad` (a packed copy, so later in-place changes to either stay separate); called by the engine. */
export function accumulateGrad(t: Tensor, grad: TensorData): void {
  const current = t.grad;
  t.grad = new Tensor(current ? current.data.add(grad) : grad.clone());
}

/** Remembers that `out` is a view of `input` (so of `input`'s base), for in-place ops through it. */
function linkView(out: Tensor, fn: F.Function, input: Tensor, inNoGrad: boolean): void {
  if (!out.data.sharesStorageWith(input.data)) return;
  const parent = input.viewOf;
  const base = parent?.base ?? input;
  const madeInNoGrad = inNoGrad || (parent?.madeInNoGrad ?? false);
  out.viewOf = { base, chain: [...(parent?.chain ?? []), fn], baseNode: base.node, madeInNoGrad };
}

let nonLeafGradWarned = false;
let middleWarned = false;

/**
 * A tensor from nested arrays of numbers: `tensor([[1, 2], [3, 4]], { requiresGrad: true })`.
 * Also takes a number, booleans (true is 1) and typed arrays (`tensor(new Float32Array([1, 2]))`).
 */
export function tensor(values: TensorLike, options: TensorOptions = {}): Tensor {
  return new Tensor(TensorData.fromNested(nestedValuesArg(values, 'tensor')), tensorOptionsArg(options, 'tensor'));
}

export class Tensor {
  /** The values, as a view onto float32 storage. */
  readonly data: TensorData;
  /**
   * Creation order, shared with graph nodes; consumers always have a larger id than their inputs.
   * @internal The engine's bookkeeping, left out of the published types.
   */
  readonly id = nextId();
  /**
   * For a view (a reshape without a copy, permute, narrow, slice, expand, ...): its base and how it was made; else null.
   * @internal The engine's bookkeeping, left out of the published types.
   */
  viewOf: ViewLink | null = null;
  private leafRequiresGrad: boolean;
  private retaining = false;
  private currentNode: GraphNode | null = null;
  private gradValue: Tensor | null = null;

  constructor(data: TensorData, options: TensorOptions = {}) {
    this.data = tensorDataArg(data, 'Tensor', 'data');
    noteTensor(this);
    this.leafRequiresGrad = false;
    this.requiresGrad = tensorOptionsArg(options, 'Tensor').requiresGrad ?? false;
  }

  /**
   * The newest op that wrote this tensor, or null for a leaf (see autograd.ts). For a view whose
   * base was changed in place since, a node that reads the base's new history is made first.
   */
  get node(): GraphNode | null {
    const view = this.viewOf;
    if (view !== null && !view.madeInNoGrad && view.base.node !== view.baseNode) {
      view.baseNode = view.base.node;
      this.node = view.baseNode === null ? null : viewReplayNode(this, view.chain, view.baseNode);
    }
    return this.currentNode;
  }

  /**
   * Set by the graph code: by `apply`, and by an in-place op, which replaces the node with its own.
   * @internal Read-only in the published types: users read the node (PyTorch's `grad_fn`), the engine writes it.
   */
  set node(node: GraphNode | null) {
    if (this.retaining && this.currentNode !== null) this.currentNode.retainer = null;
    if (this.retaining && node !== null) node.retainer = this;
    this.currentNode = node;
  }

  /** True after `retainGrad()` on a non-leaf: it keeps its `.grad` (leaves always do); PyTorch's `retains_grad`. */
  get retainsGrad(): boolean {
    return this.retaining;
  }

  /** Recorded ops that read this tensor's node and have not sent their gradient in backward yet (see autograd.ts). */
  get lock(): number {
    return this.node?.lock ?? 0;
  }

  /** Whether gradients flow to this tensor: set by the user on a leaf; always true for a tensor made by a recorded op. */
  get requiresGrad(): boolean {
    return this.leafRequiresGrad || this.node !== null;
  }

  /** Settable on leaves only, as in PyTorch (`requiresGrad_(true)` accepts a tensor made by an op, which already requires grad). */
  set requiresGrad(value: boolean) {
    if (typeof value !== 'boolean') throw new TypeError(`requiresGrad: expected true or false, got ${String(value)}`);
    if (this.node !== null) {
      throw new Error(
        `requiresGrad: only a leaf tensor's flag can change; this one was made by ${this.gradFn}. ` +
        (value ? 'It already requires grad (requiresGrad_(true) accepts that)' : 'To use its values without gradients, take t.detach()'),
      );
    }
    this.leafRequiresGrad = value;
  }

  /** Sets `requiresGrad` and returns this; `true` on a tensor made by an op changes nothing (it already requires grad), as in PyTorch. */
  requiresGrad_(value = true): this {
    optionalBoolArg(value, 'requiresGrad_', 'value');
    if (value === true && this.node !== null) return this;
    this.requiresGrad = value;
    return this;
  }

  /**
   * d(root)/d(this) after backward: set on leaves, and on other tensors after `retainGrad()`.
   * Reading it on a non-leaf that does not retain it warns once, as PyTorch does.
   */
  get grad(): Tensor | null {
    if (this.gradValue === null && !this.retaining && this.node !== null) warnNonLeafGrad();
    return this.gradValue;
  }

  /** Sets `.grad`: null, or a tensor of this tensor's shape. */
  set grad(value: Tensor | null) {
    if (value !== null && !(value instanceof Tensor)) throw new TypeError(`grad: expected a Tensor or null, got ${typeof value}`);
    if (value !== null && !shapesEqual(value.shape, this.shape)) {
      throw new RangeError(`grad: the assigned gradient has shape ${formatShape(value.shape)}, but this tensor has shape ${formatShape(this.shape)}; they must be equal`);
    }
    swapHeldGrad(this.gradValue, value);
    this.gradValue = value;
  }

  // ---- creation -------------------------------------------------------------------------------

  /** A tensor of zeros. */
  static zeros(shape: Shape, options?: TensorOptions): Tensor {
    checkCreationShape('zeros', shape); creationArgs(shape, options, 'zeros');
    return Tensor.full(shape, 0, options);
  }

  /** A tensor of ones. */
  static ones(shape: Shape, options?: TensorOptions): Tensor {
    checkCreationShape('ones', shape); creationArgs(shape, options, 'ones');
    return Tensor.full(shape, 1, options);
  }

  /** A tensor with `value` in every cell. */
  static full(shape: Shape, value: number, options?: TensorOptions): Tensor {
    checkCreationShape('full', shape); creationArgs(shape, options, 'full'); numberArg(value, 'full', 'value');
    return new Tensor(TensorData.generate(shape, () => value, 'full'), options);
  }

  /** start, start+step, ... below stop; `arange(n)` counts 0..n-1. */
  static arange(start: number, stop?: number, step = 1, options?: TensorOptions): Tensor {
    creationArgs([], options, 'arange'); numberArg(start, 'arange', 'start'); optionalNumberArg(stop, 'arange', 'stop'); numberArg(step, 'arange', 'step');
    return arange(start, stop, step, options);
  }

  /** The identity matrix (n rows, m columns). */
  static eye(n: number, m = n, options?: TensorOptions): Tensor {
    creationArgs([], options, 'eye'); numberArg(n, 'eye', 'n'); numberArg(m, 'eye', 'm'); // sizes: checked by eye()
    return eye(n, m, options);
  }

  /** Uniform in [0, 1), from the seeded generator (`manualSeed`). */
  static rand(shape: Shape, options?: TensorOptions): Tensor {
    checkCreationShape('rand', shape); creationArgs(shape, options, 'rand');
    return new Tensor(TensorData.rand(shape), options);
  }

  /** Uniform in [low, high). */
  static uniform(shape: Shape, low = 0, high = 1, options?: TensorOptions): Tensor {
    checkCreationShape('uniform', shape); creationArgs(shape, options, 'uniform'); numberArg(low, 'uniform', 'low'); numberArg(high, 'uniform', 'high');
    const u = TensorData.rand(shape);
    return new Tensor(u.mul(TensorData.const(high - low, shape)).add(TensorData.const(low, shape)), options);
  }

  /** Standard normal, by the Box–Muller transform: √(−2 ln(1−u₁))·cos(2πu₂). */
  static randn(shape: Shape, options?: TensorOptions): Tensor {
    checkCreationShape('randn', shape); creationArgs(shape, options, 'randn');
    const c = (v: number): TensorData => TensorData.const(v, shape);
    const radius = c(1).sub(TensorData.rand(shape)).log().mul(c(-2)).sqrt();
    const cosine = TensorData.rand(shape).mul(c(2 * Math.PI)).add(c(Math.PI / 2)).sin();
    return new Tensor(radius.mul(cosine), options);
  }

  /** torch.empty: a tensor whose values are not meant to be read; tsgrad fills it with zeros. */
  static empty(shape: Shape, options?: TensorOptions): Tensor { creationArgs(shape, options, 'empty'); return Tensor.zeros(shape, options); }
  /** Integers drawn uniformly from low..high−1 (torch.randint(low, high, size)), as float32. */
  static randint(low: number, high: number, shape: Shape, options?: TensorOptions): Tensor {
    creationArgs(shape, options, 'randint'); intArg(low, 'randint', 'low'); intArg(high, 'randint', 'high');
    return ops.randint(low, high, shape, options);
  }
  /** Normal values with this mean and standard deviation (torch.normal(mean, std, size)). */
  static normal(mean: number, std: number, shape: Shape, options?: TensorOptions): Tensor {
    creationArgs(shape, options, 'normal'); numberArg(mean, 'normal', 'mean'); numberArg(std, 'normal', 'std');
    return ops.normal(mean, std, shape, options);
  }
  /** Every tensor expanded (a view) to the shape they broadcast to together (torch.broadcast_tensors). */
  static broadcastTensors(...tensors: Tensor[]): Tensor[] {
    tensors.forEach((t, i) => tensorArg(t, 'broadcastTensors', `tensors[${i}]`));
    return ops.broadcastTensors(tensors);
  }

  /** Zeros of `t`'s shape. */
  static zerosLike(t: Tensor, options?: TensorOptions): Tensor { return Tensor.zeros(likeArgs(t, options, 'zerosLike'), options); }
  /** Ones of `t`'s shape. */
  static onesLike(t: Tensor, options?: TensorOptions): Tensor { return Tensor.ones(likeArgs(t, options, 'onesLike'), options); }
  /** `value` in every cell of `t`'s shape. */
  static fullLike(t: Tensor, value: number, options?: TensorOptions): Tensor { return Tensor.full(likeArgs(t, options, 'fullLike'), numberArg(value, 'fullLike', 'value'), options); }
  /** Uniform [0, 1) values of `t`'s shape. */
  static randLike(t: Tensor, options?: TensorOptions): Tensor { return Tensor.rand(likeArgs(t, options, 'randLike'), options); }
  /** Standard normal values of `t`'s shape. */
  static randnLike(t: Tensor, options?: TensorOptions): Tensor { return Tensor.randn(likeArgs(t, options, 'randnLike'), options); }

  // ---- what a tensor is -----------------------------------------------------------------------

  /** The size of each dim, as a new array ([] for a scalar). */
  get shape(): number[] {
    return [...this.data.shape];
  }

  /** Always 'float32': the one dtype tsgrad computes in (see docs/architecture.md). */
  get dtype(): DType {
    return 'float32';
  }

  /** The number of dims. */
  get ndim(): number {
    return this.data.shape.length;
  }

  /** The number of values (the product of the shape). */
  numel(): number {
    return this.data.size;
  }

  /** True for tensors made by the user (not by an op that recorded a graph). */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The name of the op that made this tensor, e.g. 'MulBackward', or null for a leaf. */
  get gradFn(): string | null {
    return this.node ? this.node.fn.name : null;
  }

  /** In-place writes to this tensor's storage so far. */
  get version(): number {
    return this.data.version;
  }

  /** The values as nested arrays (a plain number for a scalar). */
  toArray(): NestedArray {
    checkNotFreed('toArray', [this]);
    return this.data.toNested();
  }

  /** The value of a one-element tensor. */
  item(): number {
    checkNotFreed('item', [this]);
    return this.data.item();
  }

  /** A tensor with the same values and no graph: gradients stop here. Shares storage. */
  detach(): Tensor {
    const out = new Tensor(this.data);
    if (this.requiresGrad) noteDetached(out);
    return out;
  }

  /**
   * Frees this tensor's values now (its GL textures on the gpu device) instead of when the garbage
   * collector finds them. They are shared with every view of the same storage: any later use throws.
   */
  dispose(): void {
    this.data.dispose();
  }

  /** A copy in new storage; gradients flow through it. */
  clone(): Tensor {
    return apply(new F.Copy(), this);
  }

  /**
   * The text PyTorch's `repr` gives: `tensor([1., 2.], grad_fn=<MulBackward0>)`. tsgrad's gradFn
   * 'MulBackward' prints as PyTorch's first variant, `MulBackward0`; a user-defined Function's
   * 'CubeBackward' prints as it is, as PyTorch prints a custom autograd.Function (see src/tensor/format.ts).
   */
  toString(): string {
    const node = this.node;
    const suffixes = node ? [gradFnSuffix(node.fn.name, BUILT_IN_FUNCTIONS.has(node.fn.constructor))] : this.requiresGrad ? ['requires_grad=True'] : [];
    return formatTensor(this.data.toFlat(), this.shape, suffixes);
  }

  /** What `console.log(t)` prints in Node: the same text as `toString`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // ---- autograd -------------------------------------------------------------------------------

  /**
   * Computes d(this)/d(leaf) for every leaf that requires grad and adds it to `leaf.grad`.
   * Takes d(loss)/d(this) (`gradient`, which may be left out when this tensor has one element),
   * either alone or as `{ gradient, retainGraph }`.
   */
  backward(options?: Tensor | BackwardOptions): void {
    if (Array.isArray(options)) tensorArg(options, 'backward', 'gradient'); // an array is not { gradient, retainGraph }
    const { gradient, retainGraph = false } = backwardOptions(options);
    if (!this.requiresGrad) {
      throw new Error('backward: this tensor does not require grad and has no gradFn; create the leaves with { requiresGrad: true } (and not inside noGrad)');
    }
    const node = this.node;
    if (node === null) {
      accumulateGrad(this, this.initialGrad(gradient));
      return;
    }
    if (node.fn.isReleased) {
      throw new Error(
        `backward: the graph behind this tensor (${this.gradFn}) was already used by an earlier backward and is freed; ` +
        'pass backward({ retainGraph: true }) to the earlier backward to go through the graph a second time, or run the forward pass again',
      );
    }
    const rootGrad = this.initialGrad(gradient);
    if (node.lock > 0) warnMiddle(this);
    runBackward(node, rootGrad, retainGraph);
  }

  private initialGrad(gradient?: Tensor): TensorData {
    if (gradient === undefined) {
      if (this.numel() !== 1) {
        throw new Error(`backward: a gradient can be implied only for a one-element tensor, this one has shape ${formatShape(this.shape)}; pass backward(gradient) with that shape, or reduce first (e.g. .sum())`);
      }
      return TensorData.const(1, this.shape);
    }
    if (!shapesEqual(gradient.shape, this.shape)) {
      throw new Error(`backward: gradient shape ${formatShape(gradient.shape)} does not match the tensor's shape ${formatShape(this.shape)}`);
    }
    return gradient.data;
  }

  /** Keeps `.grad` on this non-leaf tensor after backward; on a leaf, which keeps it anyway, changes nothing. */
  retainGrad(): this {
    if (!this.requiresGrad) throw new Error('retainGrad: this tensor does not require grad, so it will never have one');
    const node = this.node;
    if (node === null) return this;
    this.retaining = true;
    node.retainer = this;
    return this;
  }

  // ---- elementwise ------------------------------------------------------------------------------

  /** this + other, broadcast. */
  add(other: Tensor | number): Tensor { return this.binary(new F.Add(), other, 'add'); }
  /** this − other, broadcast. */
  sub(other: Tensor | number): Tensor { return this.binary(new F.Sub(), other, 'sub'); }
  /** this · other, elementwise, broadcast. */
  mul(other: Tensor | number): Tensor { return this.binary(new F.Mul(), other, 'mul'); }
  /** this / other, broadcast. */
  div(other: Tensor | number): Tensor { return this.binary(new F.Div(), other, 'div'); }
  /** Elementwise maximum; where both are equal the gradient is split evenly. */
  maximum(other: Tensor | number): Tensor { return this.binary(new F.Maximum(), other, 'maximum'); }
  /** Elementwise minimum, as −max(−a, −b). */
  minimum(other: Tensor | number): Tensor { return this.neg().maximum(this.lift(other, 'minimum').neg()).neg(); }

  /**
   * xᵉ, with PyTorch's rules: a number exponent that is an integer uses repeated multiplication
   * (exact); other exponents give NaN for negative x, except a tensor exponent holding an integer
   * (`tensor(-2).pow(tensor(2))` is 4); x⁰ = 1. See `Pow` and `PowNumber` for the gradients.
   */
  pow(exponent: Tensor | number): Tensor {
    tensorOrNumberArg(exponent, 'pow', 'exponent');
    if (typeof exponent === 'number') return apply(new F.PowNumber(exponent), this);
    return this.binary(new F.Pow(), exponent, 'pow');
  }

  /** −x */
  neg(): Tensor { return apply(new F.Neg(), this); }
  /** eˣ */
  exp(): Tensor { return apply(new F.Exp(), this); }
  /** ln x (natural log) */
  log(): Tensor { return apply(new F.Log(), this); }
  /** √x */
  sqrt(): Tensor { return apply(new F.Sqrt(), this); }
  /** sin x */
  sin(): Tensor { return apply(new F.Sin(), this); }
  /** max(x, 0) */
  relu(): Tensor { return apply(new F.Relu(), this); }
  /** σ(x) = 1 / (1 + e⁻ˣ) */
  sigmoid(): Tensor { return apply(new F.Sigmoid(), this); }
  /** cos x = sin(x + π/2) */
  cos(): Tensor { return this.add(Math.PI / 2).sin(); }
  /** tanh x, accurate to float32 also near 0 (see `Tanh`) */
  tanh(): Tensor { return apply(new F.Tanh(), this); }
  /** |x| = relu(x) + relu(−x), so its gradient at 0 is 0, as in PyTorch */
  abs(): Tensor { return this.relu().add(this.neg().relu()); }
  /** 1/x */
  reciprocal(): Tensor { return Tensor.onesLike(this).div(this); }

  /** ELU: x for x > 0, α(eˣ − 1) otherwise. */
  elu(alpha = 1): Tensor { return ops.elu(this, numberArg(alpha, 'elu', 'alpha')); }

  /** Limits values to [min, max]; either bound may be left out. The gradient is 1 at the bounds, as in PyTorch. */
  clamp(min?: number, max?: number): Tensor {
    optionalNumberArg(min, 'clamp', 'min'); optionalNumberArg(max, 'clamp', 'max');
    if (min === undefined && max === undefined) throw new Error('clamp: give at least one of min and max');
    return apply(new F.Clamp(min, max), this);
  }

  /** 1 where this < other, else 0 (no gradient). */
  lt(other: Tensor | number): Tensor { return this.compare(other, 'lt', (a, b) => a.cmplt(b)); }
  /** 1 where this > other, else 0 (no gradient). */
  gt(other: Tensor | number): Tensor { return this.compare(other, 'gt', (a, b) => b.cmplt(a)); }
  /** 1 where this ≤ other, else 0 (no gradient). */
  le(other: Tensor | number): Tensor { return this.compare(other, 'le', (a, b) => a.cmplt(b).add(F.same(a, b))); }
  /** 1 where this ≥ other, else 0 (no gradient). */
  ge(other: Tensor | number): Tensor { return this.compare(other, 'ge', (a, b) => b.cmplt(a).add(F.same(a, b))); }
  /** 1 where this = other, else 0; NaN equals nothing, as in PyTorch (no gradient). */
  eq(other: Tensor | number): Tensor { return this.compare(other, 'eq', (a, b) => F.same(a, b)); }
  /** 1 where this ≠ other, else 0; 1 where either is NaN (no gradient). */
  ne(other: Tensor | number): Tensor { return this.compare(other, 'ne', (a, b) => TensorData.const(1, a.shape).sub(F.same(a, b))); }

  /** `a` where `cond` is non-zero, `b` elsewhere; all three broadcast together. */
  static where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
    tensorArg(cond, 'where', 'cond');
    const left = cond.lift(a, 'where', 'a');
    const right = cond.lift(b, 'where', 'b');
    const shape = broadcastShapes(broadcastShapes(cond.shape, left.shape, 'where'), right.shape, 'where');
    return apply(new F.Where(), cond.detach().broadcastTo(shape), left.broadcastTo(shape), right.broadcastTo(shape));
  }

  // ---- reductions ------------------------------------------------------------------------------

  /** Sum over `dim` (one or several; all when left out). */
  sum(dim?: number | number[], keepdim = false): Tensor {
    reductionArgs(dim, keepdim, 'sum');
    return apply(new F.Sum(this.axes(dim, 'sum'), keepdim), this);
  }

  /** Mean over `dim` (all dims when left out): the sum divided by the count. */
  mean(dim?: number | number[], keepdim = false): Tensor {
    reductionArgs(dim, keepdim, 'mean');
    const count = this.axes(dim, 'mean').reduce((n, a) => n * this.shape[a], 1);
    return this.sum(dim, keepdim).div(count);
  }

  /** Largest value over `dim` (values only, like torch.amax; see argmax for the index). */
  max(dim?: number | number[], keepdim = false): Tensor {
    reductionArgs(dim, keepdim, 'max');
    return apply(new F.Max(this.nonEmptyAxes(dim, 'max'), keepdim), this);
  }

  /** Smallest value over `dim`, as −max(−x). */
  min(dim?: number | number[], keepdim = false): Tensor {
    reductionArgs(dim, keepdim, 'min');
    this.nonEmptyAxes(dim, 'min');
    return this.neg().max(dim, keepdim).neg();
  }

  /** Index of the first largest value along `dim` (the first NaN, if any, as in PyTorch); over the flattened tensor when `dim` is left out. */
  argmax(dim?: number, keepdim = false): Tensor {
    reductionArgs(optionalIntArg(dim, 'argmax', 'dim'), keepdim, 'argmax');
    if (dim === undefined) return this.detach().reshape([-1]).argmax(0);
    const axis = normalizeAxis(dim, this.ndim, 'argmax');
    const x = this.data;
    // A NaN is the max (amax lets it win), and no value equals it: the NaN cells are the candidates then.
    const isMax = F.same(x, x.amax([axis]).expand(x.shape)).max(F.isNan(x));
    const index = TensorData.fromArray(Array.from({ length: x.shape[axis] }, (_, i) => i), [x.shape[axis]])
      .reshape(x.shape.map((d, i) => (i === axis ? d : 1))).expand(x.shape);
    // The first maximum: the smallest index among the maxima, as −max(−index).
    const candidates = isMax.where(index.neg(), TensorData.const(-Infinity, x.shape));
    const first = new Tensor(candidates.amax([axis]).neg());
    return keepdim ? first : first.squeeze(axis);
  }

  /** Index of the first smallest value along `dim` (see argmax). */
  argmin(dim?: number, keepdim = false): Tensor {
    reductionArgs(optionalIntArg(dim, 'argmin', 'dim'), keepdim, 'argmin');
    return this.neg().detach().argmax(dim, keepdim);
  }

  /** Running sum along `dim`: out[i] = Σ_{j≤i} this[j]. */
  cumsum(dim: number): Tensor { return ops.cumsum(this, dim); }

  /** Row-wise category indices drawn in proportion to these non-negative weights (torch.multinomial). */
  multinomial(numSamples: number, replacement = false): Tensor {
    intArg(numSamples, 'multinomial', 'numSamples'); optionalBoolArg(replacement, 'multinomial', 'replacement');
    return ops.multinomial(this, numSamples, replacement);
  }

  /** Variance over `dim`, dividing by (n − correction): correction 1 is the unbiased estimate. */
  var(dim?: number | number[], keepdim = false, correction = 1): Tensor {
    reductionArgs(dim, keepdim, 'var'); numberArg(correction, 'var', 'correction');
    const count = this.axes(dim, 'var').reduce((n, a) => n * this.shape[a], 1);
    const centered = this.sub(this.mean(dim, true));
    return centered.mul(centered).sum(dim, keepdim).div(Math.max(count - correction, 0));
  }

  /** Standard deviation: √var (see var for `correction`); its gradient is 0 where it is 0, as in PyTorch. */
  std(dim?: number | number[], keepdim = false, correction = 1): Tensor {
    reductionArgs(dim, keepdim, 'std'); numberArg(correction, 'std', 'correction');
    return apply(new F.Std(this.axes(dim, 'std'), keepdim, correction), this);
  }

  // ---- movement ---------------------------------------------------------------------------------

  /** Same values in a new shape, `reshape(3, 2)` or `reshape([3, 2])`; one entry may be −1 (inferred). Copies only when the layout requires it. */
  reshape(...sizes: number[] | [readonly number[]]): Tensor {
    const shape = sizesArg(sizes, 'reshape', 'shape');
    const resolved = inferShape(shape, this.numel(), this.shape);
    if (shapesEqual(resolved, this.shape)) return this;
    return apply(new F.Reshape(resolved), this);
  }

  /** Like reshape (`view(3, 2)` or `view([3, 2])`), but never copies: throws when the layout does not allow a view. */
  view(...sizes: number[] | [readonly number[]]): Tensor {
    const shape = sizesArg(sizes, 'view', 'shape');
    const out = this.reshape(shape);
    if (!out.data.sharesStorageWith(this.data)) {
      throw new Error(`view: a tensor of shape ${formatShape(this.shape)} with strides ${formatShape(this.data.strides)} cannot be viewed as ${formatShape(shape)}; use reshape(), which copies`);
    }
    return out;
  }

  /** Reorders the dims, `permute(1, 0)` or `permute([1, 0])`: dim i of the result is dim `dims[i]` of this (a view). */
  permute(...order: number[] | [readonly number[]]): Tensor {
    const dims = sizesArg(order, 'permute', 'dims');
    return apply(new F.Permute(dims.map((d) => normalizeAxis(d, this.ndim, 'permute'))), this);
  }

  /** Swaps two dims (a view). */
  transpose(dim0: number, dim1: number): Tensor {
    intArg(dim0, 'transpose', 'dim0'); intArg(dim1, 'transpose', 'dim1');
    const order = this.shape.map((_, i) => i);
    const a = normalizeAxis(dim0, this.ndim, 'transpose');
    const b = normalizeAxis(dim1, this.ndim, 'transpose');
    [order[a], order[b]] = [order[b], order[a]];
    return this.permute(order);
  }

  /** All dims reversed (the matrix transpose for 2-D). */
  get T(): Tensor {
    return this.permute(this.shape.map((_, i) => this.ndim - 1 - i));
  }

  /** Repeats size-1 dims (and adds leading dims) to reach `shape`, `expand(2, 3)` or `expand([2, 3])`; −1 keeps a dim. A view. */
  expand(...sizes: number[] | [readonly number[]]): Tensor {
    const shape = sizesArg(sizes, 'expand', 'shape');
    const lead = shape.length - this.ndim;
    if (lead < 0) throw new RangeError(`expand: cannot expand ${formatShape(this.shape)} to fewer dims ${formatShape(shape)}`);
    shape.forEach((d, i) => {
      if (d === -1 && i < lead) throw new RangeError(`expand: -1 at dim ${i} of ${formatShape(shape)} is a new leading dim, so it has no size to keep; give its size`);
    });
    const target = shape.map((d, i) => (d === -1 ? this.shape[i - lead] : d));
    target.forEach((d, i) => {
      const own = i >= lead ? this.shape[i - lead] : 1;
      if (own !== d && own !== 1) throw new RangeError(`expand: cannot expand ${formatShape(this.shape)} to ${formatShape(shape)}: dim ${i} is ${own}, not 1`);
    });
    return this.broadcastTo(target);
  }

  /** Removes `dim` (or each of several dims) if it has size 1, or every size-1 dim when `dim` is left out. */
  squeeze(dim?: number | number[]): Tensor {
    optionalDimsArg(dim, 'squeeze', 'dim');
    if (Array.isArray(dim)) return ops.squeezeDims(this, dim);
    if (dim === undefined) return this.reshape(this.shape.filter((d) => d !== 1));
    const axis = normalizeAxis(dim, this.ndim, 'squeeze');
    if (this.shape[axis] !== 1) return this;
    return this.reshape(this.shape.filter((_, i) => i !== axis));
  }

  /** Inserts a size-1 dim at `dim` (−1 appends); with several dims, they are the new dims' places in the result. */
  unsqueeze(dim: number | number[]): Tensor {
    dimsArg(dim, 'unsqueeze', 'dim');
    if (Array.isArray(dim)) return ops.unsqueezeDims(this, dim);
    const axis = normalizeAxis(dim, this.ndim + 1, 'unsqueeze');
    const shape = this.shape;
    shape.splice(axis, 0, 1);
    return this.reshape(shape);
  }

  /** Merges dims startDim..endDim into one. */
  flatten(startDim = 0, endDim = -1): Tensor {
    intArg(startDim, 'flatten', 'startDim'); intArg(endDim, 'flatten', 'endDim');
    if (this.ndim === 0) return this.reshape([1]);
    const start = normalizeAxis(startDim, this.ndim, 'flatten');
    const end = normalizeAxis(endDim, this.ndim, 'flatten');
    if (start > end) throw new RangeError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
    const merged = this.shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
    return this.reshape([...this.shape.slice(0, start), merged, ...this.shape.slice(end + 1)]);
  }

  /**
   * Pads with `value`. `pads` lists [before, after] counts starting from the LAST dim, as in
   * torch.nn.functional.pad: [left, right] pads the last dim, [left, right, top, bottom] the last two.
   */
  pad(pads: number[], value = 0): Tensor {
    padArgs(pads, 'pad'); numberArg(value, 'pad', 'value');
    if (pads.length % 2 !== 0 || pads.length / 2 > this.ndim) {
      throw new RangeError(`pad: expected pairs for at most ${this.ndim} dims, got ${pads.length} numbers`);
    }
    const pairs = this.shape.map((): [number, number] => [0, 0]);
    for (let k = 0; k < pads.length / 2; k++) pairs[this.ndim - 1 - k] = [pads[2 * k], pads[2 * k + 1]];
    return apply(new F.Pad(pairs, value), this);
  }

  /** `length` cells of `dim` starting at `start` (a view). */
  narrow(dim: number, start: number, length: number): Tensor {
    intArg(dim, 'narrow', 'dim'); intArg(start, 'narrow', 'start'); intArg(length, 'narrow', 'length');
    const axis = normalizeAxis(dim, this.ndim, 'narrow');
    const first = start < 0 ? start + this.shape[axis] : start;
    return apply(new F.Shrink(this.shape.map((d, i): [number, number] => (i === axis ? [first, first + length] : [0, d]))), this);
  }

  /** Reverses the order along each of `dims`, `flip(0, 1)` or `flip([0, 1])` (a view with negative strides). */
  flip(...dimList: number[] | [readonly number[]]): Tensor {
    const dims = sizesArg(dimList, 'flip', 'dims');
    const axes = dims.map((d) => normalizeAxis(d, this.ndim, 'flip'));
    return apply(new F.Stride(this.shape.map((_, i) => (axes.includes(i) ? -1 : 1))), this);
  }

  /**
   * NumPy-style indexing, one spec per leading dim: an integer picks one cell and drops the dim,
   * null keeps the whole dim, [start, stop, step] keeps start:stop:step (negative start/stop count from the end).
   */
  slice(...specs: SliceSpec[]): Tensor {
    sliceSpecsArg(specs, 'slice');
    if (specs.length > this.ndim) throw new RangeError(`slice: ${specs.length} indices for a tensor of rank ${this.ndim}`);
    const ranges = this.shape.map((d): [number, number] => [0, d]);
    const steps = this.shape.map(() => 1);
    const dropped: number[] = [];
    specs.forEach((spec, i) => {
      const size = this.shape[i];
      if (spec === null) return;
      if (typeof spec === 'number') {
        const index = spec < 0 ? spec + size : spec;
        if (!Number.isInteger(index) || index < 0 || index >= size) {
          throw new RangeError(`slice: index ${spec} is out of range for dim ${i} of size ${size}`);
        }
        ranges[i] = [index, index + 1];
        dropped.push(i);
        return;
      }
      const [start = 0, stop = size, step = 1] = spec;
      if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step ${step} for dim ${i} must be a positive integer (use flip to reverse)`);
      const clampIndex = (v: number): number => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
      const from = clampIndex(start);
      ranges[i] = [from, Math.max(from, clampIndex(stop))];
      steps[i] = step;
    });
    let out = apply(new F.Shrink(ranges), this);
    if (steps.some((s) => s !== 1)) out = apply(new F.Stride(steps), out);
    return dropped.length ? out.reshape(out.shape.filter((_, i) => !dropped.includes(i))) : out;
  }

  /**
   * PyTorch's `a[...]`: `a.at(0, slice(1, null, 2), null, '...', idx)` is `a[0, 1::2, None, ..., idx]`
   * (see docs/indexing.md). Integers, slices, null and '...' give a view; index tensors, lists and
   * masks gather into a new tensor, and their gradient is scattered back (repeated cells sum).
   */
  at(...indices: IndexItem[]): Tensor { return indexing.at(this, indices); }

  /** PyTorch's `index_put`: a copy with `this[indices] = values` (broadcast), or `+=` with accumulate; differentiable in both. */
  indexPut(indices: IndexItem[], values: Tensor | number, accumulate = false): Tensor {
    optionalBoolArg(accumulate, 'indexPut', 'accumulate');
    return indexing.indexPut(this, indices, values, accumulate);
  }

  /** PyTorch's `a[indices] = values` (`index_put_`), in place: allowed where the other in-place ops are. */
  indexPut_(indices: IndexItem[], values: Tensor | number, accumulate = false): this {
    optionalBoolArg(accumulate, 'indexPut_', 'accumulate');
    indexing.indexPutInPlace(this, indices, values, accumulate);
    return this;
  }

  /** torch.index_add: a copy with source's slices along `dim` added at the rows `index` lists (repeats add up). */
  indexAdd(dim: number, index: Tensor, source: Tensor): Tensor { return indexing.indexAdd(this, dim, index, source); }
  /** torch.gather: out[i][j] = this[i][index[i][j]] for dim 1 (likewise for any dim and rank). */
  gather(dim: number, index: Tensor): Tensor { return indexing.gather(this, dim, index); }
  /** torch.scatter: a copy with this[i][index[i][j]] = src[i][j] for dim 1 (src may be a number). */
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor { return indexing.scatter(this, dim, index, src, false); }
  /** torch.scatter_add: a copy with this[i][index[i][j]] += src[i][j] for dim 1 (repeated indices add up). */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return indexing.scatter(this, dim, index, tensorArg(src, 'scatterAdd', 'src'), true); }

  /**
   * Joins tensors along an existing dim; all other dims must match. Each piece is written into its
   * place once (O(total size)); a 1-D empty tensor is skipped, as in PyTorch.
   */
  static cat(tensors: Tensor[], dim = 0): Tensor {
    if (!Array.isArray(tensors) || tensors.length === 0) throw new RangeError('cat: expected a non-empty list of tensors');
    tensorListArg(tensors, 'cat', 'tensors'); intArg(dim, 'cat', 'dim');
    tensors.forEach((t, k) => {
      if (!(t instanceof Tensor)) throw new TypeError(`cat: tensors[${k}] is not a Tensor`);
    });
    const kept = tensors.filter((t) => !(t.ndim === 1 && t.shape[0] === 0));
    const pieces = kept.length ? kept : [tensors[0]];
    const first = pieces[0];
    if (first.ndim === 0) throw new RangeError('cat: a zero-dimensional tensor cannot be concatenated; use Tensor.stack, or reshape([1]) first');
    const axis = normalizeAxis(dim, first.ndim, 'cat');
    pieces.forEach((t, k) => {
      const fits = t.ndim === first.ndim && t.shape.every((d, i) => i === axis || d === first.shape[i]);
      if (!fits) throw new RangeError(`cat: tensor ${k} has shape ${formatShape(t.shape)}, which does not match ${formatShape(first.shape)} outside dim ${axis}`);
    });
    return apply(new F.Cat(axis), ...pieces);
  }

  /** Joins tensors of one shape along a new dim (each is viewed with a size-1 dim there, then cat). */
  static stack(tensors: Tensor[], dim = 0): Tensor {
    if (!Array.isArray(tensors) || tensors.length === 0) throw new RangeError('stack: expected a non-empty list of tensors');
    tensorListArg(tensors, 'stack', 'tensors'); intArg(dim, 'stack', 'dim');
    const axis = normalizeAxis(dim, tensors[0].ndim + 1, 'stack');
    tensors.forEach((t, k) => {
      if (!(t instanceof Tensor)) throw new TypeError(`stack: tensors[${k}] is not a Tensor`);
      if (!shapesEqual(t.shape, tensors[0].shape)) {
        throw new RangeError(`stack: tensor ${k} has shape ${formatShape(t.shape)}, expected ${formatShape(tensors[0].shape)} like tensor 0`);
      }
    });
    return Tensor.cat(tensors.map((t) => t.unsqueeze(axis)), axis);
  }

  /** Pieces of `size` cells along `dim` (the last may be smaller), or pieces of the listed sizes (views). */
  split(sizeOrSections: number | number[], dim = 0): Tensor[] { return ops.split(this, sizeOrSections, dim); }
  /** At most `chunks` pieces of equal size along `dim` (the last may be smaller; views). */
  chunk(chunks: number, dim = 0): Tensor[] { return ops.chunk(this, chunks, dim); }
  /** Tiles the tensor `sizes[i]` times along dim i, `repeat(2, 1)` or `repeat([2, 1])`; extra leading sizes add dims (torch.Tensor.repeat). */
  repeat(...sizes: number[] | [readonly number[]]): Tensor { return ops.repeat(this, sizesArg(sizes, 'repeat', 'sizes')); }

  // ---- linear algebra ---------------------------------------------------------------------------

  /** Matrix product with torch.matmul's rules: 1-D operands get a dim added and removed; batch dims broadcast. */
  matmul(other: Tensor): Tensor {
    tensorArg(other, 'matmul', 'other');
    if (this.ndim === 0 || other.ndim === 0) {
      throw new RangeError(`matmul: both operands need at least 1 dim, got ${formatShape(this.shape)} and ${formatShape(other.shape)}`);
    }
    if (this.ndim === 1 && other.ndim === 1) return this.dot(other);
    if (this.ndim === 1) return this.unsqueeze(0).matmul(other).squeeze(-2);
    if (other.ndim === 1) return this.matmul(other.unsqueeze(-1)).squeeze(-1);
    const [m, k] = this.shape.slice(-2);
    const [k2, n] = other.shape.slice(-2);
    if (k !== k2) {
      throw new RangeError(`matmul: shapes ${formatShape(this.shape)} and ${formatShape(other.shape)} cannot be multiplied: the inner dims differ (${k} columns in the first, ${k2} rows in the second)`);
    }
    const batch = broadcastShapes(this.shape.slice(0, -2), other.shape.slice(0, -2), 'matmul');
    return apply(new F.Matmul(), this.broadcastTo([...batch, m, k]), other.broadcastTo([...batch, k, n]));
  }

  /** Inner product of two 1-D tensors of one length. */
  dot(other: Tensor): Tensor {
    tensorArg(other, 'dot', 'other');
    if (this.ndim !== 1 || other.ndim !== 1 || this.shape[0] !== other.shape[0]) {
      throw new RangeError(`dot: expected two 1-D tensors of one length, got ${formatShape(this.shape)} and ${formatShape(other.shape)}`);
    }
    return this.mul(other).sum();
  }

  /** Product of two matrices (2-D only, no broadcasting: torch.mm). */
  mm(other: Tensor): Tensor { return ops.mm(this, other); }
  /** Matrix times vector (torch.mv). */
  mv(vec: Tensor): Tensor { return ops.mv(this, vec); }
  /** Batched product of [b, n, m] and [b, m, p] (torch.bmm). */
  bmm(other: Tensor): Tensor { return ops.bmm(this, other); }

  /** The last two dims swapped (a view), for batches of matrices. */
  get mT(): Tensor {
    if (this.ndim < 2) throw new RangeError(`mT: expected a tensor with at least 2 dims, got ${formatShape(this.shape)}`);
    return this.transpose(-2, -1);
  }

  /** x·Wᵀ + b, with weight [out, in] as in torch.nn.functional.linear. */
  linear(weight: Tensor, bias?: Tensor): Tensor {
    tensorArg(weight, 'linear', 'weight'); bias = optionalTensorArg(bias, 'linear', 'bias');
    const out = this.matmul(weight.T);
    return bias ? out.add(bias) : out;
  }

  // ---- neural-network ops -----------------------------------------------------------------------

  /** e^x / Σ e^x along `dim` (the max is subtracted first, for stability). */
  softmax(dim: number): Tensor {
    intArg(dim, 'softmax', 'dim');
    const e = this.sub(this.max(dim, true).detach()).exp();
    return e.div(e.sum(dim, true));
  }

  /** x − log Σ e^x along `dim`, computed stably. */
  logSoftmax(dim: number): Tensor {
    intArg(dim, 'logSoftmax', 'dim');
    const shifted = this.sub(this.max(dim, true).detach());
    return shifted.sub(shifted.exp().sum(dim, true).log());
  }

  /** 2-D convolution of [B, C, H, W] with weight [O, C/groups, kh, kw] and an optional bias [O]. */
  conv2d(weight: Tensor, bias?: Tensor, args: Conv2dArgs = {}): Tensor {
    tensorArg(weight, 'conv2d', 'weight'); bias = optionalTensorArg(bias, 'conv2d', 'bias'); optionsArg(args, 'conv2d', 'args');
    const groups = intArg(args.groups ?? 1, 'conv2d', 'groups');
    const stride = pairArg(args.stride ?? 1, 'conv2d', 'stride', 1);
    const padding = pairArg(args.padding ?? 0, 'conv2d', 'padding', 0);
    const dilation = pairArg(args.dilation ?? 1, 'conv2d', 'dilation', 1);
    checkConvShapes(this.shape, weight.shape, groups);
    checkConvOutput(this.shape, weight.shape, stride, padding, dilation);
    if (bias && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) {
      throw new RangeError(`conv2d: bias shape ${formatShape(bias.shape)} does not match ${weight.shape[0]} output channels`);
    }
    const out = apply(new F.Conv2d({ stride, padding, dilation, groups }), this, weight);
    return bias ? out.add(bias.reshape([1, -1, 1, 1])) : out;
  }

  /** Largest value in each window over the last two dims; stride defaults to the kernel size. */
  maxPool2d(kernel: number | [number, number], stride?: number | [number, number], padding: number | [number, number] = 0): Tensor {
    const { windows, cellAxes } = this.poolWindows('maxPool2d', kernel, stride, padding, -Infinity);
    // PickMax, not max: PyTorch sends a window's gradient to one cell, the first maximum, even on ties,
    // and never to padding (1 marks the input's own cells, found by pooling ones padded with 0).
    const padded = pairArg(padding, 'maxPool2d', 'padding', 0).some((p) => p > 0);
    const ownCells = padded ? Tensor.onesLike(this).poolWindows('maxPool2d', kernel, stride, padding, 0).windows.data : undefined;
    return apply(new F.PickMax(windows.axes(cellAxes, 'maxPool2d'), false, ownCells), windows);
  }

  /** Mean of each window over the last two dims (padding cells count, as in PyTorch's default). */
  avgPool2d(kernel: number | [number, number], stride?: number | [number, number], padding: number | [number, number] = 0): Tensor {
    const { windows, cellAxes } = this.poolWindows('avgPool2d', kernel, stride, padding, 0);
    return windows.mean(cellAxes);
  }

  /** Zeroes each value with probability p and scales the rest by 1/(1−p); the identity when not training. */
  dropout(p = 0.5, training = true): Tensor {
    numberArg(p, 'dropout', 'p'); optionalBoolArg(training, 'dropout', 'training');
    if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
    if (!training || p === 0) return this;
    if (p === 1) return this.mul(0);
    const keep = Tensor.rand(this.shape).ge(p);
    return this.mul(keep.div(1 - p));
  }

  // ---- losses -----------------------------------------------------------------------------------

  /** Cross-entropy of logits [N, C] against class indices [N], with optional label smoothing. */
  crossEntropy(target: Tensor, options: { reduction?: Reduction; labelSmoothing?: number } = {}): Tensor {
    lossArgs(target, options, 'crossEntropy');
    const smoothing = numberArg(options.labelSmoothing ?? 0, 'crossEntropy', 'options.labelSmoothing');
    if (!(smoothing >= 0 && smoothing <= 1)) throw new RangeError(`crossEntropy: labelSmoothing must be in [0, 1], got ${smoothing}`);
    const logProbs = this.checkClassInput('crossEntropy').logSoftmax(1);
    let losses = pickClass(logProbs, target, 'crossEntropy').neg();
    if (smoothing > 0) losses = losses.mul(1 - smoothing).sub(logProbs.mean(1).mul(smoothing));
    return reduceLoss(losses, options.reduction, 'crossEntropy');
  }

  /** Negative log-likelihood of log-probabilities [N, C] against class indices [N]. */
  nllLoss(target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
    lossArgs(target, options, 'nllLoss');
    return reduceLoss(pickClass(this.checkClassInput('nllLoss'), target, 'nllLoss').neg(), options.reduction, 'nllLoss');
  }

  /** Mean squared error against a target of the same shape. */
  mseLoss(target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
    lossArgs(target, options, 'mseLoss');
    this.checkSameShape(target, 'mseLoss');
    const diff = this.sub(target);
    return reduceLoss(diff.mul(diff), options.reduction, 'mseLoss');
  }

  /** −[t·ln p + (1−t)·ln(1−p)] for probabilities p; logs are clamped at −100 as in PyTorch (see `BinaryCrossEntropy`). */
  binaryCrossEntropy(target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
    lossArgs(target, options, 'binaryCrossEntropy');
    this.checkSameShape(target, 'binaryCrossEntropy');
    this.data.toFlat().forEach((p, i) => {
      if (!(p >= 0 && p <= 1)) {
        throw new RangeError(`binaryCrossEntropy: input ${p} at position ${i} is not a probability in [0, 1]; for logits use binaryCrossEntropyWithLogits`);
      }
    });
    return reduceLoss(apply(new F.BinaryCrossEntropy(), this, target), options.reduction, 'binaryCrossEntropy');
  }

  /** Binary cross-entropy on logits x, computed stably; its gradient is σ(x) − t (see `BinaryCrossEntropyWithLogits`). */
  binaryCrossEntropyWithLogits(target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
    lossArgs(target, options, 'binaryCrossEntropyWithLogits');
    this.checkSameShape(target, 'binaryCrossEntropyWithLogits');
    return reduceLoss(apply(new F.BinaryCrossEntropyWithLogits(), this, target), options.reduction, 'binaryCrossEntropyWithLogits');
  }

  // ---- in place (PyTorch's trailing underscore) ---------------------------------------------------

  /** this += other, in place; with grad on, the op joins this tensor's history (docs/autograd.md). */
  add_(other: Tensor | number): this { return this.inPlace('add_', other); }
  /** this −= other, in place. */
  sub_(other: Tensor | number): this { return this.inPlace('sub_', other); }
  /** this ·= other, in place. */
  mul_(other: Tensor | number): this { return this.inPlace('mul_', other); }
  /** this /= other, in place. */
  div_(other: Tensor | number): this { return this.inPlace('div_', other); }
  /** Copies `source`'s values (broadcast to this shape) into this tensor. */
  copy_(source: Tensor): this { return this.inPlace('copy_', tensorArg(source, 'copy_', 'source')); }
  /** Sets every value to `value` (a number, or a one-element tensor whose gradient is the sum), in place. */
  fill_(value: number | Tensor): this { return this.inPlace('fill_', tensorOrNumberArg(value, 'fill_', 'value')); }
  /** Sets every value to 0, in place. */
  zero_(): this { return this.fill_(0); }

  // ---- helpers ----------------------------------------------------------------------------------

  /** A number becomes a one-element constant; a tensor stays as it is; anything else is refused, naming `op`. */
  private lift(other: Tensor | number, op: string, arg = 'other'): Tensor {
    const value = tensorOrNumberArg(other, op, arg);
    return typeof value === 'number' ? new Tensor(TensorData.const(value, [])) : value;
  }

  /** Expands (as a view) to `shape`, adding leading dims; the shapes must be broadcast-compatible. */
  private broadcastTo(shape: number[]): Tensor {
    if (shapesEqual(this.shape, shape)) return this;
    const padded = this.reshape([...new Array<number>(shape.length - this.ndim).fill(1), ...this.shape]);
    return shapesEqual(padded.shape, shape) ? padded : apply(new F.Expand(shape), padded);
  }

  private binary(fn: F.Function, other: Tensor | number, op: string): Tensor {
    const right = this.lift(other, op);
    const shape = broadcastShapes(this.shape, right.shape, op);
    return apply(fn, this.broadcastTo(shape), right.broadcastTo(shape));
  }

  private compare(other: Tensor | number, op: string, test: (a: TensorData, b: TensorData) => TensorData): Tensor {
    const right = this.lift(other, op);
    const shape = broadcastShapes(this.shape, right.shape, op);
    const expand = (t: Tensor): TensorData => t.data.reshape([...new Array<number>(shape.length - t.ndim).fill(1), ...t.shape]).expand(shape);
    return new Tensor(test(expand(this), expand(right)));
  }

  /** Normalized, sorted axes of `dim`; all axes when it is left out. */
  private axes(dim: number | number[] | undefined, op: string): number[] {
    if (dim === undefined) return this.shape.map((_, i) => i);
    const list = (Array.isArray(dim) ? dim : [dim]).map((d) => normalizeAxis(d, this.ndim, op));
    if (new Set(list).size !== list.length) throw new RangeError(`${op}: dim ${JSON.stringify(dim)} repeats a dim`);
    return list.sort((a, b) => a - b);
  }

  /** The axes of a max or min, which has no value over no cells: PyTorch refuses an empty reduction too. */
  private nonEmptyAxes(dim: number | number[] | undefined, op: string): number[] {
    const axes = this.axes(dim, op);
    if (dim === undefined && this.numel() === 0) {
      throw new RangeError(`${op}: an empty tensor (shape ${formatShape(this.shape)}) has no ${op}; give a dim to reduce over, one whose size is not 0`);
    }
    const empty = axes.find((a) => this.shape[a] === 0);
    if (empty !== undefined) throw new RangeError(`${op}: cannot reduce over dim ${empty}: dim ${empty} has size 0 in shape ${formatShape(this.shape)}, and ${op} of no values is undefined`);
    return axes;
  }

  /**
   * The pooling windows over the last two dims, and the two axes that index a cell within a window.
   * Windows that tile the input (stride = kernel, no padding) are a reshape, [..., H/kh, kh, W/kw, kw]:
   * a view whose backward is a view too. Other windows are a window view, whose backward folds the
   * windows back onto the input. Rows and columns past the last whole window are left out, as in PyTorch.
   */
  private poolWindows(op: string, kernel: number | [number, number], stride: number | [number, number] | undefined,
    padding: number | [number, number], padValue: number): { windows: Tensor; cellAxes: number[] } {
    if (this.ndim < 2) throw new RangeError(`${op}: expected at least 2 dims ([..., H, W]), got ${formatShape(this.shape)}`);
    const k = pairArg(kernel, op, 'kernel', 1);
    const s = pairArg(stride ?? kernel, op, 'stride', 1);
    const [ph, pw] = pairArg(padding, op, 'padding', 0);
    if (ph > k[0] / 2 || pw > k[1] / 2) throw new RangeError(`${op}: padding ${formatShape([ph, pw])} must be at most half the kernel ${formatShape(k)}`);
    const r = this.ndim;
    const [h, w] = this.shape.slice(r - 2);
    checkPoolOutput(op, [h + 2 * ph, w + 2 * pw], k, [h, w]);
    const [rows, cols] = [Math.floor(h / k[0]), Math.floor(w / k[1])];
    if (ph === 0 && pw === 0 && s[0] === k[0] && s[1] === k[1] && rows > 0 && cols > 0) {
      const tiles = rows * k[0] === h && cols * k[1] === w;
      const whole = tiles ? this : this.narrow(r - 2, 0, rows * k[0]).narrow(r - 1, 0, cols * k[1]);
      return { windows: whole.reshape([...this.shape.slice(0, r - 2), rows, k[0], cols, k[1]]), cellAxes: [-3, -1] };
    }
    const padded = ph || pw ? this.pad([pw, pw, ph, ph], padValue) : this;
    return { windows: apply(new F.Window([r - 2, r - 1], k, s, [1, 1]), padded), cellAxes: [-2, -1] };
  }

  private inPlace(op: InPlaceOp, other: Tensor | number): this {
    inPlace(this, op, this.lift(other, op));
    return this;
  }

  private checkSameShape(target: Tensor, op: string): void {
    if (!shapesEqual(this.shape, target.shape)) {
      throw new RangeError(`${op}: input shape ${formatShape(this.shape)} and target shape ${formatShape(target.shape)} must be equal`);
    }
  }

  private checkClassInput(op: string): Tensor {
    if (this.ndim !== 2) throw new RangeError(`${op}: expected input of shape [N, C], got ${formatShape(this.shape)}`);
    return this;
  }
}

// ---- module helpers -------------------------------------------------------------------------------

/** The shape both operands broadcast to, NumPy-style (align on the right; 1 stretches), or an error naming the op. */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast: dim ${i - rank} is ${da} vs ${db}`);
    }
    return da === 1 ? db : da;
  });
}

/** Replaces one −1 in `shape` by the size that makes the cell counts match. */
function inferShape(shape: number[], count: number, from: Shape): number[] {
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw new RangeError(`reshape: only one dim may be -1, got ${formatShape(shape)}`);
  const known = numel(shape.filter((d) => d !== -1));
  if (unknown === 1 && known === 0 && count === 0) {
    throw new RangeError(`reshape: cannot reshape ${formatShape(from)} (${count} cells) into ${formatShape(shape)}: with a 0 among the other dims, -1 could be any size, so it is ambiguous`);
  }
  const resolved = shape.map((d) => (d === -1 ? count / known : d));
  if (!resolved.every((d) => Number.isInteger(d) && d >= 0) || numel(resolved) !== count) {
    throw new RangeError(`reshape: cannot reshape ${formatShape(from)} (${count} cells) into ${formatShape(shape)}`);
  }
  return resolved;
}

/** The output must have at least one row and column, as PyTorch requires. */
function checkConvOutput(input: Shape, weight: Shape, stride: [number, number], padding: [number, number], dilation: [number, number]): void {
  const padded = [0, 1].map((i) => input[2 + i] + 2 * padding[i]);
  const span = [0, 1].map((i) => dilation[i] * (weight[2 + i] - 1) + 1);
  if (padded[0] < span[0] || padded[1] < span[1]) {
    const out = [0, 1].map((i) => Math.max(0, Math.floor((padded[i] - span[i]) / stride[i]) + 1));
    throw new RangeError(`conv2d: the kernel ${formatShape(weight.slice(2))} with dilation ${formatShape(dilation)} spans ${formatShape(span)}, more than the padded input ${formatShape(padded)}; the output would be ${formatShape(out)}, expected at least 1 row and column`);
  }
}

/** A pooling window must fit the (padded) input at least once, as PyTorch requires. */
function checkPoolOutput(op: string, padded: [number, number], kernel: [number, number], input: [number, number]): void {
  if (padded[0] < kernel[0] || padded[1] < kernel[1]) {
    throw new RangeError(`${op}: the kernel ${formatShape(kernel)} is larger than the input ${formatShape(input)} (padded: ${formatShape(padded)}); the output would be empty, expected at least 1 row and column`);
  }
}

function checkConvShapes(input: Shape, weight: Shape, groups: number): void {
  if (input.length !== 4) throw new RangeError(`conv2d: expected input [B, C, H, W], got ${formatShape(input)}`);
  if (weight.length !== 4) throw new RangeError(`conv2d: expected weight [O, C/groups, kh, kw], got ${formatShape(weight)}`);
  if (!Number.isInteger(groups) || groups < 1 || input[1] % groups !== 0 || weight[0] % groups !== 0) {
    throw new RangeError(`conv2d: groups ${groups} must divide both the input channels (${input[1]}) and the output channels (${weight[0]})`);
  }
  if (weight[1] * groups !== input[1]) {
    throw new RangeError(`conv2d: weight ${formatShape(weight)} expects ${weight[1] * groups} input channels, got input ${formatShape(input)}`);
  }
}

/** logProbs[i, target[i]] for each row i, as a [N] tensor; checks that targets are class indices. */
function pickClass(logProbs: Tensor, target: Tensor, op: string): Tensor {
  const [n, classes] = logProbs.shape;
  if (target.ndim !== 1 || target.shape[0] !== n) {
    throw new RangeError(`${op}: target shape ${formatShape(target.shape)} does not match input ${formatShape(logProbs.shape)}; expected [${n}] class indices`);
  }
  target.data.toFlat().forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= classes) {
      throw new RangeError(`${op}: target ${t} at position ${i} is not a class index in 0..${classes - 1}`);
    }
  });
  const oneHot = Tensor.arange(classes).reshape([1, classes]).eq(target.detach().reshape([n, 1]));
  // where, not mul: a −∞ log-probability of another class must not make 0·(−∞) = NaN.
  return Tensor.where(oneHot, logProbs, 0).sum(1);
}

function reduceLoss(losses: Tensor, reduction: Reduction = 'mean', op: string): Tensor {
  if (reduction === 'mean') return losses.mean();
  if (reduction === 'sum') return losses.sum();
  if (reduction === 'none') return losses;
  throw new RangeError(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
}

/** `backward`'s argument as options: a tensor alone is the gradient. */
function backwardOptions(options: Tensor | BackwardOptions | undefined): BackwardOptions {
  if (options === undefined || options instanceof Tensor) return { gradient: options };
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`backward: expected a gradient tensor or { gradient, retainGraph }, got ${String(options)}`);
  }
  if (options.gradient !== undefined && !(options.gradient instanceof Tensor)) {
    throw new TypeError(`backward: gradient must be a Tensor, got ${typeof options.gradient}`);
  }
  if (options.retainGraph !== undefined && typeof options.retainGraph !== 'boolean') {
    throw new TypeError(`backward: retainGraph must be true or false, got ${String(options.retainGraph)}`);
  }
  return options;
}

function warnNonLeafGrad(): void {
  if (nonLeafGradWarned) return;
  nonLeafGradWarned = true;
  console.warn(
    'tsgrad: the .grad of a tensor that is not a leaf is being read. Its .grad is not filled in by backward(). ' +
    'If you want it filled in for a non-leaf tensor, call retainGrad() on it before backward(). ' +
    'If you meant a leaf tensor (one you made with { requiresGrad: true }), read that one instead.',
  );
}

function warnMiddle(t: Tensor): void {
  if (middleWarned) return;
  middleWarned = true;
  console.warn(
    `tsgrad: backward() from a tensor in the middle of a graph (${t.gradFn}, shape ${formatShape(t.shape)}): ${t.lock} later op(s) use it. ` +
    'Its lock counts the consumers that would send it their part of the gradient; starting here, backward does not wait for them, ' +
    'so the gradients are d(this)/d(leaf), as in PyTorch. Usually backward() belongs on the final result (the loss); ' +
    'detach() the copies you keep for logging. (This warning is shown once.)',
  );
}
