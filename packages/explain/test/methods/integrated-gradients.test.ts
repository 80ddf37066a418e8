import { describe, expect, it } from 'vitest';
import { explain, type IntegrationRule, integrationRules, quadrature } from '../../src/index.ts';
import { functional, nd, node, noLeak, randn, randomizeWeights, sequential, toy } from '../helpers.ts';

// A smooth nonlinear toy: LSTM(4) → Dense(1, tanh).
const lstmModel = async () => {
  const km = await toy(
    sequential(
      [5, 3],
      [
        { class_name: 'LSTM', config: { name: 'lstm', units: 4, recurrent_activation: 'sigmoid' } },
        { class_name: 'Dense', config: { name: 'out', units: 1, activation: 'tanh' } },
      ],
    ),
  );
  randomizeWeights(km, 11, 0.6);
  return km;
};

// A cubic polynomial: (a·x)(b·x)(c·x) with three Dense(1) branches multiplied.
const cubic = () =>
  toy(
    functional(
      [
        node('InputLayer', 'x', { batch_input_shape: [null, 3] }, []),
        node('Dense', 'a', { units: 1, use_bias: false }, ['x']),
        node('Dense', 'b', { units: 1, use_bias: false }, ['x']),
        node('Dense', 'c', { units: 1, use_bias: false }, ['x']),
        node('Multiply', 'm', {}, ['a', 'b', 'c']),
      ],
      ['x'],
      ['m'],
    ),
    { a: [[1, 0.5, -1]], b: [[0.3, 2, 0.7]], c: [[-1, 1, 2]] },
    { a: [[3, 1]], b: [[3, 1]], c: [[3, 1]] },
  );

describe('quadrature', () => {
  it.each(integrationRules.map((r) => [r]))('%s weights sum to 1 and nodes lie in [0, 1]', (rule) => {
    const q = quadrature(rule as IntegrationRule, 7);
    expect(q.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(q.alphas.every((a) => a >= 0 && a <= 1)).toBe(true);
  });
  it('Gauss–Legendre with n points integrates α^(2n−1) exactly', () => {
    for (const n of [1, 2, 3, 5, 8]) {
      const q = quadrature('gaussLegendre', n);
      const integral = q.alphas.reduce((s, a, i) => s + q.weights[i] * a ** (2 * n - 1), 0);
      expect(integral).toBeCloseTo(1 / (2 * n), 12);
    }
  });
});

describe('integratedGradients', () => {
  it.each(integrationRules.map((r) => [r]))(
    'completeness with rule %s: Σattr ≈ f(x) − f(0), small delta',
    async (rule) => {
      const km = await lstmModel();
      const x = randn([3, 5, 3], 5);
      const r = await noLeak(() =>
        explain('integratedGradients', km, x, {
          rule: rule as IntegrationRule,
          steps: 64,
          target: 0,
          internalBatchSize: 50,
        }),
      );
      expect(r.attributions[0].shape).toEqual([3, 5, 3]);
      const delta = r.delta as Float32Array;
      const scale = Math.max(...Array.from(r.scores, Math.abs));
      for (const d of delta)
        expect(Math.abs(d)).toBeLessThan((rule === 'left' || rule === 'right' ? 2e-2 : 1e-3) * Math.max(scale, 1));
      km.dispose();
    },
  );

  it('Gauss–Legendre is exact for a cubic model with 2 points; left Riemann with 2 is not', async () => {
    const km = await cubic();
    const x = nd([1, -2, 0.5, 0.3, 0.2, -1], [2, 3]);
    const gl = await explain('integratedGradients', km, x, { rule: 'gaussLegendre', steps: 2, target: 0 });
    for (const d of gl.delta as Float32Array) expect(Math.abs(d)).toBeLessThan(1e-5);
    const left = await explain('integratedGradients', km, x, { rule: 'left', steps: 2, target: 0 });
    expect(Math.max(...Array.from(left.delta as Float32Array, Math.abs))).toBeGreaterThan(1e-2);
    km.dispose();
  });

  it('baselines: per-feature mean, a given series, random noise (seeded, averaged)', async () => {
    const km = await lstmModel();
    const x = randn([2, 5, 3], 9);
    const mean = await explain('integratedGradients', km, x, { baseline: 'mean', steps: 32, target: 0 });
    const series = await explain('integratedGradients', km, x, { baseline: randn([5, 3], 4), steps: 32, target: 0 });
    const noise = await noLeak(() =>
      explain('integratedGradients', km, x, {
        baseline: { noise: { samples: 3, stdev: 0.5 } },
        steps: 32,
        target: 0,
        seed: 1,
      }),
    );
    const again = await explain('integratedGradients', km, x, {
      baseline: { noise: { samples: 3, stdev: 0.5 } },
      steps: 32,
      target: 0,
      seed: 1,
    });
    for (const r of [mean, series, noise])
      for (const d of r.delta as Float32Array) expect(Math.abs(d)).toBeLessThan(1e-3);
    expect(Array.from(again.attributions[0].data)).toEqual(Array.from(noise.attributions[0].data));
    // The baseline equal to x gives zero attributions.
    const self = await explain('integratedGradients', km, x, { baseline: x, steps: 8, target: 0 });
    expect(Math.max(...Array.from(self.attributions[0].data, Math.abs))).toBe(0);
    km.dispose();
  });

  it('bounds memory with internalBatchSize: same result in chunks of 1 and 1000', async () => {
    const km = await lstmModel();
    const x = randn([2, 5, 3], 2);
    const a = await explain('integratedGradients', km, x, { steps: 5, internalBatchSize: 1, target: 0 });
    const b = await explain('integratedGradients', km, x, { steps: 5, internalBatchSize: 1000, target: 0 });
    for (let i = 0; i < a.attributions[0].data.length; i++)
      expect(a.attributions[0].data[i]).toBeCloseTo(b.attributions[0].data[i], 5);
    km.dispose();
  });
});

describe('integratedGradients multiplyByInputs', () => {
  it('false returns the path-averaged gradient: (x − x′) ⊙ it is the default attribution, same delta', async () => {
    const km = await lstmModel();
    const x = randn([2, 5, 3], 4);
    const base = randn([1, 5, 3], 5);
    const on = await explain('integratedGradients', km, x, { baseline: base, steps: 8, target: 0 });
    const off = await noLeak(() =>
      explain('integratedGradients', km, x, { baseline: base, steps: 8, target: 0, multiplyByInputs: false }),
    );
    for (let i = 0; i < x.data.length; i++)
      expect(off.attributions[0].data[i] * (x.data[i] - base.data[i % 15])).toBeCloseTo(on.attributions[0].data[i], 6);
    expect(Array.from(off.delta!)).toEqual(Array.from(on.delta!));
    km.dispose();
  });
});
