import type { NdArray } from '@keraspect/array';
import type * as tf from '@tensorflow/tfjs';
import type { KerasLayerConfig, KerasLayerJson } from '../keras-format/types.ts';

/** A Keras version as read from the file (`keras_version` attribute or `.keras` metadata). */
export interface KerasVersion {
  /** As written, e.g. `"2.2.4-tf"`; `null` when the file does not say (then `major` is a guess). */
  raw: string | null;
  major: number;
  minor: number;
  patch: number;
}

/**
 * keras-self-attention variants whose math differs (see docs/keras-self-attention.md):
 * - `'legacy'`: before 0.46 (and EQTransformer's copy): `exp(e − max)·mask` normalized with `+1e-7`;
 *   for `ScaledDotProductAttention` (and keras-multi-head's `MultiHeadAttention`) the 0.37–0.43 form.
 * - `'0.46'`: masked-logit softmax, but `attention_width` ignored (the 0.46.0 window bug).
 * - `'current'`: 0.47 and later, masked-logit softmax with a working window (the default).
 */
export type SelfAttentionVariant = 'legacy' | '0.46' | 'current';

/**
 * Which GELU a keras-position-wise-feed-forward `FeedForward` means by `activation: 'gelu'`:
 * `'tanh'`, keras-transformer's `gelu` (its default feed-forward activation, the tanh
 * approximation), or `'erf'`, Keras' own `gelu` (tf.keras 2.4+). A file names both `'gelu'`.
 */
export type GeluVariant = 'tanh' | 'erf';

/** Options that change how Keras configs are interpreted. */
export interface ImportSemantics {
  /** Which keras-self-attention formula the keras-self-attention layers (and keras-multi-head's `MultiHeadAttention`) use. Default `'current'`. */
  selfAttentionVariant: SelfAttentionVariant;
  /** What `FeedForward`'s `'gelu'` is; unset: `'tanh'`, with a `GELU_VARIANT` warning where Keras had its own. */
  geluVariant?: GeluVariant;
}

/** What a layer port gets besides the config. */
export interface BuildContext {
  /** The Keras version that wrote the file; decides e.g. which `hard_sigmoid` is meant. */
  kerasVersion: KerasVersion;
  semantics: ImportSemantics;
  /** Build an inner layer from its Keras JSON (for wrappers: Bidirectional, TimeDistributed). */
  buildLayer(json: KerasLayerJson): tf.layers.Layer;
  /**
   * Map a Keras activation (a name like `'hard_sigmoid'` or a serialized `{class_name, config}`) to
   * a TF.js activation identifier with the semantics of this file's Keras version.
   */
  activation(keras: unknown, where?: string): string;
  /** User-supplied Lambda functions by layer name (see `ImportOptions.lambdas`). */
  lambdas: Record<string, LambdaFn>;
  /**
   * The weights the file stores for a layer (names and shapes as written), before any are loaded:
   * for ports whose layout depends on what was saved (keras-tcn's releases). Absent when the model
   * is built from a config alone.
   */
  storedWeights?(layer: string): readonly WeightArray[] | undefined;
}

/**
 * A function standing in for a Keras `Lambda` layer's Python code. `inputs` is a tensor or an
 * array of tensors, `args` the Lambda's `arguments` config, `tfjs` the TF.js namespace.
 */
export type LambdaFn = (
  inputs: tf.Tensor | tf.Tensor[],
  args: Record<string, unknown>,
  tfjs: typeof tf,
) => tf.Tensor | tf.Tensor[];

/** A weight as stored in the Keras file, in `weight_names` order: a float32 `NdArray` with its name. */
export interface WeightArray extends NdArray<Float32Array> {
  /** The name as written (`lstm_1/kernel:0`, `layers/lstm/cell/vars/0`, …). */
  name: string;
}

/**
 * How one Keras layer class becomes a TF.js layer. Every port is listed in the table in
 * `layers/registry.ts` under the Keras class name(s) it implements.
 *
 * Tfjs-backed and hand-written layer classes register themselves with `tf.serialization` next to
 * their class (as tfjs does), so importing the package has that side effect; hand-written classes
 * take a `Keras…` class name (`KerasAttention`, …) so they never collide with a user's TF.js class
 * of the Keras name.
 */
export interface LayerPort {
  /** Create the TF.js layer. `config` is the Keras config as written (snake_case). */
  build(config: KerasLayerConfig, ctx: BuildContext): tf.layers.Layer;
  /**
   * Turn the weights as Keras stores them (in `weight_names` order) into the order and layout of
   * the TF.js layer's `weights`. Omit when they already match (the loader still checks shapes).
   */
  convertWeights?(weights: WeightArray[], config: KerasLayerConfig, ctx: BuildContext): WeightArray[];
  /**
   * Set when `convertWeights` only upgrades older layouts (Keras 1's per-gate arrays, …) and passes
   * the current Keras layout unchanged: the TF.js layer's weights are then Keras' own, and export
   * writes them.
   */
  keepsKerasLayout?: boolean;
  /**
   * For a Keras class name several implementations share (Keras' built-in layer, a third-party
   * package's, a user's): whether `config` is the one this port implements. Omit to take every
   * config of the name.
   */
  matches?(config: KerasLayerConfig): boolean;
  /**
   * Which implementation this is and what `matches` looks for, for the error when no port of a
   * class name matches, e.g. `"Keras' built-in Attention (its config has a boolean 'use_scale')"`.
   */
  describe?: string;
}
