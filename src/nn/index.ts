/**
 * `nn`: modules, layers, initialization, losses, optimizers, schedulers, data loading and
 * checkpoints, built on the Tensor API (src/tensor) only.
 *
 *   import { nn, optim } from 'tsgrad';
 *   class Net extends nn.Module { fc = new nn.Linear(784, 10); forward(x: Tensor): Tensor { return this.fc.forward(x); } }
 *
 * Layers: module.ts (Module, Parameter, Buffer, Sequential), layers.ts, activations.ts, losses.ts.
 * Training: init.ts, checkpoint.ts, torch.ts (export to PyTorch and back); optimizers and schedulers are in optim/ (exported as `optim`). Files to tensors: data/.
 */
export { Module, Parameter, Buffer, Sequential, type StateDict } from './module';
export {
  Linear, Conv2d, MaxPool2d, AvgPool2d, Dropout, Flatten, BatchNorm1d, BatchNorm2d,
  type Conv2dOptions, type BatchNormOptions,
} from './layers';
export { ReLU, Tanh, Sigmoid, GELU, Softmax, LogSoftmax, gelu } from './activations';
export {
  crossEntropy, nllLoss, mseLoss, bceLoss, bceWithLogitsLoss,
  CrossEntropyLoss, NLLLoss, MSELoss, BCELoss, BCEWithLogitsLoss,
  type LossOptions, type CrossEntropyOptions,
} from './losses';
export * as init from './init';
export * as data from './data';
export { saveCheckpoint, loadCheckpoint, CheckpointError, CHECKPOINT_FORMAT, type TrainingState } from './checkpoint';
export {
  exportToTorch, loadFromTorch, translateToTorch, stateNames,
  type TorchForward, type TorchTensorName, type TorchExport, type TorchTranslation,
} from './torch';
