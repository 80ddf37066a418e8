import * as tf from '@tensorflow/tfjs';
import { fail } from '../errors.ts';
import type { KerasLayerConfig } from '../keras-format/types.ts';
import { read } from './config.ts';
import type { LayerPort, WeightArray } from './port.ts';

// Keras' preprocessing layers that sit inside trained time-series models: `Normalization` (with the
// mean and variance `adapt` stored as weights, or given in the config) and `Rescaling`.

/** Keras' `backend.epsilon()`, the floor under the standard deviation. */
const EPSILON = 1e-7;

interface NormalizationArgs {
  name: string;
  /** Axes that keep their own mean and variance (Keras' `axis`; `[]` for one mean over everything). */
  axis: number[];
  /** Mean and variance from the config; `null` when they were adapted (then they are weights). */
  mean: number | number[] | null;
  variance: number | number[] | null;
  invert: boolean;
}

/**
 * Keras `Normalization`: `(x − mean) / max(√variance, 1e-7)`, or with `invert` `mean + x·max(√variance,
 * 1e-7)`, mean and variance per kept axis (`axis`), broadcast over the others.
 */
class KerasNormalization extends tf.layers.Layer {
  static className = 'KerasNormalization';
  private readonly args: NormalizationArgs;
  private meanVar: tf.LayerVariable | null = null;
  private varianceVar: tf.LayerVariable | null = null;
  private broadcast: number[] = [];
  private constants: [tf.Tensor, tf.Tensor] | null = null;

  constructor(args: NormalizationArgs) {
    super({ name: args.name, trainable: false });
    this.args = args;
    this.supportsMasking = true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
    const ndim = shape.length;
    const keep = [...new Set(this.args.axis.map((a) => (a < 0 ? a + ndim : a)))].sort((a, b) => a - b);
    for (const d of keep) {
      if (d < 0 || d >= ndim || shape[d] === null)
        fail(
          'UNSUPPORTED_CONFIG',
          `Normalization '${this.name}': axis ${d} of input ${JSON.stringify(shape)} must exist and be known.`,
        );
    }
    this.broadcast = shape.map((n, d) => (keep.includes(d) ? (n as number) : 1));
    const own = keep.map((d) => shape[d] as number);
    if (this.args.mean === null) {
      this.meanVar = this.addWeight('mean', own, 'float32', tf.initializers.zeros());
      this.varianceVar = this.addWeight('variance', own, 'float32', tf.initializers.ones());
    } else {
      const fit = (v: number | number[]) => {
        if (typeof v === 'number') return tf.fill(this.broadcast, v);
        const t = tf.tensor(v);
        // Keras aligns the given values with the kept axes from the right.
        const expanded = shape.map(() => 1);
        t.shape.forEach((n, i) => {
          expanded[keep[keep.length - t.shape.length + i]] = n;
        });
        return tf.broadcastTo(tf.reshape(t, expanded), this.broadcast);
      };
      const constants = tf.tidy(() => [fit(this.args.mean as number), fit(this.args.variance as number)]);
      for (const t of constants) tf.keep(t);
      this.constants = [constants[0], constants[1]];
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = tf.cast(Array.isArray(inputs) ? inputs[0] : inputs, 'float32');
      const [mean, variance] = this.constants ?? [
        tf.reshape(this.meanVar!.read(), this.broadcast),
        tf.reshape(this.varianceVar!.read(), this.broadcast),
      ];
      const std = tf.maximum(tf.sqrt(variance), EPSILON);
      return this.args.invert ? tf.add(mean, tf.mul(x, std)) : tf.div(tf.sub(x, mean), std);
    });
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    if (this.constants) tf.dispose(this.constants);
    return super.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...(this.args as unknown as tf.serialization.ConfigDict) };
  }
}
tf.serialization.registerClass(KerasNormalization);

function normalizationArgs(c: KerasLayerConfig): NormalizationArgs {
  const r = read(c, 'Normalization');
  const axis = c.axis === null ? [] : r.ints('axis', [-1]);
  const values = (k: string) => {
    const v = c[k];
    if (v === null || v === undefined) return null;
    if (typeof v === 'number') return v;
    const flat = Array.isArray(v) ? (v as unknown[]).flat(Infinity) : [];
    if (!flat.length || flat.some((x) => typeof x !== 'number'))
      r.unsupported(k, 'it must be a number or a list of numbers.');
    return flat as number[];
  };
  const mean = values('mean');
  const variance = values('variance');
  if ((mean === null) !== (variance === null))
    r.unsupported(
      mean === null ? 'variance' : 'mean',
      'Keras needs both mean and variance, or neither (then they are adapted).',
    );
  return { name: c.name, axis, mean, variance, invert: r.bool('invert', false) };
}

/** Keras `Normalization` (preprocessing) → {@link KerasNormalization}; adapted weights `mean`, `variance` (`count` unused). */
export const normalizationPort: LayerPort = {
  build: (c) => new KerasNormalization(normalizationArgs(c)),
  convertWeights(weights: WeightArray[], c): WeightArray[] {
    if (normalizationArgs(c).mean !== null) return [];
    const byName = (n: string) => weights.find((w) => new RegExp(`(^|/)${n}(:\\d+)?$`).test(w.name));
    const mean = byName('mean') ?? weights[0];
    const variance = byName('variance') ?? weights[1];
    if (!mean || !variance)
      fail(
        'WEIGHT_MISMATCH',
        `Normalization '${c.name}': expected the adapted mean and variance, found ${weights.map((w) => `${w.name} ${JSON.stringify(w.shape)}`).join(', ') || 'no weights'}.`,
      );
    return [mean, variance];
  },
};

/** Keras `Rescaling`: `x · scale + offset` (scale and offset numbers or per-channel lists). */
export const Rescaling: LayerPort = {
  build(c) {
    const r = read(c, 'Rescaling');
    const value = (k: string, def: number) => {
      const v = c[k] ?? def;
      if (typeof v === 'number') return v;
      if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
      return r.unsupported(k, 'it must be a number or a list of numbers.');
    };
    const scale = value('scale', 1);
    const offset = value('offset', 0);
    return new KerasRescaling({ name: c.name, scale, offset });
  },
};

class KerasRescaling extends tf.layers.Layer {
  static className = 'KerasRescaling';
  private readonly scale: number | number[];
  private readonly offset: number | number[];
  constructor(a: { name: string; scale: number | number[]; offset: number | number[] }) {
    super({ name: a.name, trainable: false });
    this.scale = a.scale;
    this.offset = a.offset;
    this.supportsMasking = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = tf.cast(Array.isArray(inputs) ? inputs[0] : inputs, 'float32');
      return tf.add(tf.mul(x, this.scale as number), this.offset as number);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
}
tf.serialization.registerClass(KerasRescaling);
