/**
 * The mid level: the `Function` base and one subclass per differentiable op, built only from TensorData.
 */
export { Function } from './function';
export { Neg, Exp, Log, Sin, Sqrt, Relu, Sigmoid } from './unary';
export { Add, Sub, Mul, Div, Maximum, Where } from './binary';
export { Sum, Max } from './reduce';
export { Reshape, Permute, Expand, Pad, Shrink, Stride, Window, Copy } from './movement';
export { Matmul, Conv2d, type Conv2dOptions } from './linalg';
export { equal } from './helpers';
export { Index, IndexPut, Cat, Cumsum, indexData, indexPutInto, indexedShape, type IndexPlan, type BasicIndex, type AdvancedIndex } from './indexing';
