/**
 * The high level: `Tensor`, graph building, grad mode and the backward engine.
 */
export { Tensor, tensor, apply, broadcastShapes, type TensorOptions, type Reduction, type SliceSpec, type Conv2dArgs, type GraphNode } from './tensor';
export { noGrad, enableGrad, isGradEnabled } from './gradMode';
