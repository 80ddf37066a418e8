/**
 * The work explain adds to a model pool's workers (imported by each worker after it has loaded the
 * model): attributing one chunk of samples with any method, and its layer outputs, attention maps
 * and attention rollout.
 */
import type { KerasModel, PoolHandler } from '@keraspect/importer';
import { type AttentionMap, type AttentionMapsOptions, attentionMaps } from '../attention.ts';
import { type LayerOutput, layerOutputs } from '../layer-outputs.ts';
import { attentionRollout, type Rollout, type RolloutOptions } from '../rollout.ts';
import type { LayerSelector } from '../select.ts';
import { type Attribution, type ExplainerOptions, explainerSteps } from '../explainer.ts';
import type { ModelInput } from '../inputs.ts';
import { type MethodName, revivedOptions } from '../methods/index.ts';
import { givePathGradients, pathGradients } from '../methods/integrated-gradients.ts';

/** One chunk to attribute: a method, its options (without functions) and the chunk's inputs. */
export interface AttributeTask {
  method: MethodName;
  options: ExplainerOptions;
  inputs: ModelInput;
  /** integratedGradients only: the gradients at every path point, computed on several workers. */
  pathGradients?: Float32Array[];
}

/** A share of integratedGradients' path points, [from, to) in its order (see `pathGradients`). */
export interface PathGradientsTask {
  options: ExplainerOptions<'integratedGradients'>;
  inputs: ModelInput;
  from: number;
  to: number;
}

export const handlers: Record<string, PoolHandler> = {
  attribute: async (km: KerasModel, task: AttributeTask): Promise<Attribution> => {
    const steps = explainerSteps(task.method, km, revivedOptions(task.options));
    const problem = steps.problem(task.inputs);
    if (task.pathGradients) givePathGradients(problem, task.pathGradients);
    return steps.attribute(problem);
  },
  pathGradients: (km: KerasModel, task: PathGradientsTask): Promise<Float32Array[]> => {
    const steps = explainerSteps('integratedGradients', km, revivedOptions(task.options));
    return pathGradients(steps.problem(task.inputs), steps.options, steps.ctx, task.from, task.to);
  },
  layerOutputs: (km: KerasModel, t: { inputs: ModelInput; select: LayerSelector }): LayerOutput[] =>
    layerOutputs(km, t.inputs, t.select),
  attentionMaps: (km: KerasModel, t: { inputs: ModelInput; options?: AttentionMapsOptions }): AttentionMap[] =>
    attentionMaps(km, t.inputs, t.options),
  attentionRollout: (km: KerasModel, t: { inputs: ModelInput; options: RolloutOptions }): Rollout =>
    attentionRollout(km, t.inputs, t.options),
};
