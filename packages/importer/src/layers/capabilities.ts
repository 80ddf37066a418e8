/**
 * What `explain` (and anyone else outside the importer) may ask of a TF.js layer the importer made,
 * beyond TF.js' own `Layer` API. Each capability is an interface that the importer's layer classes
 * implement, with a type guard; a layer that lacks one simply does not offer it (the guard says
 * false). Nothing outside a layer's own file reads its private fields or replaces its methods: a
 * change to a layer's internals then either type-checks everywhere or fails to compile here.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * A layer that computes attention weights, readable even when the model was saved without
 * `return_attention`: SeqSelfAttention, SeqWeightedAttention, ScaledDotProductAttention,
 * keras-multi-head's MultiHeadAttention, Keras' Attention, AdditiveAttention and MultiHeadAttention.
 */
export interface AttentionSource {
  /**
   * The attention weights the layer computes for these call inputs (same inputs as `call`), e.g.
   * (B, T, T) for SeqSelfAttention, (B, T) for SeqWeightedAttention, (B, H, Tq, Tk) for multi-head.
   */
  computeAttention(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor;
  /** What the axes of `computeAttention`'s result mean, e.g. `['batch', 'query', 'key']`. */
  readonly attentionAxes: readonly string[];
  /**
   * Start recording: from now on each call of the layer keeps the attention weights it computes
   * (from the very inputs and masks of that call, which exist only during a real forward pass),
   * a later call's replacing an earlier call's.
   */
  recordAttention(): void;
  /**
   * Stop recording and hand over the weights of the last call since `recordAttention` (the caller
   * disposes them), or `null` when the layer was not called.
   */
  takeAttention(): tf.Tensor | null;
}

/** Type guard for {@link AttentionSource}. */
export function isAttentionSource(layer: unknown): layer is AttentionSource & tf.layers.Layer {
  const l = layer as Partial<AttentionSource> | null | undefined;
  return (
    typeof l?.computeAttention === 'function' &&
    typeof l.recordAttention === 'function' &&
    typeof l.takeAttention === 'function'
  );
}

/**
 * One recurrent layer's weights and settings, as one whole-sequence computation needs them.
 * Gate order as Keras stores them: LSTM i, f, c, o; GRU z, r, h. The tensors belong to the layer
 * (do not dispose them).
 */
export interface RecurrentCell {
  readonly kind: 'lstm' | 'gru' | 'simple';
  readonly units: number;
  /** (F, G·U) with G = 4 (LSTM), 3 (GRU), 1 (SimpleRNN). */
  readonly kernel: tf.Tensor;
  /** (U, G·U). */
  readonly recurrentKernel: tf.Tensor;
  /** (G·U); for a reset-after GRU (2, 3U): row 0 the input bias, row 1 the recurrent bias; null without bias. */
  readonly bias: tf.Tensor | null;
  /** GRU: the reset gate applies after the recurrent matmul (`reset_after`). False for the others. */
  readonly resetAfter: boolean;
  /** TF.js identifier of the output/candidate activation, e.g. `'tanh'`. */
  readonly activation: string;
  /** TF.js identifier of the gates' activation (LSTM, GRU); `'linear'` for SimpleRNN. */
  readonly recurrentActivation: string;
  /** The output/candidate activation as a function (the very one the layer applies). */
  applyActivation(x: tf.Tensor): tf.Tensor;
  /** The gates' activation as a function (identity for SimpleRNN). */
  applyRecurrentActivation(x: tf.Tensor): tf.Tensor;
  readonly goBackwards: boolean;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
}

/** A recurrent layer (LSTM, GRU, SimpleRNN, CuDNNLSTM, CuDNNGRU) that shows its cell. */
export interface RecurrentSource {
  /** Its weights and settings; the layer must be built (it is, in a loaded model). */
  recurrentCell(): RecurrentCell;
}

/** Type guard for {@link RecurrentSource}. */
export function isRecurrentSource(layer: unknown): layer is RecurrentSource & tf.layers.Layer {
  return typeof (layer as Partial<RecurrentSource> | null | undefined)?.recurrentCell === 'function';
}

/**
 * A layer whose final activation can be left out: Dense, Conv1D, SeparableConv1D, TimeDistributed
 * of one of these, and the activation layers (Activation, Softmax, ReLU, LeakyReLU, ELU,
 * ThresholdedReLU, whose activation-free call is the identity). Used for pre-activation targets
 * (logits) and for LRP's z.
 */
export interface Activated {
  /**
   * What `call(inputs, kwargs)` returns, without the final activation (the pre-activation z); `null`
   * when this layer has none to leave out (a TimeDistributed of a layer without an activation).
   */
  callWithoutActivation(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor | null;
}

/** Type guard for {@link Activated}. */
export function isActivated(layer: unknown): layer is Activated & tf.layers.Layer {
  return typeof (layer as Partial<Activated> | null | undefined)?.callWithoutActivation === 'function';
}

/** A layer that wraps another: TimeDistributed (applies it per step) and Bidirectional (one copy per direction). */
export interface Wrapper {
  /** The wrapped layer (for Bidirectional: the forward copy). */
  readonly wrappedLayer: tf.layers.Layer;
}

/** How a Bidirectional merges its two directions; `null` returns both. */
export type BidirectionalMergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;

/** Keras' `Bidirectional`: a forward and a backward copy of a recurrent layer, merged. */
export interface BidirectionalWrapper extends Wrapper {
  readonly forwardLayer: tf.layers.Layer;
  /** Runs over the reversed sequence; with `return_sequences` its output is reversed back before merging. */
  readonly backwardLayer: tf.layers.Layer;
  readonly mergeMode: BidirectionalMergeMode;
}

/** Type guard for {@link Wrapper}. */
export function isWrapper(layer: unknown): layer is Wrapper & tf.layers.Layer {
  return (layer as Partial<Wrapper> | null | undefined)?.wrappedLayer instanceof tf.layers.Layer;
}

/** Type guard for {@link BidirectionalWrapper}. */
export function isBidirectionalWrapper(layer: unknown): layer is BidirectionalWrapper & tf.layers.Layer {
  const l = layer as Partial<BidirectionalWrapper> | null | undefined;
  return isWrapper(layer) && l?.forwardLayer instanceof tf.layers.Layer && l.backwardLayer instanceof tf.layers.Layer;
}

/**
 * The recording half of {@link AttentionSource}, for layer classes to hold (compose, not inherit):
 * the layer calls {@link AttentionRecorder.record} from its `call` with the weights of that call.
 */
export class AttentionRecorder {
  private recording = false;
  private last: tf.Tensor | null = null;

  /** See {@link AttentionSource.recordAttention}. */
  start(): void {
    this.recording = true;
    this.last?.dispose();
    this.last = null;
  }

  /** Keep `weights` (computed by the layer's call) when recording; a no-op otherwise. */
  record(weights: tf.Tensor): void {
    if (!this.recording) return;
    const kept = tf.keep(weights.clone());
    this.last?.dispose();
    this.last = kept;
  }

  /** See {@link AttentionSource.takeAttention}. */
  take(): tf.Tensor | null {
    this.recording = false;
    const w = this.last;
    this.last = null;
    return w;
  }
}
