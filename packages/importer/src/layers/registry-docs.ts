import type { KerasClassName } from './registry.ts';

/** What docs/layers.md says about one Keras class of the layer table. */
export interface LayerDoc {
  /** Where the class comes from: a Keras module, tf.keras, or the third-party package that defines it. */
  family: string;
  /** Config options (or forms) the port refuses with UNSUPPORTED_CONFIG, and what happens at inference. */
  notSupported?: string;
}

const core = 'Keras core';
const rnn = 'stateful=True, time_major=True';
const channelsLast = "data_format='channels_first'";

/**
 * One entry per class of the layer table (held complete by the type checker); docs/layers.md is
 * generated from it (`pnpm docs:layers`) and a test keeps the two in sync.
 */
export const layerDocs = {
  Dense: { family: core },
  Activation: { family: core, notSupported: 'activations outside the supported list (see below)' },
  Dropout: { family: core, notSupported: '— (identity at inference)' },
  SpatialDropout1D: { family: core, notSupported: '— (identity at inference)' },
  GaussianNoise: { family: core, notSupported: '— (identity at inference)' },
  GaussianDropout: { family: core, notSupported: '— (identity at inference)' },
  AlphaDropout: { family: core, notSupported: '— (identity at inference)' },
  ActivityRegularization: { family: core, notSupported: '— (identity at inference)' },
  Flatten: { family: core },
  Identity: { family: core },
  Reshape: { family: core },
  Permute: { family: core },
  RepeatVector: { family: core },
  Masking: { family: core },
  Embedding: { family: core },
  Lambda: {
    family: core,
    notSupported: 'running the stored Python code: give a TF.js function by layer name (`lambdas`)',
  },
  TFOpLambda: { family: 'tf.keras op layer', notSupported: 'TensorFlow functions outside the op table below' },
  SlicingOpLambda: { family: 'tf.keras op layer', notSupported: 'boolean-mask indexing' },
  LeakyReLU: { family: 'Keras activations' },
  ELU: { family: 'Keras activations' },
  ThresholdedReLU: { family: 'Keras activations' },
  Softmax: { family: 'Keras activations', notSupported: 'several axes' },
  PReLU: { family: 'Keras activations' },
  ReLU: { family: 'Keras activations' },
  BatchNormalization: { family: 'Keras normalization', notSupported: 'several axes' },
  LayerNormalization: {
    family: 'Keras normalization; keras-layer-normalization (told apart by the config)',
  },
  UnitNormalization: { family: 'Keras normalization' },
  RMSNormalization: { family: 'Keras normalization (Keras 3)' },
  Normalization: { family: 'Keras preprocessing' },
  Rescaling: { family: 'Keras preprocessing' },
  CategoryEncoding: {
    family: 'Keras preprocessing',
    notSupported: "sparse=True; output_mode='count' with count_weights",
  },
  Conv1D: { family: 'Keras convolution' },
  SeparableConv1D: { family: 'Keras convolution', notSupported: `${channelsLast}, groups > 1` },
  Conv1DTranspose: { family: 'Keras convolution', notSupported: channelsLast },
  Conv2D: { family: 'Keras convolution', notSupported: `${channelsLast}, groups > 1; gradients through dilation > 1` },
  MaxPooling2D: { family: 'Keras pooling', notSupported: channelsLast },
  AveragePooling2D: { family: 'Keras pooling', notSupported: channelsLast },
  GlobalAveragePooling2D: { family: 'Keras pooling', notSupported: channelsLast },
  GlobalMaxPooling2D: { family: 'Keras pooling', notSupported: channelsLast },
  MaxPooling1D: { family: 'Keras pooling' },
  AveragePooling1D: { family: 'Keras pooling' },
  GlobalAveragePooling1D: { family: 'Keras pooling' },
  GlobalMaxPooling1D: { family: 'Keras pooling' },
  UpSampling1D: { family: 'Keras reshaping' },
  Cropping1D: { family: 'Keras reshaping' },
  ZeroPadding1D: { family: 'Keras reshaping' },
  Add: { family: 'Keras merging' },
  Subtract: { family: 'Keras merging' },
  Multiply: { family: 'Keras merging' },
  Average: { family: 'Keras merging' },
  Maximum: { family: 'Keras merging' },
  Minimum: { family: 'Keras merging' },
  Concatenate: { family: 'Keras merging' },
  Dot: { family: 'Keras merging' },
  Merge: { family: 'Keras 1 merging', notSupported: 'dot_axes other than the feature axis' },
  SimpleRNN: { family: 'Keras recurrent', notSupported: rnn },
  LSTM: { family: 'Keras recurrent', notSupported: rnn },
  GRU: { family: 'Keras recurrent', notSupported: rnn },
  RNN: {
    family: 'Keras recurrent',
    notSupported: `${rnn}; cells other than LSTMCell, GRUCell, SimpleRNNCell (alone or in StackedRNNCells); an initial state for stacked cells`,
  },
  CuDNNLSTM: { family: 'Keras 2 recurrent (cuDNN)', notSupported: 'stateful=True' },
  CuDNNGRU: { family: 'Keras 2 recurrent (cuDNN)', notSupported: 'stateful=True' },
  ConvLSTM1D: {
    family: 'Keras recurrent (convolutional)',
    notSupported: "data_format='channels_first', return_state, stateful, masks",
  },
  Bidirectional: {
    family: 'Keras wrappers',
    notSupported: 'a backward layer of another class than the forward one',
  },
  TimeDistributed: { family: 'Keras wrappers' },
  Attention: { family: 'Keras attention' },
  AdditiveAttention: { family: 'Keras attention' },
  MultiHeadAttention: {
    family: 'Keras attention; keras-multi-head (told apart by the config)',
    notSupported: 'attention_axes other than the steps axis, use_gate=True',
  },
  SeqSelfAttention: { family: 'keras-self-attention (CyberZHG)' },
  SeqWeightedAttention: { family: 'keras-self-attention (CyberZHG)' },
  ScaledDotProductAttention: { family: 'keras-self-attention (CyberZHG)' },
  ResidualScaledDotProductAttention: {
    family: 'keras-self-attention (CyberZHG)',
    notSupported: "0.48.0's first form (outputs v or [v, attention]); 0.49+ outputs [v, scores(, attention)]",
  },
  MultiHead: { family: 'keras-multi-head (CyberZHG)', notSupported: 'hidden_dim with several inputs' },
  FeedForward: { family: 'keras-position-wise-feed-forward (CyberZHG)' },
  TrigPosEmbedding: {
    family: 'keras-pos-embd (CyberZHG)',
    notSupported: 'an odd width (keras-pos-embd refuses it too)',
  },
  EmbeddingRet: { family: 'keras-embed-sim (CyberZHG)' },
  EmbeddingSim: { family: 'keras-embed-sim (CyberZHG)' },
  PositionEmbedding: {
    family: 'keras-pos-embd (CyberZHG)',
    notSupported: "mode 'add'/'concat' on more steps than input_dim (Keras fails too)",
  },
  TCN: {
    family:
      'keras-tcn (every release that saved the class, 2.8.3-tf – 3.5.7; also as Custom>TCN and inside Bidirectional)',
    notSupported: 'a weight-normalized TCN saved before its first forward pass',
  },
} as const satisfies Record<KerasClassName, LayerDoc>;
