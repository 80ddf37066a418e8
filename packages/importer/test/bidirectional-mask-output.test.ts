import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { modelFromConfig, predict } from '../src/index.ts';

// Masking(0) → Bidirectional(SimpleRNN(1, linear, kernel 1, recurrent 0, bias 0), concat): each
// direction's output is its input, h_t = x_t. On x = (1, 2, 0) the last step is masked.
// Standalone Keras 2 (K.rnn: a masked step outputs the previous output) gives the forward half
// (1, 2, 2) and the backward half — run on (0, 2, 1), where the first step is masked and keeps the
// zero initial state, then reversed — (1, 2, 0). tf.keras (TF 1.13+, `force_zero_output_for_mask`
// in Bidirectional.__init__) and Keras 3 zero both halves at masked steps when returning sequences.
const config = {
  class_name: 'Sequential',
  config: {
    name: 's',
    layers: [
      { class_name: 'Masking', config: { name: 'mask', mask_value: 0, batch_input_shape: [null, 3, 1] } },
      {
        class_name: 'Bidirectional',
        config: {
          name: 'bi',
          merge_mode: 'concat',
          layer: {
            class_name: 'SimpleRNN',
            config: { name: 'rnn', units: 1, activation: 'linear', use_bias: true, return_sequences: true },
          },
        },
      },
    ],
  },
};

async function run(kerasVersion: string): Promise<number[]> {
  const km = await modelFromConfig(config as never, { kerasVersion });
  const one = [tf.tensor2d([[1]]), tf.tensor2d([[0]]), tf.tensor1d([0])];
  km.layer('bi').setWeights([...one, ...one]);
  const [y] = predict(km, { data: Float32Array.of(1, 2, 0), shape: [1, 3, 1] });
  km.dispose();
  return Array.from(y.data);
}

describe('Bidirectional with return_sequences at masked steps', () => {
  it.each(['2.1.6', '2.2.4', '2.3.1'])('standalone Keras %s: each half repeats its previous output', async (v) => {
    expect(await run(v)).toEqual([1, 1, 2, 2, 2, 0]);
  });

  it.each(['2.2.4-tf', '2.4.0', '2.15.0', '3.9.2'])('tf.keras / Keras %s: zeros at masked steps', async (v) => {
    expect(await run(v)).toEqual([1, 1, 2, 2, 0, 0]);
  });
});
