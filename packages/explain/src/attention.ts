import {
  flattenLayers,
  isAttentionSource,
  type KerasModel,
  lastCallOf,
  type NdArray,
  runGraph,
} from '@keraspect/importer';
import { fail } from './errors.ts';
import { noSuchLayer } from './select.ts';
import { checkInputs, inBatches, inputFeeds, type ModelInput, rowsTensor } from './inputs.ts';
import type { ReadOptions } from './layer-outputs.ts';

/**
 * Attention weights of one attention layer for a batch of inputs.
 *
 * Shapes and axis meaning by Keras class (`axes` says the same at run time):
 * | class | shape | axes |
 * |---|---|---|
 * | `SeqSelfAttention` (keras-self-attention) | (B, T, T) | batch, query step, key step; rows sum to 1 (0 for masked rows) |
 * | `SeqWeightedAttention` | (B, T) | batch, key step: the weight of each step in the pooled output |
 * | `ScaledDotProductAttention` (keras-self-attention) | (B, Tq, Tk) | batch, query, key |
 * | `Attention`, `AdditiveAttention` (Keras built-in) | (B, Tq, Tk) | batch, query, key (query = first input) |
 * | `MultiHeadAttention` (Keras built-in) | (B, H, Tq, Tk) | batch, head, query, key |
 * | `MultiHeadAttention` (keras-multi-head) | (B, H, Tq, Tk) | batch, head, query, key |
 *
 * Rows are queries: `A[b, t, s]` is how much output step `t` draws on input step `s`.
 */
export interface AttentionMap {
  /** Keras layer name. */
  layer: string;
  /** Keras class name as in the file, e.g. `'SeqSelfAttention'`. */
  className: string;
  /** What each axis means, e.g. `['batch', 'query', 'key']`. */
  axes: readonly string[];
  array: NdArray;
}

/** Options of {@link attentionMaps}. */
export interface AttentionMapsOptions extends ReadOptions {
  /** Layer names to read (default: every attention layer, `km.attentionLayers`). */
  layers?: string[];
}

/**
 * The attention weights of every attention layer (or `options.layers`) for inputs `x`, computed
 * with each layer's own weights — also when the model was saved without `return_attention` — during
 * a real forward pass, so masks apply (they exist only at run time). A layer called several times
 * gives its last call's weights. See {@link AttentionMap} for shapes and axes per class. Batched;
 * disposes every tensor it makes. A name of no layer fails as in `layerOutputs` (`UNKNOWN_LAYER`, listing
 * the layers); a layer that is not an attention layer fails with `UNKNOWN_LAYER` listing the attention layers.
 */
export function attentionMaps(km: KerasModel, x: ModelInput, options: AttentionMapsOptions = {}): AttentionMap[] {
  const { layers = km.attentionLayers, internalBatchSize = 32 } = options;
  const every = flattenLayers(km.layers);
  const chosen = layers.map((n) => {
    const info = every.find((l) => l.name === n);
    if (!info) return noSuchLayer(km, n);
    if (!isAttentionSource(info.layer)) {
      return fail(
        'UNKNOWN_LAYER',
        `Layer '${n}' computes no attention weights. Attention layers of model '${km.name}': ${km.attentionLayers.join(', ') || 'none'}.`,
      );
    }
    return { info, source: info.layer };
  });
  const inputs = checkInputs(km, x);
  if (!chosen.length) return [];
  // The attention layers' own outputs when they are layers of the model itself, else (inside a
  // nested model) the model's outputs: either way their calls run.
  const nested = chosen.some((c) => !km.layers.includes(c.info));
  const fetches = [
    ...chosen.flatMap((c) => (nested ? [] : (lastCallOf(c.source)?.outputs ?? []))),
    ...(nested ? km.model.outputs : []),
  ];
  const arrays = inBatches(inputs[0].shape[0], internalBatchSize, (rows) => {
    const xs = inputs.map((a, i) => rowsTensor(a, rows, km.model.inputs[i].dtype === 'int32' ? 'int32' : 'float32'));
    for (const c of chosen) c.source.recordAttention();
    try {
      runGraph(fetches, inputFeeds(km, xs), { release: true });
      return chosen.map(({ info, source }) => {
        const a = source.takeAttention();
        if (!a)
          return fail(
            'UNKNOWN_LAYER',
            `Attention layer '${info.name}' was not called in the forward pass; it does not lie between the model's inputs and outputs.`,
          );
        return a;
      });
    } finally {
      // Stops recording (and frees the weights of a layer whose map was not taken after a failure).
      for (const c of chosen) c.source.takeAttention()?.dispose();
    }
  });
  return chosen.map(({ info, source }, i) => ({
    layer: info.name,
    className: info.className,
    axes: source.attentionAxes,
    array: arrays[i],
  }));
}
