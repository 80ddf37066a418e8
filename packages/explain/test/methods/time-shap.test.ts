import { describe, expect, it } from 'vitest';
import { explain } from '../../src/index.ts';
import { nd, noLeak, randn, sequential, toy } from '../helpers.ts';

/**
 * f(x) = Σ_t a_t·tanh(u·x_t + c): additive over events, nonlinear within one. With a_t = 0 for
 * old events the closed forms are: event φ_t = a_t(g(x_t) − g(b)); the older events' value in
 * TimeSHAP's two-player pruning game is Σ_{t<i} a_t(g(x_t) − g(b)) (additive games split exactly).
 */
const U = [0.7, -1.3];
const C = 0.2;
const A = [0, 0, 0.01, 0.5, -1, 2];
const T = A.length;
const g = (x0: number, x1: number) => Math.tanh(U[0] * x0 + U[1] * x1 + C);
const model = (a = A) =>
  toy(
    sequential(
      [T, 2],
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
    { td: [U, [C]], sum: [a] },
    { td: [[2, 1], [1]], sum: [[T, 1]] },
  );

describe('timeShap', () => {
  it('event level without pruning equals each event term a_t·(g(x_t) − g(b)) with a zero baseline', async () => {
    const km = await model();
    const x = randn([2, T, 2], 1);
    const r = await noLeak(() => explain('timeShap', km, x, { baseline: 'zeros', tolerance: null, target: 0 }));
    for (let b = 0; b < 2; b++)
      for (let t = 0; t < T; t++) {
        const want = A[t] * (g(x.data[b * 12 + t * 2], x.data[b * 12 + t * 2 + 1]) - g(0, 0));
        expect(r.attributions[0].data[b * 12 + t * 2]).toBeCloseTo(want, 5);
        expect(r.attributions[0].data[b * 12 + t * 2 + 1]).toBeCloseTo(want, 5);
      }
    km.dispose();
  });

  it('prunes at the latest i whose older events [0, i) have |φ| ≤ tolerance, and groups them into one player', async () => {
    const km = await model();
    const x = randn([1, T, 2], 2);
    const term = (t: number) => A[t] * (g(x.data[t * 2], x.data[t * 2 + 1]) - g(0, 0));
    const older = (i: number) => Array.from({ length: i }, (_, t) => term(t)).reduce((s, v) => s + v, 0);
    // A tolerance that admits i = 3 (events 0–2: |0.01·Δg₂| small) but not i = 4 or 5, tested first.
    const tol = Math.abs(older(3)) + 1e-6;
    for (const i of [4, 5]) expect(Math.abs(older(i))).toBeGreaterThan(tol);
    const r = await explain('timeShap', km, x, { baseline: 'zeros', tolerance: tol, target: 0 });
    const a = r.attributions[0].data;
    for (let t = 0; t < 3; t++) expect(a[t * 2]).toBeCloseTo(older(3), 5);
    for (let t = 3; t < T; t++) expect(a[t * 2]).toBeCloseTo(term(t), 5);
    km.dispose();
  });

  it('feature level splits f(x) − f(b) over the features, the pruned events being one more player', async () => {
    const km = await model();
    const x = randn([2, T, 2], 3);
    const base = nd([0.3, -0.2], [2]);
    const r = await explain('timeShap', km, x, { level: 'feature', baseline: base, tolerance: 1e-3, target: 0 });
    const f0 = await explain(
      'gradient',
      km,
      { data: Float32Array.from({ length: 2 * T * 2 }, (_, k) => base.data[k % 2]), shape: [2, T, 2] },
      { target: 0 },
    );
    for (let b = 0; b < 2; b++) {
      // Distinct values: feature 0, feature 1 and (maybe) the pruned block; together f(x) − f(b).
      const a = r.attributions[0].data.subarray(b * 12, b * 12 + 12);
      const last = T - 1;
      const [v0, v1] = [a[last * 2], a[last * 2 + 1]];
      const prunedValue = a[0] !== v0 || a[1] !== v1 ? a[0] : 0;
      expect(v0 + v1 + prunedValue).toBeCloseTo(r.scores[b] - f0.scores[b], 5);
    }
    km.dispose();
  });

  it('cell level gives the top cells their own value and sums to f(x) − f(b); an additive-in-cells model gives each top cell its term', async () => {
    // f = Σ_t Σ_f w_tf·x_tf: Shapley values are the terms w_tf·(x_tf − b_f); groups sum their cells' terms.
    const W = [0, 0, 0.1, -0.2, 1, -2, 0.5, 3, -1, 0.25, 2, -0.7];
    const km = await toy(
      sequential(
        [T, 2],
        [
          { class_name: 'Flatten', config: { name: 'flat' } },
          { class_name: 'Dense', config: { name: 'd', units: 1, use_bias: false } },
        ],
      ),
      { d: [W] },
    );
    const x = randn([1, T, 2], 4);
    const r = await explain('timeShap', km, x, {
      level: 'cell',
      baseline: 'zeros',
      tolerance: null,
      topEvents: 2,
      topFeatures: 1,
      target: 0,
    });
    const a = r.attributions[0].data;
    const term = (k: number) => W[k] * x.data[k];
    // Event terms: |Σ_f term| per step; the two largest are the top events, the top feature by |Σ_t term|.
    const ev = Array.from({ length: T }, (_, t) => Math.abs(term(2 * t) + term(2 * t + 1)));
    const topEv = [...ev.keys()].sort((p, q) => ev[q] - ev[p]).slice(0, 2);
    const fe = [0, 1].map((f) =>
      Math.abs(Array.from({ length: T }, (_, t) => term(2 * t + f)).reduce((s, v) => s + v, 0)),
    );
    const topF = fe[0] >= fe[1] ? 0 : 1;
    for (const t of topEv) expect(a[t * 2 + topF]).toBeCloseTo(term(t * 2 + topF), 5);
    // The other feature of a top event is its own player.
    for (const t of topEv) expect(a[t * 2 + 1 - topF]).toBeCloseTo(term(t * 2 + 1 - topF), 5);
    km.dispose();
  });

  it('refuses inputs that are not (batch, steps, features)', async () => {
    const km = await toy(sequential([3], [{ class_name: 'Dense', config: { name: 'd', units: 1 } }]));
    await expect(explain('timeShap', km, randn([1, 3]))).rejects.toThrow(
      /sequence input shaped \(batch, steps, features\)/,
    );
    km.dispose();
  });
});
