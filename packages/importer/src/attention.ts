import * as tf from '@tensorflow/tfjs';
import { fail } from './errors.ts';
import type { AttentionSource } from './layers/port.ts';
import type { KerasModel } from './model.ts';
import { type NdArray, toInputTensors } from './predict.ts';

/** Attention weights of one attention layer for a batch of inputs. */
export interface AttentionMap {
  layer: string;
  className: string;
  /** What each axis means, e.g. `['batch', 'query', 'key']`. */
  axes: readonly string[];
  array: NdArray;
}

/**
 * The attention weights of every attention layer (or the named ones) for these inputs, computed
 * with the layer's own weights — also for layers saved without `return_attention`.
 */
export function attentionMaps(km: KerasModel, inputs: NdArray | NdArray[], names?: string[]): AttentionMap[] {
  const chosen = names ?? km.attentionLayers;
  for (const n of chosen) {
    if (!km.attentionLayers.includes(n)) {
      fail(
        'BAD_ARGUMENT',
        `Layer '${n}' computes no attention weights. Attention layers of this model: ${km.attentionLayers.join(', ') || 'none'}.`,
      );
    }
  }
  if (!chosen.length) return [];
  const layers = chosen.map((n) => km.layer(n));
  // Run the model once and, inside each attention layer's own call, compute its weights from the
  // very inputs and masks TF.js hands it (masks exist only during a real forward pass, not in the
  // symbolic graph). A layer called several times keeps its last call's weights.
  const captured = new Map<tf.layers.Layer, tf.Tensor>();
  const restore = layers.map((layer) => {
    const own = Object.getOwnPropertyDescriptor(layer, 'call');
    const original = layer.call;
    layer.call = function (this: tf.layers.Layer, ins: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) {
      captured.get(layer)?.dispose();
      captured.set(layer, tf.keep((layer as unknown as AttentionSource).computeAttention(ins, kwargs)));
      return original.call(layer, ins, kwargs);
    } as typeof layer.call;
    return () => {
      if (own) Object.defineProperty(layer, 'call', own);
      else delete (layer as { call?: unknown }).call;
    };
  });
  const xs = toInputTensors(km, inputs);
  try {
    tf.tidy(() => {
      km.model.apply(xs.length === 1 ? xs[0] : xs, { training: false });
    });
    return layers.map((layer, i) => {
      const a = captured.get(layer);
      if (!a)
        return fail(
          'BAD_ARGUMENT',
          `Attention layer '${chosen[i]}' was not called in the forward pass; it does not lie between the model's inputs and outputs.`,
        );
      const src = layer as unknown as AttentionSource & tf.layers.Layer;
      return {
        layer: chosen[i],
        className: src.getClassName(),
        axes: src.attentionAxes,
        array: { data: a.dataSync() as Float32Array, shape: a.shape },
      };
    });
  } finally {
    restore.forEach((r) => r());
    tf.dispose([...captured.values()]);
    tf.dispose(xs);
  }
}
