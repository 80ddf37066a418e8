import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { type ImporterError, modelFromConfig, predict } from '../../src/index.ts';
import { portFor } from '../../src/layers/registry.ts';
import { ctx, roundTrip } from './helpers.ts';

// Keras 3 `CategoryEncoding` (keras/src/layers/preprocessing/category_encoding.py and
// utils/numerical_utils.py encode_categorical_inputs): one_hot encodes each element (a last axis
// of size 1 is replaced, any other gets a new axis after it), multi_hot and count reduce the last
// axis to `num_tokens` (1 where the id occurs / how often it occurs). Ids outside [0, num_tokens)
// encode to nothing. The output is float32. Keras' docstring examples are the expected values.

const build = (config: Record<string, unknown>) => {
  const c = { name: 'category_encoding', ...config };
  return portFor('CategoryEncoding', c).build(c, ctx());
};
const run = (layer: tf.layers.Layer, ids: number[], shape: number[], dtype: 'int32' | 'float32' = 'int32') =>
  layer.apply(tf.tensor(ids, shape, dtype)) as tf.Tensor;

describe('CategoryEncoding', () => {
  it("one_hot: [3, 2, 0, 1] with 4 tokens (Keras' example)", () => {
    const y = run(build({ num_tokens: 4, output_mode: 'one_hot' }), [3, 2, 0, 1], [4]);
    expect(y.shape).toEqual([4, 4]);
    expect(y.dtype).toBe('float32');
    expect(Array.from(y.dataSync())).toEqual([0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0]);
  });

  it('one_hot replaces a last axis of size 1 and appends one to any other', () => {
    const layer = build({ num_tokens: 3, output_mode: 'one_hot' });
    const single = run(layer, [2, 0], [2, 1]);
    expect(single.shape).toEqual([2, 3]);
    expect(Array.from(single.dataSync())).toEqual([0, 0, 1, 1, 0, 0]);
    const steps = run(layer, [0, 1, 2, 1], [2, 2]);
    expect(steps.shape).toEqual([2, 2, 3]);
    expect(Array.from(steps.dataSync())).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0]);
    expect(layer.computeOutputShape([null, 1])).toEqual([null, 3]);
    expect(layer.computeOutputShape([null, 5])).toEqual([null, 5, 3]);
    expect(layer.computeOutputShape([null])).toEqual([null, 3]);
  });

  it("multi_hot (the default) and count over the last axis (Keras' examples)", () => {
    const ids = [0, 1, 0, 0, 1, 2, 3, 1];
    const multi = run(build({ num_tokens: 4 }), ids, [4, 2]);
    expect(multi.shape).toEqual([4, 4]);
    expect(Array.from(multi.dataSync())).toEqual([1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1]);
    const count = run(build({ num_tokens: 4, output_mode: 'count' }), ids, [4, 2]);
    expect(Array.from(count.dataSync())).toEqual([1, 1, 0, 0, 2, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1]);
    expect(build({ num_tokens: 4, output_mode: 'count' }).computeOutputShape([null, 2])).toEqual([null, 4]);
  });

  it('float ids (a float32 model input) are truncated as a cast to int; ids out of range encode to nothing', () => {
    const y = run(build({ num_tokens: 3, output_mode: 'one_hot' }), [1.7, 5, -1], [3], 'float32');
    expect(Array.from(y.dataSync())).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("'binary' is Keras' old name for multi_hot; an unknown mode is refused by name", () => {
    const y = run(build({ num_tokens: 3, output_mode: 'binary' }), [2, 2], [1, 2]);
    expect(Array.from(y.dataSync())).toEqual([0, 0, 1]);
    const e = (() => {
      try {
        build({ num_tokens: 3, output_mode: 'tf_idf' });
      } catch (err) {
        return err;
      }
    })();
    expect((e as ImporterError).code).toBe('UNSUPPORTED_CONFIG');
    expect((e as Error).message).toMatch(/output_mode.*tf_idf/);
  });

  it('survives a TF.js config round trip', () => {
    const layer = build({ num_tokens: 5, output_mode: 'count' });
    expect(roundTrip(layer).getConfig()).toEqual(layer.getConfig());
  });

  it('loads in a Keras 3 functional model fed a float32 input', async () => {
    const kt = (layer: string) => ({ class_name: '__keras_tensor__', config: { keras_history: [layer, 0, 0] } });
    const km = await modelFromConfig({
      module: 'keras.src.models.functional',
      class_name: 'Functional',
      config: {
        name: 'f',
        layers: [
          {
            module: 'keras.layers',
            class_name: 'InputLayer',
            config: { name: 'x', batch_shape: [null, 1] },
            name: 'x',
            inbound_nodes: [],
          },
          {
            module: 'keras.layers',
            class_name: 'CategoryEncoding',
            config: { name: 'enc', num_tokens: 4, output_mode: 'one_hot', sparse: false },
            name: 'enc',
            inbound_nodes: [{ args: [kt('x')], kwargs: {} }],
          },
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['enc', 0, 0]],
      },
    });
    const [y] = predict(km, { data: Float32Array.of(3, 0), shape: [2, 1] });
    expect(y.shape).toEqual([2, 4]);
    expect(Array.from(y.data)).toEqual([0, 0, 0, 1, 1, 0, 0, 0]);
    km.dispose();
  });
});

describe('CategoryEncoding with count_weights', () => {
  it('is refused by name, not computed as unweighted counts', async () => {
    const kt = (layer: string) => ({ class_name: '__keras_tensor__', config: { keras_history: [layer, 0, 0] } });
    const input = (name: string) => ({
      module: 'keras.layers',
      class_name: 'InputLayer',
      config: { name, batch_shape: [null, 2] },
      name,
      inbound_nodes: [],
    });
    const e = await modelFromConfig({
      module: 'keras.src.models.functional',
      class_name: 'Functional',
      config: {
        name: 'f',
        layers: [
          input('ids'),
          input('w'),
          {
            module: 'keras.layers',
            class_name: 'CategoryEncoding',
            config: { name: 'enc', num_tokens: 4, output_mode: 'count' },
            name: 'enc',
            inbound_nodes: [{ args: [kt('ids')], kwargs: { count_weights: kt('w') } }],
          },
        ],
        input_layers: [
          ['ids', 0, 0],
          ['w', 0, 0],
        ],
        output_layers: [['enc', 0, 0]],
      },
    }).catch((err: unknown) => err);
    expect((e as ImporterError).code).toBe('UNSUPPORTED_CONFIG');
    expect((e as Error).message).toMatch(/count_weights/);
  });
});
