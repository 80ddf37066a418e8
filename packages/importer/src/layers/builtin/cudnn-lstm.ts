import { fail } from '../../errors.ts';
import { FastLSTM } from '../fast/recurrent.ts';
import type { LayerPort, WeightArray } from '../port.ts';
import { fromCudnnInputKernel, fromCudnnRecurrentKernel } from './cudnn-layout.ts';
import { cudnnRnnArgs } from './gru.ts';

/**
 * Keras 2 / tf.keras 1 `CuDNNLSTM` → TF.js' standard `lstm` with `tanh` and a `sigmoid` recurrent
 * activation, which is what cuDNN computes. Weights: `kernel` (F, 4U) and `recurrent_kernel` (U, 4U)
 * in gate order i, f, c, o, each gate in cuDNN's layout (converted as Keras converts them, see
 * `cudnn-layout.ts`), and `bias` (8U) = input bias (4U) followed by recurrent bias (4U), which cuDNN
 * adds separately and a standard LSTM takes as their sum (4U).
 */
export const cudnnLstmPort: LayerPort = {
  build: (config) => new FastLSTM({ ...cudnnRnnArgs(config, 'CuDNNLSTM'), unitForgetBias: false }),
  convertWeights(weights: WeightArray[], config): WeightArray[] {
    if (weights.length !== 3) {
      fail(
        'WEIGHT_MISMATCH',
        `CuDNNLSTM '${config.name}': expected 3 weights (kernel, recurrent_kernel, bias (8·units)), found ${weights.length}: ${weights.map((w) => `${w.name} ${JSON.stringify(w.shape)}`).join(', ')}.`,
      );
    }
    const what = `CuDNNLSTM '${config.name}'`;
    return [
      fromCudnnInputKernel(weights[0], 4, what),
      fromCudnnRecurrentKernel(weights[1], 4, what),
      sumHalves(weights[2], config.name, 'CuDNNLSTM'),
    ];
  },
};

/** `bias` (2n) → input half + recurrent half (n). */
export function sumHalves(bias: WeightArray, layer: string, className: string): WeightArray {
  const n = bias.data.length / 2;
  if (bias.shape.length !== 1 || !Number.isInteger(n)) {
    fail(
      'WEIGHT_MISMATCH',
      `${className} '${layer}': bias '${bias.name}' should be one-dimensional with an even length, found shape ${JSON.stringify(bias.shape)}.`,
    );
  }
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = bias.data[i] + bias.data[n + i];
  return { name: bias.name, shape: [n], data };
}
