import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import type { KerasLayerConfig } from '../../keras-format/types.ts';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { type BaseLayerArgs, baseArgs, featureDim, single, singleMask, singleShape } from './common.ts';
import type { PosEmbdMode } from './trig-pos-embedding.ts';

/** Constructor arguments of {@link PositionEmbedding}. */
export interface PositionEmbeddingArgs extends BaseLayerArgs {
  /** `expand`: the largest |position|; `add`/`concat`: the number of table rows (the longest sequence). */
  inputDim: number;
  /** Embedding width. */
  outputDim: number;
  /** Default `'expand'`. */
  mode?: PosEmbdMode;
  /**
   * `expand` only: the position value that marks padding, whose steps are masked downstream
   * (`true` means 1, as Python compares `x != True`). `false` or 0: no mask. Default false.
   */
  maskZero?: boolean | number;
}

/**
 * keras-pos-embd's `PositionEmbedding`, a trainable table `E`. `expand`: `E[clip(p, −n, n) + n]` for
 * integer positions (B, T) → (B, T, d), `E` (2n+1, d); `add`: `x + E[0…T−1]`; `concat`:
 * `[x, E[0…T−1]]`, `E` (n, d). One weight, `embeddings`.
 */
export class PositionEmbedding extends tf.layers.Layer {
  static className = 'PositionEmbedding';

  readonly inputDim: number;
  readonly outputDim: number;
  readonly mode: PosEmbdMode;
  readonly maskZero: boolean | number;
  private embeddings: tf.LayerVariable | null = null;

  constructor(args: PositionEmbeddingArgs) {
    super(args);
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.mode = args.mode ?? 'expand';
    this.maskZero = args.maskZero ?? false;
    // As in keras-pos-embd: a layer built with mask_zero=False refuses an incoming mask.
    this.supportsMasking = this.maskZero !== false;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    if (this.mode !== 'expand') {
      const t = shape[1];
      if (t != null) this.checkSteps(t);
      if (this.mode === 'add') {
        const f = featureDim(shape, this.name);
        if (f !== this.outputDim) {
          fail(
            'UNSUPPORTED_CONFIG',
            `Layer '${this.name}' (PositionEmbedding): mode 'add' adds an embedding of output_dim ${this.outputDim} to an input of ${f} features; they must be equal (Keras could not run it either).`,
          );
        }
      }
    }
    const rows = this.mode === 'expand' ? 2 * this.inputDim + 1 : this.inputDim;
    this.embeddings = this.addWeight(
      'embeddings',
      [rows, this.outputDim],
      'float32',
      tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05 }),
    );
    this.built = true;
  }

  private checkSteps(t: number): void {
    if (t > this.inputDim) {
      fail(
        'INPUT_SHAPE',
        `Layer '${this.name}' (PositionEmbedding, mode '${this.mode}') got ${t} steps but its table has input_dim ${this.inputDim} rows; give at most ${this.inputDim} steps.`,
      );
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const e = this.embeddings!.read();
      if (this.mode === 'expand') {
        const n = this.inputDim;
        // minimum/maximum, not clipByValue: tfjs-backend-wasm's clipByValue writes float bits into int32 tensors.
        const clipped = tf.minimum(tf.maximum(tf.cast(x, 'int32'), tf.scalar(-n, 'int32')), tf.scalar(n, 'int32'));
        const index = tf.add(clipped, tf.scalar(n, 'int32'));
        return tf.gather(e, index);
      }
      const [b, t] = x.shape as number[];
      this.checkSteps(t);
      const p = tf.broadcastTo(tf.slice(e, [0, 0], [t, this.outputDim]), [b, t, this.outputDim]);
      return this.mode === 'add' ? tf.add(x, p) : tf.concat([x, p], -1);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = singleShape(inputShape);
    if (this.mode === 'expand') return [...shape, this.outputDim];
    if (this.mode === 'concat') {
      const f = shape[shape.length - 1];
      return [...shape.slice(0, -1), f === null ? null : f + this.outputDim];
    }
    return shape;
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor {
    if (this.mode !== 'expand') return singleMask(mask) as tf.Tensor;
    if (this.maskZero === false || this.maskZero === 0) return null as unknown as tf.Tensor;
    const x = single(inputs);
    if (x instanceof tf.SymbolicTensor) return null as unknown as tf.Tensor;
    const value = this.maskZero === true ? 1 : this.maskZero;
    return tf.tidy(() => tf.notEqual(x, tf.scalar(value, x.dtype)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      mode: this.mode,
      maskZero: this.maskZero,
    };
  }
}
tf.serialization.registerClass(PositionEmbedding);

/**
 * Port of keras-pos-embd `PositionEmbedding`. Transformer tutorials define a `PositionEmbedding` of
 * their own (Keras 3 saves it as `Custom>PositionEmbedding`), so the port claims only configs with
 * keras-pos-embd's two required arguments; others are unknown user classes to register.
 */
export const positionEmbeddingPort: LayerPort = {
  matches: (config) => 'input_dim' in config && 'output_dim' in config,
  describe: "keras-pos-embd's PositionEmbedding (its config has 'input_dim' and 'output_dim')",
  build(config: KerasLayerConfig): tf.layers.Layer {
    const r = read(config, 'PositionEmbedding');
    const raw = r.raw('mask_zero') ?? false;
    const maskZero =
      typeof raw === 'boolean' || (typeof raw === 'number' && Number.isInteger(raw))
        ? raw
        : r.unsupported('mask_zero', 'keras-pos-embd takes false, true or the integer position that marks padding.');
    return new PositionEmbedding({
      ...baseArgs(config),
      inputDim: r.int('input_dim'),
      outputDim: r.int('output_dim'),
      mode: r.str('mode', 'expand', ['expand', 'add', 'concat'] as const),
      maskZero,
    });
  },
};
