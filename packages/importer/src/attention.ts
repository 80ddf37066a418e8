import * as tf from '@tensorflow/tfjs';
import { fail } from './errors.ts';
import type { AttentionSource } from './layers/port.ts';
import type { KerasModel } from './model.ts';
import { fetchSymbolic, type NdArray, toInputTensors } from './predict.ts';

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
      fail('BAD_ARGUMENT', `Layer '${n}' computes no attention weights. Attention layers of this model: ${km.attentionLayers.join(', ') || 'none'}.`);
    }
  }
  if (!chosen.length) return [];
  const layers = chosen.map((n) => km.layer(n));
  // The symbolic inputs of each layer's (last) call, fetched in one forward pass.
  const calls = layers.map((layer) => {
    const nodes = (layer as unknown as { inboundNodes: { inputTensors: tf.SymbolicTensor[]; callArgs?: Record<string, unknown> }[] }).inboundNodes;
    const node = nodes[nodes.length - 1];
    return { layer, inputs: node.inputTensors, kwargs: node.callArgs ?? {} };
  });
  const symbolic = calls.flatMap((c) => c.inputs);
  const xs = toInputTensors(km, inputs);
  try {
    const vals = fetchSymbolic(km, xs, symbolic);
    const maps = tf.tidy(() => {
      let k = 0;
      return calls.map((c) => {
        const ins = vals.slice(k, k + c.inputs.length);
        k += c.inputs.length;
        const src = c.layer as unknown as AttentionSource;
        return src.computeAttention(ins.length === 1 ? ins[0] : ins, c.kwargs);
      });
    });
    const res = maps.map((a, i) => {
      const src = calls[i].layer as unknown as AttentionSource & tf.layers.Layer;
      return { layer: chosen[i], className: src.getClassName(), axes: src.attentionAxes, array: { data: a.dataSync() as Float32Array, shape: a.shape } };
    });
    tf.dispose([...maps, ...vals]);
    return res;
  } finally {
    tf.dispose(xs);
  }
}
