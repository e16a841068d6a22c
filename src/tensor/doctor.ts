/**
 * A gradient doctor, for when a gradient looks wrong or is missing:
 * - `gradcheck(fn, inputs)`: compares backward with finite differences (PyTorch's gradcheck);
 * - `detectAnomaly(() => ...)`: names the first op whose forward or backward made NaN or ±Inf;
 * - `explainGrad(x)`: says why `x.grad` is null;
 * - `memoryReport()`: the tensors alive now and the bytes behind them, by where they reside.
 *
 * tensor.ts and autograd.ts call the `note*` and `check*` hooks at the end of this file.
 *
 * May import: src/data, src/function (types only), ./tensor, ./autograd, ./gradMode, ./graph.
 */
import { formatShape, TensorData } from '../data';
import { finalizationRegistry, garbageCollector, type Finalizers } from '../data/storage';
import type { Function } from '../function';
import type { GraphNode } from './autograd';
import { noGrad } from './gradMode';
import { graphFrom } from './graph';
import { Tensor } from './tensor';

// ---- gradcheck --------------------------------------------------------------------------------

/** Settings of `gradcheck`; the defaults suit float32 (PyTorch's, 1e-6 / 1e-5 / 1e-3, assume float64). */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-3). */
  eps?: number;
  /** Absolute tolerance (default 1e-2). */
  atol?: number;
  /** Tolerance relative to the numeric value (default 1e-2). */
  rtol?: number;
  /**
   * Check only the gradient of Σ fn(...)·gradOutput (one backward) instead of the whole Jacobian (one
   * backward per output value). Default: the whole Jacobian, as PyTorch.
   */
  gradOutput?: Tensor;
  /** Throw when the check fails (default true, as PyTorch's raise_exception); else read `ok`. */
  raiseException?: boolean;
}

/** The element where analytic and numeric gradients disagree most (relative to the tolerance). */
export interface GradcheckWorst {
  /** Which input (0-based). */
  input: number;
  /** Which of its elements (an index per dimension). */
  index: number[];
  /** Which output element's gradient (an index per dimension), or null with `gradOutput`. */
  output: number[] | null;
  /** d(output)/d(input element) by finite differences. */
  numeric: number;
  /** The same by backward. */
  analytic: number;
}

/** What `gradcheck` found. */
export interface GradcheckReport {
  /** True when every analytic gradient is within atol + rtol·|numeric| of the numeric one. */
  ok: boolean;
  /** The worst element (null when no input requires grad). */
  worst: GradcheckWorst | null;
  /**
   * Per input (null for one that needs no gradient): the numeric and analytic gradient of each
   * checked direction (one per output value, or one for `gradOutput`), as flat row-major values.
   */
  numeric: (number[][] | null)[];
  /** The same by backward. */
  analytic: (number[][] | null)[];
}

/**
 * Checks the gradients of `fn` at `inputs` against central finite differences, (f(x+eps) − f(x−eps)) / 2eps
 * per input element, for every input that requires grad. Throws (or, with `raiseException: false`,
 * returns `ok: false`) naming the worst element with its numeric and analytic values.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckReport {
  const { eps = 1e-3, atol = 1e-2, rtol = 1e-2, gradOutput, raiseException = true } = options;
  checkGradcheckArgs(fn, inputs, eps);
  const values = inputs.map((x) => x.data.toFlat());
  const rebuild = (vals: readonly number[][], grad: boolean): Tensor[] =>
    vals.map((v, i) => new Tensor(TensorData.fromArray(v, inputs[i].shape), { requiresGrad: grad && inputs[i].requiresGrad }));
  const outShape = noGrad(() => fn(...rebuild(values, false))).shape;
  const directions = gradOutput ? [gradOutput.data.toFlat()] : oneHots(outShape.reduce((a, b) => a * b, 1));
  const analytic = analyticJacobian(fn, rebuild, inputs.map((x) => x.requiresGrad), values, directions, outShape);
  const numeric = inputs.map((x, i) => (x.requiresGrad ? numericJacobian(fn, rebuild, values, i, directions, eps) : null));
  const worst = worstElement(inputs, numeric, analytic, outShape, gradOutput !== undefined, atol, rtol);
  const ok = worst === null || Math.abs(worst.analytic - worst.numeric) <= atol + rtol * Math.abs(worst.numeric);
  if (!ok && raiseException && worst) throw new Error(gradcheckMessage(inputs, worst, atol, rtol));
  return { ok, worst, numeric, analytic };
}

function checkGradcheckArgs(fn: unknown, inputs: readonly unknown[], eps: number): void {
  if (typeof fn !== 'function') throw new TypeError(`gradcheck: fn must be a function of tensors, got ${typeof fn}`);
  if (!Array.isArray(inputs) || !inputs.every((x) => x instanceof Tensor)) throw new TypeError('gradcheck: inputs must be an array of Tensors');
  if (!(inputs as Tensor[]).some((x) => x.requiresGrad)) throw new Error('gradcheck: no input requires grad, so there is nothing to check; make them with { requiresGrad: true }');
  if (!(eps > 0)) throw new RangeError(`gradcheck: eps must be a positive number, got ${eps}`);
}

/** The unit vectors of an n-dimensional space (one direction per output value). */
function oneHots(n: number): number[][] {
  return Array.from({ length: n }, (_, k) => Array.from({ length: n }, (_, j) => (j === k ? 1 : 0)));
}

/** Per input, per direction v: the gradient of Σ fn(...)·v by backward. */
function analyticJacobian(fn: (...xs: Tensor[]) => Tensor, rebuild: (v: readonly number[][], grad: boolean) => Tensor[],
  needsGrad: readonly boolean[], values: readonly number[][], directions: readonly number[][], outShape: readonly number[]): (number[][] | null)[] {
  const rows = needsGrad.map((needed) => (needed ? [] as number[][] : null));
  for (const direction of directions) {
    const xs = rebuild(values, true);
    const out = fn(...xs);
    out.backward(new Tensor(TensorData.fromArray(direction, outShape)));
    xs.forEach((x, i) => rows[i]?.push(x.grad ? x.grad.data.toFlat() : values[i].map(() => 0)));
  }
  return rows;
}

/** Per direction v: (L(x+) − L(x−)) / (x+ − x−) for each element of input i, where L = Σ fn(...)·v. */
function numericJacobian(fn: (...xs: Tensor[]) => Tensor, rebuild: (v: readonly number[][], grad: boolean) => Tensor[],
  values: readonly number[][], i: number, directions: readonly number[][], eps: number): number[][] {
  const rows = directions.map(() => [] as number[]);
  values[i].forEach((value, j) => {
    const [plus, minus] = [Math.fround(value + eps), Math.fround(value - eps)];
    const at = (v: number): number[] => {
      const moved = values.map((row, k) => (k === i ? row.map((x, m) => (m === j ? v : x)) : row));
      return noGrad(() => fn(...rebuild(moved, false))).data.toFlat();
    };
    const [high, low] = [at(plus), at(minus)];
    directions.forEach((d, r) => rows[r].push(d.reduce((sum, w, k) => sum + w * (high[k] - low[k]), 0) / (plus - minus)));
  });
  return rows;
}

/** The element whose |analytic − numeric| exceeds its tolerance by the most (or comes closest to it). */
function worstElement(inputs: readonly Tensor[], numeric: (number[][] | null)[], analytic: (number[][] | null)[],
  outShape: readonly number[], projected: boolean, atol: number, rtol: number): GradcheckWorst | null {
  let worst: GradcheckWorst | null = null;
  let worstExcess = -Infinity;
  numeric.forEach((rows, i) => rows?.forEach((row, r) => row.forEach((n, j) => {
    const a = (analytic[i] as number[][])[r][j];
    const excess = Number.isNaN(a) || Number.isNaN(n) ? Infinity : Math.abs(a - n) - (atol + rtol * Math.abs(n));
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = { input: i, index: unravel(j, inputs[i].shape), output: projected ? null : unravel(r, outShape), numeric: n, analytic: a };
    }
  })));
  return worst;
}

/** The index per dimension of flat position `flat` in `shape`. */
function unravel(flat: number, shape: readonly number[]): number[] {
  const index: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    index.unshift(flat % shape[d]);
    flat = Math.floor(flat / shape[d]);
  }
  return index;
}

function gradcheckMessage(inputs: readonly Tensor[], w: GradcheckWorst, atol: number, rtol: number): string {
  const of = w.output ? `d(output[${w.output.join(', ')}])` : 'd(Σ output·gradOutput)';
  return `gradcheck: the gradient of input ${w.input} (shape ${formatShape(inputs[w.input].shape)}) disagrees with finite differences: ` +
    `${of}/d(input ${w.input}[${w.index.join(', ')}]) is ${Number(w.numeric.toPrecision(6))} numerically but backward gave ${Number(w.analytic.toPrecision(6))} ` +
    `(allowed: ${atol} + ${rtol}·|numeric|)`;
}

// ---- detectAnomaly ----------------------------------------------------------------------------

let anomalyDepth = 0;
/** The JavaScript stack of each op's forward call, kept while detecting anomalies. */
const forwardSites = new WeakMap<Function, string>();

/**
 * Runs `body` with NaN/Inf detection (PyTorch's `detect_anomaly`): every op's forward result and every
 * gradient its backward returns is checked, and the first one holding NaN or ±Inf throws an error
 * naming the op, its input shapes, what it read and where its forward was called. Slow: each check
 * reads the values. Returns what `body` returns.
 */
export function detectAnomaly<T>(body: () => T): T {
  anomalyDepth++;
  try {
    return body();
  } finally {
    anomalyDepth--;
  }
}

/** True inside `detectAnomaly`. */
export function isAnomalyEnabled(): boolean {
  return anomalyDepth > 0;
}

function badValue(data: TensorData): string | null {
  const values = data.toFlat();
  if (values.some(Number.isNaN)) return 'NaN';
  return values.some((v) => !Number.isFinite(v)) ? 'Inf' : null;
}

/** The caller's lines of a stack (tsgrad's own frames dropped), indented. */
function callSite(): string {
  const lines = (new Error().stack ?? '').split('\n').slice(1);
  const outside = lines.filter((l) => !/[/\\]src[/\\](tensor|function|data)[/\\]/.test(l));
  return outside.slice(0, 4).map((l) => `    ${l.trim()}`).join('\n');
}

/** Called by `apply` after an op's forward while detecting anomalies. */
export function checkForward(fn: Function, inputs: readonly Tensor[], out: TensorData): void {
  if (anomalyDepth === 0) return;
  const site = callSite();
  forwardSites.set(fn, site);
  const bad = badValue(out);
  if (bad === null || inputs.some((x) => badValue(x.data) !== null)) return;
  throw new Error(
    `detectAnomaly: the forward of ${fn.name} made ${bad} in its result of shape ${formatShape(out.shape)} from finite inputs ` +
    `of shapes ${inputs.map((x) => formatShape(x.shape)).join(', ')}.\n  It was called at:\n${site}`,
  );
}

/** Called by the backward engine after a node's backward while detecting anomalies. */
export function checkBackward(node: GraphNode, grad: TensorData, grads: readonly (TensorData | null)[]): void {
  if (anomalyDepth === 0 || badValue(grad) !== null) return;
  grads.forEach((g, i) => {
    const bad = g ? badValue(g) : null;
    if (bad === null) return;
    const read = node.inputs.map((input) => ('fn' in input ? `the result of ${input.fn.name}` : 'data' in input ? 'a leaf' : 'a constant'));
    throw new Error(
      `detectAnomaly: the backward of ${node.fn.name} returned ${bad} in the gradient of input ${i} (shape ${formatShape(node.inputs[i].shape)}) ` +
      `from a finite incoming gradient of shape ${formatShape(grad.shape)}.\n  The op read: ${read.join(', ')}.\n` +
      `  Its forward was called at:\n${forwardSites.get(node.fn) ?? '    (not recorded: the forward ran outside detectAnomaly)'}`,
    );
  });
}

// ---- explainGrad ------------------------------------------------------------------------------

/** How a tensor that does not require grad came to be, when it came from one that did. */
const origins = new WeakMap<Tensor, 'noGrad' | 'detach'>();
/** The root of the last backward: held (a WeakRef would keep every step's graph alive until a synchronous loop ends). */
let lastBackwardRoot: GraphNode | null = null;

/** Called by `apply`: `out` was made under noGrad from inputs of which some require grad. */
export function noteMadeWithoutGrad(out: Tensor): void {
  origins.set(out, 'noGrad');
}

/** Called by `detach`. */
export function noteDetached(out: Tensor): void {
  origins.set(out, 'detach');
}

/** Called by the engine when backward starts; the next backward replaces it, so at most one graph's nodes stay. */
export function noteBackwardRoot(root: GraphNode): void {
  lastBackwardRoot = root;
}

/**
 * Says in words why `x.grad` is what it is, above all why it is null: `x` does not require grad (and
 * why: made under noGrad, detached, or created without `requiresGrad`), is not a leaf and does not
 * retain its grad, or is not on the path from the output backward started at. Pass that output
 * (`explainGrad(x, loss)`) to have the path checked against it instead of the last backward.
 */
export function explainGrad(x: Tensor, output?: Tensor): string {
  if (!(x instanceof Tensor)) throw new TypeError(`explainGrad: expected a Tensor, got ${x === null ? 'null' : typeof x}`);
  const what = `this tensor (shape ${formatShape(x.shape)}${x.gradFn ? `, made by ${x.gradFn}` : ', a leaf'})`;
  if (!x.requiresGrad) return `${what} has no grad because it does not require grad: ${notRequiringReason(x)}`;
  if (!x.isLeaf && !x.retainsGrad) {
    return `${what} has no .grad because it is not a leaf: backward fills in .grad only on leaves. Call retainGrad() on it before backward() to keep its gradient.`;
  }
  if (x.grad !== null) return `${what} has a grad of shape ${formatShape(x.grad.shape)}: backward reached it.`;
  return `${what} has no grad yet: ${pathReason(x, output)}`;
}

function notRequiringReason(x: Tensor): string {
  const origin = origins.get(x);
  if (origin === 'noGrad') return 'it was made inside noGrad(...) (or a model in eval/no-grad mode), so no graph was recorded. Compute it outside noGrad.';
  if (origin === 'detach') return 'it was made by detach(), which cuts it off the graph. Use the tensor before detach() where a gradient is wanted.';
  return x.isLeaf
    ? 'it was created without { requiresGrad: true } (nor was requiresGrad_() called on it), and it is not the result of an op on a tensor that requires grad.'
    : 'none of the inputs of the op that made it required grad.';
}

function pathReason(x: Tensor, output?: Tensor): string {
  const root = output ? output.node : lastBackwardRoot;
  if (root === null || root === undefined) {
    return output ? 'the output is a leaf, so its graph holds nothing else.' : 'no backward() has run since it was made (or its graph was garbage-collected).';
  }
  const target = x.node ?? x;
  const onPath = graphFrom(root).includes(target);
  return onPath
    ? `it is on the path from ${root.fn.name}, so its gradient was null: every op between them returned no gradient for it (or backward has not run from there yet).`
    : `it is not on the path from the output (${root.fn.name}) backward started at: that output does not depend on it.`;
}

// ---- memoryReport -----------------------------------------------------------------------------

/** What is counted of one tensor while it lives. */
interface Counted {
  bytes: number;
  onDevice: boolean;
}

/** Off until the first `memoryReport()`: following every tensor would slow each op down. */
let tracking = false;
const live = { tensors: 0, host: 0, device: 0 };
let finalizers: Finalizers<Counted> | null = null;

/** Called by the Tensor constructor: once `memoryReport` was called, the tensor is counted until it is garbage-collected. */
export function noteTensor(t: Tensor): void {
  if (!tracking || finalizers === null) return;
  const counted = { bytes: 4 * t.data.size, onDevice: t.data.residence === 'device' };
  live.tensors++;
  live[counted.onDevice ? 'device' : 'host'] += counted.bytes;
  finalizers.register(t, counted);
}

function forget(counted: Counted): void {
  live.tensors--;
  live[counted.onDevice ? 'device' : 'host'] -= counted.bytes;
}

/** Live tensors and the bytes of their values, where they were made. */
export interface MemoryReport {
  /** Tensors made since the first `memoryReport()` and not yet garbage-collected, views included. */
  tensors: number;
  /** Bytes of their values (4 per float32 value; a view counts the values it shows), by where each tensor was made. */
  bytes: {
    /** In host memory (JavaScript arrays). */
    host: number;
    /** In device memory (the gpu backend's textures). */
    device: number;
  };
  /** The same as `toString` prints. */
  toString(): string;
}

/**
 * The tensors alive now and the bytes of their values, on the host and on the device (the gpu
 * backend's textures). Counts the tensors made since its first call, which starts the count (so
 * call it once before the loop you watch). Collects garbage first where Node allows it, so that only
 * reachable tensors count. Call it between training steps: a count that grows step after step is a leak.
 */
export function memoryReport(): MemoryReport {
  tracking = true;
  finalizers ??= finalizationRegistry<Counted>(forget);
  garbageCollector()?.();
  finalizers.cleanupSome?.();
  const report = { tensors: live.tensors, bytes: { host: live.host, device: live.device } };
  return {
    ...report,
    toString: () => `${report.tensors} live tensors, ${report.bytes.host} bytes on the host, ${report.bytes.device} bytes on the device`,
  };
}
