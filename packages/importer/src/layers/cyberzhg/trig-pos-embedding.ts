import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { type BaseLayerArgs, baseArgs, featureDim, single, singleMask, singleShape } from './common.ts';

/** keras-pos-embd's modes: `expand` embeds the input values, `add`/`concat` the step indices. */
export type PosEmbdMode = 'expand' | 'add' | 'concat';

/** Constructor arguments of {@link TrigPosEmbedding}. */
export interface TrigPosEmbeddingArgs extends BaseLayerArgs {
  /** Default `'add'`. */
  mode?: PosEmbdMode;
  /** Width of the table; required (and even) in `expand` and `concat` mode, ignored in `add` mode (F is used). */
  outputDim?: number | null;
}

/**
 * keras-pos-embd's `TrigPosEmbedding` (https://arxiv.org/abs/1706.03762): the table
 * `P[p, 2i] = sin(p / 10000^(2i/d))`, `P[p, 2i+1] = cos(p / 10000^(2i/d))`. `add`: `x + P[0…T−1]`
 * with `d = F`; `concat`: `[x, P[0…T−1]]` with `d = output_dim`; `expand`: `P[x]` for the input
 * values themselves (B, T) → (B, T, d). No weights; the input mask passes through.
 */
export class TrigPosEmbedding extends tf.layers.Layer {
  static className = 'TrigPosEmbedding';

  readonly mode: PosEmbdMode;
  readonly outputDim: number | null;

  constructor(args: TrigPosEmbeddingArgs = {}) {
    super(args);
    this.supportsMasking = true;
    this.mode = args.mode ?? 'add';
    this.outputDim = args.outputDim ?? null;
    if (this.mode !== 'add') {
      const d = this.outputDim;
      if (d === null || d % 2 !== 0 || d <= 0) {
        fail(
          'UNSUPPORTED_CONFIG',
          `Layer '${this.name}' (TrigPosEmbedding): mode '${this.mode}' needs a positive even output_dim, found ${JSON.stringify(d)} (keras-pos-embd refuses it too).`,
        );
      }
    }
  }

  /** The table width: F in `add` mode, else `output_dim`. */
  private width(inputShape: (number | null)[]): number {
    if (this.mode !== 'add') return this.outputDim as number;
    const f = featureDim(inputShape, this.name);
    if (f % 2 !== 0) {
      fail(
        'UNSUPPORTED_CONFIG',
        `Layer '${this.name}' (TrigPosEmbedding): mode 'add' needs an even feature size, found ${f}; keras-pos-embd's table has 2·⌊F/2⌋ columns and cannot be added to it.`,
      );
    }
    return f;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    this.width(singleShape(inputShape));
    this.built = true;
  }

  /** `P[pos]` for float positions of any shape: shape `[...pos.shape, d]`. */
  private table(pos: tf.Tensor, d: number): tf.Tensor {
    const half = d / 2;
    // In float32 as keras-pos-embd computes it: 1 / 10000^((2i)/d), then one product per entry.
    const evens = tf.mul(tf.range(0, half, 1, 'float32'), 2);
    const freq = tf.div(1, tf.pow(tf.scalar(10000, 'float32'), tf.div(evens, d)));
    const angle = tf.mul(tf.expandDims(pos, -1), freq);
    const stacked = tf.stack([tf.sin(angle), tf.cos(angle)], -1);
    return tf.reshape(stacked, [...pos.shape, d]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const d = this.width(x.shape);
      if (this.mode === 'expand') return this.table(tf.cast(x, 'float32'), d);
      const [b, t] = x.shape;
      const p = tf.broadcastTo(this.table(tf.range(0, t, 1, 'float32'), d), [b, t, d]);
      return this.mode === 'add' ? tf.add(x, p) : tf.concat([x, p], -1);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = singleShape(inputShape);
    if (this.mode === 'expand') return [...shape, this.outputDim];
    if (this.mode === 'concat') {
      const f = shape[shape.length - 1];
      return [...shape.slice(0, -1), f === null ? null : f + (this.outputDim as number)];
    }
    return shape;
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return singleMask(mask) as tf.Tensor;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, outputDim: this.outputDim };
  }
}
tf.serialization.registerClass(TrigPosEmbedding);

/** Port of keras-pos-embd `TrigPosEmbedding` (also used by keras-transformer's encoders and decoders). */
export const trigPosEmbeddingPort: LayerPort = {
  build(config: KerasLayerConfig): tf.layers.Layer {
    const r = read(config, 'TrigPosEmbedding');
    return new TrigPosEmbedding({
      ...baseArgs(config),
      mode: r.str('mode', 'add', ['expand', 'add', 'concat'] as const),
      outputDim: r.optInt('output_dim'),
    });
  },
};
