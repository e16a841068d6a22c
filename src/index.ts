/**
 * tsgrad's public entry: everything a user imports comes from here.
 *
 *   import { Tensor, tensor, noGrad } from 'tsgrad';
 */
export { Tensor, tensor, apply, noGrad, enableGrad, isGradEnabled } from './tensor';
export type { TensorOptions, Reduction, SliceSpec, Conv2dArgs, GraphNode } from './tensor';
export { Function } from './function';
export { TensorData, manualSeed } from './data';
export type { NestedArray, Shape } from './data';
