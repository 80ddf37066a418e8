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
import { type Attribution, createExplainer, type ExplainerOptions } from '../explainer.ts';
import type { ModelInput } from '../inputs.ts';
import { type MethodName, revivedOptions } from '../methods/index.ts';

/** One chunk to attribute: a method, its options (without functions) and the chunk's inputs. */
export interface AttributeTask {
  method: MethodName;
  options: ExplainerOptions;
  inputs: ModelInput;
}

export const handlers: Record<string, PoolHandler> = {
  attribute: (km: KerasModel, task: AttributeTask): Promise<Attribution> =>
    createExplainer(task.method, km, revivedOptions(task.options)).attribute(task.inputs),
  layerOutputs: (km: KerasModel, t: { inputs: ModelInput; select: LayerSelector }): LayerOutput[] =>
    layerOutputs(km, t.inputs, t.select),
  attentionMaps: (km: KerasModel, t: { inputs: ModelInput; options?: AttentionMapsOptions }): AttentionMap[] =>
    attentionMaps(km, t.inputs, t.options),
  attentionRollout: (km: KerasModel, t: { inputs: ModelInput; options: RolloutOptions }): Rollout =>
    attentionRollout(km, t.inputs, t.options),
};
