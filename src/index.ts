/**
 * tsgrad's public entry: everything a user imports comes from here.
 *
 *   import { Tensor, tensor, noGrad } from 'tsgrad';
 *   import { nn, optim } from 'tsgrad';   // layers, losses, data, checkpoints; optimizers and schedulers
 */
export { Tensor, tensor, apply, noGrad, enableGrad, isGradEnabled, toDot, renderSvg, graphOf, graphLabel, traceBackward, BackwardTrace, composite, compositeCallsOf, compositeMethods } from './tensor';
export { gradcheck, detectAnomaly, isAnomalyEnabled, explainGrad, memoryReport } from './tensor';
export { tidy, keep } from './tensor';
export type { GradcheckOptions, GradcheckReport, GradcheckWorst, MemoryReport } from './tensor';
export { slice, mask, ellipsis, newAxis, Slice, IndexMask } from './tensor';
export type { IndexItem, NestedBooleans, TensorOptions, Reduction, SliceSpec, Conv2dArgs, BackwardOptions, ViewLink, GraphNode, ConstantInput, GraphInput, GraphPictureOptions, TraceEvent, TraceKind, CompositeCall, TensorLike, DType } from './tensor';
export { Function } from './function';
export { TensorData, manualSeed, setDevice, getDevice, reclaimDeviceMemory } from './data';
export { deviceCounters, fastMemoryBytes, setFastThreads } from './data';
export type { NestedArray, Shape, DeviceName, DeviceOptions, GpuMode, DeviceCounters } from './data';
export * as nn from './nn';
export * as optim from './nn/optim';
