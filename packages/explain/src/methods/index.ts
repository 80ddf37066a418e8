import { fail } from '../errors.ts';
import { type GradientOptions, gradient } from './gradient.ts';
import { type GradientXInputOptions, gradientXInput } from './gradient-x-input.ts';
import { type IntegratedGradientsOptions, integratedGradients } from './integrated-gradients.ts';
import { type LrpEpsilonOptions, lrpEpsilon } from './lrp-epsilon.ts';
import type { AnyMethod, Method } from './method.ts';
import { type OcclusionOptions, occlusion } from './occlusion.ts';
import { type SmoothGradOptions, smoothGrad } from './smooth-grad.ts';
import { type FeatureAblationOptions, featureAblation } from './feature-ablation.ts';
import { type FeaturePermutationOptions, featurePermutation } from './feature-permutation.ts';
import { type KernelShapOptions, kernelShap } from './kernel-shap.ts';
import { type DeepLiftOptions, deepLift } from './deep-lift.ts';
import { type DeepLiftShapOptions, deepLiftShap } from './deep-lift-shap.ts';
import { type GradientShapOptions, gradientShap } from './gradient-shap.ts';
import { type TimeShapOptions, timeShap } from './time-shap.ts';
import { type TemporalSaliencyRescalingOptions, temporalSaliencyRescaling } from './temporal-saliency-rescaling.ts';

/** Options of each method, by method name. Adding a method = one file + one line here and below. */
export interface MethodOptionsMap {
  gradient: GradientOptions;
  gradientXInput: GradientXInputOptions;
  integratedGradients: IntegratedGradientsOptions;
  smoothGrad: SmoothGradOptions;
  occlusion: OcclusionOptions;
  lrpEpsilon: LrpEpsilonOptions;
  featureAblation: FeatureAblationOptions;
  featurePermutation: FeaturePermutationOptions;
  kernelShap: KernelShapOptions;
  deepLift: DeepLiftOptions;
  deepLiftShap: DeepLiftShapOptions;
  gradientShap: GradientShapOptions;
  timeShap: TimeShapOptions;
  temporalSaliencyRescaling: TemporalSaliencyRescalingOptions;
}

/** Names of the attribution methods. */
export type MethodName = keyof MethodOptionsMap;

/** Every attribution method, by name (the type checker holds this table complete). */
export const methods: { readonly [K in MethodName]: Method<MethodOptionsMap[K]> } = {
  gradient,
  gradientXInput,
  integratedGradients,
  smoothGrad,
  occlusion,
  lrpEpsilon,
  featureAblation,
  featurePermutation,
  kernelShap,
  deepLift,
  deepLiftShap,
  gradientShap,
  timeShap,
  temporalSaliencyRescaling,
};

/** Names of the methods, in table order. */
export const methodNames = Object.keys(methods) as MethodName[];

/** The method called `name`, or an `ExplainError` listing every known name. */
export function methodFor(name: string): AnyMethod {
  if (!Object.hasOwn(methods, name)) {
    fail('UNKNOWN_METHOD', `Unknown attribution method '${name}'. All possible names are: ${methodNames.join(', ')}.`);
  }
  return methods[name as MethodName] as AnyMethod;
}
