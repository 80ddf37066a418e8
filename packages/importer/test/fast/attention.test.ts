import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { SeqSelfAttention, type SeqSelfAttentionArgs } from '../../src/layers/cyberzhg/seq-self-attention.ts';
import { KERNEL } from '../../src/layers/fast/kernels.ts';
import { BACKENDS, bothPaths, bothPathsWarmUp, expectAgree, randomizeWeights, rnd, useBackend } from './helpers.ts';

const B = 2;
const T = 11;
const F = 6;

const cases: [string, SeqSelfAttentionArgs][] = [
  ['units 32, return_attention (current)', { units: 32, returnAttention: true }],
  [
    'units 5 (not a multiple of 4), no biases',
    { units: 5, useAdditiveBias: false, useAttentionBias: false, returnAttention: true },
  ],
  ['legacy variant with attention_width 4', { units: 8, attentionWidth: 4, variant: 'legacy' }],
  ['history_only, sigmoid score activation', { units: 7, historyOnly: true, attentionActivation: 'sigmoid' }],
];

describe.each(BACKENDS)('fused additive attention scores agree with the TF.js ops on %s', (backendName) => {
  it.each(cases.map(([n, a], i) => [n, a, i] as const))('%s', async (_n, args, i) => {
    await useBackend(backendName);
    const layer = new SeqSelfAttention({ ...args, name: `ssa_${backendName}_${i}` });
    const x = rnd([B, T, F], 300 + i, 1.2);
    tf.dispose(layer.apply(x) as tf.Tensor);
    randomizeWeights(layer, 400 + i, 0.7);
    const call = (xx: tf.Tensor) => {
      const y = layer.apply(xx) as tf.Tensor | tf.Tensor[];
      return Array.isArray(y) ? y : [y];
    };
    const loss = (xx: tf.Tensor) =>
      tf.addN(call(xx).map((y, k) => tf.sum(tf.mul(y, rnd(y.shape, 9 + k))))) as tf.Scalar;
    bothPathsWarmUp(() => call(x));
    const fwd = bothPaths(() => call(x));
    expectAgree(fwd.fast, fwd.reference, 1e-5, 1e-4, 'output');
    const grads = bothPaths(() => {
      const { value, grads: g } = tf.variableGrads(
        () => loss(x),
        layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val),
      );
      value.dispose();
      return [tf.grad(loss)(x), ...Object.values(g)];
    });
    // Inputs ×40 make the weight gradients sums of terms far larger than the result, so either
    // path's float32 rounding (and fused multiply-add's different rounding) moves them by ~1e-3.
    expectAgree(grads.fast, grads.reference, 2e-5, 1e-3, 'gradient');
    x.dispose();
    layer.dispose();
  });
});

describe.each(BACKENDS)('fused additive attention on %s', (backendName) => {
  it('agrees with the TF.js ops where scores are large enough to overflow exp (the direct tanh loop), batch mixed with normal ones', async () => {
    await useBackend(backendName);
    const layer = new SeqSelfAttention({ units: 6, returnAttention: true, name: `ssa_large_${backendName}` });
    // sample 0: |q|, |k| up to ~100 (the direct loop); sample 1: ordinary magnitudes (the exp form)
    const x = tf.tidy(() => tf.mul(rnd([B, T, F], 77, 1), tf.tensor([40, 1], [B, 1, 1])));
    tf.dispose(layer.apply(x) as tf.Tensor);
    randomizeWeights(layer, 78, 0.7);
    const call = (xx: tf.Tensor) => layer.apply(xx) as tf.Tensor[];
    const loss = (xx: tf.Tensor) =>
      tf.addN(call(xx).map((y, k) => tf.sum(tf.mul(y, rnd(y.shape, 5 + k))))) as tf.Scalar;
    bothPathsWarmUp(() => call(x));
    const fwd = bothPaths(() => call(x));
    expectAgree(fwd.fast, fwd.reference, 1e-5, 1e-4, 'output');
    const grads = bothPaths(() => {
      const { value, grads: g } = tf.variableGrads(
        () => loss(x),
        layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val),
      );
      value.dispose();
      return [tf.grad(loss)(x), ...Object.values(g)];
    });
    // Inputs ×40 make the weight gradients sums of terms far larger than the result, so either
    // path's float32 rounding (and fused multiply-add's different rounding) moves them by ~1e-3.
    expectAgree(grads.fast, grads.reference, 2e-5, 1e-3, 'gradient');
    x.dispose();
    layer.dispose();
  });
});

describe('fused additive attention', () => {
  it('runs as one kernel, not as a (B, T, T, U) tanh', async () => {
    await useBackend('wasm');
    const layer = new SeqSelfAttention({ units: 4 });
    const x = rnd([1, 5, 3], 1);
    const profile = await tf.profile(() => layer.apply(x) as tf.Tensor);
    expect(profile.kernelNames, JSON.stringify(profile.kernelNames)).toContain(KERNEL.additive);
    expect(profile.kernelNames).not.toContain('Tanh');
    x.dispose();
  });
});

afterAll(async () => {
  await useBackend('cpu');
});
