/**
 * Matrix product and 2-D convolution: the two ops built on mulacc, whose backward is mulacc again.
 *
 * May import: src/data, ./function, ./helpers.
 */
import type { TensorData } from '../data';
import { Function } from './function';
import { matmulData, spreadByStride, swapLastTwo } from './helpers';

/** C = A·B over the last two axes: ∂L/∂A = ∂L/∂C·Bᵀ, ∂L/∂B = Aᵀ·∂L/∂C (batch dims must already match) */
export class Matmul extends Function {
  forward(a: TensorData, b: TensorData): TensorData {
    this.saveForBackward(a, b);
    return matmulData(a, b);
  }
  backward(grad: TensorData): (TensorData | null)[] {
    const [a, b] = this.savedTensors;
    return [
      this.needsInputGrad[0] ? matmulData(grad, swapLastTwo(b)) : null,
      this.needsInputGrad[1] ? matmulData(swapLastTwo(a), grad) : null,
    ];
  }
}

export interface Conv2dOptions {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/**
 * y[b,o,i,j] = Σ_{c,u,v} x[b, c, i·s + u·d − p, j·s + v·d − p]·w[o,c,u,v], within each group:
 * ∂L/∂w = Σ_{b,i,j} ∂L/∂y·(window of x), ∂L/∂x = ∂L/∂y (spread by the stride) correlated with the flipped w.
 * x [B, C, H, W], w [O, C/groups, kh, kw]; the bias is added by the tensor layer.
 */
export class Conv2d extends Function {
  private paddedShape: number[] = [];
  constructor(private readonly options: Conv2dOptions) {
    super();
  }

  forward(x: TensorData, w: TensorData): TensorData {
    const [out, cg, kh, kw] = w.shape;
    const { groups } = this.options;
    const og = out / groups;
    const windows = this.windows(x, [kh, kw]);
    const [batch, , , outH, outW] = windows.shape;
    const full = [batch, groups, og, outH, outW, cg, kh, kw];
    const xs = windows.permute([0, 1, 3, 4, 2, 5, 6]).reshape([batch, groups, 1, outH, outW, cg, kh, kw]).expand(full);
    const ws = w.reshape([1, groups, og, 1, 1, cg, kh, kw]).expand(full);
    this.saveForBackward(windows, w);
    return xs.mulacc(ws, [5, 6, 7]).reshape([batch, out, outH, outW]);
  }

  backward(grad: TensorData): (TensorData | null)[] {
    const [windows, w] = this.savedTensors;
    const [batch, groups, cg, outH, outW, kh, kw] = windows.shape;
    const og = w.shape[0] / groups;
    const g = grad.reshape([batch, groups, og, outH, outW]);
    return [this.needsInputGrad[0] ? this.inputGrad(g, w, windows.shape) : null,
      this.needsInputGrad[1] ? this.weightGrad(g, windows, [batch, groups, cg, outH, outW, kh, kw, og]) : null];
  }

  /** The input padded and cut into windows: [B, groups, C/groups, outH, outW, kh, kw] (a view). */
  private windows(x: TensorData, kernel: number[]): TensorData {
    const [batch, channels, height, width] = x.shape;
    const { stride, padding, dilation, groups } = this.options;
    const [ph, pw] = padding;
    const padded = ph || pw ? x.pad([[0, 0], [0, 0], [ph, ph], [pw, pw]]) : x;
    this.paddedShape = [batch, groups, channels / groups, height + 2 * ph, width + 2 * pw];
    return padded.reshape(this.paddedShape).window([3, 4], kernel, stride, dilation);
  }

  private weightGrad(g: TensorData, windows: TensorData, dims: number[]): TensorData {
    const [batch, groups, cg, outH, outW, kh, kw, og] = dims;
    const full = [groups, og, cg, kh, kw, batch, outH, outW];
    const gs = g.permute([1, 2, 0, 3, 4]).reshape([groups, og, 1, 1, 1, batch, outH, outW]).expand(full);
    const xs = windows.permute([1, 2, 5, 6, 0, 3, 4]).reshape([groups, 1, cg, kh, kw, batch, outH, outW]).expand(full);
    return gs.mulacc(xs, [5, 6, 7]).reshape([groups * og, cg, kh, kw]);
  }

  /**
   * ∂L/∂x as one transposed convolution: the output gradient, spread out by the stride (zeros between
   * its cells) and padded so that its windows land on the input's own cells (not on the padding), is
   * correlated with the flipped weights. Each input cell then collects every output cell whose window
   * read it, in a single mulacc.
   */
  private inputGrad(g: TensorData, w: TensorData, windowShape: readonly number[]): TensorData {
    const [batch, groups, cg, , , kh, kw] = windowShape;
    const og = w.shape[0] / groups;
    const { stride, padding, dilation } = this.options;
    const spread = spreadByStride(g, stride);
    const [, , , paddedH, paddedW] = this.paddedShape;
    const [height, width] = [paddedH - 2 * padding[0], paddedW - 2 * padding[1]];
    const rows = gradientReach(spread.shape[3], kh, dilation[0], padding[0], height);
    const cols = gradientReach(spread.shape[4], kw, dilation[1], padding[1], width);
    const windows = padOrCrop(spread, [[0, 0], [0, 0], [0, 0], rows.margins, cols.margins])
      .window([3, 4], [kh, kw], [1, 1], dilation);
    const full = [batch, groups, cg, rows.cells, cols.cells, og, kh, kw];
    const gs = windows.permute([0, 1, 3, 4, 2, 5, 6]).reshape([batch, groups, 1, rows.cells, cols.cells, og, kh, kw]).expand(full);
    const flipped = w.reshape([groups, og, cg, kh, kw]).stride([1, 1, 1, -1, -1]);
    const ws = flipped.permute([0, 2, 1, 3, 4]).reshape([1, groups, cg, 1, 1, og, kh, kw]).expand(full);
    const reached = gs.mulacc(ws, [5, 6, 7]).reshape([batch, groups * cg, rows.cells, cols.cells]);
    // Rows and columns past the last window's reach were read by no window: their gradient is 0.
    return rows.cells === height && cols.cells === width
      ? reached
      : reached.pad([[0, 0], [0, 0], [0, height - rows.cells], [0, width - cols.cells]]);
  }
}

/**
 * Along one axis of the transposed convolution: how many input cells (from the first unpadded one)
 * some window reached, and the margins to add before and after the spread gradient (negative: cut)
 * so that its windows of `kernel` cells produce exactly those cells.
 */
function gradientReach(spread: number, kernel: number, dilation: number, padding: number, size: number): { cells: number; margins: [number, number] } {
  const span = (kernel - 1) * dilation;
  const cells = Math.min(size, spread + span - padding);
  const before = span - padding;
  return { cells, margins: [before, cells + span - before - spread] };
}

/** Pads (positive margins) or cuts (negative margins) each axis: [before, after] per axis. */
function padOrCrop(x: TensorData, margins: readonly (readonly [number, number])[]): TensorData {
  const cut = x.shrink(margins.map(([before, after], i) => [Math.max(0, -before), x.shape[i] - Math.max(0, -after)]));
  const added = margins.map(([before, after]): [number, number] => [Math.max(0, before), Math.max(0, after)]);
  return added.every(([before, after]) => before === 0 && after === 0) ? cut : cut.pad(added);
}