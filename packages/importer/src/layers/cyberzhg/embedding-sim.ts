import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { type BaseLayerArgs, baseArgs, dotLast, isShapeList, type Shape, singleMask } from './common.ts';

/** Constructor arguments of {@link EmbeddingSim}. */
export interface EmbeddingSimArgs extends BaseLayerArgs {
  /** Add a bias per token (weight `bias`, (input_dim,)). Default true. */
  useBias?: boolean;
}

/**
 * keras-embed-sim's `EmbeddingSim`: inputs `[features (…, d), embeddings (n, d)]` (the table an
 * `EmbeddingRet` returns), output `softmax(features·Eᵀ + bias)` (…, n), a distribution over the
 * tokens. Keeps the features' mask. `stop_gradient` only matters for training and is ignored.
 */
export class EmbeddingSim extends tf.layers.Layer {
  static className = 'EmbeddingSim';
  readonly useBias: boolean;
  private bias: tf.LayerVariable | null = null;

  constructor(args: EmbeddingSimArgs = {}) {
    super(args);
    this.useBias = args.useBias ?? true;
    this.supportsMasking = true;
  }

  private shapes(inputShape: tf.Shape | tf.Shape[]): [Shape, Shape] {
    if (!isShapeList(inputShape) || inputShape.length !== 2)
      fail(
        'INPUT_SHAPE',
        `EmbeddingSim '${this.name}' takes [features, embeddings] (the table an EmbeddingRet returns); got ${JSON.stringify(inputShape)}.`,
      );
    return inputShape as [Shape, Shape];
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [, table] = this.shapes(inputShape);
    const n = table[0];
    if (this.useBias) {
      if (typeof n !== 'number')
        fail(
          'INPUT_SHAPE',
          `EmbeddingSim '${this.name}' needs the embedding table's row count; got ${JSON.stringify(table)}.`,
        );
      this.bias = this.addWeight('bias', [n], 'float32', tf.initializers.zeros());
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, e] = inputs as tf.Tensor[];
      let logits = dotLast(x, tf.transpose(e));
      if (this.bias) logits = tf.add(logits, this.bias.read());
      return tf.softmax(logits, -1);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [features, table] = this.shapes(inputShape);
    return [...features.slice(0, -1), table[0]];
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return singleMask(mask) as tf.Tensor;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), useBias: this.useBias };
  }
}
tf.serialization.registerClass(EmbeddingSim);

/** Port of keras-embed-sim `EmbeddingSim`. */
export const embeddingSimPort: LayerPort = {
  build(config: KerasLayerConfig): tf.layers.Layer {
    const r = read(config, 'EmbeddingSim');
    return new EmbeddingSim({ ...baseArgs(config), useBias: r.bool('use_bias', true) });
  },
};
