import { fail } from '../errors.ts';
import type { KerasLayerConfig } from '../keras-format/types.ts';
import {
  Activation,
  ActivityRegularization,
  AlphaDropout,
  Dense,
  Dropout,
  Embedding,
  Flatten,
  Identity,
  GaussianDropout,
  GaussianNoise,
  Permute,
  RepeatVector,
  Reshape,
  SpatialDropout1D,
} from './core.ts';
import { ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU } from './advanced-activations.ts';
import { BatchNormalization, LayerNormalization, RMSNormalization, UnitNormalization } from './normalization.ts';
import { AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D, MaxPooling1D } from './pooling.ts';
import { Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply } from './merge.ts';
import { rnnPort } from './builtin/rnn.ts';
import { LSTM, SimpleRNN } from './recurrent.ts';
import { Bidirectional, TimeDistributed } from './wrappers.ts';
import { Lambda } from './lambda.ts';
import { additiveAttentionPort } from './builtin/additive-attention.ts';
import { attentionPort } from './builtin/attention.ts';
import { categoryEncodingPort } from './builtin/category-encoding.ts';
import { conv1dPort } from './builtin/conv1d.ts';
import { cropping1dPort } from './builtin/cropping1d.ts';
import { cudnnGruPort } from './builtin/cudnn-gru.ts';
import { convLstm1dPort } from './builtin/conv-lstm1d.ts';
import { cudnnLstmPort } from './builtin/cudnn-lstm.ts';
import { gruPort } from './builtin/gru.ts';
import { mergePort } from './builtin/merge.ts';
import { multiHeadAttentionPort } from './builtin/multi-head-attention.ts';
import { separableConv1dPort } from './builtin/separable-conv1d.ts';
import { subtractPort } from './builtin/subtract.ts';
import { upSampling1dPort } from './builtin/upsampling1d.ts';
import { zeroPadding1dPort } from './builtin/zero-padding1d.ts';
import { embeddingRetPort } from './cyberzhg/embedding-ret.ts';
import { embeddingSimPort } from './cyberzhg/embedding-sim.ts';
import { feedForwardPort } from './cyberzhg/feed-forward.ts';
import { cyberZhgLayerNormalizationPort } from './cyberzhg/layer-normalization.ts';
import { cyberZhgMultiHeadAttentionPort } from './cyberzhg/multi-head-attention.ts';
import { multiHeadPort } from './cyberzhg/multi-head.ts';
import { positionEmbeddingPort } from './cyberzhg/position-embedding.ts';
import { residualScaledDotProductAttentionPort } from './cyberzhg/residual-scaled-dot-product-attention.ts';
import { scaledDotProductAttentionPort } from './cyberzhg/scaled-dot-product-attention.ts';
import { seqSelfAttentionPort } from './cyberzhg/seq-self-attention.ts';
import { seqWeightedAttentionPort } from './cyberzhg/seq-weighted-attention.ts';
import { trigPosEmbeddingPort } from './cyberzhg/trig-pos-embedding.ts';
import { tcnPort } from './keras-tcn/tcn.ts';
import { maskingPort } from './builtin/masking.ts';
import { KERAS_BUILTIN_LAYERS } from './keras-builtins.ts';
import { conv1dTransposePort } from './builtin/conv1d-transpose.ts';
import {
  AveragePooling2D,
  Conv2D,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  MaxPooling2D,
} from './convolutional-2d.ts';
import { normalizationPort, Rescaling } from './preprocessing.ts';
import { isKerasOpModule, kerasOpPort, slicingOpLambdaPort, tfOpLambdaPort } from './ops/ports.ts';
import type { LayerPort } from './port.ts';

/**
 * Every Keras class the importer knows, by the class name written in the file, with the ports that
 * implement it. A class name several implementations share (Keras' built-in layer, a third-party
 * package's, a user's) lists them all: the first whose `matches(config)` holds (or that has no
 * `matches`) builds the layer. Files next to each port say which module of Keras it mirrors; the
 * TF.js-backed ports of trivial classes share one file per Keras module (`core.ts`, `merge.ts`, …),
 * hand-written ports of classes TF.js lacks or gets wrong live in `builtin/`, the CyberZHG family
 * (keras-self-attention & co.) in `cyberzhg/`.
 */
const layerTable = {
  // keras.layers core
  Dense: [Dense],
  Activation: [Activation],
  Dropout: [Dropout],
  SpatialDropout1D: [SpatialDropout1D],
  GaussianNoise: [GaussianNoise],
  GaussianDropout: [GaussianDropout],
  AlphaDropout: [AlphaDropout],
  ActivityRegularization: [ActivityRegularization],
  Flatten: [Flatten],
  Identity: [Identity],
  Reshape: [Reshape],
  Permute: [Permute],
  RepeatVector: [RepeatVector],
  Masking: [maskingPort],
  Embedding: [Embedding],
  Lambda: [Lambda],
  // tf.keras op layers (TensorFlow functions called on Keras tensors)
  TFOpLambda: [tfOpLambdaPort],
  SlicingOpLambda: [slicingOpLambdaPort],
  // activations
  LeakyReLU: [LeakyReLU],
  ELU: [ELU],
  ThresholdedReLU: [ThresholdedReLU],
  Softmax: [Softmax],
  PReLU: [PReLU],
  ReLU: [ReLU],
  // normalization
  BatchNormalization: [BatchNormalization],
  LayerNormalization: [cyberZhgLayerNormalizationPort, LayerNormalization],
  UnitNormalization: [UnitNormalization],
  RMSNormalization: [RMSNormalization],
  // preprocessing
  Normalization: [normalizationPort],
  Rescaling: [Rescaling],
  CategoryEncoding: [categoryEncodingPort],
  // convolution, pooling, reshaping
  Conv1D: [conv1dPort],
  SeparableConv1D: [separableConv1dPort],
  Conv1DTranspose: [conv1dTransposePort],
  Conv2D: [Conv2D],
  MaxPooling2D: [MaxPooling2D],
  AveragePooling2D: [AveragePooling2D],
  GlobalAveragePooling2D: [GlobalAveragePooling2D],
  GlobalMaxPooling2D: [GlobalMaxPooling2D],
  MaxPooling1D: [MaxPooling1D],
  AveragePooling1D: [AveragePooling1D],
  GlobalAveragePooling1D: [GlobalAveragePooling1D],
  GlobalMaxPooling1D: [GlobalMaxPooling1D],
  UpSampling1D: [upSampling1dPort],
  Cropping1D: [cropping1dPort],
  ZeroPadding1D: [zeroPadding1dPort],
  // merging
  Add: [Add],
  Subtract: [subtractPort],
  Multiply: [Multiply],
  Average: [Average],
  Maximum: [Maximum],
  Minimum: [Minimum],
  Concatenate: [Concatenate],
  Dot: [Dot],
  Merge: [mergePort],
  // recurrent and wrappers
  SimpleRNN: [SimpleRNN],
  LSTM: [LSTM],
  GRU: [gruPort],
  CuDNNLSTM: [cudnnLstmPort],
  CuDNNGRU: [cudnnGruPort],
  ConvLSTM1D: [convLstm1dPort],
  RNN: [rnnPort],
  Bidirectional: [Bidirectional],
  TimeDistributed: [TimeDistributed],
  // attention
  Attention: [attentionPort],
  AdditiveAttention: [additiveAttentionPort],
  MultiHeadAttention: [multiHeadAttentionPort, cyberZhgMultiHeadAttentionPort],
  // CyberZHG: keras-self-attention, keras-multi-head, keras-position-wise-feed-forward, keras-pos-embd, keras-embed-sim
  SeqSelfAttention: [seqSelfAttentionPort],
  SeqWeightedAttention: [seqWeightedAttentionPort],
  ScaledDotProductAttention: [scaledDotProductAttentionPort],
  ResidualScaledDotProductAttention: [residualScaledDotProductAttentionPort],
  MultiHead: [multiHeadPort],
  FeedForward: [feedForwardPort],
  TrigPosEmbedding: [trigPosEmbeddingPort],
  PositionEmbedding: [positionEmbeddingPort],
  EmbeddingRet: [embeddingRetPort],
  EmbeddingSim: [embeddingSimPort],
  // keras-tcn
  TCN: [tcnPort],
} as const satisfies Record<string, readonly [LayerPort, ...LayerPort[]]>;

/** A Keras class name the importer loads without registration (a key of the layer table). */
export type KerasClassName = keyof typeof layerTable;

const userPorts = new Map<string, LayerPort>();

/**
 * Register a TF.js implementation for a Keras layer class by its class name (as written in the
 * file's config). User registrations are tried before the built-in ones, so a user class that
 * shadows a Keras name (e.g. a custom `Attention`) is found first; give the port a `matches` to
 * claim only some configs of that name and leave the rest to the built-in ports.
 */
export function registerLayer(className: string, port: LayerPort): void {
  userPorts.set(className, port);
}

/** Remove a registration made with `registerLayer`. */
export function unregisterLayer(className: string): void {
  userPorts.delete(className);
}

/** Names of all Keras classes that can be loaded without registration. */
export function supportedLayers(): KerasClassName[] {
  return (Object.keys(layerTable) as KerasClassName[]).sort();
}

/** The table's ports for a Keras class, in the order they are tried (empty for an unknown class). */
export function candidatePorts(className: string): readonly LayerPort[] {
  return isKerasClassName(className) ? layerTable[className] : [];
}

/** Whether `className` is a key of the layer table (own keys only). */
export function isKerasClassName(className: string): className is KerasClassName {
  // Own properties only: a class named 'constructor' or '__proto__' must not find Object.prototype's.
  return Object.hasOwn(layerTable, className);
}

/** Where a layer entry says its class comes from (Keras 3 writes both; older files neither). */
export interface LayerOrigin {
  /** `keras.layers`, `keras.src.ops.numpy`, a user module (`tcn.tcn`), … */
  module?: string | null;
  /** The name the class was registered under: `Custom>TCN`, `MyPackage>Attention`, … */
  registered_name?: string | null;
}

/** `Package>Class` → `Class` (Keras' registered names; `class_name` may be written that way too). */
function bareName(name: string): string {
  const i = name.lastIndexOf('>');
  return i >= 0 ? name.slice(i + 1) : name;
}

/**
 * The port for a layer: a Keras 3 operation (by its `module`) from the op table; else the user
 * registration for its class — under the class name, its registered name (`Custom>TCN`) or the bare
 * class name — else the first port of the table's candidates (by bare class name) whose
 * `matches(config)` holds. Fails with `UNKNOWN_LAYER` listing what is supported (or which
 * candidates were tried) and how to register more.
 */
export function portFor(className: string, config: KerasLayerConfig, origin: LayerOrigin = {}): LayerPort {
  if (isKerasOpModule(origin.module)) return kerasOpPort(className, origin.module);
  const registered = typeof origin.registered_name === 'string' ? origin.registered_name : null;
  const names = [
    ...new Set([
      className,
      ...(registered ? [registered] : []),
      bareName(className),
      ...(registered ? [bareName(registered)] : []),
    ]),
  ];
  for (const n of names) {
    const user = userPorts.get(n);
    if (user && (!user.matches || user.matches(config))) return user;
  }
  const users = names.map((n) => userPorts.get(n)).filter((p): p is LayerPort => !!p);
  const tableName = names.find((n) => isKerasClassName(n)) ?? className;
  const candidates = candidatePorts(tableName);
  const port = candidates.find((p) => !p.matches || p.matches(config));
  if (port) return port;
  return unknownLayer(className, config, [...users, ...candidates], origin);
}

/** A JavaScript string literal for `s` (snippets in messages must be valid JavaScript). */
const js = (s: string) => JSON.stringify(s);

function unknownLayer(className: string, config: KerasLayerConfig, tried: LayerPort[], origin: LayerOrigin): never {
  const layer = config.name;
  const register =
    `register a TF.js implementation before loading: registerLayer(${js(className)}, defineLayer(${js(className)}, { weights, call })) — ` +
    `or with the CLI, a --plugin module exporting \`layers = { ${js(className)}: { weights, call } }\`.`;
  const module = typeof origin.module === 'string' ? origin.module : null;
  const keras = module === null || /^(keras|tensorflow|tf_keras)(\.|$)/.test(module);
  if (!tried.length && keras && KERAS_BUILTIN_LAYERS.has(bareName(className))) {
    return fail(
      'UNKNOWN_LAYER',
      `Layer '${layer}' is a '${className}', a built-in Keras layer that Keraspect does not implement yet. ` +
        `Please open an issue at the Keraspect repository with the model (or its config) so that it can be added; the classes Keraspect loads are listed in docs/layers.md. ` +
        `Until then you can ${register}`,
    );
  }
  if (!tried.length) {
    return fail(
      'UNKNOWN_LAYER',
      `Unknown layer class '${className}' (layer '${layer}'${module ? `, from module '${module}'` : ''}). Keraspect supports: ${supportedLayers().join(', ')}. ` +
        `If it is a custom class from your Python code, ${register}`,
    );
  }
  return fail(
    'UNKNOWN_LAYER',
    `Layer '${layer}' (class '${className}') has a config (keys: ${Object.keys(config).join(', ')}) that fits none of the implementations of that class ` +
      `Keraspect tried: ${tried.map((p) => p.describe ?? 'a registered port').join('; ')}. ` +
      `It is probably a user-defined class with the same name: ${register}`,
  );
}
