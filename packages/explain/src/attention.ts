import {
  flattenLayers,
  isAttentionSource,
  type KerasModel,
  type LayerInfo,
  lastCallOf,
  type NdArray,
  runGraph,
} from '@keraspect/importer';
import { fail } from './errors.ts';
import { type LayerSelector, noSuchLayer, selectLayers } from './select.ts';
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
 * | `ResidualScaledDotProductAttention` (keras-self-attention) | (B, Tq, Tk) | batch, query, key |
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
  /**
   * Which attention layers to read, as in `layerOutputs` (an exact name, else every attention layer whose
   * name contains the string; a RegExp; an index into `km.layers`; a list of these). Names reach attention
   * layers inside nested models too. Default: every attention layer, `km.attentionLayers`.
   */
  layers?: LayerSelector;
}

/**
 * The attention weights of every attention layer (or `options.layers`) for inputs `x`, computed
 * with each layer's own weights — also when the model was saved without `return_attention` — during
 * a real forward pass, so masks apply (they exist only at run time). A layer called several times
 * gives its last call's weights. See {@link AttentionMap} for shapes and axes per class. Batched;
 * disposes every tensor it makes. A selector that matches no layer fails as in `layerOutputs` (`UNKNOWN_LAYER`,
 * listing the layers); one that matches only layers without attention fails with `UNKNOWN_LAYER` listing the
 * attention layers.
 */
export function attentionMaps(km: KerasModel, x: ModelInput, options: AttentionMapsOptions = {}): AttentionMap[] {
  const { layers = km.attentionLayers, internalBatchSize = 32 } = options;
  const chosen = pickAttention(km, layers);
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

/** The attention layers `select` picks, in model order, each once; the errors are `layerOutputs`' where they can be. */
function pickAttention(km: KerasModel, select: LayerSelector) {
  const every = flattenLayers(km.layers);
  const hits = new Set<LayerInfo>();
  const notAttention = (names: string[]): never =>
    fail(
      'UNKNOWN_LAYER',
      `Layer${names.length > 1 ? 's' : ''} ${names.map((n) => `'${n}'`).join(', ')} compute${names.length > 1 ? '' : 's'} no attention weights. Attention layers of model '${km.name}': ${km.attentionLayers.join(', ') || 'none'}.`,
    );
  const add = (s: LayerSelector): void => {
    if (Array.isArray(s)) return s.forEach(add);
    let found: LayerInfo[];
    if (s === 'all') found = every.filter((l) => isAttentionSource(l.layer));
    else if (typeof s === 'number') found = selectLayers(km, s).map((r) => km.layers[r.index]);
    else if (s instanceof RegExp) found = every.filter((l) => s.test(l.name));
    else {
      const exact = every.filter((l) => l.name === s);
      found = exact.length ? exact : every.filter((l) => l.name.includes(s));
    }
    if (!found.length) noSuchLayer(km, s);
    const attention = found.filter((l) => isAttentionSource(l.layer));
    if (!attention.length && s !== 'all') notAttention(found.map((l) => l.name));
    for (const l of attention) hits.add(l);
  };
  add(select);
  return every.flatMap((info) => {
    const source = info.layer;
    return hits.has(info) && isAttentionSource(source) ? [{ info, source }] : [];
  });
}
