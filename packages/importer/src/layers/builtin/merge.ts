import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import { read } from '../config.ts';
import type { LayerPort } from '../port.ts';
import { register, type Shape } from './common.ts';
import { mergeMasks } from './subtract.ts';

/** Modes of Keras 1's `Merge` layer that can be ported (a Python `lambda` mode cannot). */
export type MergeMode = 'sum' | 'mul' | 'concat' | 'ave' | 'max' | 'dot' | 'cos';
const MODES: readonly MergeMode[] = ['sum', 'mul', 'concat', 'ave', 'max', 'dot', 'cos'];

/** Keras 1's fuzz factor `K.epsilon()`. */
const EPSILON = 1e-7;

/**
 * Keras 1 `Merge` (`merge([a, b], mode=…)`): `sum`, `mul`, `ave`, `max` element-wise; `concat` along
 * `concat_axis`; `dot` the per-sample inner product of two (B, D) inputs → (B, 1); `cos` that product
 * divided by `max(√(|a|²·|b|²), 1e-7)` → (B, 1). `dot`/`cos` are supported for rank-2 inputs only.
 * Output mask: AND of the input masks (concat along steps: the masks concatenated); none for dot/cos.
 */
export class KerasMerge extends tf.layers.Layer {
  static className = 'KerasMerge';
  readonly mode: MergeMode;
  readonly concatAxis: number;

  constructor(args: { mode: MergeMode; concatAxis?: number; name?: string; trainable?: boolean }) {
    super(args as never);
    this.mode = args.mode;
    this.concatAxis = args.concatAxis ?? -1;
    this.supportsMasking = true;
  }

  private shapes(inputShape: tf.Shape | tf.Shape[]): Shape[] {
    if (!Array.isArray(inputShape[0]) || inputShape.length < 2) {
      fail(
        'INPUT_SHAPE',
        `Merge '${this.name}' must be called on a list of at least 2 inputs; got ${JSON.stringify(inputShape)}.`,
      );
    }
    const shapes = inputShape as Shape[];
    if ((this.mode === 'dot' || this.mode === 'cos') && (shapes.length !== 2 || shapes.some((s) => s.length !== 2))) {
      fail(
        'UNSUPPORTED_CONFIG',
        `Merge '${this.name}': mode '${this.mode}' is supported for two (batch, features) inputs only; got ${JSON.stringify(shapes)}.`,
      );
    }
    return shapes;
  }

  private axis(rank: number): number {
    return this.concatAxis < 0 ? this.concatAxis + rank : this.concatAxis;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = this.shapes(inputShape);
    if (this.mode === 'dot' || this.mode === 'cos') return [shapes[0][0], 1];
    if (this.mode !== 'concat') return shapes[0];
    const ax = this.axis(shapes[0].length);
    const out = [...shapes[0]];
    out[ax] = shapes.some((s) => s[ax] === null) ? null : shapes.reduce((a, s) => a + (s[ax] as number), 0);
    return out;
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor {
    if (this.mode === 'dot' || this.mode === 'cos' || !Array.isArray(mask) || mask.every((m) => m == null))
      return null as unknown as tf.Tensor;
    const list = inputs as tf.Tensor[];
    if (this.mode === 'concat' && this.axis(list[0].rank) < list[0].rank - 1) {
      // Concatenating along a masked axis: concatenate the masks, all-true for unmasked inputs.
      return tf.tidy(() =>
        tf.concat(
          mask.map((m, i) => (m ? tf.cast(m, 'bool') : tf.ones(list[i].shape.slice(0, list[i].rank - 1), 'bool'))),
          this.axis(list[0].rank),
        ),
      );
    }
    return mergeMasks(mask);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const xs = inputs as tf.Tensor[];
      switch (this.mode) {
        case 'sum':
          return tf.addN(xs);
        case 'mul':
          return xs.reduce((a, b) => tf.mul(a, b));
        case 'ave':
          return tf.div(tf.addN(xs), xs.length);
        case 'max':
          return xs.reduce((a, b) => tf.maximum(a, b));
        case 'concat':
          return tf.concat(xs, this.axis(xs[0].rank));
        case 'dot':
          return tf.sum(tf.mul(xs[0], xs[1]), 1, true);
        case 'cos': {
          const dot = tf.sum(tf.mul(xs[0], xs[1]), 1, true);
          const norms = tf.mul(tf.sum(tf.square(xs[0]), 1, true), tf.sum(tf.square(xs[1]), 1, true));
          return tf.div(dot, tf.maximum(tf.sqrt(norms), EPSILON));
        }
      }
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, concatAxis: this.concatAxis };
  }
}
register(KerasMerge);

/** Keras 1 `Merge` → {@link KerasMerge}. */
export const mergePort: LayerPort = {
  build(config) {
    const r = read(config, 'Merge');
    if (config.mode_type === 'lambda' || (typeof config.mode !== 'string' && config.mode !== undefined)) {
      r.unsupported(
        'mode',
        'a Python function merge mode is stored as bytecode and is never run. Replace the Merge with a Lambda and register a TS function for it (ImportOptions.lambdas), or use one of: ' +
          MODES.join(', ') +
          '.',
      );
    }
    const mode = r.str<MergeMode>('mode', 'sum', MODES);
    if (mode === 'dot' || mode === 'cos') {
      const axes = r.ints('dot_axes', [-1]);
      if (!axes.every((a) => a === 1 || a === -1))
        r.unsupported('dot_axes', 'only the feature axis of (batch, features) inputs is supported (dot_axes 1 or -1).');
    }
    return new KerasMerge({
      name: config.name,
      trainable: r.bool('trainable', true),
      mode,
      concatAxis: r.int('concat_axis', -1),
    });
  },
};
