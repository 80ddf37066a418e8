import * as tf from '@tensorflow/tfjs';
import type { KerasLayerConfig } from '../keras-format/types.ts';
import type { LayerPort } from './port.ts';
import { describeInputs, probeOutputShape, runUserCode, userInputs } from './probe.ts';

/** A weight a user-defined layer creates, in Keras' `weight_names` order. */
export interface WeightSpec {
  name: string;
  shape: number[];
}

/**
 * A user-defined Keras layer written as plain functions — the easy way to `registerLayer` a custom
 * class (`class AttentionLayer(Layer)` in a user's Python code). Weights arrive from the file in the
 * order `weights()` lists them.
 */
export interface LayerDefinition {
  /** The weights the layer owns for this input shape (batch dimension included, `null` if unknown). */
  weights?(config: KerasLayerConfig, inputShape: tf.Shape): WeightSpec[];
  /**
   * The forward computation: one input arrives as a tensor, several as an array. `w` maps each
   * weight name from `weights()` to its tensor.
   */
  call(
    inputs: tf.Tensor | tf.Tensor[],
    w: Record<string, tf.Tensor>,
    config: KerasLayerConfig,
    tfjs: typeof tf,
  ): tf.Tensor | tf.Tensor[];
  /** Output shape for the input shape; by default found by running `call` on a zero probe. */
  outputShape?(inputShape: tf.Shape | tf.Shape[], config: KerasLayerConfig): tf.Shape | tf.Shape[];
}

/** Turn a `LayerDefinition` into a `LayerPort` (what `registerLayer` stores). */
export function defineLayer(className: string, def: LayerDefinition): LayerPort {
  return {
    build: (config) => new DefinedLayer(className, def, config),
  };
}

class DefinedLayer extends tf.layers.Layer {
  static className = 'KeraspectDefinedLayer';
  private readonly def: LayerDefinition;
  private readonly kerasConfig: KerasLayerConfig;
  private readonly kerasClass: string;
  private vars: Record<string, tf.LayerVariable> = {};

  constructor(className: string, def: LayerDefinition, config: KerasLayerConfig) {
    super({ name: config.name, trainable: false });
    this.def = def;
    this.kerasConfig = config;
    this.kerasClass = className;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const specs = runUserCode(
      this.what('weights()'),
      () => `input shape ${JSON.stringify(shape)}`,
      () => this.def.weights?.(this.kerasConfig, shape) ?? [],
    );
    for (const spec of specs) {
      this.vars[spec.name] = this.addWeight(spec.name, spec.shape, 'float32', tf.initializers.zeros());
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const x = userInputs(inputs);
    return tf.tidy(() => {
      const w = Object.fromEntries(Object.entries(this.vars).map(([k, v]) => [k, v.read()]));
      return runUserCode(
        this.what('call()'),
        () => describeInputs(x),
        () => this.def.call(x, w, this.kerasConfig, tf),
      );
    });
  }

  private what(part: string): string {
    return `The ${part} of registered layer '${this.kerasClass}' (layer '${this.name}')`;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    if (this.def.outputShape) return this.def.outputShape(inputShape, this.kerasConfig);
    const shape0 = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return probeOutputShape(inputShape, (probe) => {
      const w: Record<string, tf.Tensor> = {};
      for (const spec of this.def.weights?.(this.kerasConfig, shape0) ?? []) w[spec.name] = tf.zeros(spec.shape);
      return runUserCode(
        this.what('call()'),
        () => describeInputs(probe),
        () => this.def.call(probe, w, this.kerasConfig, tf),
      );
    });
  }

  override getClassName(): string {
    return this.kerasClass;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), kerasConfig: this.kerasConfig as unknown as tf.serialization.ConfigDict };
  }
}
