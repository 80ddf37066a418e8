import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { activationFor } from '../src/layers/activations.ts';

const k2 = { raw: '2.3.1', major: 2, minor: 3, patch: 1 };
const k3 = { raw: '3.9.2', major: 3, minor: 9, patch: 2 };

describe('activationFor', () => {
  it('maps hard_sigmoid by Keras version', async () => {
    const x = tf.tensor1d([-2, 0, 1]);
    const a2 = tf.layers.dense({ units: 1, activation: activationFor('hard_sigmoid', k2) as never });
    const a3 = tf.layers.activation({ activation: activationFor('hard_sigmoid', k3) as never });
    expect(activationFor('hard_sigmoid', k2)).toBe('hardSigmoid');
    expect(Array.from((a3.apply(x) as tf.Tensor).dataSync())).toEqual([
      expect.closeTo(0.5 - 2 / 6, 6),
      0.5,
      expect.closeTo(0.5 + 1 / 6, 6),
    ]);
    expect(a2).toBeDefined();
  });
  it('rejects unknown activations with the list', () => {
    expect(() => activationFor('wobble', k3)).toThrow(/activation 'wobble' is not supported. Supported: .*relu/);
  });
});
