import { describe, expect, it } from 'vitest';
import { accuracyDrop, randomSaliency, rescaledSaliency, saliencyPrecisionRecall } from '../../src/index.ts';
import { expectAllClose, nd, noLeak, sequential, toy } from '../helpers.ts';

describe('saliency-weighted precision and recall', () => {
  it('match a hand-computed case', () => {
    // |attr| = 3, 2, 1, 0 → rescaled s = 1, 2/3, 1/3, 0; cells 0 and 1 are informative (Σ_box s = 5/3).
    const a = nd([3, -2, 1, 0], [1, 4]);
    expectAllClose(rescaledSaliency(a), [1, 2 / 3, 1 / 3, 0], 1e-6);
    const pr = saliencyPrecisionRecall(a, [1, 1, 0, 0], [0.25, 0.5, 0.75, 1]);
    // k = 1: TP = 1 → P = 1, R = 1 / (5/3) = 0.6. k = 2: P = 1, R = 1. k = 3: FP = 1/3 → P = (5/3)/2. k = 4: FP += 0.
    expectAllClose(pr.precision, [1, 1, 5 / 6, 5 / 6], 1e-6, 'precision');
    expectAllClose(pr.recall, [0.6, 1, 1, 1], 1e-6, 'recall');
    expect(pr.aup).toBeCloseTo((0.25 * (1 + (1 + 5 / 6) / 2 + 5 / 6)) / 0.75, 6);
    expect(pr.aur).toBeCloseTo((0.25 * (0.8 + 1 + 1)) / 0.75, 6);
  });

  it('average over samples and skip samples without saliency in the positives', () => {
    // Sample 1 is all-equal: rescaled saliency 0 everywhere → no precision, no recall.
    const a = nd([2, 0, 5, 5], [2, 2]);
    const pr = saliencyPrecisionRecall(a, [0, 1, 1, 0], [0.5]);
    expect(pr.precision).toEqual([0]);
    expect(pr.recall).toEqual([0]);
    const pr2 = saliencyPrecisionRecall(nd([2, 0, 0, 5], [2, 2]), [1, 0, 0, 1], [0.5]);
    expect(pr2.precision).toEqual([1]);
    expect(pr2.recall).toEqual([1]);
  });

  it('random saliency scores the box fraction on average', () => {
    const B = 200;
    const like = nd(new Array(B * 100).fill(0), [B, 10, 10]);
    const mask = Array.from({ length: B * 100 }, (_, i) => (i % 100 < 30 ? 1 : 0));
    const pr = saliencyPrecisionRecall(randomSaliency(like, 1), mask);
    expect(pr.aup).toBeCloseTo(0.3, 1);
    // Weighted recall of uniform saliency at fraction k is k(2 − k); averaged over 0.1…0.9 ≈ 0.697.
    expect(pr.aur).toBeCloseTo(0.697, 1);
  });

  it('errors name the mismatch', () => {
    expect(() => saliencyPrecisionRecall(nd([1, 2], [1, 2]), [1])).toThrow(
      /informative mask has 1 values but the attribution has 2/,
    );
  });
});

describe('accuracy drop', () => {
  // logit0 = Σ w·x with w = 4, 3, 2, 1; logit1 = bias 5.5. At x = 1 the class is 0 while the
  // remaining contribution exceeds 5.5: after deleting the top k cells 10, 6, 3, 1, 0 remain.
  const classifier = () =>
    toy(
      sequential(
        [2, 2],
        [
          { class_name: 'Flatten', config: { name: 'flat' } },
          { class_name: 'Dense', config: { name: 'd', units: 2, use_bias: true } },
        ],
      ),
      {
        d: [
          [4, 0, 3, 0, 2, 0, 1, 0],
          [0, 5.5],
        ],
      },
      { d: [[4, 2], [2]] },
    );

  it('is a deletion curve of correctness with background replacement', async () => {
    const km = await classifier();
    const x = nd([1, 1, 1, 1], [1, 2, 2]);
    const d = await noLeak(() =>
      accuracyDrop(km, x, [0], nd([4, 3, 2, 1], [1, 2, 2]), { background: nd([0, 0, 0, 0], [1, 2, 2]), fractions: 4 }),
    );
    expect(d.accuracy).toEqual([1, 1, 0, 0, 0]);
    expect(d.auc).toBeCloseTo(0.25 * (1 + 0.5), 6);
    expect(d.dropAuc).toBeCloseTo(0.25 * (0.5 + 1 + 1), 6);
    // The reversed ranking deletes the small contributions first: 10, 9, 7, 4, 0 → correct thrice.
    const r = accuracyDrop(km, x, [0], nd([1, 2, 3, 4], [1, 2, 2]), {
      background: nd([0, 0, 0, 0], [1, 2, 2]),
      fractions: 4,
    });
    expect(r.accuracy).toEqual([1, 1, 1, 0, 0]);
    expect(r.dropAuc).toBeLessThan(d.dropAuc);
    km.dispose();
  });
});
