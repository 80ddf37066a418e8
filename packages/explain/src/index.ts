/**
 * `@keraspect/explain`: layer outputs, attention maps, gradients, attribution methods and
 * attention rollout for models loaded with `@keraspect/importer`. Takes and returns plain arrays;
 * every function disposes the tensors it makes. See docs/explain.md.
 */
export { ExplainError, type ExplainErrorCode } from './errors.ts';
export { layerOutputs, type LayerOutput, type LayerOutputsOptions } from './layer-outputs.ts';
export { attentionMaps, type AttentionMap, type AttentionMapsOptions } from './attention.ts';
export { selectLayers, type LayerSelector, type LayerRef } from './select.ts';
export type { ModelInput } from './inputs.ts';
export { type Target, type TargetFn, type TargetOptions, targetOptionSpecs } from './target.ts';
export {
  inputGradients,
  layerGradients,
  weightGradients,
  type Gradients,
  type GradientsOptions,
  type WeightGradient,
} from './gradients.ts';
export {
  createExplainer,
  explain,
  commonOptionSpecs,
  type Attribution,
  type CommonOptions,
  type Explainer,
  type ExplainerOptions,
} from './explainer.ts';
export {
  methods,
  methodNames,
  methodNameOf,
  portableOptions,
  revivedOptions,
  type MethodName,
  type MethodOptionsMap,
} from './methods/index.ts';
export {
  normalizeMethodOptions,
  runOptionSpecs,
  type AnyMethod,
  type Method,
  type MethodResult,
  type Progress,
  type RunContext,
  type RunOptions,
  type Wrapped,
} from './methods/method.ts';
export type { GradientOptions } from './methods/gradient.ts';
export type { IntegratedGradientsOptions, Baseline } from './methods/integrated-gradients.ts';
export type { SmoothGradOptions } from './methods/smooth-grad.ts';
export type { OcclusionOptions } from './methods/occlusion.ts';
export type { LrpEpsilonOptions } from './methods/lrp-epsilon.ts';
export type { FeatureAblationOptions } from './methods/feature-ablation.ts';
export type { FeaturePermutationOptions } from './methods/feature-permutation.ts';
export type { KernelShapOptions } from './methods/kernel-shap.ts';
export type { GroupSpec } from './methods/groups.ts';
export type { DeepLiftOptions } from './methods/deep-lift.ts';
export type { DeepLiftShapOptions } from './methods/deep-lift-shap.ts';
export type { GradientShapOptions } from './methods/gradient-shap.ts';
export type { Background } from './methods/background.ts';
export type { TimeShapOptions } from './methods/time-shap.ts';
export type { TemporalSaliencyRescalingOptions } from './methods/temporal-saliency-rescaling.ts';
export { deepLiftRules } from './deeplift/rules.ts';
export type { Reference } from './methods/reference.ts';
export { kernelCoalitions, shapleySolver, exactShapley, type Coalitions } from './shapley.ts';
export { lrpRules } from './lrp/rules.ts';
export { quadrature, integrationRules, type IntegrationRule, type Quadrature } from './quadrature.ts';
export { attentionRollout, rolloutMaps, type Rollout, type RolloutOptions } from './rollout.ts';
export { ensureGradientKernels, wasmBorrowedKernels } from './kernels.ts';
export { seededRng, type Rng } from './rng.ts';
export {
  deletionCurve,
  insertionCurve,
  faithfulness,
  rankUnits,
  trapezoid,
  type CurveBaseline,
  type CurveOptions,
  type CurveScore,
  type FaithfulnessReport,
  type PerturbationCurve,
} from './faithfulness.ts';
export {
  boxDataset,
  boxBackground,
  boxGeometry,
  boxMask,
  boxVariants,
  type Box,
  type BoxDataset,
  type BoxOptions,
  type BoxVariant,
} from './benchmark/box.ts';
export {
  saliencyPrecisionRecall,
  rescaledSaliency,
  accuracyDrop,
  randomSaliency,
  PR_FRACTIONS,
  type PrecisionRecall,
  type AccuracyDrop,
  type AccuracyDropOptions,
} from './benchmark/metrics.ts';
export {
  boxModel,
  boxModelConfig,
  trainBoxModel,
  classificationAccuracy,
  type BoxModelOptions,
  type TrainOptions,
  type TrainReport,
} from './benchmark/model.ts';
export {
  runBoxBenchmark,
  benchmarkTable,
  benchmarkMethods,
  tsrMethods,
  type BenchmarkMethod,
  type BenchmarkRow,
  type BenchmarkModelInfo,
  type BoxBenchmarkOptions,
} from './benchmark/run.ts';
export {
  attributeInPool,
  createExplainPool,
  type ExplainPoolOptions,
  type PoolAttributeOptions,
} from './parallel/attribute.ts';
export { attentionMapsInPool, type PoolAttentionMapsOptions } from './parallel/attention.ts';
