/**
 * The low level: `TensorData` and the primitive ops. Imports nothing from the rest of tsgrad.
 */
export { TensorData, type NestedArray } from './tensorData';
export type { Backend, ComputeOps, DeviceBuffer, DeviceCounters, DeviceMemory, DeviceView, Placement, StridedView } from './backend';
export { referenceBackend } from './reference';
export { fastBackend, fastMemoryBytes, setFastThreads } from './fast';
export { currentBackend, deviceCounters, getDevice, gpuBackend, setDevice, useBackend, type DeviceName, type DeviceOptions, type GpuMode } from './device';
export { isGpuModeAvailable, type GpuBackend } from './gpu/backend';
export { allOps, binaryOps, opGroup, reduceOps, unaryOps, type OpName, type UnaryOp, type BinaryOp, type TernaryOp, type ReduceOp, type MovementOp, type LoadOp, type IndexOp } from './ops';
export { manualSeed } from './random';
export { reclaimDeviceMemory, reclaimStats, type ReclaimStats, type Residence } from './storage';
export { checkCellCount, checkShape, formatShape, MAX_CELLS, normalizeAxis, numel, shapesEqual, type Shape } from './shape';
