/**
 * Writes into a view with the gpu backend's scatter kernel: into a host array (`Backend.scatter`),
 * or as a new buffer holding all of the target with the view written (`DeviceMemory.scatter`).
 *
 * May import: ../backend, ../shape, ./layout, ./runner.
 */
import type { StridedView } from '../backend';
import { numel } from '../shape';
import { inputArgs, scatterLayout, type ScatterLayout } from './layout';
import { checkSameShapes, lengthOf, type KernelData, type KernelRunner, type KernelView } from './runner';

/** Runs the scatter kernel for `plan`: output cell i is cell i of `old` or, from `start` on, of the view. */
function scatterRun(runner: KernelRunner, plan: ScatterLayout<KernelData>, old: KernelData, start: number, cells: number): KernelData {
  const args = [old, plan.source.array, start, plan.length, ...plan.sizes, ...plan.targetStrides, ...inputArgs(plan.source)];
  return runner.run(runner.kernels.scatter, 'scatter', cells, args);
}

/** Backend.scatter: writes into the host array of `target`, only over the range the view touches. */
export function scatterHost(runner: KernelRunner, target: StridedView, source: StridedView): void {
  checkSameShapes('scatter', [target, source]);
  if (numel(target.shape) === 0) return;
  runner.scoped((temps) => {
    const plan = scatterLayout('scatter', target, runner.ready('scatter', source, temps));
    const old = runner.argument(target.array.subarray(plan.start, plan.start + plan.length), temps);
    target.array.set(runner.result(scatterRun(runner, plan, old, 0, plan.length)), plan.start);
  });
}

/**
 * DeviceMemory.scatter: all of `target`'s array or texture, with the view written, as a new result.
 * `gather` copies the whole target when the view has no cells.
 */
export function scatterWhole(runner: KernelRunner, target: KernelView, source: KernelView, gather: (x: KernelView) => KernelData): KernelData {
  checkSameShapes('scatter', [target, source]);
  const length = lengthOf(target.array);
  if (numel(target.shape) === 0) return gather({ array: target.array, shape: [length], strides: [1], offset: 0 });
  return runner.scoped((temps) => {
    const whole = target.array instanceof Float32Array ? runner.argument(target.array, temps) : target.array;
    const plan = scatterLayout('scatter', target, runner.ready('scatter', source, temps));
    return scatterRun(runner, plan, whole, plan.start, length);
  });
}
