import { describe, expect, it } from 'vitest';
import { createExplainer, explain } from '../../src/index.ts';
import { expectAllClose, nd, noLeak, randn, sequential, toy } from '../helpers.ts';

// f(x) = Σ_t,f w[t,f]·x[t,f] (Flatten → Dense(1) without bias): ∂f/∂x = w, gradient×input = x ⊙ w.
const W = [0.5, -1, 2, 0.25, -0.75, 1.5];
const linear = () =>
  toy(
    sequential(
      [3, 2],
      [
        { class_name: 'Flatten', config: { name: 'flat' } },
        { class_name: 'Dense', config: { name: 'd', units: 1, use_bias: false } },
      ],
    ),
    { d: [W] },
  );

describe('gradient', () => {
  it('of a linear model is w for every sample, signed', async () => {
    const km = await linear();
    const x = randn([4, 3, 2]);
    const r = await noLeak(() => explain('gradient', km, x));
    expect(r.attributions[0].shape).toEqual([4, 3, 2]);
    expectAllClose(r.attributions[0].data, [...W, ...W, ...W, ...W], 1e-6);
    expect(Array.from(r.units ?? [])).toEqual([0, 0, 0, 0]);
    km.dispose();
  });

  it("postprocess 'abs' and 'square' give saliency", async () => {
    const km = await linear();
    const x = randn([1, 3, 2]);
    expectAllClose(
      (await explain('gradient', km, x, { postprocess: 'abs' })).attributions[0].data,
      W.map(Math.abs),
      1e-6,
    );
    expectAllClose(
      (await explain('gradient', km, x, { postprocess: 'square' })).attributions[0].data,
      W.map((w) => w * w),
      1e-6,
    );
    km.dispose();
  });

  it('reports progress per chunk of internalBatchSize', async () => {
    const km = await linear();
    const seen: number[] = [];
    await createExplainer('gradient', km, { internalBatchSize: 2, onProgress: (p) => seen.push(p.done) }).attribute(
      randn([5, 3, 2]),
    );
    expect(seen).toEqual([2, 4, 5]);
    km.dispose();
  });
});

describe('gradientXInput', () => {
  it('of a linear model is x ⊙ w', async () => {
    const km = await linear();
    const x = nd([1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6], [2, 3, 2]);
    const r = await noLeak(() => explain('gradientXInput', km, x, { internalBatchSize: 1 }));
    expectAllClose(
      r.attributions[0].data,
      Array.from(x.data, (v, i) => v * W[i % 6]),
      1e-5,
    );
    // and sums to f(x) (no bias)
    expect(Array.from(r.attributions[0].data.slice(0, 6)).reduce((a, b) => a + b, 0)).toBeCloseTo(r.scores[0], 4);
    km.dispose();
  });
});
