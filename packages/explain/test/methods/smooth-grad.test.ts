import { describe, expect, it } from 'vitest';
import { explain } from '../../src/index.ts';
import { noLeak, randn, randomizeWeights, sequential, toy } from '../helpers.ts';

const model = async () => {
  const km = await toy(
    sequential(
      [4, 2],
      [
        { class_name: 'GRU', config: { name: 'gru', units: 3, reset_after: true } },
        { class_name: 'Dense', config: { name: 'out', units: 2, activation: 'softmax' } },
      ],
    ),
  );
  randomizeWeights(km, 5, 0.7);
  return km;
};

describe('smoothGrad', () => {
  it.each([['gradient'], ['gradientXInput'], ['integratedGradients'], ['occlusion']])(
    'with zero noise equals the wrapped method %s',
    async (inner) => {
      const km = await model();
      const x = randn([2, 4, 2], 3);
      const plain = await explain(
        inner as 'gradient',
        km,
        x,
        inner === 'integratedGradients' ? ({ steps: 8 } as object) : {},
      );
      const sg = await noLeak(() =>
        explain('smoothGrad', km, x, {
          method: inner,
          methodOptions: inner === 'integratedGradients' ? { steps: 8 } : {},
          samples: 3,
          stdev: 0,
        }),
      );
      for (let i = 0; i < plain.attributions[0].data.length; i++)
        expect(sg.attributions[0].data[i]).toBeCloseTo(plain.attributions[0].data[i], 6);
      km.dispose();
    },
  );

  it('vargrad of zero noise is 0; smoothgrad2 is the square', async () => {
    const km = await model();
    const x = randn([1, 4, 2], 3);
    const g = await explain('gradient', km, x);
    const v = await explain('smoothGrad', km, x, { samples: 2, stdev: 0, variant: 'vargrad' });
    const s2 = await explain('smoothGrad', km, x, { samples: 2, stdev: 0, variant: 'smoothgrad2' });
    expect(Math.max(...Array.from(v.attributions[0].data, Math.abs))).toBeLessThan(1e-9);
    for (let i = 0; i < g.attributions[0].data.length; i++)
      expect(s2.attributions[0].data[i]).toBeCloseTo(g.attributions[0].data[i] ** 2, 6);
    km.dispose();
  });

  it('is deterministic given a seed and changes with it', async () => {
    const km = await model();
    const x = randn([2, 4, 2], 3);
    const a = await explain('smoothGrad', km, x, { samples: 4, seed: 1 });
    const b = await explain('smoothGrad', km, x, { samples: 4, seed: 1 });
    const c = await explain('smoothGrad', km, x, { samples: 4, seed: 2 });
    expect(Array.from(a.attributions[0].data)).toEqual(Array.from(b.attributions[0].data));
    expect(Array.from(a.attributions[0].data)).not.toEqual(Array.from(c.attributions[0].data));
    km.dispose();
  });
});
