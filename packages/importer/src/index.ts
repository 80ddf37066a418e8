/**
 * `@keraspect/importer`: open Keras files (`.h5`, `.keras`, weights-only) as TensorFlow.js models
 * whose outputs match Keras.
 */
export { backend, initBackend, type BackendName } from './backend.ts';
export { KeraspectError, type KeraspectErrorCode } from './errors.ts';
export {
  loadModel,
  modelFromConfig,
  producerOf,
  type ImportOptions,
  type KerasModel,
  type SummaryRow,
} from './model.ts';
export {
  predict,
  allLayerOutputs,
  toInputTensors,
  checkAttentionMemory,
  type NdArray,
  type PredictOptions,
} from './predict.ts';
export { DEFAULT_LIMITS, type Limits } from './limits.ts';
export { modelWarnings, type ModelWarning } from './warnings.ts';
export { registerLayer, unregisterLayer, supportedLayers } from './layers/registry.ts';
export { defineLayer, type LayerDefinition, type WeightSpec } from './layers/define-layer.ts';
export {
  isAttentionSource,
  type AttentionSource,
  type LayerPort,
  type BuildContext,
  type LambdaFn,
  type SelfAttentionVariant,
  type WeightArray,
} from './layers/port.ts';
export { readKerasFile, type KerasArtifact, type KerasFileFormat } from './read/keras-file.ts';
export type { KerasModelJson, KerasLayerJson, KerasLayerConfig } from './keras-format/types.ts';
export { attentionMaps, type AttentionMap } from './attention.ts';
export { toTfjs, fromTfjs, type TfjsArtifacts } from './export/tfjs.ts';
export { readNpy, writeNpy, readNpz, writeNpz, toFloat32, type NpyArray } from './npy.ts';
export { toKerasH5 } from './export/keras-h5.ts';
export {
  createModelPool,
  type ModelPool,
  type ModelSource,
  type PoolOptions,
  type PoolPredictOptions,
} from './parallel/pool.ts';
export type { PoolHandler } from './parallel/worker.ts';
