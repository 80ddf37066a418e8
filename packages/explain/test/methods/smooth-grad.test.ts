import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { explain, methods } from '../../src/index.ts';
import { type AnyMethod, normalizeMethodOptions, type RunContext } from '../../src/methods/method.ts';
import type { Problem } from '../../src/problem.ts';
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
          wrap: methods[inner as 'gradient'],
          wrapOptions: inner === 'integratedGradients' ? { steps: 8 } : {},
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

  it('runs the draws of a row-wise method through it together (one pass for a batch of 1), same result as one draw per pass', async () => {
    const km = await model();
    const x = randn([2, 4, 2], 4);
    for (const [method, methodOptions] of [
      ['gradient', {}],
      ['integratedGradients', { steps: 4 }],
      ['lrpEpsilon', {}],
    ] as const) {
      const options = {
        wrap: methods[method],
        wrapOptions: methodOptions,
        samples: 5,
        noiseLevel: 0.2,
        target: 1,
        seed: 9,
      };
      const apart = await explain('smoothGrad', km, x, { ...options, internalBatchSize: 1 });
      const together = await noLeak(() => explain('smoothGrad', km, x, { ...options, internalBatchSize: 64 }));
      for (let i = 0; i < apart.attributions[0].data.length; i++)
        expect(together.attributions[0].data[i], `${method} ${i}`).toBeCloseTo(apart.attributions[0].data[i], 5);
    }
    km.dispose();
  });

  it('hands the wrapped method draws × batch rows scored for their own sample, or one draw at a time when rows depend on the batch', async () => {
    const seen: { batch: number; rows: number[] }[] = [];
    const recorder = (rowwise: boolean): AnyMethod => ({
      ...methods.gradient,
      rowwise: () => rowwise,
      async run(p) {
        const rows = Array.from({ length: p.batch }, (_, i) => i);
        const s = p.score([tf.tensor(p.x[0].data, p.x[0].shape)], rows);
        seen.push({ batch: p.batch, rows: Array.from(s.dataSync()) });
        s.dispose();
        return { attributions: p.x.map((a) => ({ data: new Float32Array(a.data.length).fill(1), shape: a.shape })) };
      },
    });
    // score(xs, rows) = the sample index the row is scored for (what a target lookup would use).
    const problem: Problem = {
      names: ['x'],
      x: [{ data: new Float32Array(6), shape: [3, 2] }],
      dtypes: ['float32'],
      batch: 3,
      units: null,
      scoresAtX: new Float32Array(3),
      score: (_xs, rows) => tf.tensor(Array.from(rows)),
    };
    for (const rowwise of [true, false]) {
      seen.length = 0;
      const ctx: RunContext = {
        internalBatchSize: 8,
        seed: 0,
        progress: () => {},
      };
      const o = normalizeMethodOptions('smoothGrad', methods.smoothGrad, {
        wrap: recorder(rowwise),
        samples: 5,
        stdev: 0.1,
      });
      const r = await methods.smoothGrad.run(problem, o, ctx);
      expect(Array.from(r.attributions[0].data)).toEqual([1, 1, 1, 1, 1, 1]);
      if (rowwise)
        expect(seen).toEqual([
          { batch: 6, rows: [0, 1, 2, 0, 1, 2] },
          { batch: 6, rows: [0, 1, 2, 0, 1, 2] },
          { batch: 3, rows: [0, 1, 2] },
        ]);
      else expect(seen.map((s) => s.batch)).toEqual([3, 3, 3, 3, 3]);
    }
  });
});
