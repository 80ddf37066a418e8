import { read } from './config.ts';
import type { BuildContext, LayerPort } from './port.ts';
import type { KerasLayerConfig } from '../keras-format/types.ts';
import { FastLSTM, FastSimpleRNN } from './fast/recurrent.ts';
import { joinGateArrays } from './builtin/common.ts';

function rnnCommon(c: KerasLayerConfig, cls: string, ctx: BuildContext) {
  const r = read(c, cls);
  if (r.has('stateful') && r.bool('stateful'))
    r.unsupported('stateful', 'stateful RNNs are not supported for inspection; save the model with stateful=False.');
  if (r.has('time_major') && r.bool('time_major'))
    r.unsupported('time_major', 'use batch-major inputs (time_major=False).');
  return {
    name: c.name,
    trainable: false,
    units: r.int('units'),
    activation: ctx.activation(c.activation ?? 'tanh', `Layer '${c.name}' activation`) as never,
    useBias: r.bool('use_bias', true),
    returnSequences: r.bool('return_sequences', false),
    returnState: r.bool('return_state', false),
    goBackwards: r.bool('go_backwards', false),
    // Weights come from the file; skip the costly random (orthogonal) initialization.
    kernelInitializer: 'zeros' as const,
    recurrentInitializer: 'zeros' as const,
  };
}

export const SimpleRNN: LayerPort = {
  // The fused whole-sequence path where the config allows (see fast/recurrent.ts); TF.js' own otherwise.
  build: (c, ctx) => new FastSimpleRNN(rnnCommon(c, 'SimpleRNN', ctx)),
};

/**
 * Keras `LSTM`. Weights load as stored; Keras 1's twelve per-gate arrays (`W_i, U_i, b_i, W_c, U_c,
 * b_c, W_f, U_f, b_f, W_o, U_o, b_o`) are joined in Keras 2's gate order i, f, c, o as Keras 2 does
 * when loading them (`preprocess_weights_for_loading`).
 */
export const LSTM: LayerPort = {
  keepsKerasLayout: true,
  convertWeights(weights, config) {
    if (weights.length !== 12) return weights;
    // Stored gates i, c, f, o; Keras 2's order is i, f, c, o.
    return joinGateArrays(weights, [0, 2, 1, 3], config.name);
  },
  build: (c, ctx) =>
    new FastLSTM({
      ...rnnCommon(c, 'LSTM', ctx),
      recurrentActivation: ctx.activation(
        c.recurrent_activation ?? 'sigmoid',
        `Layer '${c.name}' recurrent_activation`,
      ) as never,
      unitForgetBias: false,
    }),
};
