import { isStackedRnn } from './builtin/rnn.ts';
import * as tf from '@tensorflow/tfjs';
import { read } from './config.ts';
import { fail } from '../errors.ts';
import type { KerasLayerJson } from '../keras-format/types.ts';
import {
  type Activated,
  type BidirectionalMergeMode,
  type BidirectionalWrapper,
  isActivated,
  type Wrapper,
} from './capabilities.ts';
import type { KerasVersion, LayerPort } from './port.ts';
import { withFastInnerLayers } from './fast/recurrent.ts';
import { buildBidirectionalTcn, convertBidirectionalTcnWeights } from './keras-tcn/bidirectional.ts';
import { tcnPort } from './keras-tcn/tcn.ts';
import { portFor } from './registry.ts';
import { tfjsLayerClass } from './tfjs-class.ts';

type BidirectionalArgs = Parameters<typeof tf.layers.bidirectional>[0];
type TimeDistributedArgs = Parameters<typeof tf.layers.timeDistributed>[0];

/** TF.js' Bidirectional as a {@link BidirectionalWrapper}. */
export class KerasBidirectional
  extends tfjsLayerClass<BidirectionalArgs>('Bidirectional')
  implements BidirectionalWrapper
{
  // Set by TF.js' constructor; declared here (no emitted field) to type them.
  declare readonly returnSequences: boolean;
  declare readonly forwardLayer: tf.layers.Layer;
  declare readonly backwardLayer: tf.layers.Layer;
  declare readonly mergeMode: BidirectionalMergeMode;

  /**
   * Whether masked steps output zeros (tf.keras and Keras 3) rather than each half's previous output
   * (standalone Keras); see {@link forcesZeroOutputForMask}. Set by the port from the file's version.
   */
  zeroOutputForMask = true;

  get wrappedLayer(): tf.layers.Layer {
    return this.forwardLayer;
  }

  /**
   * tf.keras' and Keras 3's `zero_output_for_mask`: they make both inner RNNs of a Bidirectional
   * with `return_sequences` output zeros at masked steps (TF.js, like standalone Keras, repeats the
   * last valid output there, in one direction or the other, which attention over the sequence then
   * spreads to valid steps).
   */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const given = kwargs?.mask as tf.Tensor | (tf.Tensor | null)[] | null | undefined;
    const mask = Array.isArray(given) ? given[0] : given;
    if (!this.returnSequences || !mask || !this.zeroOutputForMask) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const out = super.call(inputs, kwargs);
      const keep = tf.expandDims(tf.cast(mask, 'float32'), -1);
      const zero = (y: tf.Tensor) => tf.mul(y, keep);
      // With return_state the sequence is the first output; the states are untouched.
      return Array.isArray(out) ? [zero(out[0]), ...out.slice(1)] : zero(out);
    });
  }
}

/**
 * TF.js' TimeDistributed as a {@link Wrapper}, and `Activated` when the wrapped layer is: the call
 * without the activation applies the wrapped layer's, step by step as TF.js' call does.
 */
export class KerasTimeDistributed
  extends tfjsLayerClass<TimeDistributedArgs>('TimeDistributed')
  implements Wrapper, Activated
{
  declare readonly layer: tf.layers.Layer;

  get wrappedLayer(): tf.layers.Layer {
    return this.layer;
  }

  callWithoutActivation(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown> = {}): tf.Tensor | null {
    const inner = this.layer;
    if (!isActivated(inner)) return null;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    let none = false;
    const y = tf.tidy(() => {
      const steps: tf.Tensor[] = [];
      for (const xt of tf.unstack(x, 1)) {
        const z = inner.callWithoutActivation(xt, kwargs);
        if (!z) {
          none = true;
          return tf.zeros([]);
        }
        steps.push(z);
      }
      return tf.stack(steps, 1);
    });
    if (!none) return y;
    y.dispose();
    return null;
  }
}

/**
 * Whether a Bidirectional of this Keras zeroes its outputs at masked steps: tf.keras does from TF
 * 1.13 (`2.2.4-tf`; `force_zero_output_for_mask` in `Bidirectional.__init__`), and Keras 3 too.
 * Standalone Keras 1/2 (whose `K.rnn` gives a masked step the previous output) and earlier tf.keras
 * (`2.1.6-tf`) never do. A file that records no version is taken as a current one.
 */
export function forcesZeroOutputForMask(v: KerasVersion): boolean {
  if (v.raw === null || v.major >= 3) return true;
  if (v.major < 2) return false;
  if (v.raw.endsWith('-tf')) return v.minor >= 2;
  return v.minor >= 4;
}

export const Bidirectional: LayerPort = {
  build(c, ctx) {
    const r = read(c, 'Bidirectional');
    const inner = c.layer as KerasLayerJson | undefined;
    if (!inner || typeof inner !== 'object')
      fail(
        'UNSUPPORTED_CONFIG',
        `Bidirectional layer '${c.name}' has no inner 'layer' in its config, which Keras always writes.`,
      );
    const mode = c.merge_mode === null ? null : r.str('merge_mode', 'concat', ['concat', 'sum', 'mul', 'ave'] as const);
    if (c.backward_layer) {
      const back = c.backward_layer as KerasLayerJson;
      const fwdCls = inner.class_name;
      if (back.class_name !== fwdCls)
        fail(
          'UNSUPPORTED_CONFIG',
          `Bidirectional layer '${c.name}' has a backward layer of class ${back.class_name} different from its forward ${fwdCls}; only mirrored layers are supported.`,
        );
    }
    if (isStackedRnn(inner))
      fail(
        'UNSUPPORTED_CONFIG',
        `Bidirectional layer '${c.name}' wraps an RNN of stacked cells (StackedRNNCells), which Keraspect does not run in both directions; an RNN of one cell, or stacked Bidirectional layers, load.`,
      );
    // keras-tcn's TCN is no RNN: Keras runs it and its go_backwards copy side by side.
    if (portFor(inner.class_name, inner.config, inner) === tcnPort) return buildBidirectionalTcn(c, mode, ctx);
    const layer = new KerasBidirectional({
      name: c.name,
      trainable: false,
      layer: ctx.buildLayer(inner) as never,
      mergeMode: mode as never,
    });
    layer.zeroOutputForMask = forcesZeroOutputForMask(ctx.kerasVersion);
    // TF.js re-creates the inner layers from their class name; give them back the fused path.
    return withFastInnerLayers(layer);
  },
  /** The two halves convert their weights as the wrapped class does (CuDNNLSTM's cuDNN layout, …). */
  convertWeights(weights, c, ctx) {
    const inner = c.layer as KerasLayerJson;
    const back = (c.backward_layer as KerasLayerJson | undefined) ?? inner;
    const port = portFor(inner.class_name, inner.config, inner);
    if (port === tcnPort) return convertBidirectionalTcnWeights(weights, c, ctx);
    if (!port.convertWeights || weights.length % 2) return weights;
    const half = weights.length / 2;
    return [
      ...port.convertWeights(weights.slice(0, half), inner.config, ctx),
      ...port.convertWeights(weights.slice(half), back.config, ctx),
    ];
  },
};

export const TimeDistributed: LayerPort = {
  build(c, ctx) {
    const inner = c.layer as KerasLayerJson | undefined;
    if (!inner || typeof inner !== 'object')
      fail(
        'UNSUPPORTED_CONFIG',
        `TimeDistributed layer '${c.name}' has no inner 'layer' in its config, which Keras always writes.`,
      );
    // keras-tcn's TCN reads its layout from its stored weights, which the file keeps under the wrapper's name.
    const layer =
      portFor(inner.class_name, inner.config, inner) === tcnPort
        ? tcnPort.build(inner.config, { ...ctx, storedWeights: () => ctx.storedWeights?.(c.name) })
        : ctx.buildLayer(inner);
    return new KerasTimeDistributed({ name: c.name, trainable: false, layer });
  },
  /**
   * The weights convert as the wrapped class's do, as Keras 2's `convert_nested_time_distributed`
   * does (Keras 1 layouts, CuDNN layouts, …); a wrapped TCN orders its weights by name.
   */
  convertWeights(weights, c, ctx) {
    const inner = c.layer as KerasLayerJson;
    const port = portFor(inner.class_name, inner.config, inner);
    return port.convertWeights ? port.convertWeights(weights, inner.config, ctx) : weights;
  },
};
