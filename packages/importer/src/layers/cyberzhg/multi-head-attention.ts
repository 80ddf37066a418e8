import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { read } from '../config.ts';
import { AttentionRecorder, type AttentionSource } from '../capabilities.ts';
import type { BuildContext, LayerPort, SelfAttentionVariant } from '../port.ts';
import {
  activationFunction,
  type BaseLayerArgs,
  baseArgs,
  dotLast,
  featureDim,
  isShapeList,
  maskArg,
  type Shape,
} from './common.ts';
import { scaledDotProduct } from './scaled-dot-product-attention.ts';

/** Constructor arguments of {@link CyberZhgMultiHeadAttention}. */
export interface CyberZhgMultiHeadAttentionArgs extends BaseLayerArgs {
  /** Number of heads; must divide the value feature size. */
  headNum: number;
  /** TF.js activation identifier applied after every projection, Q, K, V and output. Default `'relu'`. */
  activation?: string;
  /** Add `bq`, `bk`, `bv`, `bo`. Default true. */
  useBias?: boolean;
  /** Hide keys after the query step. Default false. */
  historyOnly?: boolean;
  /** Which keras-self-attention `ScaledDotProductAttention` runs the heads (see `scaledDotProduct`). Default `'current'`. */
  variant?: SelfAttentionVariant;
}

/**
 * keras-multi-head's `MultiHeadAttention` (https://github.com/CyberZHG/keras-multi-head):
 * `Q = act(q·Wq + bq)`, likewise K, V; per head `softmax(QₕKₕᵀ/√dₕ)·Vₕ`; heads concatenated,
 * `act(y·Wo + bo)`. Weights in Keras order: `Wq, bq, Wk, bk, Wv, bv, Wo, bo` (biases only with
 * `use_bias`). Registered with TF.js as `CyberZhgMultiHeadAttention` because Keras' built-in layer
 * shares the Keras class name.
 */
export class CyberZhgMultiHeadAttention extends tf.layers.Layer implements AttentionSource {
  static className = 'CyberZhgMultiHeadAttention';
  /** The class name Keras files use for this layer. */
  static readonly kerasClassName = 'MultiHeadAttention';
  readonly attentionAxes = ['batch', 'head', 'query', 'key'] as const;
  private readonly recorder = new AttentionRecorder();

  readonly headNum: number;
  readonly activation: string;
  readonly useBias: boolean;
  readonly historyOnly: boolean;
  readonly variant: SelfAttentionVariant;
  private readonly act: (x: tf.Tensor) => tf.Tensor;
  private vars: Record<string, tf.LayerVariable> = {};

  constructor(args: CyberZhgMultiHeadAttentionArgs) {
    super(args);
    this.supportsMasking = true;
    this.headNum = args.headNum;
    this.activation = args.activation ?? 'relu';
    this.useBias = args.useBias ?? true;
    this.historyOnly = args.historyOnly ?? false;
    this.variant = args.variant ?? 'current';
    this.act = activationFunction(this.activation, this.name);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [q, k, v] = (isShapeList(inputShape) ? inputShape : [inputShape, inputShape, inputShape]) as Shape[];
    const f = featureDim(v, this.name, 'value');
    if (f % this.headNum !== 0) {
      fail(
        'UNSUPPORTED_CONFIG',
        `Layer '${this.name}' (MultiHeadAttention): head_num ${this.headNum} does not divide the value feature size ${f}.`,
      );
    }
    const kernel = () => tf.initializers.glorotNormal({});
    const add = (key: string, shape: number[], init: ReturnType<typeof tf.initializers.zeros>) => {
      this.vars[key] = this.addWeight(`${this.name}_${key}`, shape, 'float32', init);
    };
    for (const [key, shape] of [
      ['q', q],
      ['k', k],
      ['v', v],
    ] as const) {
      add(`W${key}`, [featureDim(shape, this.name), f], kernel());
      if (this.useBias) add(`b${key}`, [f], tf.initializers.zeros());
    }
    add('Wo', [f, f], kernel());
    if (this.useBias) add('bo', [f], tf.initializers.zeros());
    this.built = true;
  }

  private project(x: tf.Tensor, key: 'q' | 'k' | 'v' | 'o'): tf.Tensor {
    let y = dotLast(x, this.vars[`W${key}`].read());
    if (this.useBias) y = tf.add(y, this.vars[`b${key}`].read());
    return this.act(y);
  }

  /** (B, T, F) → (B, H, T, F/H). */
  private splitHeads(x: tf.Tensor): tf.Tensor {
    const [b, t, f] = x.shape;
    return tf.transpose(tf.reshape(x, [b, t, this.headNum, f / this.headNum]), [0, 2, 1, 3]);
  }

  private run(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown> | undefined) {
    const [qIn, kIn, vIn] = Array.isArray(inputs)
      ? inputs.length === 1
        ? [inputs[0], inputs[0], inputs[0]]
        : inputs
      : [inputs, inputs, inputs];
    const mask = maskArg(kwargs);
    const keyMask = Array.isArray(mask) ? ((mask.length > 1 ? mask[1] : mask[0]) ?? null) : mask;
    const q = this.splitHeads(this.project(qIn, 'q'));
    const k = this.splitHeads(this.project(kIn, 'k'));
    const v = this.splitHeads(this.project(vIn, 'v'));
    const { output, attention } = scaledDotProduct(q, k, v, keyMask, this.historyOnly, null, this.variant);
    const [b, h, t, d] = output.shape;
    const merged = tf.reshape(tf.transpose(output, [0, 2, 1, 3]), [b, t, h * d]);
    return { output: this.project(merged, 'o'), attention };
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const { output, attention } = this.run(inputs, kwargs);
      this.recorder.record(attention);
      return output;
    });
  }

  /** Attention weights (B, heads, Tq, Tk). */
  computeAttention(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => this.run(inputs, kwargs).attention);
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
    if (!isShapeList(inputShape)) return inputShape;
    const [q, , v] = (inputShape.length === 1 ? [inputShape[0], inputShape[0], inputShape[0]] : inputShape) as Shape[];
    return [...q.slice(0, -1), v[v.length - 1]];
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return (Array.isArray(mask) ? (mask[0] ?? null) : (mask ?? null)) as tf.Tensor;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      headNum: this.headNum,
      activation: this.activation,
      useBias: this.useBias,
      historyOnly: this.historyOnly,
      variant: this.variant,
    };
  }
}
tf.serialization.registerClass(CyberZhgMultiHeadAttention);

/** Port of keras-multi-head `MultiHeadAttention`. */
export const cyberZhgMultiHeadAttentionPort: LayerPort = {
  matches: (config) => 'head_num' in config && !('num_heads' in config),
  describe: "keras-multi-head's MultiHeadAttention (its config has 'head_num')",
  build(config: KerasLayerConfig, ctx: BuildContext): tf.layers.Layer {
    const r = read(config, 'MultiHeadAttention');
    // keras-multi-head 0.6 called the activation `kernel_activation`.
    const activation =
      r.has('activation') || !r.has('kernel_activation') ? r.raw('activation') : r.raw('kernel_activation');
    return new CyberZhgMultiHeadAttention({
      ...baseArgs(config),
      headNum: r.int('head_num'),
      activation: activation === null ? 'linear' : ctx.activation(activation ?? 'relu'),
      // The biases came with the `use_bias` key (0.13); older configs have neither.
      useBias: r.bool('use_bias', false),
      historyOnly: r.bool('history_only', false),
      variant: ctx.semantics.selfAttentionVariant,
    });
  },
};
