/**
 * Attribution on every core: a model pool (importer's `createModelPool`) whose workers also run
 * explain's methods, and {@link attributeInPool}, which splits the samples into chunks, attributes
 * the chunks on the workers at once and joins the results in order.
 *
 * Each chunk is attributed exactly as `createExplainer(method, km, options).attribute(chunk)` would
 * in this thread, so the result equals a one-thread run over the same chunks, for every method.
 * For methods whose result for a sample depends only on that sample (gradient, gradientXInput,
 * integratedGradients with a zero or single-sample baseline, occlusion, featureAblation,
 * lrpEpsilon) it also equals one run over the whole batch; methods that draw random numbers across
 * the batch (smoothGrad's noise, noise baselines, kernelShap's coalition sampling) or use batch
 * statistics (a `'mean'` baseline, featurePermutation) draw them per chunk instead.
 *
 * integratedGradients over fewer samples than workers (one forecast to explain, say) splits its path
 * points instead: each worker computes the gradients at a share of them (its `pathGradients`) and
 * one worker sums them in path-point order, so the result is bit-identical to one thread.
 */
import { batches, concatRows, copyRows, type NdArray } from '@keraspect/array';
import { createModelPool, type ModelPool, type ModelSource, ownBuffers, poolChunks } from '@keraspect/importer';
import { ExplainError, type ExplainErrorCode, fail } from '../errors.ts';
import { type Attribution, type ExplainerOptions, splitOptions } from '../explainer.ts';
import type { ModelInput } from '../inputs.ts';
import { type MethodName, methodFor, portableOptions } from '../methods/index.ts';
import { type IntegratedGradientsOptions, pathPointTotal } from '../methods/integrated-gradients.ts';
import { normalizeMethodOptions } from '../methods/method.ts';
import type { AttributeTask, PathGradientsTask } from './handlers.ts';

/** Options of {@link createExplainPool}. */
export interface ExplainPoolOptions {
  /** Worker threads. Default: the machine's available parallelism. */
  threads?: number;
}

/** A model pool whose workers can also attribute (see {@link attributeInPool}). Close it when done. */
export function createExplainPool(source: ModelSource, options: ExplainPoolOptions = {}): Promise<ModelPool> {
  const fromSource = import.meta.url.endsWith('.ts');
  const handlers = new URL(fromSource ? './handlers.ts' : './handlers.js', import.meta.url).href;
  return createModelPool(source, {
    threads: options.threads,
    handlers: [handlers],
    // An ExplainError thrown in a worker stays one here, so callers (the CLI) can tell it by instanceof.
    revive: (e) =>
      e.name === 'ExplainError' && e.code ? new ExplainError(e.code as ExplainErrorCode, e.message) : undefined,
  });
}

/** Options of {@link attributeInPool}. */
export interface PoolAttributeOptions {
  /**
   * Samples per chunk. Default: the batch split into equal chunks of at most 32 samples, a multiple
   * of the workers in number (importer's `poolChunks`); integratedGradients over fewer samples
   * than workers splits its path points over the workers instead.
   */
  chunkSize?: number;
  /** Called after each chunk with the samples done so far. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Attribute `inputs` with `method` on the pool's workers, in chunks of samples (see the module
 * comment for when this equals one run over the whole batch). `options` are the explainer's;
 * a function target or an `onProgress` cannot cross threads (use `poolOptions.onProgress`).
 */
export async function attributeInPool<M extends MethodName>(
  pool: ModelPool,
  method: M,
  inputs: ModelInput,
  options: ExplainerOptions<M> = {} as ExplainerOptions<M>,
  poolOptions: PoolAttributeOptions = {},
): Promise<Attribution> {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (typeof options.target === 'function')
    fail('BAD_OPTION', 'A function target cannot be sent to worker threads; attribute in this thread instead.');
  const { onProgress: _dropped, ...rest } = options as ExplainerOptions & { onProgress?: unknown };
  const batch = list[0]?.shape[0] ?? 0;
  const chunk = poolOptions.chunkSize;
  if (chunk !== undefined && (!Number.isInteger(chunk) || chunk < 1))
    fail('BAD_OPTION', `chunkSize must be a positive integer, got ${JSON.stringify(poolOptions.chunkSize)}.`);
  const perSampleTarget = Array.isArray(rest.target) ? rest.target : null;
  if (perSampleTarget && perSampleTarget.length !== batch)
    fail('BAD_TARGET', `target has ${perSampleTarget.length} units for ${batch} samples; give one per sample.`);
  const ranges = chunk === undefined ? poolChunks(batch, pool.threads, 32) : batches(batch, chunk);
  if (method === 'integratedGradients' && chunk === undefined && ranges.length < pool.threads) {
    const o = normalizeMethodOptions(method, methodFor(method), splitOptions(rest).own) as IntegratedGradientsOptions;
    const total = pathPointTotal(o, batch);
    if (total >= 2) {
      const r = await pathSplit(pool, list, portableOptions(rest) as ExplainerOptions<'integratedGradients'>, total);
      poolOptions.onProgress?.(batch, batch);
      return r;
    }
  }
  let done = 0;
  const parts: Promise<Attribution>[] = [];
  // An empty batch is one (empty) chunk, so its answer or error is the one-thread one.
  for (const [s, e] of ranges.length ? ranges : [[0, 0]]) {
    const chunkInputs = list.map((x) => copyRows(x, s, e));
    const task: AttributeTask = {
      method,
      // A wrapper's method value cannot be cloned to a worker: it travels by name.
      options: portableOptions({
        ...rest,
        ...(perSampleTarget ? { target: perSampleTarget.slice(s, e) } : {}),
      }) as ExplainerOptions,
      inputs: chunkInputs,
    };
    parts.push(
      // The chunk's inputs are fresh copies: their buffers move to the worker instead of being cloned.
      pool.call<Attribution>('attribute', task, ownBuffers(chunkInputs)).then((r) => {
        done += e - s;
        poolOptions.onProgress?.(done, batch);
        return r;
      }),
    );
  }
  return join(await Promise.all(parts));
}

/** integratedGradients with its `total` path points' gradients computed in shares on the workers. */
async function pathSplit(
  pool: ModelPool,
  list: NdArray[],
  options: ExplainerOptions<'integratedGradients'>,
  total: number,
): Promise<Attribution> {
  const copies = () => list.map((x) => copyRows(x, 0, x.shape[0]));
  const shares = await Promise.all(
    poolChunks(total, pool.threads, total).map(([from, to]) => {
      const task: PathGradientsTask = { options, inputs: copies(), from, to };
      return pool.call<Float32Array[]>('pathGradients', task, ownBuffers(task.inputs as NdArray[]));
    }),
  );
  const pathGradients = shares[0].map((_, t) => flat(shares.map((s) => s[t])));
  const task: AttributeTask = { method: 'integratedGradients', options, inputs: copies(), pathGradients };
  const moved = [...(task.inputs as NdArray[]), ...pathGradients.map((data) => ({ data, shape: [data.length] }))];
  return pool.call<Attribution>('attribute', task, ownBuffers(moved));
}

/** Per-sample vectors of the chunks, joined. */
const flat = <T extends Float32Array | Int32Array>(parts: T[]): T =>
  concatRows(parts.map((data) => ({ data, shape: [data.length] }))).data;

/** Join chunk attributions along the batch axis. */
function join(parts: Attribution[]): Attribution {
  const [first] = parts;
  return {
    method: first.method,
    names: first.names,
    attributions: first.attributions.map((_, i) => concatRows(parts.map((p) => p.attributions[i]))),
    units: first.units ? flat(parts.map((p) => p.units as Int32Array)) : null,
    scores: flat(parts.map((p) => p.scores)),
    ...(first.delta ? { delta: flat(parts.map((p) => p.delta as Float32Array)) } : {}),
  };
}
