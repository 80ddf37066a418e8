import { describe, expect, it } from 'vitest';
import { type KerasModel, type KerasModelJson, modelFromConfig, predict, toInputTensors } from '../src/index.ts';
import * as tf from '@tensorflow/tfjs';
import { errorOf } from './error-of.ts';

/** Input (batch, 3, 2) → Dense(1): a float model with a known time length. */
const floatModel: KerasModelJson = {
  class_name: 'Sequential',
  config: {
    name: 'floaty',
    layers: [
      { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 3, 2], dtype: 'float32' } },
      { class_name: 'Dense', config: { name: 'dense', units: 1 } },
    ],
  },
} as KerasModelJson;

/** Token ids (batch, 5) int32 → Embedding(10, 2). */
const tokenModel: KerasModelJson = {
  class_name: 'Sequential',
  config: {
    name: 'tokens',
    layers: [
      { class_name: 'InputLayer', config: { name: 'ids', batch_input_shape: [null, 5], dtype: 'int32' } },
      { class_name: 'Embedding', config: { name: 'emb', input_dim: 10, output_dim: 2 } },
    ],
  },
} as KerasModelJson;

const x = (shape: number[], fill = 0.5) => ({
  data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill),
  shape,
});

describe('predict-time input validation', () => {
  let km: KerasModel;
  let ids: KerasModel;
  it('loads the toy models', async () => {
    km = await modelFromConfig(floatModel);
    ids = await modelFromConfig(tokenModel);
  });

  it('wrong number of inputs', () => {
    const e = errorOf(() => predict(km, [x([1, 3, 2]), x([1, 3, 2])]));
    expect(e.code).toBe('INPUT_SHAPE');
    expect(e.message).toMatch(/Model 'floaty' takes 1 input\(s\) \(x\) but 2 were given/);
  });

  it('wrong rank names both ranks and shapes', () => {
    const e = errorOf(() => predict(km, x([3, 2])));
    expect(e.code).toBe('INPUT_SHAPE');
    expect(e.message).toMatch(
      /Input 'x' of model 'floaty' must have rank 3, shape \[None, 3, 2\] \(batch first\), but the data has rank 2, shape \[3, 2\]/,
    );
  });

  it('wrong dimension, and data that does not fill the shape', () => {
    expect(errorOf(() => predict(km, x([1, 4, 2]))).message).toMatch(
      /must have shape \[None, 3, 2\] \(batch first\), but the data has shape \[1, 4, 2\]\. Reshape/,
    );
    const short = { data: new Float32Array(5), shape: [1, 3, 2] };
    expect(errorOf(() => predict(km, short)).message).toMatch(/data has shape \[1, 3, 2\] and 5 values/);
    expect(errorOf(() => predict(km, { data: new Float32Array(6), shape: [1, 3, -2] })).message).toMatch(
      /dimensions must be non-negative integers/,
    );
    expect(errorOf(() => predict(km, { data: new Float32Array(6), shape: [1, 3, 2.5] })).code).toBe('INPUT_SHAPE');
  });

  it('empty batch', () => {
    const e = errorOf(() => predict(km, { data: new Float32Array(0), shape: [0, 3, 2] }));
    expect(e.code).toBe('INPUT_SHAPE');
    expect(e.message).toMatch(
      /Input 'x' of model 'floaty' is an empty batch \(shape \[0, 3, 2\]\): give at least one sample/,
    );
  });

  it('wrong dtype: Float64Array, plain arrays and fractional token ids', () => {
    const f64 = { data: new Float64Array(6), shape: [1, 3, 2] } as never;
    expect(errorOf(() => predict(km, f64)).message).toMatch(
      /data must be a Float32Array or Int32Array, got Float64Array\. Convert it first/,
    );
    const plain = { data: [1, 2, 3, 4, 5, 6], shape: [1, 3, 2] } as never;
    expect(errorOf(() => predict(km, plain)).message).toMatch(/got a plain array/);
    expect(errorOf(() => predict(km, null as never)).message).toMatch(/must be \{ data, shape \}/);
    const frac = { data: Float32Array.of(1, 2, 3.5, 4, 5), shape: [1, 5] };
    expect(errorOf(() => predict(ids, frac)).message).toMatch(
      /Input 'ids' of model 'tokens' takes integers \(int32, e\.g\. token ids\) but has 3\.5 at \[0, 2\] \(flat index 2\)/,
    );
    // Whole-number floats and Int32Array are fine for an int32 input; Int32Array for a float input too.
    expect(predict(ids, { data: Float32Array.of(1, 2, 3, 4, 5), shape: [1, 5] })[0].shape).toEqual([1, 5, 2]);
    expect(predict(ids, { data: Int32Array.of(1, 2, 3, 4, 5), shape: [1, 5] })[0].shape).toEqual([1, 5, 2]);
    expect(predict(km, { data: Int32Array.of(1, 2, 3, 4, 5, 6), shape: [1, 3, 2] })[0].shape).toEqual([1, 3, 1]);
  });

  it('an id outside an Embedding table is an input error naming the layer, not a Keraspect bug', () => {
    for (const bad of [10, -1]) {
      const e = errorOf(() => predict(ids, { data: Int32Array.of(1, 2, bad, 4, 5), shape: [1, 5] }));
      expect(e.code).toBe('INPUT_SHAPE');
      expect(e.message).toMatch(
        new RegExp(
          `Input 'ids' of model 'tokens' has id ${bad} at \\[0, 2\\] \\(flat index 2\\), but it feeds Embedding 'emb', whose table has input_dim 10 rows: ids must be in \\[0, 10\\)`,
        ),
      );
    }
    expect(predict(ids, { data: Int32Array.of(0, 9, 9, 0, 1), shape: [1, 5] })[0].shape).toEqual([1, 5, 2]);
  });

  it("NaN/Inf: an error by default naming the index, or passed on with nonFinite: 'propagate'", () => {
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const input = x([2, 3, 2]);
      input.data[7] = bad;
      const e = errorOf(() => predict(km, input));
      expect(e.code).toBe('INPUT_SHAPE');
      expect(e.message).toContain(
        `contains ${bad} at [1, 0, 1] (flat index 7); Keraspect needs finite inputs. Clean or impute the data first (or, calling predict from code, pass { nonFinite: 'propagate' }`,
      );
      const [y] = predict(km, input, { nonFinite: 'propagate' });
      // Row 1, step 0 holds the bad value; the (zero-weight) Dense turns it into NaN there only.
      expect(Number.isNaN(y.data[3])).toBe(true);
      expect(y.data[0]).toBe(0);
    }
    expect(errorOf(() => predict(km, x([1, 3, 2]), { nonFinite: 'ignore' as never })).code).toBe('BAD_ARGUMENT');
  });

  it('no tensors are left behind by rejected inputs', () => {
    const before = tf.memory().numTensors;
    errorOf(() => toInputTensors(km, { data: new Float32Array(0), shape: [0, 3, 2] }));
    errorOf(() => predict(km, x([1, 4, 2])));
    expect(tf.memory().numTensors).toBe(before);
    km.dispose();
    ids.dispose();
  });
});
