import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { SeqSelfAttention, type SeqSelfAttentionArgs } from '../../src/layers/cyberzhg/seq-self-attention.ts';
import { KERNEL, registerFastKernels } from '../../src/layers/fast/kernels.ts';
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

/**
 * Scores and gradients of the kernel itself against float64 on inputs scaled so that each batch
 * element takes a chosen form: the kernels pick, per batch element, the paired form (forward) where
 * every |q|, |k| ≤ 15 and |wa| ≤ 1e6, one divide per term where they are ≤ 30 (the backward also
 * at ≤ 15), and the direct tanh loop beyond; each limit is taken exactly and just above. T = 11
 * and 3 reach every row and column remainder of the loops (rows 4, 2 and 1 at a time, columns s 4
 * at a time and alone), U = 12 the paired form's odd last vector of u and U = 5 the padding lanes.
 */
describe.each(BACKENDS)('the additive score kernel on %s', (backendName) => {
  const scenarios: [string, number, number[]][] = [
    // [name, max |wa|, max |q|, |k| of each batch element]
    ['ordinary weights', 0.7, [2, 15, 15.001, 30, 30.001, 60]],
    ['|wa| at its limit', 1e6, [3, 15, 30]],
    ['|wa| above its limit (direct)', 1.001e6, [2, 20]],
  ];
  const shapes: [number, number][] = [
    [11, 12],
    [11, 32],
    [3, 5],
  ];
  it.each(scenarios.flatMap(([name, waMax, mags]) => shapes.map(([T, U]) => [name, waMax, mags, T, U] as const)))(
    '%s, T %i, U %i',
    async (_name, waMax, mags, T, U) => {
      await useBackend(backendName);
      registerFastKernels();
      const B = mags.length;
      const scaled = (seed: number, n: number, max: number) => {
        const v = rnd([n], seed)
          .dataSync()
          .map((x) => x * max);
        v[seed % n] = max; // the element's largest magnitude, exactly
        return v;
      };
      const q = new Float32Array(B * T * U);
      const k = new Float32Array(B * T * U);
      mags.forEach((m, b) => {
        q.set(scaled(31 + b, T * U, m), b * T * U);
        k.set(scaled(57 + b, T * U, -m), b * T * U);
      });
      const wa = scaled(5, U, waMax);
      const ba = 0.25;
      const de = rnd([B, T, T], 11).dataSync();
      const inputs = { q: tf.tensor(q, [B, T, U]), k: tf.tensor(k, [B, T, U]), wa: tf.tensor(wa), ba: tf.tensor([ba]) };
      const e = tf.engine().runKernel(KERNEL.additive, inputs) as tf.Tensor;
      const grads = tf
        .engine()
        .runKernel(KERNEL.additiveGrad, { ...inputs, de: tf.tensor(de, [B, T, T]) }) as tf.Tensor[];
      const [eF, dqF, dkF, dwaF] = [e, ...grads].map((t) => t.dataSync());
      tf.dispose([e, ...grads, ...Object.values(inputs)]);

      const eR = new Float64Array(B * T * T);
      const dqR = new Float64Array(B * T * U);
      const dkR = new Float64Array(B * T * U);
      const dwaR = new Float64Array(U);
      for (let b = 0; b < B; b++)
        for (let t = 0; t < T; t++)
          for (let s = 0; s < T; s++) {
            const d = de[(b * T + t) * T + s];
            let acc = ba;
            for (let u = 0; u < U; u++) {
              const th = Math.tanh(q[(b * T + t) * U + u] + k[(b * T + s) * U + u]);
              acc += wa[u] * th;
              const g = d * wa[u] * (1 - th * th);
              dqR[(b * T + t) * U + u] += g;
              dkR[(b * T + s) * U + u] += g;
              dwaR[u] += d * th;
            }
            eR[(b * T + t) * T + s] = acc;
          }
      // each batch element (and dwa, a sum over all) against the largest magnitude of its reference
      const check = (what: string, fast: Float32Array, ref: Float64Array, parts: number, tol: number) => {
        const n = ref.length / parts;
        for (let p = 0; p < parts; p++) {
          let scale = 0;
          for (let i = p * n; i < (p + 1) * n; i++) scale = Math.max(scale, Math.abs(ref[i]));
          for (let i = p * n; i < (p + 1) * n; i++)
            if (!(Math.abs(fast[i] - ref[i]) <= tol * scale))
              expect.fail(
                `${what} index ${i} (batch element ${p}): fast ${fast[i]}, float64 ${ref[i]}, scale ${scale}`,
              );
        }
      };
      check('e', eF as Float32Array, eR, B, 3e-6);
      check('dq', dqF as Float32Array, dqR, B, 2e-5);
      check('dk', dkF as Float32Array, dkR, B, 2e-5);
      check('dwa', dwaF as Float32Array, dwaR, 1, 2e-5);
    },
  );
});
