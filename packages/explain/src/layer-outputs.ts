import { type KerasModel, lastCallOf, type NdArray, runGraph } from '@keraspect/importer';
import { checkInputs, inBatches, inputFeeds, type ModelInput, rowsTensor } from './inputs.ts';
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

/** Options of the functions that read inside a model ({@link layerOutputs}, `attentionMaps`). */
export interface ReadOptions {
  /** Samples per forward pass; bounds memory for big batches. Default 32. */
  internalBatchSize?: number;
}

/** Options of {@link layerOutputs}. */
export type LayerOutputsOptions = ReadOptions;

/**
 * Outputs of the selected layers for inputs `x` — every output of multi-output layers, of the
 * layer's last call in the graph (what Keras' `layer.output` is) — as plain typed arrays with
 * shapes and layer names. Input layers are returned as given; layers the graph never calls have no
 * output and are left out. Runs in batches of `internalBatchSize` samples and disposes every tensor
 * it makes. A selector that matches no layer fails with `UNKNOWN_LAYER`.
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
  const inputs = checkInputs(km, x);
  const wanted = selectLayers(km, select).flatMap((ref) => {
    const outs = lastCallOf(km.layers[ref.index].layer)?.outputs ?? [];
    return outs.map((t, index) => ({ ref, index, count: outs.length, t }));
  });
  const arrays = inBatches(inputs[0].shape[0], internalBatchSize, (rows) => {
    const xs = inputs.map((a, i) => rowsTensor(a, rows, km.model.inputs[i].dtype === 'int32' ? 'int32' : 'float32'));
    return runGraph(
      wanted.map((w) => w.t),
      inputFeeds(km, xs),
      { release: true },
    ).map((t) => t.clone());
  });
  return wanted.map((w, i) => ({
    layer: w.ref.name,
    className: w.ref.className,
    index: w.index,
    count: w.count,
    array: arrays[i],
  }));
}
