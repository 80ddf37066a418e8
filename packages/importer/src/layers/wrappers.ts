import * as tf from '@tensorflow/tfjs';
import { read } from './config.ts';
import { fail } from '../errors.ts';
import type { KerasLayerJson } from '../keras-format/types.ts';
import type { LayerPort } from './port.ts';
import { withFastInnerLayers } from './fast/recurrent.ts';
import { buildBidirectionalTcn, convertBidirectionalTcnWeights } from './keras-tcn/bidirectional.ts';
import { tcnPort } from './keras-tcn/tcn.ts';
import { portFor } from './registry.ts';

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
    // keras-tcn's TCN is no RNN: Keras runs it and its go_backwards copy side by side.
    if (portFor(inner.class_name, inner.config, inner) === tcnPort) return buildBidirectionalTcn(c, mode, ctx);
    // TF.js re-creates the inner layers from their class name; give them back the fused path.
    const Bidirectional = zeroMaskedBidirectional();
    return withFastInnerLayers(
      new Bidirectional({
        name: c.name,
        trainable: false,
        layer: ctx.buildLayer(inner) as never,
        mergeMode: mode as never,
      }),
    );
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
    return tf.layers.timeDistributed({ name: c.name, trainable: false, layer: ctx.buildLayer(inner) });
  },
};

type BidirectionalClass = new (args: {
  name: string;
  trainable: boolean;
  layer: tf.layers.Layer;
  mergeMode?: string | null;
}) => tf.layers.Layer & { returnSequences: boolean };

let zeroMasked: BidirectionalClass | null = null;

/**
 * TF.js' Bidirectional with Keras' `zero_output_for_mask`: Keras makes both inner RNNs of a
 * Bidirectional with `return_sequences` output zeros at masked steps (TF.js repeats the last valid
 * output there, in one direction or the other, which attention over the sequence then spreads to
 * valid steps). TF.js does not export its Bidirectional class; it is taken from an instance, once.
 */
function zeroMaskedBidirectional(): BidirectionalClass {
  if (zeroMasked) return zeroMasked;
  const probe = tf.layers.bidirectional({
    layer: tf.layers.simpleRNN({ units: 1, name: '__probe_rnn' }),
    name: '__probe',
  });
  const Base = Object.getPrototypeOf(probe).constructor as BidirectionalClass;
  class KerasBidirectional extends Base {
    static className = 'KerasBidirectional';
    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
      const given = kwargs?.mask as tf.Tensor | (tf.Tensor | null)[] | null | undefined;
      const mask = Array.isArray(given) ? given[0] : given;
      if (!this.returnSequences || !mask) return super.call(inputs, kwargs);
      return tf.tidy(() => {
        const out = super.call(inputs, kwargs);
        const keep = tf.expandDims(tf.cast(mask, 'float32'), -1);
        const zero = (y: tf.Tensor) => tf.mul(y, keep);
        // With return_state the sequence is the first output; the states are untouched.
        return Array.isArray(out) ? [zero(out[0]), ...out.slice(1)] : zero(out);
      });
    }
  }
  tf.serialization.registerClass(KerasBidirectional as never);
  zeroMasked = KerasBidirectional;
  return zeroMasked;
}
