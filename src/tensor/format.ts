/**
 * Printing, as PyTorch 1.13's `repr` (torch/_tensor_str.py) with its default print options:
 * one number format per tensor, columns aligned to the widest value, `...` past 1,000 values,
 * rows wrapped at 80 characters, and the `grad_fn=<…>` / `requires_grad=True` suffixes.
 * Also Python's float `repr`, which module descriptions use (`eps=1e-05`).
 *
 * Works on plain numbers and shapes only, so it imports nothing but shape helpers.
 *
 * May import: src/data (shape helpers).
 */
import { numel } from '../data';

/** Digits after the point (PyTorch's `precision`). */
const PRECISION = 4;
/** More values than this are summarized with `...` (PyTorch's `threshold`). */
const THRESHOLD = 1000;
/** Values kept at each end of a summarized dim (PyTorch's `edgeitems`). */
const EDGE_ITEMS = 3;
/** Characters per line before a row wraps (PyTorch's `linewidth`). */
const LINE_WIDTH = 80;

/** The one number format of a tensor, chosen from its nonzero finite values (PyTorch's `_Formatter`). */
interface NumberFormat {
  /** Every value is an integer: print `3.` */
  intMode: boolean;
  /** Print `1.2340e+05`. */
  sciMode: boolean;
  /** Width every value is padded to. */
  width: number;
}

/**
 * The text of a tensor: `prefix` + values + suffixes + `)`, e.g. `tensor([1., 2.], requires_grad=True)`.
 * `values` are row-major, `suffixes` are already written (`grad_fn=<MulBackward0>`).
 */
export function formatTensor(values: readonly number[], shape: readonly number[], suffixes: string[], prefix = 'tensor('): string {
  const indent = prefix.length;
  const all = [...suffixes];
  let body: string;
  if (values.length === 0) {
    body = '[]';
    if (shape.length !== 1) all.unshift(`size=${pythonTuple(shape)}`);
  } else {
    const summarize = values.length > THRESHOLD;
    const format = chooseFormat(summarize ? summarizedValues(values, shape, 0, 0) : [...values]);
    body = formatBlock(values, shape, 0, 0, indent, summarize, format);
  }
  return addSuffixes(prefix + body, all, indent);
}

/**
 * PyTorch's name for a backward node. A built-in op's node prints with PyTorch's variant number,
 * tsgrad's 'MulBackward' as `grad_fn=<MulBackward0>`, or with PyTorch's name where it differs
 * ('PowNumberBackward' is `PowBackward0`); a user-defined Function prints as PyTorch prints
 * a custom autograd.Function, without one: `grad_fn=<CubeBackward>`.
 */
export function gradFnSuffix(gradFn: string, builtIn: boolean): string {
  if (!builtIn) return `grad_fn=<${gradFn}>`;
  return `grad_fn=<${PYTORCH_NODE_NAMES[gradFn] ?? `${gradFn}0`}>`;
}

/** Built-in nodes whose PyTorch name is not tsgrad's name + '0': another variant, or another name. */
const PYTORCH_NODE_NAMES: Record<string, string> = {
  PowNumberBackward: 'PowBackward0', // x.pow(2)
  PowBackward: 'PowBackward1', // x.pow(tensor)
  ClampBackward: 'ClampBackward1',
  PickMaxBackward: 'MaxPool2DWithIndicesBackward0',
  Conv2dBackward: 'ConvolutionBackward0',
  CopyBackwards: 'CopyBackwards', // copy_
  FillBackward: 'FillBackward2', // fill_(number); PyTorch's fill_(tensor) is FillBackward3
  CopySlices: 'CopySlices', // the base after an in-place op through a view
  ViewReplayBackward: 'AsStridedBackward0', // a view whose base changed in place
};

/** A shape as Python prints a tuple: `(2, 3)`, `(4,)`, `()`. */
export function pythonTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** A number as Python's `repr(float)`: `0.1`, `1e-05`, `2.0`, `inf`. */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const magnitude = Math.abs(x);
  if (magnitude === 0 || (magnitude >= 1e-4 && magnitude < 1e16)) {
    const text = Object.is(x, -0) ? '-0' : String(x);
    return Number.isInteger(x) ? `${text}.0` : text;
  }
  const [mantissa, exponent] = x.toExponential().split('e');
  return `${mantissa}e${exponentText(Number(exponent))}`;
}

// ---- choosing the format --------------------------------------------------------------------------

function chooseFormat(values: number[]): NumberFormat {
  const format: NumberFormat = { intMode: true, sciMode: false, width: 1 };
  const finite = values.filter((v) => Number.isFinite(v) && v !== 0);
  if (finite.length === 0) return format;
  const magnitudes = finite.map(Math.abs);
  const min = magnitudes.reduce((m, v) => Math.min(m, v), Infinity);
  const max = magnitudes.reduce((m, v) => Math.max(m, v), 0);
  format.intMode = finite.every((v) => v === Math.ceil(v));
  format.sciMode = max / min > 1000 || max > 1e8 || (!format.intMode && min < 1e-4);
  const widthOf = (v: number): number => {
    if (format.sciMode) return exponential(v, PRECISION).length;
    return format.intMode ? fixed(v, 0).length + 1 : fixed(v, PRECISION).length;
  };
  format.width = finite.reduce((w, v) => Math.max(w, widthOf(v)), 1);
  return format;
}

/** One value in the tensor's format, padded on the left to its width. */
function formatValue(x: number, format: NumberFormat): string {
  let text: string;
  if (format.sciMode) text = exponential(x, PRECISION);
  else if (format.intMode) text = fixed(x, 0) + (Number.isFinite(x) ? '.' : '');
  else text = fixed(x, PRECISION);
  return text.padStart(format.width);
}

/** The values the format is chosen from when summarizing: the first and last EDGE_ITEMS of each dim. */
function summarizedValues(values: readonly number[], shape: readonly number[], dim: number, offset: number): number[] {
  if (dim === shape.length) return [values[offset]];
  const step = numel(shape.slice(dim + 1));
  return keptIndices(shape[dim], true).flatMap((i) => (i < 0 ? [] : summarizedValues(values, shape, dim + 1, offset + i * step)));
}

/** 0..n−1, or the first and last EDGE_ITEMS with −1 where `...` goes. */
function keptIndices(n: number, summarize: boolean): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (!summarize || n <= 2 * EDGE_ITEMS) return all;
  return [...all.slice(0, EDGE_ITEMS), -1, ...all.slice(n - EDGE_ITEMS)];
}

// ---- laying out ------------------------------------------------------------------------------------

/** The bracketed text of the sub-tensor at `offset` spanning dims `dim`.. (PyTorch's `_tensor_str_with_formatter`). */
function formatBlock(values: readonly number[], shape: readonly number[], dim: number, offset: number,
  indent: number, summarize: boolean, format: NumberFormat): string {
  const rank = shape.length - dim;
  if (rank === 0) return formatValue(values[offset], format);
  const step = numel(shape.slice(dim + 1));
  const indices = keptIndices(shape[dim], summarize);
  if (rank === 1) {
    const items = indices.map((i) => (i < 0 ? ' ...' : formatValue(values[offset + i], format)));
    const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / (format.width + 2)));
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
    return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
  }
  const slices = indices.map((i) => (i < 0 ? '...' : formatBlock(values, shape, dim + 1, offset + i * step, indent + 1, summarize, format)));
  return `[${slices.join(`,${'\n'.repeat(rank - 1)}${' '.repeat(indent + 1)}`)}]`;
}

/** Appends `, suffix` to the last line, or `,\n` + indent + suffix when the line would pass 80 characters. */
function addSuffixes(text: string, suffixes: string[], indent: number): string {
  let out = text;
  let lastLineLength = text.length - text.lastIndexOf('\n') + 1;
  for (const suffix of suffixes) {
    if (lastLineLength + suffix.length + 2 > LINE_WIDTH) {
      out += `,\n${' '.repeat(indent)}${suffix}`;
      lastLineLength = indent + suffix.length;
    } else {
      out += `, ${suffix}`;
      lastLineLength += suffix.length + 2;
    }
  }
  return `${out})`;
}

// ---- Python's number formats -------------------------------------------------------------------------

/**
 * Python's `'{:.Nf}'.format(x)`: rounded half to even on the exact binary value. JavaScript's
 * toFixed rounds exact ties up: (0.03125).toFixed(4) is '0.0313', Python writes '0.0312'. So a value
 * that may be a tie (its digits continue with 50) is rounded here from its exact decimal expansion.
 */
function fixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const magnitude = Math.abs(x);
  if (magnitude >= 1e21) return `${sign}${BigInt(magnitude).toString()}${digits ? `.${'0'.repeat(digits)}` : ''}`;
  if (!magnitude.toFixed(digits + 2).endsWith('50')) return sign + magnitude.toFixed(digits); // not a tie
  const [whole, fraction] = magnitude.toFixed(Math.min(100, digits + 30)).split('.');
  const rounded = roundDigits(whole + fraction.slice(0, digits), fraction.slice(digits));
  const intPart = rounded.slice(0, rounded.length - digits) || '0';
  return sign + intPart + (digits ? `.${rounded.slice(rounded.length - digits)}` : '');
}

/** Python's `'{:.Ne}'.format(x)`: `1.2346e+04`, with at least two exponent digits. */
function exponential(x: number, digits: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const magnitude = Math.abs(x);
  const probe = magnitude.toExponential(digits + 2).split('e'); // an exact tie continues with 50
  const mayBeTie = probe[0].endsWith('50');
  const [mantissa, exponentPart] = (mayBeTie ? magnitude.toExponential(Math.min(100, digits + 30)) : magnitude.toExponential(digits)).split('e');
  const allDigits = mantissa.replace('.', '');
  let kept = roundDigits(allDigits.slice(0, digits + 1), allDigits.slice(digits + 1));
  let exponent = Number(exponentPart);
  if (kept.length > digits + 1) {
    kept = kept.slice(0, digits + 1);
    exponent += 1;
  }
  return `${sign}${kept[0]}${digits ? `.${kept.slice(1)}` : ''}e${exponentText(exponent)}`;
}

/** `kept` (a digit string) rounded by the digits that follow it, half to even; may grow by one digit. */
function roundDigits(kept: string, rest: string): string {
  const first = rest[0] ?? '0';
  const tail = rest.slice(1);
  const isTie = first === '5' && /^0*$/.test(tail);
  const lastDigit = Number(kept[kept.length - 1] ?? '0');
  const roundUp = first > '5' || (first === '5' && !isTie) || (isTie && lastDigit % 2 === 1);
  return roundUp ? (BigInt(kept || '0') + 1n).toString().padStart(kept.length, '0') : kept;
}

function exponentText(exponent: number): string {
  return `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

function nonFinite(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  return x > 0 ? 'inf' : '-inf';
}
