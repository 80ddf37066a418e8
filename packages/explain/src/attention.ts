import { attentionMaps as importerAttentionMaps, type KerasModel, type NdArray } from '@keraspect/importer';
import { fail } from './errors.ts';
import { checkInputs, type ModelInput } from './inputs.ts';

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
export interface AttentionMapsOptions {
  /** Layer names to read (default: every attention layer, `km.attentionLayers`). */
  layers?: string[];
  /** Samples per forward pass. Default 32. */
  internalBatchSize?: number;
}

/**
 * The attention weights of every attention layer (or `options.layers`) for inputs `x`, computed
 * with each layer's own weights — also when the model was saved without `return_attention`. See
 * {@link AttentionMap} for shapes and axes per class. Batched; disposes every tensor it makes.
 */
export function attentionMaps(km: KerasModel, x: ModelInput, options: AttentionMapsOptions = {}): AttentionMap[] {
  const { layers = km.attentionLayers, internalBatchSize = 32 } = options;
  for (const n of layers) {
    if (!km.attentionLayers.includes(n)) {
      fail(
        'UNKNOWN_LAYER',
        `Layer '${n}' computes no attention weights. Attention layers of model '${km.name}': ${km.attentionLayers.join(', ') || 'none'}.`,
      );
    }
  }
  const inputs = checkInputs(km, x);
  const batch = inputs[0].shape[0];
  const classOf = new Map(flat(km).map((b) => [b.name, b.className]));
  const chunks: AttentionMap[][] = [];
  for (let s = 0; s < batch; s += internalBatchSize) {
    const e = Math.min(batch, s + internalBatchSize);
    const part = inputs.map((a) => sliceRows(a, s, e));
    chunks.push(
      importerAttentionMaps(km, part.length === 1 ? part[0] : part, layers).map((m) => ({
        ...m,
        className: classOf.get(m.layer) ?? m.className,
      })),
    );
  }
  if (chunks.length <= 1) return chunks[0] ?? [];
  return chunks[0].map((m, i) => {
    const datas = chunks.map((c) => c[i].array.data as Float32Array);
    const data = new Float32Array(datas.reduce((n, d) => n + d.length, 0));
    let k = 0;
    for (const d of datas) {
      data.set(d, k);
      k += d.length;
    }
    return { ...m, array: { data, shape: [batch, ...m.array.shape.slice(1)] } };
  });
}

function flat(km: KerasModel): { name: string; className: string }[] {
  const walk = (ls: KerasModel['built']['layers']): { name: string; className: string }[] =>
    ls.flatMap((b) => [b, ...(b.nested ? walk(b.nested.layers) : [])]);
  return walk(km.built.layers);
}

function sliceRows(a: NdArray, s: number, e: number): NdArray {
  const n = a.shape.slice(1).reduce((x, y) => x * y, 1);
  return { data: a.data.subarray(s * n, e * n) as Float32Array, shape: [e - s, ...a.shape.slice(1)] };
}
