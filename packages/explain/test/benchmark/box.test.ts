import { describe, expect, it } from 'vitest';
import { boxBackground, boxDataset, boxGeometry, boxMask, boxVariants } from '../../src/index.ts';

describe('box datasets (Ismail et al. 2020)', () => {
  it('place the box of each variant as the paper does at T = F = 50', () => {
    // The paper's createDatasets.py: (start time, steps, start feature, features).
    expect(boxGeometry('middle', 50, 50)).toEqual({ t0: 10, nt: 30, f0: 10, nf: 30 });
    expect(boxGeometry('smallMiddle', 50, 50)).toEqual({ t0: 18, nt: 14, f0: 18, nf: 14 });
    expect(boxGeometry('rareTime', 50, 50)).toEqual({ t0: 22, nt: 6, f0: 5, nf: 40 });
    expect(boxGeometry('rareFeature', 50, 50)).toEqual({ t0: 5, nt: 40, f0: 22, nf: 6 });
    expect(boxGeometry('moving', 50, 50)).toMatchObject({ nt: 30, nf: 30 });
    // Scaled proportionally.
    expect(boxGeometry('middle', 20, 10)).toEqual({ t0: 4, nt: 12, f0: 2, nf: 6 });
    expect(boxGeometry('rareTime', 20, 20)).toEqual({ t0: 9, nt: 2, f0: 2, nf: 16 });
  });

  it('fixed variants put every box in the same place; moving boxes vary and stay inside', () => {
    for (const variant of boxVariants) {
      const d = boxDataset({ variant, samples: 200, steps: 30, features: 20, seed: 1 });
      const g = boxGeometry(variant, 30, 20);
      for (const b of d.boxes) {
        expect(b.t1 - b.t0).toBe(g.nt);
        expect(b.f1 - b.f0).toBe(g.nf);
        expect(b.t0).toBeGreaterThanOrEqual(0);
        expect(b.t1).toBeLessThanOrEqual(30);
        expect(b.f1).toBeLessThanOrEqual(20);
      }
      const starts = new Set(d.boxes.map((b) => `${b.t0},${b.f0}`));
      if (variant === 'moving') expect(starts.size).toBeGreaterThan(20);
      else expect([...starts]).toEqual([`${g.t0},${g.f0}`]);
    }
    const moved = boxDataset({ variant: 'rareTime', moving: true, samples: 50, steps: 30, features: 20 });
    expect(new Set(moved.boxes.map((b) => b.t0)).size).toBeGreaterThan(5);
  });

  it('the box carries the class sign: N(+1, 1) for class 1, N(−1, 1) for class 0, N(0, 1) outside', () => {
    const d = boxDataset({ variant: 'moving', samples: 400, steps: 20, features: 20, seed: 2 });
    const mask = boxMask(d);
    const per = 400;
    const sums = { in1: [0, 0], in0: [0, 0], out: [0, 0], out2: [0, 0] };
    for (let b = 0; b < 400; b++) {
      for (let i = 0; i < per; i++) {
        const v = d.x.data[b * per + i];
        const s = mask[b * per + i] ? (d.labels[b] ? sums.in1 : sums.in0) : sums.out;
        s[0] += v;
        s[1]++;
        if (!mask[b * per + i]) {
          sums.out2[0] += v * v;
          sums.out2[1]++;
        }
      }
    }
    expect(sums.in1[0] / sums.in1[1]).toBeCloseTo(1, 1);
    expect(sums.in0[0] / sums.in0[1]).toBeCloseTo(-1, 1);
    expect(sums.out[0] / sums.out[1]).toBeCloseTo(0, 1);
    expect(sums.out2[0] / sums.out2[1]).toBeCloseTo(1, 1);
    const ones = d.labels.reduce((a, v) => a + v, 0);
    expect(ones).toBeGreaterThan(160);
    expect(ones).toBeLessThan(240);
    expect(mask.reduce((a, v) => a + v, 0)).toBe(400 * 12 * 12);
  });

  it('is deterministic given the seed', () => {
    const a = boxDataset({ variant: 'smallMiddle', samples: 5, steps: 10, features: 10, seed: 9 });
    const b = boxDataset({ variant: 'smallMiddle', samples: 5, steps: 10, features: 10, seed: 9 });
    const c = boxDataset({ variant: 'smallMiddle', samples: 5, steps: 10, features: 10, seed: 10 });
    expect(Array.from(a.x.data)).toEqual(Array.from(b.x.data));
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(Array.from(a.x.data)).not.toEqual(Array.from(c.x.data));
    expect(Array.from(boxBackground(2, 3, 4, 1).data)).toEqual(Array.from(boxBackground(2, 3, 4, 1).data));
    expect(a.x.shape).toEqual([5, 10, 10]);
  });

  it('rejects unknown variants and bad sizes', () => {
    expect(() => boxDataset({ variant: 'diagonal' as never })).toThrow(
      /Unknown box variant 'diagonal'. Known variants: middle, smallMiddle, rareTime, rareFeature, moving/,
    );
    expect(() => boxDataset({ steps: 0 })).toThrow(/steps must be a positive integer; got 0/);
  });
});
