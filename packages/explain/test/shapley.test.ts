import { describe, expect, it } from 'vitest';
import { exactShapley, kernelCoalitions, seededRng, shapleySolver } from '../src/index.ts';

/** A game with interactions: v(S) = Σ a_i + Σ b_ij over pairs in S + c·[|S| ≥ 3]. */
function game(M: number, seed: number) {
  const rng = seededRng(seed);
  const a = Array.from({ length: M }, () => rng.normal());
  const b = Array.from({ length: M * M }, () => rng.normal());
  return (m: Uint8Array) => {
    let v = 0;
    let size = 0;
    for (let i = 0; i < M; i++) {
      if (!m[i]) continue;
      size++;
      v += a[i];
      for (let j = i + 1; j < M; j++) if (m[j]) v += b[i * M + j];
    }
    return v + (size >= 3 ? 0.7 : 0);
  };
}

describe('Kernel SHAP regression', () => {
  it('with every coalition enumerated equals the exact Shapley value of a game with interactions', () => {
    for (const M of [2, 3, 5, 6]) {
      const v = game(M, M);
      const co = kernelCoalitions(M, 10_000, seededRng(1));
      expect(co.exact).toBe(true);
      expect(co.masks.length).toBe(2 ** M - 2);
      const phi = shapleySolver(co)(co.masks.map(v), v(new Uint8Array(M)), v(new Uint8Array(M).fill(1)));
      const want = exactShapley(M, v);
      for (let i = 0; i < M; i++) expect(phi[i]).toBeCloseTo(want[i], 10);
    }
  });

  it('recovers the terms of an additive game exactly from a sample of the coalitions', () => {
    const M = 16;
    const a = Array.from({ length: M }, (_, i) => Math.sin(i + 1));
    const v = (m: Uint8Array) => m.reduce((s, on, i) => s + (on ? a[i] : 0), 0);
    const co = kernelCoalitions(M, 200, seededRng(3));
    expect(co.exact).toBe(false);
    expect(co.masks.length).toBe(200);
    const phi = shapleySolver(co)(co.masks.map(v), 0, v(new Uint8Array(M).fill(1)));
    for (let i = 0; i < M; i++) expect(phi[i]).toBeCloseTo(a[i], 9);
  });

  it('gives the shap package kernel weights to enumerated subset sizes', () => {
    // M = 4: size 1 (paired with size 3) has weight ∝ 2·3/(1·3) = 2, size 2 ∝ 3/(2·2) = 0.75.
    const w1 = 2 / 2.75;
    const all = kernelCoalitions(4, 14, seededRng(0));
    expect(all.exact).toBe(true);
    for (const [k, m] of all.masks.entries()) {
      const size = m.reduce((s, x) => s + x, 0);
      expect(all.weights[k]).toBeCloseTo(size === 2 ? (1 - w1) / 6 : w1 / 4 / 2, 12);
    }
    // With a budget of 8, 8·w₁ < 8 coalitions of sizes 1 and 3: nothing is enumerated, all is sampled,
    // and the sampled weights are scaled to the kernel's total.
    const some = kernelCoalitions(4, 8, seededRng(0));
    expect(some.exact).toBe(false);
    expect(some.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (const m of some.masks) expect([1, 2, 3]).toContain(m.reduce((s, x) => s + x, 0));
  });
});
