/**
 * `@keraspect/importer`: open Keras files (`.h5`, `.keras`, weights-only) as TensorFlow.js models
 * whose outputs match Keras.
 */
export { backend, initBackend, type BackendName, type BackendOptions } from './backend.ts';
export { installWasmOps } from './wasm-ops.ts';
export { setFastPaths, type FastPaths } from './layers/fast/switch.ts';
export { kernelInstructionSet, type KernelInstructionSet } from './layers/fast/wasm.ts';
export { ImporterError, type ImporterErrorCode, KeraspectError, type KeraspectErrorCode } from './errors.ts';
export {
  loadModel,
  modelFromConfig,
  producerOf,
  type ImportOptions,
  flattenLayers,
  type KerasModel,
  type LayerInfo,
  type SummaryRow,
} from './model.ts';
export type { TensorRef } from './keras-format/graph.ts';
export {
  predict,
  toInputTensors,
  checkAttentionMemory,
  type NdArray,
  type PredictOptions,
} from './predict.ts';
export {
  runGraph,
  callsOf,
  lastCallOf,
  composeOverrides,
  type GraphCall,
  type GraphFeeds,
  type LayerCall,
  type LayerOverride,
  type RunGraphOptions,
} from './graph.ts';
export { DEFAULT_LIMITS, type Limits } from './limits.ts';
export { modelWarnings, type ModelWarning } from './warnings.ts';
export { registerLayer, unregisterLayer, supportedLayers } from './layers/registry.ts';
export { defineLayer, type LayerDefinition, type WeightSpec } from './layers/define-layer.ts';
export {
  isActivated,
  isAttentionSource,
  isBidirectionalWrapper,
  isRecurrentSource,
  isWrapper,
  type Activated,
  type AttentionSource,
  type BidirectionalMergeMode,
  type BidirectionalWrapper,
  type RecurrentCell,
  type RecurrentSource,
  type Wrapper,
} from './layers/capabilities.ts';
export type {
  LayerPort,
  BuildContext,
  LambdaFn,
  SelfAttentionVariant,
  WeightArray,
} from './layers/port.ts';
export { readKerasFile, type KerasArtifact, type KerasFileFormat } from './read/keras-file.ts';
export type { KerasModelJson, KerasLayerJson, KerasLayerConfig } from './keras-format/types.ts';
export { toTfjs, fromTfjs, type TfjsArtifacts } from './export/tfjs.ts';
export { readNpy, writeNpy, readNpz, writeNpz, toFloat32, type NpyArray } from './npy.ts';
export { toKerasH5 } from './export/keras-h5.ts';
export {
  createModelPool,
  ownBuffers,
  poolChunks,
  type ModelPool,
  type ModelSource,
  type PoolOptions,
  type PoolPredictOptions,
  type SerializedError,
} from './parallel/pool.ts';
export type { PoolHandler } from './parallel/worker.ts';
