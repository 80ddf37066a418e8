import { describe, expect, it } from 'vitest';
import { explain } from '../../src/index.ts';
import { expectAllClose, noLeak, randn, sequential, toy } from '../helpers.ts';

// f(x) = Σ w·x over a (4 steps × 2 features) input.
const W = [1, -2, 0.5, 3, -1, 0.25, 2, -0.5];
const linear = () =>
  toy(
    sequential(
      [4, 2],
      [
        { class_name: 'Flatten', config: { name: 'flat' } },
        { class_name: 'Dense', config: { name: 'd', units: 1, use_bias: false } },
      ],
    ),
    { d: [W] },
  );

describe('occlusion', () => {
  it('on a linear model with a zero baseline credits every cell of a window with Σ_window w·x', async () => {
    const km = await linear();
    const x = randn([2, 4, 2], 1);
    const r = await noLeak(() => explain('occlusion', km, x, { window: 2, target: 0, internalBatchSize: 3 }));
    const want: number[] = [];
    for (let b = 0; b < 2; b++)
      for (let w = 0; w < 2; w++) {
        let s = 0;
        for (let k = w * 4; k < w * 4 + 4; k++) s += W[k] * x.data[b * 8 + k];
        want.push(s, s, s, s);
      }
    expectAllClose(r.attributions[0].data, want, 1e-5);
    km.dispose();
  });

  it("window 1 with features 'each' is x ⊙ w (= gradient × input)", async () => {
    const km = await linear();
    const x = randn([2, 4, 2], 2);
    const occ = await explain('occlusion', km, x, { window: 1, features: 'each', target: 0 });
    const gxi = await explain('gradientXInput', km, x, { target: 0 });
    expectAllClose(occ.attributions[0].data, gxi.attributions[0].data, 1e-5);
    km.dispose();
  });

  it('feature groups and overlapping windows average over the windows covering a cell', async () => {
    const km = await linear();
    const x = randn([1, 4, 2], 3);
    const r = await explain('occlusion', km, x, { window: 2, stride: 1, features: [[0], [1]], target: 0 });
    // cell (t=1, f=0) is covered by windows starting at 0 and 1
    const c = (t: number, f: number) => W[t * 2 + f] * x.data[t * 2 + f];
    expect(r.attributions[0].data[2]).toBeCloseTo((c(0, 0) + c(1, 0) + c(1, 0) + c(2, 0)) / 2, 5);
    km.dispose();
  });
});
