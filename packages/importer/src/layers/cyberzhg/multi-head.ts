import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import type { KerasLayerConfig, KerasLayerJson } from '../../keras-format/types.ts';
import { read } from '../config.ts';
import type { BuildContext, LayerPort } from '../port.ts';
import {
  type BaseLayerArgs,
  baseArgs,
  deserializeLayer,
  dotLast,
  featureDim,
  isShapeList,
  maskArg,
  type Shape,
} from './common.ts';

/** Constructor arguments of {@link MultiHead}. */
export interface MultiHeadArgs extends BaseLayerArgs {
  /** The copies of the wrapped layer, one per head (Keras config `layers`). */
  layers: tf.layers.Layer[];
  /** When set, head `i` sees `x·W[:, i·h:(i+1)·h] + b[i·h:(i+1)·h]` instead of `x`. Default null. */
  hiddenDim?: number | null;
  /** Use `b` with `hiddenDim`. Default true. */
  useBias?: boolean;
  /** Each copy's Keras `trainable` flag (default all true): it decides where its weights sit in the file. */
  innerTrainable?: boolean[];
}

/**
 * keras-multi-head's `MultiHead` wrapper (https://github.com/CyberZHG/keras-multi-head): runs each
 * of `layer_num` copies of a layer on the input (or on its own slice of a linear map when
 * `hidden_dim` is set) and stacks the outputs on a new last axis: (…, layer_num). Weights in Keras
 * order: `W (F, hidden_dim·n)` and `b` (with `hidden_dim`), then each copy's trainable weights in
 * turn, then each copy's non-trainable ones (a BatchNormalization's moving statistics; all of a
 * copy whose `trainable` is false) — MultiHead's `trainable_weights + non_trainable_weights`.
 * `reg_index`/`reg_slice`/`reg_factor` only add a training loss and are ignored.
 */
export class MultiHead extends tf.layers.Layer {
  static className = 'MultiHead';

  readonly inner: tf.layers.Layer[];
  readonly hiddenDim: number | null;
  readonly useBias: boolean;
  private readonly innerTrainable: boolean[];
  private w: tf.LayerVariable | null = null;
  private b: tf.LayerVariable | null = null;
  /** The weights in Keras' order, fixed once built (explain flips variables' `trainable` for a while). */
  private kerasOrder: tf.LayerVariable[] | null = null;

  constructor(args: MultiHeadArgs) {
    super(args);
    if (!args.layers?.length) fail('UNSUPPORTED_CONFIG', `MultiHead '${args.name}' wraps no layers.`);
    this.inner = args.layers;
    this.hiddenDim = args.hiddenDim ?? null;
    this.useBias = args.useBias ?? true;
    this.innerTrainable = args.innerTrainable ?? this.inner.map(() => true);
    this.supportsMasking = this.inner[0].supportsMasking;
  }

  private innerShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    if (this.hiddenDim === null) return inputShape;
    if (isShapeList(inputShape))
      fail('UNSUPPORTED_CONFIG', `MultiHead '${this.name}': hidden_dim with several inputs is not supported.`);
    return [...inputShape.slice(0, -1), this.hiddenDim];
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    if (this.hiddenDim !== null) {
      const f = featureDim(isShapeList(inputShape) ? (inputShape[0] as Shape) : (inputShape as Shape), this.name);
      const width = this.hiddenDim * this.inner.length;
      this.w = this.addWeight(
        `${this.name}_W`,
        [f, width],
        'float32',
        tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05 }),
      );
      if (this.useBias) this.b = this.addWeight(`${this.name}_b`, [width], 'float32', tf.initializers.zeros());
    }
    // Build each copy through a symbolic apply so that its weights get its own name scope
    // (`multi_head/dense_1_1/kernel`, not `multi_head/kernel` twice). Unlike newer keras-multi-head
    // (which builds them for the raw input), copies are built for what they are called on.
    const shape = this.innerShape(inputShape);
    for (const layer of this.inner) {
      if (layer.built) continue;
      const probe = isShapeList(shape)
        ? shape.map((s) => tf.input({ batchShape: s }))
        : tf.input({ batchShape: shape });
      layer.apply(probe);
    }
    const own = [this.w, this.b].filter((v): v is tf.LayerVariable => v !== null);
    const trainable = this.inner.flatMap((l, i) =>
      this.innerTrainable[i] ? l.weights.filter((v) => v.trainable) : [],
    );
    const frozen = this.inner.flatMap((l, i) =>
      this.innerTrainable[i] ? l.weights.filter((v) => !v.trainable) : l.weights,
    );
    this.kerasOrder = [...own, ...trainable, ...frozen];
    this.built = true;
  }

  override get weights(): tf.LayerVariable[] {
    return this.kerasOrder ?? super.weights;
  }

  override get trainableWeights(): tf.LayerVariable[] {
    return [...super.trainableWeights, ...(this.inner ?? []).flatMap((l) => l.trainableWeights)];
  }

  override set trainableWeights(weights: tf.LayerVariable[]) {
    super.trainableWeights = weights;
  }

  override get nonTrainableWeights(): tf.LayerVariable[] {
    return [...super.nonTrainableWeights, ...(this.inner ?? []).flatMap((l) => l.nonTrainableWeights)];
  }

  override set nonTrainableWeights(weights: tf.LayerVariable[]) {
    super.nonTrainableWeights = weights;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const mask = maskArg(kwargs);
      const outputs = this.inner.map((layer, i) => {
        let x: tf.Tensor | tf.Tensor[] = inputs;
        if (this.w) {
          const h = this.hiddenDim as number;
          const one = Array.isArray(inputs) ? inputs[0] : inputs;
          x = dotLast(one, tf.slice(this.w.read(), [0, i * h], [-1, h]));
          if (this.b) x = tf.add(x, tf.slice(this.b.read(), [i * h], [h]));
        }
        const out = layer.apply(x, mask !== null && layer.supportsMasking ? { mask } : {});
        if (Array.isArray(out))
          fail(
            'UNSUPPORTED_CONFIG',
            `MultiHead '${this.name}': the wrapped layer '${layer.name}' returns several outputs.`,
          );
        return tf.expandDims(out as tf.Tensor, -1);
      });
      return tf.concat(outputs, -1);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const child = this.inner[0].computeOutputShape(this.innerShape(inputShape));
    if (isShapeList(child))
      fail(
        'UNSUPPORTED_CONFIG',
        `MultiHead '${this.name}': the wrapped layer '${this.inner[0].name}' returns several outputs.`,
      );
    return [...child, this.inner.length];
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return this.inner[0].computeMask(inputs, mask);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      layers: this.inner.map((l) => ({ className: l.getClassName(), config: l.getConfig() })),
      hiddenDim: this.hiddenDim,
      useBias: this.useBias,
      innerTrainable: this.innerTrainable,
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const layers = (config.layers as { className: string; config: tf.serialization.ConfigDict }[]).map(
      deserializeLayer,
    );
    return new cls({ ...config, layers });
  }
}
tf.serialization.registerClass(MultiHead);

/**
 * Port of keras-multi-head `MultiHead`. The copies come from the config's `layers` list (as
 * `get_config` writes it); a config with only `layer` and `layer_num` gets copies named
 * `<name>_1 … <name>_n` as keras-multi-head makes them.
 */
export const multiHeadPort: LayerPort = {
  build(config: KerasLayerConfig, ctx: BuildContext): tf.layers.Layer {
    const r = read(config, 'MultiHead');
    let jsons = (r.raw('layers') as KerasLayerJson[] | undefined) ?? [];
    const single = r.raw('layer') as KerasLayerJson | undefined;
    if (jsons.length === 0 && single?.config) {
      const n = r.int('layer_num', 1);
      jsons = Array.from({ length: n }, (_, i) => ({
        ...single,
        config: { ...single.config, name: `${single.config.name}_${i + 1}` },
      }));
    }
    if (!Array.isArray(jsons) || jsons.length === 0) {
      r.unsupported(
        'layers',
        'MultiHead needs the wrapped layers in its config (`layers`, or `layer` with `layer_num`).',
      );
    }
    return new MultiHead({
      ...baseArgs(config),
      layers: jsons.map((j) => ctx.buildLayer(j)),
      innerTrainable: jsons.map((j) => j.config?.trainable !== false),
      hiddenDim: r.optInt('hidden_dim'),
      useBias: r.bool('use_bias', true),
    });
  },
};
