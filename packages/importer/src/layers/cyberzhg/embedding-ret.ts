import * as tf from '@tensorflow/tfjs';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { type BaseLayerArgs, baseArgs, single, singleShape } from './common.ts';

/** Constructor arguments of {@link EmbeddingRet}. */
export interface EmbeddingRetArgs extends BaseLayerArgs {
  /** Rows of the table (the vocabulary size). */
  inputDim: number;
  /** Width of each embedding. */
  outputDim: number;
  /** Id 0 is padding: its steps are masked downstream. Default false. */
  maskZero?: boolean;
}

/**
 * keras-embed-sim's `EmbeddingRet` (https://github.com/CyberZHG/keras-embed-sim): Keras' Embedding
 * that also returns its table, for a later `EmbeddingSim` to share. Outputs `[E[ids], E]`: (…, d)
 * and (input_dim, d) — the second has no batch axis, as in Keras. One weight, `embeddings`.
 */
export class EmbeddingRet extends tf.layers.Layer {
  static className = 'EmbeddingRet';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  private embeddings: tf.LayerVariable | null = null;

  constructor(args: EmbeddingRetArgs) {
    super(args);
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.maskZero = args.maskZero ?? false;
  }

  override build(): void {
    this.embeddings = this.addWeight(
      'embeddings',
      [this.inputDim, this.outputDim],
      'float32',
      tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05 }),
    );
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const e = this.embeddings!.read();
      return [tf.gather(e, tf.cast(single(inputs), 'int32')), tf.clone(e)];
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape[] {
    return [
      [...singleShape(inputShape), this.outputDim],
      [this.inputDim, this.outputDim],
    ];
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    const x = single(inputs);
    if (!this.maskZero || x instanceof tf.SymbolicTensor) return [null, null] as unknown as tf.Tensor[];
    return [tf.tidy(() => tf.notEqual(x, tf.scalar(0, x.dtype))), null] as unknown as tf.Tensor[];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), inputDim: this.inputDim, outputDim: this.outputDim, maskZero: this.maskZero };
  }
}
tf.serialization.registerClass(EmbeddingRet);

/** Port of keras-embed-sim `EmbeddingRet` (a Keras Embedding config). */
export const embeddingRetPort: LayerPort = {
  build(config: KerasLayerConfig): tf.layers.Layer {
    const r = read(config, 'EmbeddingRet');
    return new EmbeddingRet({
      ...baseArgs(config),
      inputDim: r.int('input_dim'),
      outputDim: r.int('output_dim'),
      maskZero: r.bool('mask_zero', false),
    });
  },
};
