/**
 * Attention maps on every core: the batch split into row chunks (importer's `poolChunks`), each
 * chunk's maps computed on a pool worker by {@link attentionMaps}, the chunks joined in order. A
 * sample's attention weights depend only on that sample, so the result equals one thread's.
 */
import { batches, concatRows, copyRows } from '@keraspect/array';
import { type ModelPool, ownBuffers, poolChunks } from '@keraspect/importer';
import type { AttentionMap, AttentionMapsOptions } from '../attention.ts';
import { fail } from '../errors.ts';
import type { ModelInput } from '../inputs.ts';

/** Options of {@link attentionMapsInPool}: those of `attentionMaps`, and the chunking. */
export interface PoolAttentionMapsOptions extends AttentionMapsOptions {
  /** Samples per chunk. Default: the batch split into equal chunks of at most 32 samples, a multiple of the workers in number. */
  chunkSize?: number;
}

/** {@link attentionMaps} of `inputs` on a pool made by `createExplainPool`, the samples split over its workers. */
export async function attentionMapsInPool(
  pool: ModelPool,
  inputs: ModelInput,
  options: PoolAttentionMapsOptions = {},
): Promise<AttentionMap[]> {
  const { chunkSize, ...read } = options;
  if (chunkSize !== undefined && (!Number.isInteger(chunkSize) || chunkSize < 1))
    fail('BAD_OPTION', `chunkSize must be a positive integer, got ${JSON.stringify(chunkSize)}.`);
  const list = Array.isArray(inputs) ? inputs : [inputs];
  const batch = list[0]?.shape[0] ?? 0;
  const ranges = chunkSize === undefined ? poolChunks(batch, pool.threads, 32) : batches(batch, chunkSize);
  const parts = await Promise.all(
    (ranges.length ? ranges : [[0, 0]]).map(([s, e]) => {
      const chunk = list.map((x) => copyRows(x, s, e));
      return pool.call<AttentionMap[]>('attentionMaps', { inputs: chunk, options: read }, ownBuffers(chunk));
    }),
  );
  return parts[0].map((m, i) => ({ ...m, array: concatRows(parts.map((p) => p[i].array)) }));
}
