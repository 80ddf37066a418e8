import { describe, expect, it } from 'vitest';
import { explain } from '../../src/index.ts';
import { expectAllClose, nd, noLeak, randn, sequential, toy } from '../helpers.ts';

// f(x) = Σ w·x over a (4 steps × 2 features) input; feature 1 of step 3 is unused (w = 0).
const W = [1, -2, 0.5, 3, -1, 0.25, 2, 0];
const linear = (w = W) =>
  toy(
    sequential(
      [4, 2],
      [
        { class_name: 'Flatten', config: { name: 'flat' } },
        { class_name: 'Dense', config: { name: 'd', units: 1, use_bias: false } },
      ],
    ),
    { d: [w] },
  );

/** f(x) = Σ_t tanh(u·x_t + c): additive over time steps, nonlinear within a step. */
const U = [0.7, -1.3];
const additive = () =>
  toy(
    sequential(
      [4, 2],
      [
        {
          class_name: 'TimeDistributed',
          config: {
            name: 'td',
            layer: { class_name: 'Dense', config: { name: 'inner', units: 1, activation: 'tanh' } },
          },
        },
        { class_name: 'Flatten', config: { name: 'flat' } },
        { class_name: 'Dense', config: { name: 'sum', units: 1, use_bias: false } },
      ],
    ),
    { td: [[U[0], U[1]], [0.2]], sum: [[1, 1, 1, 1]] },
    { td: [[2, 1], [1]], sum: [[4, 1]] },
  );
const term = (x: ArrayLike<number>, b: number, t: number, ref = [0, 0]) =>
  Math.tanh(U[0] * x[b * 8 + t * 2] + U[1] * x[b * 8 + t * 2 + 1] + 0.2) -
  Math.tanh(U[0] * ref[0] + U[1] * ref[1] + 0.2);

describe('featureAblation', () => {
  it("with groups 'steps' and a zero baseline credits each cell of a step with that step's Σ w·x", async () => {
    const km = await linear();
    const x = randn([3, 4, 2], 1);
    const r = await noLeak(() =>
      explain('featureAblation', km, x, { groups: 'steps', target: 0, internalBatchSize: 4 }),
    );
    const want = Array.from(x.data, (_, i) => {
      const b = Math.floor(i / 8);
      const t = Math.floor((i % 8) / 2);
      return W[t * 2] * x.data[b * 8 + t * 2] + W[t * 2 + 1] * x.data[b * 8 + t * 2 + 1];
    });
    expectAllClose(r.attributions[0].data, want, 1e-5);
    km.dispose();
  });

  it("with 'cells' is x ⊙ w, and a mask groups cells by id", async () => {
    const km = await linear();
    const x = randn([2, 4, 2], 2);
    const cells = await explain('featureAblation', km, x, { target: 0 });
    expectAllClose(
      cells.attributions[0].data,
      Array.from(x.data, (v, i) => v * W[i % 8]),
      1e-5,
    );
    const mask = [0, 1, 0, 1, 2, 2, 2, 2];
    const grouped = await explain('featureAblation', km, x, { groups: { mask }, baseline: 1, target: 0 });
    const g0 = (b: number) => W[0] * (x.data[b * 8] - 1) + W[2] * (x.data[b * 8 + 2] - 1);
    expect(grouped.attributions[0].data[0]).toBeCloseTo(g0(0), 5);
    expect(grouped.attributions[0].data[10]).toBeCloseTo(g0(1), 5);
    km.dispose();
  });

  it('fails naming the option for a mask of the wrong size and for an out-of-range feature group', async () => {
    const km = await linear();
    const x = randn([1, 4, 2], 2);
    await expect(explain('featureAblation', km, x, { groups: { mask: [0, 1] } })).rejects.toThrow(
      /groups\.mask has 2 value\(s\) but one sample of 'x' has 8/,
    );
    await expect(explain('featureAblation', km, x, { groups: { window: 2, features: [[0, 5]] } })).rejects.toThrow(
      /feature index 5 is out of range for 'x' with 2 feature/,
    );
    km.dispose();
  });
});

describe('featurePermutation', () => {
  it('of an unused feature is exactly 0, and for a linear model sums to 0 over the batch per group', async () => {
    const km = await linear([1, 0, 0.5, 0, -1, 0, 2, 0]);
    const x = randn([5, 4, 2], 3);
    const r = await noLeak(() =>
      explain('featurePermutation', km, x, { groups: 'features', repeats: 3, seed: 2, target: 0 }),
    );
    const a = r.attributions[0].data;
    for (let i = 1; i < a.length; i += 2) expect(a[i]).toBe(0);
    let s = 0;
    for (let b = 0; b < 5; b++) s += a[b * 8];
    expect(Math.abs(s)).toBeLessThan(1e-4);
    expect(a[0]).not.toBe(0);
    km.dispose();
  });

  it('for a linear model and one step is w·(x_b − x_π(b)) for a permutation π of the batch', async () => {
    const km = await linear();
    const x = randn([2, 4, 2], 4);
    const r = await explain('featurePermutation', km, x, { groups: 'steps', target: 0 });
    // With 2 samples the only non-identity permutation swaps them.
    for (let t = 0; t < 4; t++) {
      const d =
        W[t * 2] * (x.data[t * 2] - x.data[8 + t * 2]) + W[t * 2 + 1] * (x.data[t * 2 + 1] - x.data[8 + t * 2 + 1]);
      expect(r.attributions[0].data[t * 2]).toBeCloseTo(d, 5);
      expect(r.attributions[0].data[8 + t * 2]).toBeCloseTo(-d, 5);
    }
    km.dispose();
  });

  it('refuses a batch of one, pointing to featureAblation', async () => {
    const km = await linear();
    await expect(explain('featurePermutation', km, randn([1, 4, 2]))).rejects.toThrow(
      /at least 2 samples.*featureAblation/,
    );
    km.dispose();
  });
});

describe('kernelShap', () => {
  it('of a model additive over time steps equals its terms (exact, every coalition enumerated)', async () => {
    const km = await additive();
    const x = randn([2, 4, 2], 5);
    const r = await noLeak(() => explain('kernelShap', km, x, { target: 0, internalBatchSize: 7 }));
    for (let b = 0; b < 2; b++)
      for (let t = 0; t < 4; t++)
        for (let f = 0; f < 2; f++)
          expect(r.attributions[0].data[b * 8 + t * 2 + f]).toBeCloseTo(term(x.data, b, t), 5);
    km.dispose();
  });

  it('equals the terms also from a sample of coalitions, and with a mean baseline', async () => {
    const km = await additive();
    const x = randn([3, 4, 2], 6);
    const r = await explain('kernelShap', km, x, { groups: 'cells', samples: 60, baseline: 'mean', target: 0 });
    // With cells as players the within-step interaction is split by Shapley; the step sums are the terms.
    const mean = [0, 1].map((f) => {
      let s = 0;
      for (let i = f; i < x.data.length; i += 2) s += x.data[i];
      return s / 12;
    });
    let worst = 0;
    for (let b = 0; b < 3; b++)
      for (let t = 0; t < 4; t++) {
        const got = r.attributions[0].data[b * 8 + t * 2] + r.attributions[0].data[b * 8 + t * 2 + 1];
        worst = Math.max(worst, Math.abs(got - term(x.data, b, t, mean)));
      }
    expect(worst).toBeLessThan(1e-4);
    km.dispose();
  });

  it('splits a product x₀·x₁ equally (Shapley), and Σφ = f(x) − f(baseline)', async () => {
    const km = await toy(
      sequential(
        [2],
        [{ class_name: 'Dense', config: { name: 'd', units: 1, activation: 'exponential', use_bias: false } }],
      ),
      { d: [[1, 1]] },
      { d: [[2, 1]] },
    );
    // f = exp(x0 + x1) = exp(x0)·exp(x1): two players, exact Shapley by enumeration.
    const x = nd([0.3, -0.8], [1, 2]);
    const r = await explain('kernelShap', km, x, { groups: 'cells', target: 0 });
    const [a, b] = [Math.exp(0.3), Math.exp(-0.8)];
    expect(r.attributions[0].data[0]).toBeCloseTo(0.5 * (a * b - b) + 0.5 * (a - 1), 5);
    expect(r.attributions[0].data[0] + r.attributions[0].data[1]).toBeCloseTo(a * b - 1, 5);
    km.dispose();
  });
});
