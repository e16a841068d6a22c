/**
 * The creation statics of Tensor that fill new storage (`arange`, `eye`) and the size check they and
 * `zeros`/`full` share: a shape past MAX_CELLS (2^31 − 1 cells) is refused with an error naming the
 * op and the size, before anything is allocated. Values are written in place by the `generate` load
 * op (src/data), so no JS array as long as the tensor is ever built.
 *
 * May import: src/data, ./tensor (at call time).
 */
import { checkCellCount, checkShape, TensorData, type Shape } from '../data';
import { Tensor, type TensorOptions } from './tensor';

/** Throws, naming `op`, unless `shape` is a list of non-negative integers with at most MAX_CELLS cells. */
export function checkCreationShape(op: string, shape: Shape): void {
  checkShape(shape, op);
  checkCellCount(shape, op);
}

/** start, start+step, ... below stop (see Tensor.arange). */
export function arange(start: number, stop: number | undefined, step: number, options?: TensorOptions): Tensor {
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  if (step === 0 || !Number.isFinite(step)) throw new RangeError(`arange: step must be a non-zero number, got ${step}`);
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new RangeError(`arange: start and stop must be finite numbers, got ${from} and ${to}`);
  const count = Math.max(0, Math.ceil((to - from) / step));
  return new Tensor(TensorData.generate([count], (i) => from + i * step, 'arange'), options);
}

/** The identity matrix of n rows and m columns (see Tensor.eye). */
export function eye(n: number, m: number, options?: TensorOptions): Tensor {
  checkCreationShape('eye', [n, m]);
  return new Tensor(TensorData.generate([n, m], (i) => (Math.floor(i / m) === i % m ? 1 : 0), 'eye'), options);
}
