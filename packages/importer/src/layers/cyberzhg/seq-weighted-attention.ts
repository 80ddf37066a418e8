import * as tf from '@tensorflow/tfjs';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { read } from '../config.ts';
import { AttentionRecorder, type AttentionSource } from '../capabilities.ts';
import type { BuildContext, LayerPort, SelfAttentionVariant } from '../port.ts';
import {
  type BaseLayerArgs,
  baseArgs,
  dotLast,
  featureDim,
  floatMask,
  inputAndMask,
  KERAS_EPSILON,
  MASK_PENALTY,
  normalizeLast,
  shiftedExp,
  singleShape,
} from './common.ts';

/** Constructor arguments of {@link SeqWeightedAttention}. */
export interface SeqWeightedAttentionArgs extends BaseLayerArgs {
  /** Use the scalar bias `b`. Default true. */
  useBias?: boolean;
  /** Return `[v, a]` with `a` (B, T). Default false. */
  returnAttention?: boolean;
  /**
   * keras-self-attention variant: `'legacy'` (before 0.46) multiplies `exp(l − max)` by the mask;
   * `'0.46'` and `'current'` subtract 10⁴ from masked logits. Default `'current'`.
   */
  variant?: SelfAttentionVariant;
}

/**
 * keras-self-attention's `SeqWeightedAttention` (https://arxiv.org/abs/1708.00524):
 * `a = softmax_t(x_t·W + b)` (masked steps excluded), output `Σ_t a_t·x_t` (B, F).
 * Weights in Keras order: `W (F,1)`, `b (1)`.
 */
export class SeqWeightedAttention extends tf.layers.Layer implements AttentionSource {
  static className = 'SeqWeightedAttention';
  readonly attentionAxes = ['batch', 'key'] as const;
  private readonly recorder = new AttentionRecorder();

  readonly useBias: boolean;
  readonly returnAttention: boolean;
  readonly variant: SelfAttentionVariant;
  private w: tf.LayerVariable | null = null;
  private b: tf.LayerVariable | null = null;

  constructor(args: SeqWeightedAttentionArgs = {}) {
    super(args);
    this.supportsMasking = true;
    this.useBias = args.useBias ?? true;
    this.returnAttention = args.returnAttention ?? false;
    this.variant = args.variant ?? 'current';
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const f = featureDim(singleShape(inputShape), this.name);
    this.w = this.addWeight(
      `${this.name}_W`,
      [f, 1],
      'float32',
      tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05 }),
    );
    if (this.useBias) this.b = this.addWeight(`${this.name}_b`, [1], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  /** The weights `a` (B, T). Both variants divide by `Σ + K.epsilon()`. */
  private attention(x: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
    let logits = dotLast(x, this.w!.read());
    if (this.b) logits = tf.add(logits, this.b.read());
    logits = tf.reshape(logits, [x.shape[0], x.shape[1] as number]);
    let p: tf.Tensor;
    if (this.variant === 'legacy') {
      p = shiftedExp(logits);
      if (mask) p = tf.mul(p, floatMask(mask));
    } else {
      if (mask) logits = tf.sub(logits, tf.mul(tf.sub(1, floatMask(mask)), MASK_PENALTY));
      p = shiftedExp(logits);
    }
    return normalizeLast(p, KERAS_EPSILON);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const [x, mask] = inputAndMask(inputs, kwargs);
      const a = this.attention(x, mask);
      this.recorder.record(a);
      const v = tf.sum(tf.mul(x, tf.expandDims(a, -1)), 1);
      return this.returnAttention ? [v, a] : v;
    });
  }

  computeAttention(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => this.attention(...inputAndMask(inputs, kwargs)));
  }

  /** See {@link AttentionSource.recordAttention}. */
  recordAttention(): void {
    this.recorder.start();
  }

  /** See {@link AttentionSource.takeAttention}. */
  takeAttention(): tf.Tensor | null {
    return this.recorder.take();
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = singleShape(inputShape);
    const out = [shape[0], shape[shape.length - 1]];
    return this.returnAttention ? [out, [shape[0], shape[1]]] : out;
  }

  override computeMask(): tf.Tensor | tf.Tensor[] {
    return (this.returnAttention ? [null, null] : null) as unknown as tf.Tensor;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      useBias: this.useBias,
      returnAttention: this.returnAttention,
      variant: this.variant,
    };
  }
}
tf.serialization.registerClass(SeqWeightedAttention);

/** Port of keras-self-attention `SeqWeightedAttention`. */
export const seqWeightedAttentionPort: LayerPort = {
  build(config: KerasLayerConfig, ctx: BuildContext): tf.layers.Layer {
    const r = read(config, 'SeqWeightedAttention');
    return new SeqWeightedAttention({
      ...baseArgs(config),
      useBias: r.bool('use_bias', true),
      returnAttention: r.bool('return_attention', false),
      variant: ctx.semantics.selfAttentionVariant,
    });
  },
};
