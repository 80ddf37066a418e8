import type { KerasLayerConfig, KerasLayerJson } from './types.ts';

/**
 * Keras 1 layer configs in Keras 2 spelling, as Keras 2 reads them: `model_from_config` passes a
 * Keras 1 config to the Keras 2 class, whose legacy interface (keras/legacy/interfaces.py, Keras
 * 2.0–2.3) renames the arguments. Only the tables of the classes Keraspect loads are here; keys the
 * config already has in Keras 2 spelling win (Keras raises on both, a hand-edited file may have them).
 */
/** The kernel and bias arguments Dense and Conv1D renamed alike. */
const KERNEL_AND_BIAS: readonly (readonly [string, string])[] = [
  ['init', 'kernel_initializer'],
  ['W_regularizer', 'kernel_regularizer'],
  ['b_regularizer', 'bias_regularizer'],
  ['W_constraint', 'kernel_constraint'],
  ['b_constraint', 'bias_constraint'],
  ['bias', 'use_bias'],
];

const RENAMES: Record<string, readonly (readonly [string, string])[]> = {
  // legacy_dense_support
  Dense: [['output_dim', 'units'], ...KERNEL_AND_BIAS],
  // legacy_dropout_support, legacy_gaussiandropout_support, legacy_gaussiannoise_support
  Dropout: [['p', 'rate']],
  SpatialDropout1D: [['p', 'rate']],
  GaussianDropout: [['p', 'rate']],
  GaussianNoise: [['sigma', 'stddev']],
  // legacy_embedding_support (output_dim keeps its name)
  Embedding: [
    ['init', 'embeddings_initializer'],
    ['W_regularizer', 'embeddings_regularizer'],
    ['W_constraint', 'embeddings_constraint'],
  ],
  // legacy_pooling1d_support
  MaxPooling1D: [
    ['pool_length', 'pool_size'],
    ['stride', 'strides'],
    ['border_mode', 'padding'],
  ],
  AveragePooling1D: [
    ['pool_length', 'pool_size'],
    ['stride', 'strides'],
    ['border_mode', 'padding'],
  ],
  // legacy_upsampling1d_support
  UpSampling1D: [['length', 'size']],
  // legacy_conv1d_support
  Conv1D: [
    ['nb_filter', 'filters'],
    ['filter_length', 'kernel_size'],
    ['subsample_length', 'strides'],
    ['border_mode', 'padding'],
    ...KERNEL_AND_BIAS,
  ],
};

// legacy_recurrent_support
const RECURRENT: readonly (readonly [string, string])[] = [
  ['output_dim', 'units'],
  ['init', 'kernel_initializer'],
  ['inner_init', 'recurrent_initializer'],
  ['inner_activation', 'recurrent_activation'],
  ['W_regularizer', 'kernel_regularizer'],
  ['b_regularizer', 'bias_regularizer'],
  ['U_regularizer', 'recurrent_regularizer'],
  ['dropout_W', 'dropout'],
  ['dropout_U', 'recurrent_dropout'],
  ['consume_less', 'implementation'],
];
for (const c of ['SimpleRNN', 'GRU', 'LSTM']) RENAMES[c] = RECURRENT;

/** Keras 2's aliases of the 1-D classes (`Convolution1D = Conv1D`, `MaxPool1D = MaxPooling1D`, …). */
const ALIASES: Record<string, string> = {
  Convolution1D: 'Conv1D',
  MaxPool1D: 'MaxPooling1D',
  AvgPool1D: 'AveragePooling1D',
  GlobalMaxPool1D: 'GlobalMaxPooling1D',
  GlobalAvgPool1D: 'GlobalAveragePooling1D',
};

/** Wrappers whose `layer` (and `backward_layer`) config is a layer of its own. */
const WRAPPER_KEYS = ['layer', 'backward_layer'] as const;

function isLayerJson(v: unknown): v is KerasLayerJson {
  return (
    !!v &&
    typeof v === 'object' &&
    typeof (v as KerasLayerJson).class_name === 'string' &&
    !!(v as KerasLayerJson).config &&
    typeof (v as KerasLayerJson).config === 'object'
  );
}

/**
 * A layer entry with Keras 2's class name for a Keras 2 alias and its config's Keras 1 argument
 * names renamed as Keras 2's legacy interface does (recursing into `TimeDistributed` and
 * `Bidirectional`); the entry itself when nothing changes. Keras 2 names pass unchanged, so this is
 * applied to every file.
 */
export function upgradeKeras1Layer(lj: KerasLayerJson): KerasLayerJson {
  // Own keys only: a class named 'constructor' must not find Object.prototype's.
  const className = Object.hasOwn(ALIASES, lj.class_name) ? ALIASES[lj.class_name] : lj.class_name;
  const renames = Object.hasOwn(RENAMES, className) ? RENAMES[className] : [];
  let config: KerasLayerConfig = lj.config;
  const copy = () => {
    if (config === lj.config) config = { ...lj.config };
    return config;
  };
  for (const [from, to] of renames) {
    if (!(from in config)) continue;
    const c = copy();
    if (c[to] === undefined) c[to] = c[from];
    delete c[from];
  }
  // Keras 1 wrote the recurrent `consume_less` as a string; Keras 2 maps it to `implementation`.
  if (renames === RECURRENT && typeof config.implementation === 'string') {
    copy().implementation = ({ cpu: 0, mem: 1, gpu: 2 } as Record<string, number>)[config.implementation] ?? 0;
  }
  for (const key of WRAPPER_KEYS) {
    const inner = config[key];
    if (!isLayerJson(inner)) continue;
    const up = upgradeKeras1Layer(inner);
    if (up !== inner) copy()[key] = up;
  }
  if (className === lj.class_name && config === lj.config) return lj;
  return { ...lj, class_name: className, config };
}
