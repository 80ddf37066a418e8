import * as tf from '@tensorflow/tfjs';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { type BaseLayerArgs, baseArgs, featureDim, KERAS_EPSILON, singleShape } from './common.ts';

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
  /**
   * keras-layer-normalization 0.2.0's form `(x − mean)/(std + epsilon)` (ε outside the root) instead
   * of `(x − mean)/√(var + epsilon)`. Default false.
   */
  epsilonOnStd?: boolean;
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
  readonly epsilonOnStd: boolean;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;

  constructor(args: CyberZhgLayerNormalizationArgs = {}) {
    super(args);
    this.supportsMasking = true;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.epsilon = args.epsilon ?? CYBERZHG_LN_EPSILON;
    this.epsilonOnStd = args.epsilonOnStd ?? false;
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
      const denominator = this.epsilonOnStd
        ? tf.add(tf.sqrt(variance), this.epsilon)
        : tf.sqrt(tf.add(variance, this.epsilon));
      let y = tf.div(centered, denominator);
      if (this.gamma) y = tf.mul(y, this.gamma.read());
      if (this.beta) y = tf.add(y, this.beta.read());
      return y;
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      center: this.center,
      scale: this.scale,
      epsilon: this.epsilon,
      epsilonOnStd: this.epsilonOnStd,
    };
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
    // 0.2.0 wrote none of center/scale/epsilon and divided by std + K.epsilon(). Configs with
    // center/scale but no epsilon (0.3.0–0.5.0) are read as 0.5.0, the last of them.
    const v020 = !('center' in config) && !('scale' in config) && !('epsilon' in config);
    return new CyberZhgLayerNormalization({
      ...baseArgs(config),
      center: r.bool('center', true),
      scale: r.bool('scale', true),
      epsilon: r.has('epsilon') ? r.num('epsilon') : v020 ? KERAS_EPSILON : CYBERZHG_LN_EPSILON,
      epsilonOnStd: v020,
    });
  },
};
