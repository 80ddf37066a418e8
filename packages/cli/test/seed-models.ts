import * as tf from '@tensorflow/tfjs';
import { type KerasModel, modelFromConfig, toKerasH5 } from '@keraspect/importer';

/**
 * The seed answer's second model, small: Input(T, 3) → LSTM(units, return_sequences) →
 * SeqWeightedAttention → Dense(1), with seeded random weights (a model with zero weights would draw
 * flat lines). `units` > 60 gives a layer grid of two pages.
 */
export async function weightedAttentionModel(units: number, T = 20): Promise<KerasModel> {
  const km = await modelFromConfig({
    class_name: 'Sequential',
    config: {
      name: 'weighted',
      layers: [
        { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, T, 3] } },
        { class_name: 'LSTM', config: { name: 'lstm', units, return_sequences: true } },
        { class_name: 'SeqWeightedAttention', config: { name: 'seq_weighted_attention' } },
        { class_name: 'Dense', config: { name: 'out', units: 1 } },
      ],
    },
  } as never);
  km.model.weights.forEach((w, i) => w.write(tf.randomNormal(w.shape as number[], 0, 0.5, 'float32', 100 + i)));
  return km;
}

/** The same as `.h5` bytes (our own Keras writer). */
export async function weightedAttentionH5(units: number, T = 20): Promise<Uint8Array> {
  const km = await weightedAttentionModel(units, T);
  const bytes = await toKerasH5(km);
  km.dispose();
  return bytes;
}

/** A seeded (B, T, 3) input. */
export function seededInput(B: number, T = 20): { data: Float32Array; shape: number[] } {
  return {
    data: Float32Array.from({ length: B * T * 3 }, (_, i) => Math.sin(i * 0.37) + 0.3 * Math.cos(i * 1.9)),
    shape: [B, T, 3],
  };
}
