import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { register } from './common.ts';
import { type DenseAttentionArgs, DenseAttentionBase, hasBuiltinAttentionKeys } from './dense-attention.ts';

/** Options of {@link KerasAttention}. */
export interface KerasAttentionArgs extends DenseAttentionArgs {
  /** Learn a scalar `scale` multiplying the scores. Default `false`. */
  useScale?: boolean;
  /** `'dot'`: `q·kᵀ`; `'concat'`: `w·Σ tanh(q + k)` with scalar `concat_score_weight` w. Default `'dot'`. */
  scoreMode?: 'dot' | 'concat';
}

/**
 * Keras' built-in `Attention` (Luong-style dot-product attention, Luong et al. 2015,
 * https://arxiv.org/abs/1508.04025). Scores: `'dot'` `scale·(q·kᵀ)`; `'concat'`
 * `concat_score_weight · Σ_d tanh(scale·(q_d + k_d))` (scale 1 without `use_scale`). Weights in Keras
 * order: `scale` () then `concat_score_weight` (). Registered as `KerasAttention` to stay apart from
 * user classes named `Attention`.
 */
export class KerasAttention extends DenseAttentionBase {
  static className = 'KerasAttention';
  readonly useScale: boolean;
  readonly scoreMode: 'dot' | 'concat';
  private scale: tf.LayerVariable | null = null;
  private concatScoreWeight: tf.LayerVariable | null = null;

  constructor(args: KerasAttentionArgs) {
    super(args);
    this.useScale = args.useScale ?? false;
    this.scoreMode = args.scoreMode ?? 'dot';
    if (this.scoreMode !== 'dot' && this.scoreMode !== 'concat') {
      fail(
        'UNSUPPORTED_CONFIG',
        `Attention '${this.name}': score_mode '${this.scoreMode}' is not supported; use 'dot' or 'concat'.`,
      );
    }
  }

  override build(_inputShape: tf.Shape | tf.Shape[]): void {
    if (this.useScale) this.scale = this.addWeight('scale', [], 'float32', tf.initializers.ones());
    if (this.scoreMode === 'concat')
      this.concatScoreWeight = this.addWeight('concat_score_weight', [], 'float32', tf.initializers.ones());
    this.built = true;
  }

  protected scores(query: tf.Tensor, key: tf.Tensor): tf.Tensor {
    if (this.scoreMode === 'dot') {
      const s = tf.matMul(query, key, false, true);
      return this.scale ? tf.mul(s, this.scale.read()) : s;
    }
    let sum: tf.Tensor = tf.add(tf.expandDims(query, -2), tf.expandDims(key, -3));
    if (this.scale) sum = tf.mul(sum, this.scale.read());
    return tf.mul(this.concatScoreWeight!.read(), tf.sum(tf.tanh(sum), -1));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), useScale: this.useScale, scoreMode: this.scoreMode };
  }
}
register(KerasAttention);

/** Keras `Attention` → {@link KerasAttention}. */
export const attentionPort: LayerPort = {
  // A user class named `Attention` (e.g. the dnforimaco fixture's) has none of the built-in's keys.
  matches: hasBuiltinAttentionKeys,
  describe: "Keras' built-in Attention (its config has a boolean 'use_scale')",
  build(config) {
    const r = read(config, 'Attention');
    return new KerasAttention({
      name: config.name,
      trainable: r.bool('trainable', true),
      useScale: r.bool('use_scale', false),
      scoreMode: r.str<'dot' | 'concat'>('score_mode', 'dot', ['dot', 'concat']),
      causal: r.bool('causal', false),
    });
  },
};
