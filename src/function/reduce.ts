/**
 * Differentiable reductions over a list of axes. With keepdim the reduced axes stay as size 1,
 * otherwise they are dropped (the gradient is reshaped back before it is spread out).
 *
 * May import: src/data, ./function, ./helpers.
 */
import { TensorData } from '../data';
import { Function } from './function';
import { fill, isNan, same } from './helpers';

/** Shared by the reductions: the axes, and the input and kept-dims shapes needed to undo the reduction. */
abstract class Reduction extends Function {
  protected inputShape: readonly number[] = [];
  protected keptShape: readonly number[] = [];
  constructor(protected readonly axes: readonly number[], private readonly keepdim: boolean) {
    super();
  }
  /** Applies a keepdim reduction's result shape, dropping the reduced axes unless keepdim. */
  protected finish(x: TensorData, reduced: TensorData): TensorData {
    this.inputShape = x.shape;
    this.keptShape = reduced.shape;
    return this.keepdim ? reduced : reduced.reshape(reduced.shape.filter((_, i) => !this.axes.includes(i)));
  }
  /** The gradient with the reduced axes back as size 1. */
  protected kept(grad: TensorData): TensorData {
    return grad.reshape(this.keptShape);
  }
}

/** ∂(Σ x)/∂xᵢ = 1: the gradient is spread back over the reduced axes */
export class Sum extends Reduction {
  forward(x: TensorData): TensorData {
    return this.finish(x, x.sum(this.axes));
  }
  backward(grad: TensorData): (TensorData | null)[] {
    return [this.kept(grad).expand(this.inputShape)];
  }
}

/**
 * ∂(max x)/∂xᵢ = [xᵢ = max] / (number of maxima): ties share the gradient evenly, like torch.amax.
 * Where the max is NaN no cell equals it, and the gradient is NaN, as in PyTorch.
 */
export class Max extends Reduction {
  forward(x: TensorData): TensorData {
    const out = x.amax(this.axes);
    this.saveForBackward(x, out);
    return this.finish(x, out);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [x, out] = this.savedTensors;
    // x ≤ max everywhere, so [x = max] = 1 − [x < max], unless the max is NaN: then no cell counts.
    const maxIsNumber = fill(1, out).sub(isNan(out)).expand(x.shape);
    const isMax = fill(1, x).sub(x.cmplt(out.expand(x.shape))).mul(maxIsNumber);
    const share = this.kept(grad).div(isMax.sum(this.axes));
    return [share.expand(x.shape).mul(isMax)];
  }
}

/**
 * Max's forward, with the gradient sent to one cell: ∂(max x)/∂xᵢ = [i is the first maximum],
 * first in row-major order over the reduced axes; where there is a NaN, the max is NaN and the last
 * NaN is picked. This is the cell PyTorch's CPU max_pool2d picks (its scan keeps a value only when
 * it is larger than the best so far, or NaN). `candidates`, when given (x's shape, 1 or 0), marks
 * the cells that may be picked: pooling passes 0 for padding, which PyTorch's scan never visits.
 */
export class PickMax extends Max {
  constructor(axes: readonly number[], keepdim: boolean, private readonly candidates?: TensorData) {
    super(axes, keepdim);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [x, out] = this.savedTensors;
    const score = this.pickScore(x, out);
    // The picked cell is the one whose score is not below its group's best; the others get 0.
    const notPicked = score.cmplt(score.amax(this.axes).expand(x.shape));
    return [notPicked.where(fill(0, x), this.kept(grad).expand(x.shape))];
  }
  /**
   * A score whose largest value is at the picked cell: −i/n for cell i of n not below the max, −1 − i/n
   * for a cell below it, and (1 + i)/n for a NaN, looked for only when some max is NaN (then no cell is
   * below it). The scores are distinct in float32 for windows of fewer than 2²² cells. The backward makes
   * the same five passes over x whether or not windows tie (ReLU's zeros make ties common).
   */
  private pickScore(x: TensorData, out: TensorData): TensorData {
    const cells = this.axes.reduce((n, axis) => n * x.shape[axis], 1);
    const positionShape = x.shape.map((d, i) => (this.axes.includes(i) ? d : 1));
    // Computed on the small per-position tensor, then expanded: ops between two expanded operands are slow.
    const fraction = (f: (i: number) => number): TensorData =>
      TensorData.fromArray(Array.from({ length: cells }, (_, i) => f(i) / cells), positionShape).expand(x.shape);
    let score = fraction((i) => -i).sub(x.cmplt(out.expand(x.shape)));
    if (hasNan(out)) score = isNan(x).where(fraction((i) => 1 + i), score);
    return this.candidates ? this.candidates.where(score, fill(-Infinity, x)) : score;
  }
}

/** True when some cell of x is NaN (one read back to the host). */
function hasNan(x: TensorData): boolean {
  // A sum is NaN when a term is (or when +∞ meets −∞): one cheap pass decides for nearly every x.
  const all = x.shape.map((_, i) => i);
  return x.size > 0 && Number.isNaN(x.sum(all).item()) && isNan(x).amax(all).item() === 1;
}

/**
 * Standard deviation over the axes, √(Σ(x − x̄)² / (n − c)) with correction c.
 * ∂std/∂xᵢ = (xᵢ − x̄) / ((n − c)·std), and 0 where std = 0 (PyTorch's rule: a constant row gets
 * gradient 0, not 0/0).
 */
export class Std extends Reduction {
  constructor(axes: readonly number[], keepdim: boolean, private readonly correction: number) {
    super(axes, keepdim);
  }
  forward(x: TensorData): TensorData {
    const cells = this.axes.reduce((n, axis) => n * x.shape[axis], 1);
    const mean = x.sum(this.axes).div(TensorData.const(cells, this.reducedShape(x)));
    const centered = x.sub(mean.expand(x.shape));
    const divisor = TensorData.const(Math.max(cells - this.correction, 0), mean.shape);
    const std = centered.mul(centered).sum(this.axes).div(divisor).sqrt();
    this.saveForBackward(centered, std, divisor);
    return this.finish(x, std);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [centered, std, divisor] = this.savedTensors;
    const isZero = same(std, fill(0, std));
    const scale = isZero.where(fill(0, std), this.kept(grad).div(std.mul(divisor)));
    return [scale.expand(centered.shape).mul(centered)];
  }
  private reducedShape(x: TensorData): number[] {
    return x.shape.map((d, i) => (this.axes.includes(i) ? 1 : d));
  }
}
