/**
 * The benchmark's models in TensorFlow.js 4.22 (NHWC layout), the same shapes, loss and optimizer as
 * tsgradModels.ts, for the 'cpu' (plain JavaScript) and 'wasm' (XNNPACK, SIMD, one thread) backends.
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so on wasm a convolution is a custom
 * gradient: ∂L/∂x by the backend's Conv2DBackpropInput (conv2dTranspose), and ∂L/∂w as a forward
 * convolution of transposed tensors (the batch becomes the channels), with the backend's own
 * Transpose and Conv2D kernels. The first layer skips ∂L/∂x.
 *
 * May import: @tensorflow/tfjs, @tensorflow/tfjs-backend-cpu, @tensorflow/tfjs-backend-wasm, ./data, ./tsgradModels.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { Batch } from './data';
import type { TrainStep } from './tsgradModels';

export type TfjsBackend = 'cpu' | 'wasm';

/** Switches TensorFlow.js to a backend (and waits until it is ready). */
export async function useTfjs(backend: TfjsBackend): Promise<void> {
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
  await tf.ready();
}

function uniform(shape: number[], fanIn: number): tf.Variable {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.variable(tf.randomUniform(shape, -bound, bound, 'float32', 1));
}

type Padding = 'valid' | 'same';

/** A stride-1 convolution whose filter gradient is a forward convolution (for the wasm backend). */
function convWithForwardGrads(padding: Padding, inputGrad: boolean) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x4, w4] = args as tf.Tensor4D[];
    const save = args[2] as tf.GradSaveFunc;
    save([x4, w4]);
    return {
      value: tf.conv2d(x4, w4, 1, padding),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as tf.Tensor4D[];
        const dy4 = dy as tf.Tensor4D;
        const [kh, kw] = ws.shape;
        const pad: [number, number][] = padding === 'same'
          ? [[0, 0], [Math.floor((kh - 1) / 2), Math.ceil((kh - 1) / 2)], [Math.floor((kw - 1) / 2), Math.ceil((kw - 1) / 2)], [0, 0]]
          : [[0, 0], [0, 0], [0, 0], [0, 0]];
        // dw[u, v, c, o] = Σ_{b,i,j} x[b, i+u, j+v, c]·dy[b, i, j, o]: a convolution of x as [C, H, W, B] with dy as [oh, ow, B, O].
        const dw = tf.conv2d(tf.transpose(xs, [3, 1, 2, 0]) as tf.Tensor4D, tf.transpose(dy4, [1, 2, 0, 3]) as tf.Tensor4D, 1, pad as never);
        const filterGrad = tf.transpose(dw, [1, 2, 0, 3]);
        const dx = inputGrad ? tf.conv2dTranspose(dy4, ws, xs.shape, 1, padding) : tf.zerosLike(xs);
        return [dx, filterGrad];
      },
    };
  });
}

/** conv2d, stride 1, on the current backend (the standard gradient on cpu, the workaround on wasm). */
function conv(backend: TfjsBackend, x: tf.Tensor4D, w: tf.Variable, padding: Padding, inputGrad: boolean): tf.Tensor4D {
  if (backend === 'cpu') return tf.conv2d(x, w as tf.Tensor4D, 1, padding);
  return convWithForwardGrads(padding, inputGrad)(x, w) as tf.Tensor4D;
}

function trainer(vars: tf.Variable[], loss: () => tf.Scalar): TrainStep {
  const optimizer = tf.train.adam(1e-3);
  return {
    step(): number {
      const cost = optimizer.minimize(loss, true, vars) as tf.Scalar;
      const value = cost.dataSync()[0];
      cost.dispose();
      return value;
    },
  };
}

function inputs(batch: Batch, shape: number[]): { x: tf.Tensor; y: tf.Tensor2D } {
  const x = tf.tensor(batch.images, shape);
  const y = tf.oneHot(tf.tensor1d(Array.from(batch.labels), 'int32'), 10) as tf.Tensor2D;
  return { x, y };
}

/** Model A: conv 1->8 3x3, relu, maxpool 2, conv 8->16 3x3, relu, maxpool 2, linear 400->10; no biases. */
export function tfjsModelA(backend: TfjsBackend, batch: Batch): TrainStep {
  const n = batch.labels.length;
  const { x, y } = inputs(batch, [n, 28, 28, 1]);
  const w1 = uniform([3, 3, 1, 8], 9);
  const w2 = uniform([3, 3, 8, 16], 72);
  const w3 = uniform([400, 10], 400);
  return trainer([w1, w2, w3], () => {
    const h1 = tf.maxPool(tf.relu(conv(backend, x as tf.Tensor4D, w1, 'valid', false)), 2, 2, 'valid');
    const h2 = tf.maxPool(tf.relu(conv(backend, h1, w2, 'valid', true)), 2, 2, 'valid');
    return tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.reshape(h2, [n, 400]), w3)) as tf.Scalar;
  });
}

/** Model B: linear 784->128, relu, linear 128->10, with biases. */
export function tfjsModelB(_backend: TfjsBackend, batch: Batch): TrainStep {
  const n = batch.labels.length;
  const { x, y } = inputs(batch, [n, 784]);
  const w1 = uniform([784, 128], 784);
  const b1 = uniform([128], 784);
  const w2 = uniform([128, 10], 128);
  const b2 = uniform([10], 128);
  return trainer([w1, b1, w2, b2], () => {
    const h = tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w1), b1));
    return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h as tf.Tensor2D, w2), b2)) as tf.Scalar;
  });
}

/** Model C: learnMnist's MediumNet: conv 1->16 5x5 pad 2, relu, pool, conv 16->32 5x5 pad 2, relu, pool, 1568->128, relu, 128->10; biases. */
export function tfjsModelC(backend: TfjsBackend, batch: Batch): TrainStep {
  const n = batch.labels.length;
  const { x, y } = inputs(batch, [n, 28, 28, 1]);
  const w1 = uniform([5, 5, 1, 16], 25);
  const b1 = uniform([16], 25);
  const w2 = uniform([5, 5, 16, 32], 400);
  const b2 = uniform([32], 400);
  const w3 = uniform([1568, 128], 1568);
  const b3 = uniform([128], 1568);
  const w4 = uniform([128, 10], 128);
  const b4 = uniform([10], 128);
  return trainer([w1, b1, w2, b2, w3, b3, w4, b4], () => {
    const h1 = tf.maxPool(tf.relu(tf.add(conv(backend, x as tf.Tensor4D, w1, 'same', false), b1)) as tf.Tensor4D, 2, 2, 'valid');
    const h2 = tf.maxPool(tf.relu(tf.add(conv(backend, h1, w2, 'same', true), b2)) as tf.Tensor4D, 2, 2, 'valid');
    const h3 = tf.relu(tf.add(tf.matMul(tf.reshape(h2, [n, 1568]), w3), b3));
    return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h3 as tf.Tensor2D, w4), b4)) as tf.Scalar;
  });
}

/** Seconds for one matrix product [m, k]·[k, n] on the current backend, with the result read back. */
export function tfjsMatmul(m: number, k: number, n: number): () => void {
  const a = tf.randomUniform([m, k]) as tf.Tensor2D;
  const b = tf.randomUniform([k, n]) as tf.Tensor2D;
  return () => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  };
}
