/**
 * Argument checks for the Tensor API, one line at the top of each public method. TypeScript checks
 * types at compile time only; a plain-JavaScript caller (or a value typed `any`) can pass null, a
 * string or nothing at all. Each check throws an error that names the op and the argument, says what
 * was expected and what arrived, instead of a raw "Cannot read properties of undefined" from deep inside.
 *
 * Wrong kind of value: TypeError. Right kind, wrong value (a negative size, a fractional dim): RangeError.
 *
 * May import: src/data, ./tensor (used at call time only; the import is circular).
 */
import { formatShape, TensorData, type NestedArray } from '../data';
import { Tensor, type TensorOptions } from './tensor';

/** Values `tensor()` reads: numbers, booleans (true is 1), typed arrays, and nested arrays of these. */
export type TensorLike = number | boolean | ArrayLike<number> | readonly TensorLike[];

/** The one dtype tsgrad computes in. */
export type DType = 'float32';

/** What a value is, in words, for error messages: `null`, `the string "a"`, `a tensor of shape [2,3]`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (value instanceof Tensor) return `a tensor of shape ${formatShape(value.shape)}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return withArticle(value.constructor.name);
  switch (typeof value) {
    case 'number': return `the number ${value}`;
    case 'string': return `the string ${JSON.stringify(value.length > 30 ? `${value.slice(0, 30)}…` : value)}`;
    case 'boolean': return `the boolean ${value}`;
    case 'function': return 'a function';
    case 'object': return `an object${value.constructor && value.constructor !== Object ? ` (${value.constructor.name})` : ''}`;
    default: return withArticle(typeof value);
  }
}

function withArticle(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;
}

function fail(op: string, arg: string, expected: string, value: unknown, type: 'type' | 'range' = 'type'): never {
  const message = `${op}: ${arg} must be ${expected}, got ${describeValue(value)}`;
  throw type === 'type' ? new TypeError(message) : new RangeError(message);
}

// ---- tensors and scalars ---------------------------------------------------------------------------

/** A Tensor. */
export function tensorArg(value: unknown, op: string, arg: string): Tensor {
  return value instanceof Tensor ? value : fail(op, arg, 'a Tensor', value);
}

/** A Tensor, or left out (undefined or null, as Python's None). */
export function optionalTensorArg(value: unknown, op: string, arg: string): Tensor | undefined {
  return value === undefined || value === null ? undefined : tensorArg(value, op, arg);
}

/** A Tensor or a number (where PyTorch takes a Python scalar). */
export function tensorOrNumberArg(value: unknown, op: string, arg: string): Tensor | number {
  return value instanceof Tensor || typeof value === 'number' ? value : fail(op, arg, 'a Tensor or a number', value);
}

/** A non-empty array of Tensors (cat, stack). */
export function tensorListArg(value: unknown, op: string, arg: string): Tensor[] {
  if (!Array.isArray(value) || value.length === 0) return fail(op, arg, 'a non-empty array of Tensors', value);
  value.forEach((t, i) => tensorArg(t, op, `${arg}[${i}]`));
  return value as Tensor[];
}

/** TensorData (what the Tensor constructor wraps). */
export function tensorDataArg(value: unknown, op: string, arg: string): TensorData {
  return value instanceof TensorData ? value : fail(op, arg, 'a TensorData', value);
}

// ---- numbers ----------------------------------------------------------------------------------------

/** A number (NaN and ±Infinity included, as PyTorch's scalars). */
export function numberArg(value: unknown, op: string, arg: string): number {
  return typeof value === 'number' ? value : fail(op, arg, 'a number', value);
}

/** A number, or undefined (left out). */
export function optionalNumberArg(value: unknown, op: string, arg: string): number | undefined {
  return value === undefined ? undefined : numberArg(value, op, arg);
}

/** An integer (a dim, an index, a count). */
export function intArg(value: unknown, op: string, arg: string): number {
  if (typeof value !== 'number') return fail(op, arg, 'an integer', value);
  return Number.isInteger(value) ? value : fail(op, arg, 'an integer', value, 'range');
}

/** An integer, or undefined (left out). */
export function optionalIntArg(value: unknown, op: string, arg: string): number | undefined {
  return value === undefined ? undefined : intArg(value, op, arg);
}

/** A boolean, or undefined (left out). */
export function optionalBoolArg(value: unknown, op: string, arg: string): boolean | undefined {
  return value === undefined || typeof value === 'boolean' ? value : fail(op, arg, 'true or false', value);
}

/** An array of integers (dims, pads). */
export function intListArg(value: unknown, op: string, arg: string): number[] {
  if (!Array.isArray(value)) return fail(op, arg, 'an array of integers', value);
  value.forEach((v, i) => intArg(v, op, `${arg}[${i}]`));
  return value as number[];
}

/** One dim or several. */
export function dimsArg(value: unknown, op: string, arg: string): number | number[] {
  return Array.isArray(value) ? intListArg(value, op, arg) : intArg(value, op, arg);
}

/** One dim or several (a reduction's `dim`), or undefined for all. */
export function optionalDimsArg(value: unknown, op: string, arg: string): number | number[] | undefined {
  return value === undefined ? undefined : dimsArg(value, op, arg);
}

/**
 * Sizes given as PyTorch takes them: varargs `reshape(3, 2)` or one array `reshape([3, 2])`.
 * `args` is the method's rest parameter.
 */
export function sizesArg(args: readonly unknown[], op: string, arg: string): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return intListArg(args[0], op, arg);
  if (args.length === 0) return fail(op, arg, `given, as integers (${op}(2, 3)) or one array (${op}([2, 3]))`, undefined);
  args.forEach((v, i) => intArg(v, op, `${arg}[${i}]`));
  return args as number[];
}

/** A non-negative integer (a count, one size). */
export function sizeArg(value: unknown, op: string, arg: string): number {
  const n = intArg(value, op, arg);
  return n >= 0 ? n : fail(op, arg, 'a non-negative integer', value, 'range');
}

/** A reduction's `dim` (one, several, or undefined for all) and `keepdim`. */
export function reductionArgs(dim: unknown, keepdim: unknown, op: string): void {
  optionalDimsArg(dim, op, 'dim');
  optionalBoolArg(keepdim, op, 'keepdim');
}

/** A creation function's shape and options. */
export function creationArgs(shape: unknown, options: TensorOptions | undefined, op: string): void {
  shapeArg(shape, op);
  tensorOptionsArg(options, op);
}

/** A `*Like` creation function's template tensor and options; returns the template's shape. */
export function likeArgs(t: unknown, options: TensorOptions | undefined, op: string): number[] {
  tensorOptionsArg(options, op);
  return tensorArg(t, op, 't').shape;
}

/** A loss's target tensor and its options object. */
export function lossArgs(target: unknown, options: object | undefined, op: string): void {
  tensorArg(target, op, 'target');
  optionsArg(options, op);
}

/** `pad`'s counts: [before, after] pairs from the last dim backwards, each a non-negative integer. */
export function padArgs(pads: unknown, op: string): number[] {
  const list = intListArg(pads, op, 'pads');
  list.forEach((n, i) => { if (n < 0) fail(op, `pads[${i}]`, 'a non-negative integer (tsgrad does not crop with negative pads)', n, 'range'); });
  return list;
}

/** `slice`'s specs: each an integer, null, or an array [start?, stop?, step?] of integers. */
export function sliceSpecsArg(specs: readonly unknown[], op: string): void {
  specs.forEach((spec, i) => {
    if (spec === null) return;
    if (typeof spec === 'number') return void intArg(spec, op, `index ${i}`);
    if (!Array.isArray(spec) || spec.length > 3) fail(op, `spec ${i}`, 'an integer, null, or [start?, stop?, step?]', spec);
    (spec as unknown[]).forEach((v, k) => optionalIntArg(v, op, `spec ${i}[${k}]`));
  });
}

/** A plain options object, or undefined. */
export function optionsArg<T extends object>(value: T | undefined, op: string, arg = 'options'): T | undefined {
  if (value === undefined) return undefined;
  const isPlain = typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Tensor);
  return isPlain ? value : fail(op, arg, 'an object of options', value);
}

/** The options of a tensor constructor: `requiresGrad` a boolean, `dtype` only 'float32'. */
export function tensorOptionsArg(value: TensorOptions | undefined, op: string): TensorOptions {
  const options = optionsArg(value, op) ?? {};
  optionalBoolArg(options.requiresGrad, op, 'options.requiresGrad');
  const dtype: unknown = options.dtype;
  if (dtype !== undefined && dtype !== 'float32') {
    const name = typeof dtype === 'string' ? `'${dtype}'` : describeValue(dtype);
    throw new TypeError(`${op}: dtype ${name} is not supported; tsgrad computes in float32 only (dtype: 'float32')`);
  }
  return options;
}

/** A shape for creation: an array of non-negative integers. */
export function shapeArg(value: unknown, op: string, arg = 'shape'): number[] {
  const shape = intListArg(value, op, arg);
  shape.forEach((d, i) => { if (d < 0) fail(op, `${arg}[${i}]`, 'a non-negative integer', d, 'range'); });
  return shape;
}

// ---- tensor() input -------------------------------------------------------------------------------

/** `tensor()`'s values as nested arrays of numbers: booleans become 0/1, typed arrays become arrays. */
export function nestedValuesArg(value: unknown, op: string, path = 'data'): NestedArray {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    if (typeof (value as unknown as ArrayLike<unknown>)[0] === 'bigint') return fail(op, path, 'numbers (a BigInt64Array holds BigInts)', value);
    return Array.from(value as unknown as ArrayLike<number>);
  }
  if (Array.isArray(value)) return value.map((item, i) => nestedValuesArg(item, op, `${path}[${i}]`));
  return fail(op, path, 'a number, a boolean, a typed array or (nested) arrays of these', value);
}

// ---- convolution and pooling sizes ------------------------------------------------------------------

/** A size-like setting as one integer or a pair [h, w], each an integer ≥ `min`; returns the pair. */
export function pairArg(value: unknown, op: string, arg: string, min: number): [number, number] {
  const expected = `an integer ≥ ${min} or a pair [h, w] of them`;
  const isPair = Array.isArray(value) && value.length === 2;
  if (typeof value !== 'number' && !isPair) return fail(op, arg, expected, value);
  const [a, b] = (typeof value === 'number' ? [value, value] : value) as unknown[];
  const ok = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min;
  if (!ok(a) || !ok(b)) {
    const given = typeof value === 'number' ? String(value) : `[${String(a)}, ${String(b)}]`;
    throw new RangeError(`${op}: ${arg} must be ${expected}, got ${given}`);
  }
  return [a as number, b as number];
}
