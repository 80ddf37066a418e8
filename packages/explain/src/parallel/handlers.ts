/**
 * The work explain adds to a model pool's workers (imported by each worker after it has loaded the
 * model): attributing one chunk of samples with any method.
 */
import type { KerasModel, PoolHandler } from '@keraspect/importer';
import { type Attribution, createExplainer, type ExplainerOptions } from '../explainer.ts';
import type { ModelInput } from '../inputs.ts';
import type { MethodName } from '../methods/index.ts';

/** One chunk to attribute: a method, its options (without functions) and the chunk's inputs. */
export interface AttributeTask {
  method: MethodName;
  options: ExplainerOptions;
  inputs: ModelInput;
}

export const handlers: Record<string, PoolHandler> = {
  attribute: (km: KerasModel, task: AttributeTask): Promise<Attribution> =>
    createExplainer(task.method, km, task.options).attribute(task.inputs),
};
