import * as tf from '@tensorflow/tfjs';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { type BaseLayerArgs, baseArgs, featureDim, singleShape } from './common.ts';

/** keras-layer-normalization's default ε: `K.epsilon()²`. */
export const CYBERZHG_LN_EPSILON = 1e-14;

/** Constructor arguments of {@link CyberZhgLayerNormalization}. */
export interface CyberZhgLayerNormalizationArgs extends BaseLayerArgs {
  /** Add `beta`. Default true. */
  center?: boolean;
  /** Multiply by `gamma`. Default true. */
  scale?: boolean;
  /** Added to the variance. Default 1e-14. */
  epsilon?: number;
}

/**
 * keras-layer-normalization's `LayerNormalization` (https://arxiv.org/abs/1607.06450):
 * `(x − mean)/sqrt(var + ε)·γ + β` over the last axis (population variance). Weights in Keras order:
 * `gamma (F)` (with `scale`), `beta (F)` (with `center`). Registered with TF.js as
 * `CyberZhgLayerNormalization` because Keras' built-in layer shares the Keras class name.
 */
export class CyberZhgLayerNormalization extends tf.layers.Layer {
  static className = 'CyberZhgLayerNormalization';
  /** The class name Keras files use for this layer. */
  static readonly kerasClassName = 'LayerNormalization';

  readonly center: boolean;
  readonly scale: boolean;
  readonly epsilon: number;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;

  constructor(args: CyberZhgLayerNormalizationArgs = {}) {
    super(args);
    this.supportsMasking = true;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.epsilon = args.epsilon ?? CYBERZHG_LN_EPSILON;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const f = featureDim(singleShape(inputShape), this.name);
    if (this.scale) this.gamma = this.addWeight('gamma', [f], 'float32', tf.initializers.ones());
    if (this.center) this.beta = this.addWeight('beta', [f], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const mean = tf.mean(x, -1, true);
      const centered = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centered), -1, true);
      let y = tf.div(centered, tf.sqrt(tf.add(variance, this.epsilon)));
      if (this.gamma) y = tf.mul(y, this.gamma.read());
      if (this.beta) y = tf.add(y, this.beta.read());
      return y;
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), center: this.center, scale: this.scale, epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(CyberZhgLayerNormalization);

/** Port of keras-layer-normalization `LayerNormalization` (also copied into EQTransformer). */
export const cyberZhgLayerNormalizationPort: LayerPort = {
  // The built-in LayerNormalization always writes `axis`, the CyberZHG one never does.
  matches: (config) => !('axis' in config),
  describe: "keras-layer-normalization's LayerNormalization (its config has no 'axis')",
  build(config: KerasLayerConfig): tf.layers.Layer {
    const r = read(config, 'LayerNormalization');
    return new CyberZhgLayerNormalization({
      ...baseArgs(config),
      center: r.bool('center', true),
      scale: r.bool('scale', true),
      epsilon: r.has('epsilon') ? r.num('epsilon') : CYBERZHG_LN_EPSILON,
    });
  },
};
