import * as tf from '@tensorflow/tfjs';
import { modelFromConfig, type NdArray, toKerasH5 } from '@keraspect/importer';
import { attentionLstmConfig, mulberry32 } from '../../scripts/lib/attention-lstm.ts';

/** Steps and features of {@link smallAttentionLstmBytes}. */
export const SMALL_T = 12;
export const SMALL_F = 3;

/**
 * A small Input(12, 3) → LSTM(5) → SeqSelfAttention(4) → Concatenate → Flatten → Dense(1) model
 * (the fused kernels' paths) with seeded weights, as Keras `.h5` bytes.
 */
export async function smallAttentionLstmBytes(seed = 3): Promise<Uint8Array> {
  const config = attentionLstmConfig({
    name: 'small_attention_lstm',
    steps: SMALL_T,
    features: SMALL_F,
    rnn: { className: 'LSTM', name: 'lstm', config: { units: 5, activation: 'tanh', recurrent_activation: 'sigmoid' } },
    attentionUnits: 4,
    outputName: 'out',
  });
  const km = await modelFromConfig(config as never, { kerasVersion: '2.3.1' });
  const r = mulberry32(seed);
  for (const l of km.model.layers)
    l.setWeights(
      l.getWeights().map((w) =>
        tf.tensor(
          Float32Array.from({ length: w.size }, () => r() - 0.5),
          w.shape,
        ),
      ),
    );
  const bytes = await toKerasH5(km);
  km.dispose();
  return bytes;
}

/** A seeded batch of `n` inputs for it, uniform in [-1, 1). */
export function smallBatch(n: number, seed: number): NdArray {
  const r = mulberry32(seed);
  return {
    data: Float32Array.from({ length: n * SMALL_T * SMALL_F }, () => 2 * r() - 1),
    shape: [n, SMALL_T, SMALL_F],
  };
}
