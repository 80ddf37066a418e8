import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { portFor } from '../../src/layers/registry.ts';
import { ctx } from './helpers.ts';

/** Input gradients through every builtin port on the wasm backend (which lacks some gradient kernels). */
describe('input gradients on the wasm backend', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  });

  const pair = (l: tf.layers.Layer, t: tf.Tensor) => l.apply([t, t]) as tf.Tensor;
  const one = (l: tf.layers.Layer, t: tf.Tensor) => l.apply(t) as tf.Tensor;
  const cases: [string, Record<string, unknown>, (l: tf.layers.Layer, t: tf.Tensor) => tf.Tensor][] = [
    ['GRU', { units: 3, reset_after: true, return_sequences: true }, one],
    ['GRU', { units: 3, reset_after: false }, one],
    ['CuDNNGRU', { units: 3 }, one],
    ['Attention', { use_scale: true, score_mode: 'concat' }, pair],
    ['AdditiveAttention', { use_scale: true }, pair],
    ['MultiHeadAttention', { num_heads: 2, key_dim: 2 }, pair],
    ['SeparableConv1D', { filters: 2, kernel_size: 3, padding: 'causal', dilation_rate: 2, depth_multiplier: 2 }, one],
    ['Conv1D', { filters: 2, kernel_size: 3, padding: 'same', dilation_rate: 2 }, one],
    ['UpSampling1D', { size: 2 }, one],
    ['ZeroPadding1D', { padding: 1 }, one],
    ['Cropping1D', { cropping: 1 }, one],
    ['Subtract', {}, pair],
    ['Merge', { mode: 'concat' }, pair],
  ];
  for (const [cls, config, run] of cases) {
    it(`${cls} ${JSON.stringify(config)}`, () => {
      expect(tf.getBackend()).toBe('wasm');
      const c = { name: cls.toLowerCase(), ...config };
      const layer = portFor(cls, c).build(c, ctx());
      const x = tf.randomNormal([2, 6, 2]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(run(layer, t)))(x);
      expect(g.shape).toEqual([2, 6, 2]);
      expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    });
  }
});
