/**
 * Differentiable movement ops. Forward returns a view where the data layer can (no copy); backward
 * moves the gradient back to the input's layout.
 *
 * May import: src/data, ./function, ./helpers.
 */
import type { TensorData } from '../data';
import { Function } from './function';
import { fold, zeros } from './helpers';

type Range = readonly [number, number];

/** Reshape only relabels cells: the gradient is reshaped back */
export class Reshape extends Function {
  private inputShape: readonly number[] = [];
  constructor(private readonly shape: readonly number[]) {
    super();
  }
  forward(x: TensorData): TensorData {
    this.inputShape = x.shape;
    return x.reshape(this.shape);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    return [grad.reshape(this.inputShape)];
  }
}

/** Permute moves cells: the gradient is permuted by the inverse order */
export class Permute extends Function {
  constructor(private readonly order: readonly number[]) {
    super();
  }
  forward(x: TensorData): TensorData {
    return x.permute(this.order);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const inverse = this.order.map((_, i) => this.order.indexOf(i));
    return [grad.permute(inverse)];
  }
}

/** Expand reads one cell many times: ∂/∂x sums the gradient over the expanded axes */
export class Expand extends Function {
  private inputShape: readonly number[] = [];
  constructor(private readonly shape: readonly number[]) {
    super();
  }
  forward(x: TensorData): TensorData {
    this.inputShape = x.shape;
    return x.expand(this.shape);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const grown = this.inputShape.map((d, i) => i).filter((i) => this.inputShape[i] !== this.shape[i]);
    return [grown.length ? grad.sum(grown) : grad];
  }
}

/** Pad adds constant cells: their gradient is dropped, so ∂/∂x = the gradient shrunk back */
export class Pad extends Function {
  constructor(private readonly padding: readonly Range[], private readonly value = 0) {
    super();
  }
  forward(x: TensorData): TensorData {
    return x.pad(this.padding, this.value);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    return [grad.shrink(this.padding.map(([before], i) => [before, grad.shape[i] - this.padding[i][1]]))];
  }
}

/** Shrink keeps a box of cells: ∂/∂x is the gradient padded with zeros back to the input's shape */
export class Shrink extends Function {
  private inputShape: readonly number[] = [];
  constructor(private readonly ranges: readonly Range[]) {
    super();
  }
  forward(x: TensorData): TensorData {
    this.inputShape = x.shape;
    return x.shrink(this.ranges);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    return [grad.pad(this.ranges.map(([start, end], i) => [start, this.inputShape[i] - end]))];
  }
}

/** Stride keeps every step-th cell (negative: reversed): ∂/∂x puts the gradient back in those cells, zeros elsewhere */
export class Stride extends Function {
  private inputShape: readonly number[] = [];
  constructor(private readonly steps: readonly number[]) {
    super();
  }
  forward(x: TensorData): TensorData {
    this.inputShape = x.shape;
    return x.stride(this.steps);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    if (this.steps.every((s) => Math.abs(s) === 1)) return [grad.stride(this.steps)];
    const out = zeros(this.inputShape);
    out.stride(this.steps).assign(grad);
    return [out];
  }
}

/** Window (the view behind pooling) reads cells into several windows: ∂/∂x folds the windows back, summing overlaps */
export class Window extends Function {
  private inputShape: readonly number[] = [];
  constructor(
    private readonly axes: readonly number[], private readonly kernel: readonly number[],
    private readonly stride: readonly number[], private readonly dilation: readonly number[],
  ) {
    super();
  }
  forward(x: TensorData): TensorData {
    this.inputShape = x.shape;
    return x.window(this.axes, this.kernel, this.stride, this.dilation);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    return [fold(grad, this.inputShape, this.axes, this.kernel, this.stride, this.dilation)];
  }
}

/** A copy into new storage: ∂/∂x = 1 (what `Tensor.clone` records) */
export class Copy extends Function {
  forward(x: TensorData): TensorData {
    return x.clone();
  }
  backward(grad: TensorData): (TensorData | null)[] {
    return [grad];
  }
}
