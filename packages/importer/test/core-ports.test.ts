import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { modelFromConfig, predict } from '../src/index.ts';

/** A one-layer Sequential Keras 2 config around `layer`. */
const seq = (
  shape: number[],
  layer: { class_name: string; config: Record<string, unknown> },
  pre: { class_name: string; config: Record<string, unknown> }[] = [],
) => ({
  class_name: 'Sequential',
  config: {
    name: 's',
    layers: [{ class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, ...shape] } }, ...pre, layer],
  },
});

async function run1(
  shape: number[],
  layer: { class_name: string; config: Record<string, unknown> },
  x: number[],
  pre: { class_name: string; config: Record<string, unknown> }[] = [],
) {
  const km = await modelFromConfig(seq(shape, layer, pre));
  const [y] = predict(km, { data: Float32Array.from(x), shape: [1, ...shape] });
  km.dispose();
  return y;
}

describe('TF.js-backed and small ports, closed form', () => {
  it('ReLU with threshold, negative_slope and max_value', async () => {
    const y = await run1(
      [5],
      { class_name: 'ReLU', config: { name: 'r', max_value: 2, negative_slope: 0.5, threshold: 1 } },
      [-1, 0.5, 1, 1.5, 3],
    );
    expect(Array.from(y.data)).toEqual([-1, -0.25, 1, 1.5, 2]);
  });

  it('LeakyReLU reads Keras 2 alpha and Keras 3 negative_slope', async () => {
    expect(
      Array.from((await run1([2], { class_name: 'LeakyReLU', config: { name: 'l', alpha: 0.1 } }, [-2, 3])).data),
    ).toEqual([expect.closeTo(-0.2, 6), 3]);
    expect(
      Array.from(
        (await run1([2], { class_name: 'LeakyReLU', config: { name: 'l', negative_slope: 0.25 } }, [-2, 3])).data,
      ),
    ).toEqual([-0.5, 3]);
  });

  it('GlobalAveragePooling1D: keepdims and the masked mean Keras computes', async () => {
    const y = await run1(
      [3, 2],
      { class_name: 'GlobalAveragePooling1D', config: { name: 'g', keepdims: true } },
      [1, 2, 3, 4, 5, 6],
    );
    expect(y.shape).toEqual([1, 1, 2]);
    expect(Array.from(y.data)).toEqual([3, 4]);
    // Masking(0) hides the last step: the mean is over the first two steps only.
    const m = await run1(
      [3, 2],
      { class_name: 'GlobalAveragePooling1D', config: { name: 'g' } },
      [1, 2, 3, 4, 0, 0],
      [{ class_name: 'Masking', config: { name: 'm', mask_value: 0 } }],
    );
    expect(Array.from(m.data)).toEqual([2, 3]);
  });

  it('GlobalMaxPooling1D', async () => {
    const y = await run1([3, 2], { class_name: 'GlobalMaxPooling1D', config: { name: 'g' } }, [1, 9, 3, 4, 5, 6]);
    expect(Array.from(y.data)).toEqual([5, 9]);
  });

  it('Dense on a sequence acts on the last axis; Permute, RepeatVector, Reshape, Flatten keep C order', async () => {
    const km = await modelFromConfig(
      seq([2, 3], { class_name: 'Dense', config: { name: 'd', units: 1, use_bias: false, activation: 'linear' } }),
    );
    km.layer('d').setWeights([tf.tensor2d([1, 10, 100], [3, 1])]);
    const [y] = predict(km, { data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [1, 2, 3] });
    expect(Array.from(y.data)).toEqual([321, 654]);
    km.dispose();
    expect(
      Array.from(
        (await run1([2, 3], { class_name: 'Permute', config: { name: 'p', dims: [2, 1] } }, [1, 2, 3, 4, 5, 6])).data,
      ),
    ).toEqual([1, 4, 2, 5, 3, 6]);
    expect(
      Array.from((await run1([2], { class_name: 'RepeatVector', config: { name: 'r', n: 2 } }, [1, 2])).data),
    ).toEqual([1, 2, 1, 2]);
    expect(
      (await run1([6], { class_name: 'Reshape', config: { name: 'r', target_shape: [3, 2] } }, [1, 2, 3, 4, 5, 6]))
        .shape,
    ).toEqual([1, 3, 2]);
  });

  it('hard_sigmoid in an Activation layer follows the Keras version', async () => {
    const cfg = seq([1], { class_name: 'Activation', config: { name: 'a', activation: 'hard_sigmoid' } });
    const k2 = await modelFromConfig(cfg, { kerasVersion: '2.2.4' });
    const k3 = await modelFromConfig(cfg, { kerasVersion: '3.9.2' });
    const x = { data: Float32Array.of(1.5), shape: [1, 1] };
    expect(predict(k2, x)[0].data[0]).toBeCloseTo(0.8, 6);
    expect(predict(k3, x)[0].data[0]).toBeCloseTo(0.75, 6);
    k2.dispose();
    k3.dispose();
  });
});
