import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import { ScoredAttentionLayer } from './attention-layer.ts';
import { boolKwarg, maskToFloat, type Shape } from './common.ts';

/** Options shared by {@link KerasAttention} and {@link KerasAdditiveAttention}. */
export interface DenseAttentionArgs {
  name?: string;
  trainable?: boolean;
  /** tf.keras 2's deprecated `causal` constructor argument: always apply the causal mask. Default `false`. */
  causal?: boolean;
  /**
   * Call default for `use_causal_mask` (Keras 2.10+/3 call kwarg). Set from the kwargs of the call the
   * layer is applied with, so that TF.js executions that drop call kwargs still honour it.
   */
  useCausalMask?: boolean;
  /** Call default for `return_attention_scores`: return `[output, scores (B, Tq, Tv)]`. */
  returnAttentionScores?: boolean;
}

/** Keras' masked-score constant for float32 (`scores − 1e9` where masked). */
const MASKED = 1e9;

/**
 * The shared math of Keras' dense (Luong/Bahdanau) attention (`BaseDenseAttention` in tf.keras 2,
 * `Attention._apply_scores` in Keras 3): inputs `[query (B,Tq,D), value (B,Tv,Dv)]` or
 * `[query, value, key (B,Tv,D)]`; `scores (B,Tq,Tv)` from the subclass; the value mask (B,Tv) and the
 * causal mask (key s allowed iff s ≤ t) lower masked scores by 1e9; `A = softmax(scores)`; output
 * `A·value`, zeroed at masked query steps; the output mask is the query mask. `dropout` is a
 * training-time option and ignored.
 */
export abstract class DenseAttentionBase extends ScoredAttentionLayer {
  readonly attentionAxes = ['batch', 'query', 'key'] as const;
  readonly causal: boolean;
  useCausalMask: boolean;
  returnAttentionScores: boolean;

  constructor(args: DenseAttentionArgs) {
    super(args as never);
    this.causal = args.causal ?? false;
    this.useCausalMask = args.useCausalMask ?? false;
    this.returnAttentionScores = args.returnAttentionScores ?? false;
    this.supportsMasking = true;
  }

  /** Scores (B, Tq, Tv) of query (B, Tq, D) against key (B, Tv, D). */
  protected abstract scores(query: tf.Tensor, key: tf.Tensor): tf.Tensor;

  /** Remember `return_attention_scores`/`use_causal_mask` of a symbolic call: they decide the outputs. */
  override apply(
    inputs: tf.Tensor | tf.SymbolicTensor | (tf.Tensor | tf.SymbolicTensor)[],
    kwargs?: Record<string, unknown>,
  ): tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[] {
    const symbolic = (Array.isArray(inputs) ? inputs : [inputs]).some((t) => t instanceof tf.SymbolicTensor);
    const saved = [this.returnAttentionScores, this.useCausalMask] as const;
    this.returnAttentionScores = boolKwarg(kwargs, 'return_attention_scores', this.returnAttentionScores);
    this.useCausalMask = boolKwarg(kwargs, 'use_causal_mask', this.useCausalMask);
    try {
      return super.apply(inputs as never, kwargs);
    } finally {
      // An eager call's kwargs apply to that call only; a symbolic call's become the layer's defaults.
      if (!symbolic) [this.returnAttentionScores, this.useCausalMask] = saved;
    }
  }

  protected split(inputs: tf.Tensor | tf.Tensor[] | Shape[] | tf.Shape | tf.Shape[]): [unknown, unknown, unknown] {
    if (
      !Array.isArray(inputs) ||
      inputs.length < 2 ||
      inputs.length > 3 ||
      !(Array.isArray(inputs[0]) || inputs[0] instanceof tf.Tensor)
    ) {
      fail(
        'INPUT_SHAPE',
        `${this.getClassName()} '${this.name}' must be called on [query, value] or [query, value, key].`,
      );
    }
    return [inputs[0], inputs[1], inputs[2] ?? inputs[1]];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const [q, v, k] = this.split(inputShape) as Shape[];
    const out = [...q.slice(0, -1), v[v.length - 1]];
    return this.returnAttentionScores ? [out, [...q.slice(0, -1), k[1]]] : out;
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const q = Array.isArray(mask) ? (mask[0] ?? null) : (mask ?? null);
    return (this.returnAttentionScores ? [q, null] : q) as tf.Tensor;
  }

  /** Query and value masks from `kwargs.mask` (a list, or only the first input's mask from TF.js' executor). */
  private masks(inputs: tf.Tensor[], kwargs?: Record<string, unknown>): [tf.Tensor | null, tf.Tensor | null] {
    const mask = kwargs?.mask as tf.Tensor | (tf.Tensor | null)[] | null | undefined;
    if (Array.isArray(mask)) return [mask[0] ?? null, mask[1] ?? null];
    if (!mask) return [null, null];
    return [mask, inputs[1] === inputs[0] ? mask : null];
  }

  /** `[output, weights (B, Tq, Tv)]`. */
  protected attend(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): [tf.Tensor, tf.Tensor] {
    const [q, v, k] = this.split(inputs) as tf.Tensor[];
    const [qMask, vMask] = this.masks(inputs as tf.Tensor[], kwargs);
    let scores = this.scores(q, k);
    const [tq, tv] = scores.shape.slice(-2) as [number, number];
    let allowed: tf.Tensor | null = vMask ? tf.expandDims(maskToFloat(vMask), -2) : null;
    if (this.causal || boolKwarg(kwargs, 'use_causal_mask', this.useCausalMask)) {
      const causal = tf.cast(
        tf.greaterEqual(tf.range(0, tq, 1, 'int32').reshape([tq, 1]), tf.range(0, tv, 1, 'int32').reshape([1, tv])),
        'float32',
      );
      allowed = allowed ? tf.mul(allowed, causal) : causal;
    }
    if (allowed) scores = tf.sub(scores, tf.mul(tf.sub(1, allowed), MASKED));
    const weights = tf.softmax(scores);
    let out = tf.matMul(weights, v);
    if (qMask) out = tf.mul(out, tf.expandDims(maskToFloat(qMask), -1));
    return [out, weights];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      causal: this.causal,
      useCausalMask: this.useCausalMask,
      returnAttentionScores: this.returnAttentionScores,
    };
  }
}

/**
 * Whether a config is that of a built-in dense attention layer: Keras has written a boolean
 * `use_scale` for `Attention` and `AdditiveAttention` in every version (tf.keras 2.1 through Keras 3).
 * A user class that shadows the name usually has none of the built-in's keys (the dnforimaco fixture's
 * `Attention` has only `name`, `trainable`, `dtype`). A `score_mode` other than dot/concat is left to
 * the port to reject.
 */
export function hasBuiltinAttentionKeys(config: Record<string, unknown>): boolean {
  return typeof config.use_scale === 'boolean';
}
