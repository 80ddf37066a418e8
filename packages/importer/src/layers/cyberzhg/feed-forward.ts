import * as tf from '@tensorflow/tfjs';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { read } from '../config.ts';
import type { BuildContext, LayerPort } from '../port.ts';
import { activationFunction, type BaseLayerArgs, baseArgs, dotLast, featureDim, singleShape } from './common.ts';

/** Constructor arguments of {@link FeedForward}. */
export interface FeedForwardArgs extends BaseLayerArgs {
  /** Hidden size. */
  units: number;
  /** TF.js activation identifier of the hidden layer. Default `'relu'`. */
  activation?: string;
  /** Add `b1`, `b2`. Default true. */
  useBias?: boolean;
  /** Kept for the config only: dropout is a training-time operation and is never applied here. */
  dropoutRate?: number;
}

/**
 * keras-position-wise-feed-forward's `FeedForward` (https://arxiv.org/abs/1706.03762):
 * `act(x·W1 + b1)·W2 + b2` on the last axis, dropout off. Weights in Keras order: `W1 (F, units)`,
 * `b1 (units)`, `W2 (units, F)`, `b2 (F)` (biases only with `use_bias`).
 */
export class FeedForward extends tf.layers.Layer {
  static className = 'FeedForward';

  readonly units: number;
  readonly activation: string;
  readonly useBias: boolean;
  readonly dropoutRate: number;
  private readonly act: (x: tf.Tensor) => tf.Tensor;
  private vars: Record<string, tf.LayerVariable> = {};

  constructor(args: FeedForwardArgs) {
    super(args);
    this.supportsMasking = true;
    this.units = args.units;
    this.activation = args.activation ?? 'relu';
    this.useBias = args.useBias ?? true;
    this.dropoutRate = args.dropoutRate ?? 0;
    this.act = activationFunction(this.activation, this.name);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const f = featureDim(singleShape(inputShape), this.name);
    const kernel = () => tf.initializers.glorotNormal({});
    const add = (key: string, shape: number[], init: ReturnType<typeof tf.initializers.zeros>) => {
      this.vars[key] = this.addWeight(`${this.name}_${key}`, shape, 'float32', init);
    };
    add('W1', [f, this.units], kernel());
    if (this.useBias) add('b1', [this.units], tf.initializers.zeros());
    add('W2', [this.units, f], kernel());
    if (this.useBias) add('b2', [f], tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      let h = dotLast(x, this.vars.W1.read());
      if (this.useBias) h = tf.add(h, this.vars.b1.read());
      h = this.act(h);
      let y = dotLast(h, this.vars.W2.read());
      if (this.useBias) y = tf.add(y, this.vars.b2.read());
      return y;
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      dropoutRate: this.dropoutRate,
    };
  }
}
tf.serialization.registerClass(FeedForward);

/**
 * Port of keras-position-wise-feed-forward `FeedForward`. `activation: 'gelu'` is keras-transformer's
 * tanh approximation unless `ctx.semantics.geluVariant` is `'erf'` (see `GeluVariant`).
 */
export const feedForwardPort: LayerPort = {
  // Transformer tutorials define a `FeedForward` of their own (d_model, dff, …): only configs with
  // keras-position-wise-feed-forward's required 'units' are this one; others are user classes.
  matches: (config) => 'units' in config,
  describe: "keras-position-wise-feed-forward's FeedForward (its config has 'units')",
  build(config: KerasLayerConfig, ctx: BuildContext): tf.layers.Layer {
    const r = read(config, 'FeedForward');
    const activation = r.raw('activation');
    const gelu = ctx.semantics.geluVariant === 'erf' ? 'kerasGelu' : 'kerasGeluApprox';
    return new FeedForward({
      ...baseArgs(config),
      units: r.int('units'),
      activation: activation === null ? 'linear' : activation === 'gelu' ? gelu : ctx.activation(activation ?? 'relu'),
      useBias: r.bool('use_bias', true),
      dropoutRate: r.num('dropout_rate', 0),
    });
  },
};
