import { concatRows, rowSize, takeRows } from '@keraspect/array';
import * as tf from '@tensorflow/tfjs';
import { type KerasModel, type NdArray, toInputTensors } from '@keraspect/importer';
import { fail } from './errors.ts';

/** Model input(s) as plain arrays: one `NdArray` for single-input models, else one per input. */
export type ModelInput = NdArray | NdArray[];

/**
 * Validate inputs against the model (count, shape, finiteness) and return them as a list of
 * float32/int32 `NdArray`s. Fails with an `ExplainError` naming the input and both shapes.
 */
export function checkInputs(km: KerasModel, x: ModelInput): NdArray[] {
  let ts: tf.Tensor[];
  try {
    ts = toInputTensors(km, x);
  } catch (e) {
    return fail('INPUT_SHAPE', (e as Error).message, e);
  }
  tf.dispose(ts);
  const list = Array.isArray(x) ? x : [x];
  const batch = list[0].shape[0];
  list.forEach((a, i) => {
    if (a.shape[0] !== batch)
      fail(
        'INPUT_SHAPE',
        `All inputs need the same batch size; input '${km.inputNames[i]}' has ${a.shape[0]}, input '${km.inputNames[0]}' has ${batch}.`,
      );
  });
  return list.map((a, i) => ({
    data:
      km.model.inputs[i].dtype === 'int32'
        ? Int32Array.from(a.data)
        : a.data instanceof Float32Array
          ? a.data
          : Float32Array.from(a.data),
    shape: [...a.shape],
  }));
}

/** Number of values per sample of an array with batch axis first. */
export function perSample(shape: number[]): number {
  return rowSize(shape);
}

/** A tensor of the given rows (sample indices, repeats allowed) of a plain batch-first array. */
export function rowsTensor(a: NdArray, rows: ArrayLike<number>, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  const r = dtype === 'int32' ? takeRows(a, rows, Int32Array) : takeRows(a, rows, Float32Array);
  return tf.tensor(r.data, r.shape, dtype);
}

/** Feeds for `runGraph`: the model inputs' symbolic tensors → these values. */
export function inputFeeds(km: KerasModel, xs: tf.Tensor[]): Map<tf.SymbolicTensor, tf.Tensor> {
  return new Map(km.model.inputs.map((s, i) => [s, xs[i]]));
}

/**
 * Evaluate a batch of `batch` rows in chunks of at most `size` rows and join the chunks along the
 * batch axis: `fn` gets the rows of one chunk and returns tensors whose first axis is those rows;
 * the result has one float32 array per tensor, of shape `[batch, …]`. `fn` runs inside `tf.tidy`;
 * the tensors it returns are read and disposed. The one place explain concatenates batch chunks.
 */
export function inBatches(batch: number, size: number, fn: (rows: number[]) => tf.Tensor[]): NdArray[] {
  if (!(size >= 1)) fail('BAD_OPTION', `internalBatchSize must be ≥ 1; got ${size}.`);
  const parts: NdArray<Float32Array>[][] = [];
  for (let start = 0; start < batch; start += size) {
    const rows = Array.from({ length: Math.min(batch, start + size) - start }, (_, i) => start + i);
    const got = tf.tidy(() => fn(rows));
    got.forEach((t, i) => {
      const data = t.dtype === 'float32' ? (t.dataSync() as Float32Array) : Float32Array.from(t.dataSync());
      (parts[i] ??= []).push({ data, shape: [...t.shape] });
    });
    tf.dispose(got);
  }
  return parts.map((p) => concatRows(p));
}

/** Read a tensor into a plain array and dispose it. */
export function take(t: tf.Tensor): NdArray {
  const data = t.dtype === 'int32' ? (t.dataSync() as Int32Array) : (t.dataSync() as Float32Array);
  const shape = [...t.shape];
  t.dispose();
  return { data, shape };
}
