import { describe, expect, it } from 'vitest';
import {
  createExplainer,
  deletionCurve,
  ExplainError,
  faithfulness,
  insertionCurve,
  rankUnits,
  trapezoid,
} from '../src/index.ts';
import { expectAllClose, nd, noLeak, randn, sequential, toy } from './helpers.ts';

// f(x) = Σ w·x over a (2, 2) input (Flatten → Dense(1), no bias). At x = 1 the cells contribute
// 4, 3, 2, 1, so the perfect ranking is the cell order and every curve has a closed form.
const W = [4, 3, 2, 1];
const linear = (w = W, shape = [2, 2]) =>
  toy(
    sequential(shape, [
      { class_name: 'Flatten', config: { name: 'flat' } },
      { class_name: 'Dense', config: { name: 'd', units: 1, use_bias: false } },
    ]),
    { d: [w] },
    { d: [[w.length, 1]] },
  );
const ones = nd([1, 1, 1, 1], [1, 2, 2]);
const perfect = nd([4, 3, 2, 1], [1, 2, 2]);

describe('deletion and insertion curves', () => {
  it('equal the hand-computed curves of a linear model (cells, zeros baseline)', async () => {
    const km = await linear();
    const del = await noLeak(() => deletionCurve(km, ones, perfect, { fractions: 4 }));
    expect(del.fractions).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expectAllClose(del.scores, [10, 6, 3, 1, 0], 1e-5, 'deletion');
    expect(del.auc).toBeCloseTo(0.25 * (8 + 4.5 + 2 + 0.5), 5); // 3.75
    const ins = insertionCurve(km, ones, perfect, { fractions: 4 });
    expectAllClose(ins.scores, [0, 4, 7, 9, 10], 1e-5, 'insertion');
    expect(ins.auc).toBeCloseTo(6.25, 5);
    // The reversed ranking is the worst: deletion and insertion swap.
    const worst = deletionCurve(km, ones, nd([1, 2, 3, 4], [1, 2, 2]), { fractions: 4 });
    expectAllClose(worst.scores, [10, 9, 7, 4, 0], 1e-5, 'worst deletion');
    expect(worst.auc).toBeCloseTo(6.25, 5);
    km.dispose();
  });

  it("rank whole time steps with granularity 'step'", async () => {
    const km = await linear();
    // Steps contribute 4 + 3 = 7 and 2 + 1 = 3.
    const del = deletionCurve(km, ones, perfect, { granularity: 'step', fractions: 2 });
    expectAllClose(del.scores, [10, 3, 0], 1e-5);
    expect(del.auc).toBeCloseTo(0.5 * (6.5 + 1.5), 5);
    const ins = insertionCurve(km, ones, nd([0, 0, 5, 5], [1, 2, 2]), { granularity: 'step', fractions: 2 });
    expectAllClose(ins.scores, [0, 3, 10], 1e-5);
    km.dispose();
  });

  it('replace by the per-feature mean, a given array, or background rows', async () => {
    const km = await linear();
    const x = nd([1, 1, 1, 1, 3, 3, 3, 3], [2, 2, 2]);
    const a = nd([4, 3, 2, 1, 4, 3, 2, 1], [2, 2, 2]);
    // Mean is 2 everywhere: deleting everything gives f = 2·Σw = 20 for both samples.
    const mean = deletionCurve(km, x, a, { baseline: 'mean', fractions: 1 });
    expectAllClose(mean.perSample, [10, 20, 30, 20], 1e-5);
    const given = deletionCurve(km, x, a, { baseline: nd([1, 0, 0, 0], [2, 2]), fractions: [0, 0.5] });
    // k = 2 removes cells 0 and 1 (weights 4, 3): sample 0 → 1·4 + 0 + 2 + 1 = 7, sample 1 → 4 + 0 + 6 + 3 = 13.
    expectAllClose(given.perSample, [10, 7, 30, 13], 1e-5);
    // A background with a single row: every sample takes it.
    const bg = deletionCurve(km, x, a, { baseline: { background: nd([-1, -1, -1, -1], [1, 2, 2]) }, fractions: 1 });
    expectAllClose(bg.perSample, [10, -10, 30, -10], 1e-5);
    km.dispose();
  });

  it("order 'signed' puts the most positive first, 'abs' the largest magnitude", () => {
    const a = nd([1, -5, 3, 0], [1, 2, 2]);
    expect(Array.from(rankUnits(a, 'cell', 'signed')[0])).toEqual([2, 0, 3, 1]);
    expect(Array.from(rankUnits(a, 'cell', 'abs')[0])).toEqual([1, 2, 0, 3]);
    expect(Array.from(rankUnits(a, 'step', 'abs')[0])).toEqual([0, 1]);
    // Ties keep index order.
    expect(Array.from(rankUnits(nd([1, 1, 1, 1], [1, 4]), 'cell', 'abs')[0])).toEqual([0, 1, 2, 3]);
  });

  it('relative curves divide by the unperturbed score', async () => {
    const km = await linear();
    const del = deletionCurve(km, ones, perfect, { fractions: 4, relative: true });
    expectAllClose(del.scores, [1, 0.6, 0.3, 0.1, 0], 1e-5);
    const ins = insertionCurve(km, ones, perfect, { fractions: 4, relative: true });
    expectAllClose(ins.scores, [0, 0.4, 0.7, 0.9, 1], 1e-5);
    km.dispose();
  });

  it('a perfect attribution beats the seeded random ranking', async () => {
    // Positive weights and inputs: x ⊙ w is the exact contribution of each cell.
    const w = Array.from({ length: 30 }, (_, i) => 0.1 + ((i * 7) % 30) / 10);
    const km = await linear(w, [10, 3]);
    const x = randn([5, 10, 3], 3);
    for (let i = 0; i < x.data.length; i++) x.data[i] = Math.abs(x.data[i]) + 0.1;
    const res = await createExplainer('gradientXInput', km).attribute(x);
    const f = await noLeak(() => faithfulness(km, x, res, { fractions: 10, seed: 3 }));
    expect(f.deletion.auc).toBeLessThan(f.randomDeletion.auc);
    expect(f.insertion.auc).toBeGreaterThan(f.randomInsertion.auc);
    // Greedy removal of the largest contributions is optimal sample by sample.
    for (let b = 0; b < 5; b++) expect(f.deletion.aucs[b]).toBeLessThanOrEqual(f.randomDeletion.aucs[b] + 1e-6);
    km.dispose();
  });

  it('takes the units of an explainer result, batches internally and is deterministic', async () => {
    const km = await linear();
    const x = randn([7, 2, 2], 5);
    const res = await createExplainer('gradientXInput', km).attribute(x);
    const a = deletionCurve(km, x, res, { internalBatchSize: 3, order: 'random', seed: 4 });
    const b = deletionCurve(km, x, res.attributions[0], {
      internalBatchSize: 64,
      order: 'random',
      seed: 4,
      units: res.units!,
    });
    expectAllClose(a.perSample, b.perSample, 1e-5);
    const c = deletionCurve(km, x, res, { order: 'random', seed: 5 });
    expect(Array.from(c.perSample)).not.toEqual(Array.from(a.perSample));
    // Per-sample areas average to the area of the mean curve (the trapezoid rule is linear).
    expect(a.aucs.reduce((s, v) => s + v, 0) / 7).toBeCloseTo(a.auc, 5);
    km.dispose();
  });

  it('trapezoid integrates piecewise-linear curves exactly', () => {
    expect(trapezoid([0, 0.5, 1], [0, 1, 0])).toBeCloseTo(0.5, 12);
    expect(trapezoid([0, 1], [2, 2])).toBe(2);
  });

  it('errors name the problem', async () => {
    const km = await linear();
    expect(() => deletionCurve(km, ones, nd([1, 2], [1, 2]))).toThrow(
      /attribution has shape \[1,2\] but x has shape \[1,2,2\]/,
    );
    expect(() => deletionCurve(km, ones, perfect, { granularity: 'row' as never })).toThrow(
      /granularity must be 'cell' or 'step'; got "row"/,
    );
    expect(() => insertionCurve(km, ones, perfect, { fractions: [0, 2] })).toThrow(
      /insertionCurve: fractions must lie in \[0, 1\]/,
    );
    expect(() => deletionCurve(km, ones, perfect, { baseline: nd([1, 2, 3], [3]) })).toThrow(
      /baseline array must have one sample's shape \[2,2\]/,
    );
    expect(() => deletionCurve(km, ones, perfect, { baseline: { background: nd([1], [1, 1]) } })).toThrow(ExplainError);
    km.dispose();
  });
});
