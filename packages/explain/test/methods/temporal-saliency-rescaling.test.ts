import { describe, expect, it } from 'vitest';
import { explain, methods } from '../../src/index.ts';
import { expectAllClose, noLeak, randn, randomizeWeights, sequential, toy } from '../helpers.ts';

const T = 6;
const F = 3;
const W = Array.from({ length: T * F }, (_, k) => Math.sin(k + 1) * (1 + (k % 4)));
const linear = () =>
  toy(
    sequential(
      [T, F],
      [
        { class_name: 'Flatten', config: { name: 'flat' } },
        { class_name: 'Dense', config: { name: 'd', units: 1, use_bias: false } },
      ],
    ),
    { d: [W] },
  );
const minmax = (v: number[]) => {
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return v.map((x) => (x - lo) / (hi - lo));
};
const quantile = (v: number[], q: number) => {
  const s = [...v].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  return s[lo] + (pos - lo) * (s[lo + 1] - s[lo]);
};

/** TSR of gradient × input on a linear model: masking cell (t, f) to 0 changes R = w ⊙ x only there. */
function expected(x: ArrayLike<number>, b: number): number[] {
  const c = (t: number, f: number) => Math.abs(W[t * F + f] * x[b * T * F + t * F + f]);
  const time = minmax(Array.from({ length: T }, (_, t) => (c(t, 0) + c(t, 1) + c(t, 2)) / F));
  const thr = quantile(time, 0.55);
  const out: number[] = [];
  for (let t = 0; t < T; t++) {
    const feats = time[t] > thr ? minmax([0, 1, 2].map((f) => c(t, f))) : [0.1, 0.1, 0.1];
    for (let f = 0; f < F; f++) out.push(time[t] * feats[f]);
  }
  return out;
}

describe('temporalSaliencyRescaling', () => {
  it('over gradient × input on a linear model is minmax(mean_f |w·x|) × minmax_f |w·x| (0.1 below the quantile)', async () => {
    const km = await linear();
    const x = randn([2, T, F], 1);
    const r = await noLeak(() =>
      explain('temporalSaliencyRescaling', km, x, { wrap: methods.gradientXInput, target: 0, internalBatchSize: 5 }),
    );
    expectAllClose(r.attributions[0].data, [...expected(x.data, 0), ...expected(x.data, 1)], 1e-5);
    // The paper's masking time relevance Σ_f |w·x| is F × the mean: the same after min–max scaling.
    const m = await explain('temporalSaliencyRescaling', km, x, {
      wrap: methods.gradientXInput,
      timeRelevance: 'masking',
      target: 0,
    });
    expectAllClose(m.attributions[0].data, r.attributions[0].data, 1e-5);
    km.dispose();
  });

  it('over the gradient of a linear model zeroes the selected steps (masking does not move a constant gradient)', async () => {
    const km = await linear();
    const x = randn([1, T, F], 2);
    const r = await explain('temporalSaliencyRescaling', km, x, { wrap: methods.gradient, target: 0 });
    const time = minmax(
      Array.from({ length: T }, (_, t) => (Math.abs(W[t * F]) + Math.abs(W[t * F + 1]) + Math.abs(W[t * F + 2])) / F),
    );
    const thr = quantile(time, 0.55);
    for (let t = 0; t < T; t++)
      for (let f = 0; f < F; f++)
        expect(r.attributions[0].data[t * F + f]).toBeCloseTo(time[t] > thr ? 0 : 0.1 * time[t], 6);
    km.dispose();
  });

  it('wraps a method with layer overrides (LRP) and feature groups, and refuses non-sequence inputs', async () => {
    const km = await toy(
      sequential(
        [T, F],
        [
          { class_name: 'LSTM', config: { name: 'rnn', units: 3 } },
          { class_name: 'Dense', config: { name: 'out', units: 2 } },
        ],
      ),
    );
    randomizeWeights(km, 3);
    const x = randn([2, T, F], 3);
    const r = await noLeak(() =>
      explain('temporalSaliencyRescaling', km, x, { wrap: methods.lrpEpsilon, features: [[0, 1], [2]], target: 0 }),
    );
    expect(r.attributions[0].shape).toEqual([2, T, F]);
    expect(Array.from(r.attributions[0].data).every((v) => v >= 0 && v <= 1)).toBe(true);
    // Cells of one feature group share their value at every step.
    for (let t = 0; t < T; t++) expect(r.attributions[0].data[t * F]).toBe(r.attributions[0].data[t * F + 1]);
    km.dispose();
    const flat = await toy(sequential([4], [{ class_name: 'Dense', config: { name: 'd', units: 1 } }]));
    await expect(explain('temporalSaliencyRescaling', flat, randn([1, 4]))).rejects.toThrow(
      /\(batch, steps, features\)/,
    );
    flat.dispose();
  });
});
