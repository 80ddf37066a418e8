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

/** The table name of a method value (e.g. of SmoothGrad's `wrap`), or `undefined` for one not in the table. */
export function methodNameOf(method: AnyMethod): MethodName | undefined {
  return methodNames.find((n) => methods[n] === method);
}

/**
 * Options that can cross to a worker thread (structured clone): every method value in them (a
 * wrapper's `wrap`, at any depth) replaced by `{ $method: name }`; {@link revivedOptions} undoes it.
 */
export function portableOptions<T>(options: T): T {
  return mapDeep(options, (v) => {
    const name = methodNameOf(v as AnyMethod);
    return name === undefined ? undefined : { $method: name };
  }) as T;
}

/** {@link portableOptions} undone: `{ $method: name }` back to the method of the table. */
export function revivedOptions<T>(options: T): T {
  return mapDeep(options, (v) => {
    const name = (v as { $method?: unknown }).$method;
    return typeof name === 'string' && Object.keys(v as object).length === 1 ? methodFor(name) : undefined;
  }) as T;
}

/** Copy plain objects and arrays, replacing a value where `swap` returns something. */
function mapDeep(v: unknown, swap: (v: object) => unknown): unknown {
  if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return v;
  const s = swap(v);
  if (s !== undefined) return s;
  if (Array.isArray(v)) return v.map((x) => mapDeep(x, swap));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapDeep(x, swap)]));
}

/** The method called `name`, or an `ExplainError` listing every known name. */
export function methodFor(name: string): AnyMethod {
  if (!Object.hasOwn(methods, name)) {
    fail('UNKNOWN_METHOD', `Unknown attribution method '${name}'. All possible names are: ${methodNames.join(', ')}.`);
  }
  return methods[name as MethodName] as AnyMethod;
}
