/**
 * The benchmark's models in tsgrad: one training step (forward, backward, Adam step) on a fixed batch.
 *
 *   A: conv 1->8 3x3, relu, maxpool 2, conv 8->16 3x3, relu, maxpool 2, linear 400->10 (no biases)
 *   B: linear 784->128, relu, linear 128->10 (with biases)
 * Loss: cross-entropy (log-softmax + NLL, mean over the batch); Adam, lr 1e-3; weights uniform(±1/√fan-in).
 *
 *   C: learnMnist's 'medium' model (MediumNet in applications/mnist/models.ts; tfjsModels.ts has its twin),
 *      fixed so that runs of the bench compare across changes of learnMnist's default
 *
 * May import: src (tsgrad's public entry), applications/mnist/models, ./data.
 */
import { models } from '../applications/mnist/models';
import { Tensor, TensorData, optim, tidy } from '../src';
import type { Batch } from './data';

/** The learnMnist model that model C is. */
export const modelCName = 'medium';

/** A model ready to train: call `step()` once per training step (same batch every time). */
export interface TrainStep {
  step(): number;
}

function uniformInit(shape: number[], fanIn: number): Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return Tensor.uniform(shape, -bound, bound, { requiresGrad: true });
}

function trainer(params: Tensor[], loss: () => Tensor): TrainStep {
  const opt = new optim.Adam(params, { lr: 1e-3 });
  return {
    // In a memory scope, as TensorFlow.js's minimize is: the step's tensors are freed when it returns.
    step: (): number => tidy(() => {
      opt.zeroGrad();
      const value = loss();
      value.backward();
      opt.step();
      return value.item();
    }),
  };
}

/** Model A on images [B, 1, 28, 28]. */
export function tsgradModelA(batch: Batch): TrainStep {
  const w1 = uniformInit([8, 1, 3, 3], 9);
  const w2 = uniformInit([16, 8, 3, 3], 72);
  const w3 = uniformInit([10, 400], 400);
  const n = batch.labels.length;
  const x = new Tensor(TensorData.fromArray(batch.images, [n, 1, 28, 28]));
  const y = new Tensor(TensorData.fromArray(batch.labels, [n]));
  return trainer([w1, w2, w3], () => {
    const h1 = x.conv2d(w1).relu().maxPool2d(2);
    const h2 = h1.conv2d(w2).relu().maxPool2d(2);
    return h2.reshape([n, 400]).linear(w3).crossEntropy(y);
  });
}

/** Model B on flat images [B, 784]. */
export function tsgradModelB(batch: Batch): TrainStep {
  const w1 = uniformInit([128, 784], 784);
  const b1 = uniformInit([128], 784);
  const w2 = uniformInit([10, 128], 128);
  const b2 = uniformInit([10], 128);
  const n = batch.labels.length;
  const x = new Tensor(TensorData.fromArray(batch.images, [n, 784]));
  const y = new Tensor(TensorData.fromArray(batch.labels, [n]));
  return trainer([w1, b1, w2, b2], () => x.linear(w1, b1).relu().linear(w2, b2).crossEntropy(y));
}

/** Model C: learnMnist's medium model, on images [B, 1, 28, 28]. */
export function tsgradModelC(batch: Batch): TrainStep {
  const model = new models[modelCName]();
  const n = batch.labels.length;
  const x = new Tensor(TensorData.fromArray(batch.images, [n, 1, 28, 28]));
  const y = new Tensor(TensorData.fromArray(batch.labels, [n]));
  return trainer(model.parameters(), () => model.forward(x).crossEntropy(y));
}
