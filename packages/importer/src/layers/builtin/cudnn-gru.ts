import { fail } from '../../errors.ts';
import type { LayerPort, WeightArray } from '../port.ts';
import { fromCudnnInputKernel, fromCudnnRecurrentKernel } from './cudnn-layout.ts';
import { cudnnRnnArgs, KerasGRU } from './gru.ts';

/**
 * Keras 2 / tf.keras 1 `CuDNNGRU` → {@link KerasGRU} with `reset_after`, `tanh` and a `sigmoid`
 * recurrent activation, which is what cuDNN computes. Keras stores `kernel` (F, 3U) and
 * `recurrent_kernel` (U, 3U) in Keras gate order z, r, h (it reorders them to cuDNN's r, z, h only
 * when calling cuDNN), each gate in cuDNN's layout (converted as Keras converts them, see
 * `cudnn-layout.ts`), and `bias` (6U) = input bias (3U) then recurrent bias (3U), which is exactly a
 * reset-after GRU's bias (2, 3U).
 */
export const cudnnGruPort: LayerPort = {
  build: (config) => new KerasGRU({ ...cudnnRnnArgs(config, 'CuDNNGRU'), resetAfter: true }),
  convertWeights(weights: WeightArray[], config): WeightArray[] {
    const bias = weights[2];
    if (weights.length !== 3 || bias.shape.length !== 1 || bias.shape[0] % 6 !== 0) {
      fail(
        'WEIGHT_MISMATCH',
        `CuDNNGRU '${config.name}': expected kernel (F, 3U), recurrent_kernel (U, 3U), bias (6U); found ${weights.map((w) => `${w.name} ${JSON.stringify(w.shape)}`).join(', ')}.`,
      );
    }
    const what = `CuDNNGRU '${config.name}'`;
    return [
      fromCudnnInputKernel(weights[0], 3, what),
      fromCudnnRecurrentKernel(weights[1], 3, what),
      { ...bias, shape: [2, bias.shape[0] / 2] },
    ];
  },
};
