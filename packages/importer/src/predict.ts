import * as tf from '@tensorflow/tfjs';
import { fail } from './errors.ts';
import type { KerasModel } from './model.ts';

/** A plain n-dimensional array: row-major (C order) data with its shape. */
export interface NdArray {
  data: Float32Array | Int32Array;
  shape: number[];
}

/**
 * Check inputs against the model's input shapes and make tensors of them (caller disposes).
 * Fails naming the input, the expected shape and the shape given.
 */
export function toInputTensors(km: KerasModel, inputs: NdArray | NdArray[]): tf.Tensor[] {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (list.length !== km.inputShapes.length) {
    fail('INPUT_SHAPE', `Model '${km.name}' takes ${km.inputShapes.length} input(s) (${km.inputNames.join(', ')}) but ${list.length} were given.`);
  }
  return list.map((x, i) => {
    const want = km.inputShapes[i];
    const ok = x.shape.length === want.length && want.every((d, j) => d === null || d === x.shape[j]);
    const size = x.shape.reduce((a, b) => a * b, 1);
    if (!ok || size !== x.data.length) {
      fail(
        'INPUT_SHAPE',
        `Input '${km.inputNames[i]}' of model '${km.name}' must have shape ${fmt(want)} (batch first), but the data has shape ${fmt(x.shape)}${size !== x.data.length ? ` and ${x.data.length} values` : ''}. Reshape the input to match.`,
      );
    }
    if (x.data instanceof Float32Array) {
      for (let k = 0; k < x.data.length; k++) {
        if (!Number.isFinite(x.data[k])) {
          fail('INPUT_SHAPE', `Input '${km.inputNames[i]}' contains ${x.data[k]} at flat index ${k}; Keraspect needs finite inputs. Clean or impute the data first.`);
        }
      }
    }
    const dtype = km.model.inputs[i].dtype === 'int32' ? 'int32' : 'float32';
    return tf.tensor(x.data, x.shape, dtype);
  });
}

function fmt(shape: (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'None' : d)).join(', ')}]`;
}

/** Run the model on plain arrays and return every output as a plain array. */
export function predict(km: KerasModel, inputs: NdArray | NdArray[]): NdArray[] {
  const xs = toInputTensors(km, inputs);
  try {
    const out = tf.tidy(() => {
      const y = km.model.predict(xs.length === 1 ? xs[0] : xs);
      return Array.isArray(y) ? y : [y];
    });
    const res = out.map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape }));
    tf.dispose(out);
    return res;
  } finally {
    tf.dispose(xs);
  }
}

/**
 * Outputs of every layer (or the named ones) for these inputs: `{ layer, index, data, shape }`, one
 * entry per output tensor of a layer.
 */
export function allLayerOutputs(km: KerasModel, inputs: NdArray | NdArray[], names?: string[]): { layer: string; index: number; count: number; array: NdArray }[] {
  const wanted = km.built.layers.filter((b) => b.className !== 'InputLayer' && (!names || names.includes(b.name)));
  const symbolic = wanted.flatMap((b) => {
    const outs = (b.layer as unknown as { inboundNodes: { outputTensors: tf.SymbolicTensor[] }[] }).inboundNodes;
    const node = outs[outs.length - 1] ?? outs[0];
    return node.outputTensors.map((t, index) => ({ layer: b.name, index, count: node.outputTensors.length, t }));
  });
  const xs = toInputTensors(km, inputs);
  try {
    const outs = fetchSymbolic(km, xs, symbolic.map((s) => s.t));
    const res = symbolic.map((s, i) => ({ layer: s.layer, index: s.index, count: s.count, array: { data: outs[i].dataSync() as Float32Array, shape: outs[i].shape } }));
    tf.dispose(outs);
    return res;
  } finally {
    tf.dispose(xs);
  }
}

/**
 * Evaluate symbolic tensors of the model's graph (layer outputs or layer inputs) for these input
 * tensors in one forward pass. Repeated tensors are computed once. The caller disposes the result.
 */
export function fetchSymbolic(km: KerasModel, xs: tf.Tensor[], symbolic: tf.SymbolicTensor[]): tf.Tensor[] {
  const unique = [...new Set(symbolic)];
  const probe = tf.model({ inputs: km.model.inputs, outputs: unique });
  const got = tf.tidy(() => {
    const y = probe.predict(xs.length === 1 ? xs[0] : xs);
    return Array.isArray(y) ? y : [y];
  });
  const byTensor = new Map(unique.map((t, i) => [t, got[i]]));
  const out = symbolic.map((t, i) => (symbolic.indexOf(t) === i ? byTensor.get(t)! : tf.clone(byTensor.get(t)!)));
  return out;
}
