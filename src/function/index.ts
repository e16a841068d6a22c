/**
 * The mid level: the `Function` base and one subclass per differentiable op, built only from TensorData.
 */
export { Function } from './function';
export { Neg, Exp, Log, Sin, Sqrt, Relu, Sigmoid, Tanh, Clamp, PowNumber } from './unary';
export { Add, Sub, Mul, Div, Maximum, Pow, Where } from './binary';
export { Sum, Max, PickMax, Std } from './reduce';
export { BinaryCrossEntropy, BinaryCrossEntropyWithLogits } from './loss';
export { Reshape, Permute, Expand, Pad, Shrink, Stride, Window, Copy } from './movement';
export { Matmul, Conv2d, type Conv2dOptions } from './linalg';
export { Overwrite, CopySlices, ViewReplay, viewInto } from './inplace';
export { equal, isNan, same } from './helpers';
export { Index, IndexPut, Cat, Cumsum, indexData, indexPutInto, indexedShape, type IndexPlan, type BasicIndex, type AdvancedIndex } from './indexing';
