/**
 * The high level: `Tensor`, graph building, grad mode and the backward engine.
 */
export { Tensor, tensor, apply, broadcastShapes, type TensorOptions, type Reduction, type SliceSpec, type Conv2dArgs, type BackwardOptions, type ViewLink } from './tensor';
export { GraphNode, ConstantInput, engineStats, type GraphInput, type EngineStats } from './autograd';
export { pairArg, describeValue, type TensorLike, type DType } from './checks';
export { formatTensor, gradFnSuffix, pythonFloat, pythonTuple } from './format';
export { noGrad, enableGrad, isGradEnabled } from './gradMode';
export { toDot, renderSvg, graphColours, graphOf, type GraphPictureOptions } from './graph';
export { traceBackward, BackwardTrace, graphLabel, composite, compositeCallsOf, type CompositeCall, type TraceEvent, type TraceKind } from './trace';
export { compositeMethods } from './composites';
export { slice, mask, ellipsis, newAxis, Slice, IndexMask, type IndexItem, type NestedBooleans } from './indexing';
export { gradcheck, detectAnomaly, isAnomalyEnabled, explainGrad, memoryReport, type GradcheckOptions, type GradcheckReport, type GradcheckWorst, type MemoryReport } from './doctor';
export { tidy, keep } from './tidy';
