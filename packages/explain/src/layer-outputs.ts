import * as tf from '@tensorflow/tfjs';
import type { KerasModel, NdArray } from '@keraspect/importer';
import { fail } from './errors.ts';
import { inputFeeds, layerSymbolicOutputs, runGraph } from './graph.ts';
import { checkInputs, type ModelInput, rowsTensor } from './inputs.ts';
import { type LayerSelector, selectLayers } from './select.ts';

/** One output tensor of one layer, as plain data. */
export interface LayerOutput {
  /** Keras layer name. */
  layer: string;
  /** Keras class name, e.g. `'LSTM'`. */
  className: string;
  /** Which output of the layer (0 for single-output layers; SeqSelfAttention with `return_attention`: 0 values, 1 attention). */
  index: number;
  /** How many outputs the layer has. */
  count: number;
  /** The values, batch first. */
  array: NdArray;
}

/** Options of {@link layerOutputs}. */
export interface LayerOutputsOptions {
  /** Samples per forward pass; bounds memory for big batches. Default 32. */
  internalBatchSize?: number;
}

/**
 * Outputs of the selected layers for inputs `x` — every output of multi-output layers — as plain
 * typed arrays with shapes and layer names. Input layers are returned as given. Runs in batches
 * of `internalBatchSize` samples and disposes every tensor it makes.
 *
 * @example layerOutputs(km, x, 'lstm')  // every layer whose name contains "lstm"
 */
export function layerOutputs(
  km: KerasModel,
  x: ModelInput,
  select: LayerSelector = 'all',
  options: LayerOutputsOptions = {},
): LayerOutput[] {
  const { internalBatchSize = 32 } = options;
  if (!(internalBatchSize >= 1)) fail('BAD_OPTION', `internalBatchSize must be ≥ 1; got ${internalBatchSize}.`);
  const inputs = checkInputs(km, x);
  const layers = selectLayers(km, select);
  const wanted = layers.flatMap((ref) => {
    const b = km.built.layers[ref.index];
    const outs = layerSymbolicOutputs(b.layer);
    return outs.map((t, index) => ({ ref, index, count: outs.length, t }));
  });
  const batch = inputs[0].shape[0];
  const parts: Float32Array[][] = wanted.map(() => []);
  const shapes: number[][] = wanted.map(() => []);
  for (let start = 0; start < batch; start += internalBatchSize) {
    const rows = range(start, Math.min(batch, start + internalBatchSize));
    const outs = tf.tidy(() => {
      const xs = inputs.map((a, i) => rowsTensor(a, rows, km.model.inputs[i].dtype === 'int32' ? 'int32' : 'float32'));
      return runGraph(
        wanted.map((w) => w.t),
        inputFeeds(km, xs),
      ).map((t) => t.clone());
    });
    outs.forEach((t, i) => {
      parts[i].push(t.dtype === 'float32' ? (t.dataSync() as Float32Array) : Float32Array.from(t.dataSync()));
      shapes[i] = t.shape;
    });
    tf.dispose(outs);
  }
  return wanted.map((w, i) => ({
    layer: w.ref.name,
    className: w.ref.className,
    index: w.index,
    count: w.count,
    array: { data: concat(parts[i]), shape: [batch, ...shapes[i].slice(1)] },
  }));
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let k = 0;
  for (const p of parts) {
    out.set(p, k);
    k += p.length;
  }
  return out;
}
