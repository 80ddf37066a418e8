import { normalizeOptions, type OptionSpecs, t } from '@keraspect/array';
import type { KerasModel, NdArray } from '@keraspect/importer';
import { fail } from './errors.ts';
import { checkInputs, type ModelInput } from './inputs.ts';
import { methodFor, type MethodName, type MethodOptionsMap } from './methods/index.ts';
import {
  effectiveOverride,
  effectivePreActivation,
  normalizeMethodOptions,
  type RunContext,
  type RunOptions,
  runOptionSpecs,
} from './methods/method.ts';
import { makeProblem, type Problem } from './problem.ts';
import { type TargetOptions, targetOptionSpecs } from './target.ts';

/**
 * Options of an explainer: which scalar to explain ({@link TargetOptions}), where to attribute
 * (`layer`), how to run ({@link RunOptions}) and the method's own options.
 */
export type ExplainerOptions<M extends MethodName = MethodName> = CommonOptions & Partial<MethodOptionsMap[M]>;

/** The options every method accepts: target, run and `layer`. */
export interface CommonOptions extends TargetOptions, RunOptions {
  /**
   * Attribute to this layer's output(s) instead of the model inputs: the model is split at the
   * layer and the method runs on the rest (Captum's "layer attribution"). Exact name, or a
   * substring matching one layer.
   */
  layer?: string;
}

/**
 * The description of {@link CommonOptions}, the options every method accepts besides its own.
 * Its keys are how `createExplainer` tells them from the method's options.
 */
export const commonOptionSpecs: OptionSpecs<CommonOptions> = {
  ...targetOptionSpecs,
  layer: {
    type: t.string,
    doc: "attribute to this layer's output(s) instead of the model inputs (exact name or a unique substring)",
  },
  ...runOptionSpecs,
};

/** What an explainer returns: plain arrays shaped like what was attributed to. */
export interface Attribution {
  method: MethodName;
  /** What the attributions are of: model input names, or the layer (`layer.i` per output). */
  names: string[];
  /** One array per attributed tensor, same shape (batch first). */
  attributions: NdArray[];
  /** The explained unit per sample (`null` for a function target). */
  units: Int32Array | null;
  /** The explained score at the input, per sample. */
  scores: Float32Array;
  /** Integrated Gradients' convergence delta Σattr − (f(x) − f(baseline)), per sample. */
  delta?: Float32Array;
}

/** A configured method bound to a model. */
export interface Explainer<M extends MethodName = MethodName> {
  readonly method: M;
  /** The method's own options after defaults and checks: what `attribute` runs with. */
  readonly options: MethodOptionsMap[M];
  /** Attribute the target at inputs `x` (batch first). */
  attribute(x: ModelInput): Promise<Attribution>;
}

/**
 * Make an explainer for method `name` (see `methods`) on model `km`. Options are checked here,
 * once: an unknown method name fails listing every known one, bad options fail naming the option.
 *
 * @example
 * const ig = createExplainer('integratedGradients', km, { steps: 64, target: 0 });
 * const { attributions, delta } = await ig.attribute(x);
 */
export function createExplainer<M extends MethodName>(
  name: M,
  km: KerasModel,
  options: ExplainerOptions<M> = {} as ExplainerOptions<M>,
): Explainer<M> {
  const steps = explainerSteps(name, km, options);
  return {
    method: name,
    options: steps.options,
    attribute: async (x) => steps.attribute(steps.problem(x)),
  };
}

/**
 * {@link createExplainer} in its two steps, the problem made from the inputs and the method run on
 * it, for a pool worker that hands the problem part of the work first (not part of the public API).
 */
export function explainerSteps<M extends MethodName>(
  name: M,
  km: KerasModel,
  options: ExplainerOptions<M> = {} as ExplainerOptions<M>,
): {
  options: MethodOptionsMap[M];
  ctx: RunContext;
  problem(x: ModelInput): Problem;
  attribute(problem: Problem): Promise<Attribution>;
} {
  const method = methodFor(name);
  const { common, own } = splitOptions(options);
  const methodOptions = normalizeMethodOptions(name, method, own) as MethodOptionsMap[M];
  const c = normalizeOptions(commonOptionSpecs, common, (m) => fail('BAD_OPTION', m), name);
  const { internalBatchSize = 32, seed = 0, onProgress, output, target, layer } = c;
  const preActivation = c.preActivation ?? effectivePreActivation(method, methodOptions);
  const override = effectiveOverride(method, methodOptions, km);
  const ctx: RunContext = {
    internalBatchSize,
    seed,
    progress: (done, total) => onProgress?.({ method: name, done, total }),
  };
  return {
    options: methodOptions,
    ctx,
    problem: (x) =>
      makeProblem(km, checkInputs(km, x), { output, target, preActivation, layer, internalBatchSize, override }),
    async attribute(problem) {
      const r = await method.run(problem, methodOptions, ctx);
      return {
        method: name,
        names: problem.names,
        attributions: r.attributions,
        units: problem.units,
        scores: problem.scoresAtX,
        ...(r.delta ? { delta: r.delta } : {}),
      };
    },
  };
}

/** The options every method accepts (`common`) and the method's own (`own`), told apart by their keys. */
export function splitOptions(options: object): { common: Record<string, unknown>; own: Record<string, unknown> } {
  const common: Record<string, unknown> = {};
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) (Object.hasOwn(commonOptionSpecs, k) ? common : own)[k] = v;
  return { common, own };
}

/** One-shot form of `createExplainer(name, km, options).attribute(x)`. */
export function explain<M extends MethodName>(
  name: M,
  km: KerasModel,
  x: ModelInput,
  options?: ExplainerOptions<M>,
): Promise<Attribution> {
  return createExplainer(name, km, options).attribute(x);
}
