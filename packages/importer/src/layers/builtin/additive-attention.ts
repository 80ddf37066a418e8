import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { register, type Shape } from './common.ts';
import { type DenseAttentionArgs, DenseAttentionBase, hasBuiltinAttentionKeys } from './dense-attention.ts';

/** Options of {@link KerasAdditiveAttention}. */
export interface KerasAdditiveAttentionArgs extends DenseAttentionArgs {
  /** Learn a per-dimension `scale` (D,). Default `true` (as Keras). */
  useScale?: boolean;
}

/**
 * Keras' built-in `AdditiveAttention` (Bahdanau-style, Bahdanau et al. 2014,
 * https://arxiv.org/abs/1409.0473): `scores[t, s] = Σ_d scale_d · tanh(q[t, d] + k[s, d])` (scale 1
 * without `use_scale`). Weight: `scale` (D,) with D the query's last dimension.
 */
export class KerasAdditiveAttention extends DenseAttentionBase {
  static className = 'KerasAdditiveAttention';
  readonly useScale: boolean;
  private scale: tf.LayerVariable | null = null;

  constructor(args: KerasAdditiveAttentionArgs) {
    super(args);
    this.useScale = args.useScale ?? true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const q = (inputShape as Shape[])[0];
    const dim = q?.[q.length - 1];
    if (typeof dim !== 'number')
      fail(
        'INPUT_SHAPE',
        `AdditiveAttention '${this.name}' needs a known query feature size; got ${JSON.stringify(inputShape)}.`,
      );
    if (this.useScale) this.scale = this.addWeight('scale', [dim], 'float32', tf.initializers.glorotUniform({}));
    this.built = true;
  }

  protected scores(query: tf.Tensor, key: tf.Tensor): tf.Tensor {
    let t = tf.tanh(tf.add(tf.expandDims(query, -2), tf.expandDims(key, -3)));
    if (this.scale) t = tf.mul(t, this.scale.read());
    return tf.sum(t, -1);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), useScale: this.useScale };
  }
}
register(KerasAdditiveAttention);

/** Keras `AdditiveAttention` → {@link KerasAdditiveAttention}. */
export const additiveAttentionPort: LayerPort = {
  matches: hasBuiltinAttentionKeys,
  describe: "Keras' built-in AdditiveAttention (its config has a boolean 'use_scale')",
  build(config) {
    const r = read(config, 'AdditiveAttention');
    return new KerasAdditiveAttention({
      name: config.name,
      trainable: r.bool('trainable', true),
      useScale: r.bool('use_scale', true),
      causal: r.bool('causal', false),
    });
  },
};
