import type { KerasModel, NdArray } from '@keraspect/importer';
import { fail } from './errors.ts';
import { checkInputs, type ModelInput } from './inputs.ts';
import { methodFor, type MethodName, type MethodOptionsMap } from './methods/index.ts';
import type { AnyMethod, RunContext, RunOptions } from './methods/method.ts';
import { makeProblem } from './problem.ts';
import type { TargetOptions } from './target.ts';
import type { LayerOverride } from './graph.ts';

/**
 * Options of an explainer: which scalar to explain ({@link TargetOptions}), where to attribute
 * (`layer`), how to run ({@link RunOptions}) and the method's own options.
 */
export type ExplainerOptions<M extends MethodName = MethodName> = TargetOptions &
  RunOptions &
  Partial<MethodOptionsMap[M]> & {
    /**
     * Attribute to this layer's output(s) instead of the model inputs: the model is split at the
     * layer and the method runs on the rest (Captum's "layer attribution"). Exact name, or a
     * substring matching one layer.
     */
    layer?: string;
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
  /** Attribute the target at inputs `x` (batch first). */
  attribute(x: ModelInput): Promise<Attribution>;
}

const TARGET_KEYS = ['output', 'target', 'preActivation', 'layer', 'internalBatchSize', 'seed', 'onProgress'] as const;

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
  const method = methodFor(name);
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (!(TARGET_KEYS as readonly string[]).includes(k)) own[k] = v;
  const methodOptions = method.normalize(own);
  const { internalBatchSize = 32, seed = 0, onProgress, output, target, layer } = options;
  if (!Number.isInteger(internalBatchSize) || internalBatchSize < 1)
    fail('BAD_OPTION', `internalBatchSize must be a positive integer; got ${internalBatchSize}.`);
  if (!Number.isInteger(seed)) fail('BAD_OPTION', `seed must be an integer; got ${seed}.`);
  const preActivation = options.preActivation ?? effectivePreActivation(method, methodOptions);
  const override = effectiveOverride(method, methodOptions, km);
  return {
    method: name,
    async attribute(x) {
      const inputs = checkInputs(km, x);
      const problem = makeProblem(km, inputs, { output, target, preActivation, layer, internalBatchSize, override });
      const ctx: RunContext = {
        internalBatchSize,
        seed,
        progress: (done, total) => onProgress?.({ method: name, done, total }),
        method: methodFor,
      };
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

/** One-shot form of `createExplainer(name, km, options).attribute(x)`. */
export function explain<M extends MethodName>(
  name: M,
  km: KerasModel,
  x: ModelInput,
  options?: ExplainerOptions<M>,
): Promise<Attribution> {
  return createExplainer(name, km, options).attribute(x);
}

/** The wrappers (SmoothGrad, TSR) take their wrapped method's overrides and pre-activation default. */
function inner(method: AnyMethod, o: Record<string, unknown>): { method: AnyMethod; options: unknown } | null {
  const wrappers = [methodFor('smoothGrad'), methodFor('temporalSaliencyRescaling')];
  if (typeof o.method === 'string' && wrappers.includes(method)) {
    const m = methodFor(o.method);
    return { method: m, options: m.normalize((o.methodOptions as object) ?? {}) };
  }
  return null;
}

function effectivePreActivation(method: AnyMethod, o: unknown): boolean {
  const w = inner(method, o as Record<string, unknown>);
  return w ? effectivePreActivation(w.method, w.options) : (method.preActivationDefault ?? false);
}

function effectiveOverride(method: AnyMethod, o: unknown, km: KerasModel): LayerOverride | undefined {
  const w = inner(method, o as Record<string, unknown>);
  return w ? effectiveOverride(w.method, w.options, km) : method.override?.(km, o);
}
