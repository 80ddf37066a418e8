import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { benchmarkMethods, benchmarkTable, runBoxBenchmark } from '../../src/index.ts';

describe('box benchmark end to end', () => {
  it('trains on a tiny variant and gradient×input beats the random control on precision', async () => {
    const before = tf.memory().numTensors;
    const { rows, models } = await runBoxBenchmark({
      variants: ['smallMiddle'],
      methods: ['gradientXInput', 'random'],
      steps: 20,
      features: 20,
      trainSamples: 300,
      testSamples: 40,
      seed: 1,
      train: { epochs: 4, timeBudgetMs: 5000 },
      fractions: 5,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(models[0].testAccuracy).toBeGreaterThan(0.8);
    const gxi = rows.find((r) => r.method === 'gradientXInput')!;
    const random = rows.find((r) => r.method === 'random')!;
    // Training is seeded but TF.js arithmetic may differ in the last bits: compare metrics only.
    expect(gxi.aup).toBeGreaterThan(random.aup);
    expect(random.aup).toBeCloseTo((6 * 6) / 400, 1); // the box fraction
    for (const r of rows)
      for (const v of [r.aup, r.aur, r.accuracyDropAuc, r.deletionAuc, r.insertionAuc])
        expect(Number.isFinite(v)).toBe(true);
    const md = benchmarkTable(rows, models);
    expect(md).toMatch(/### smallMiddle \(test accuracy/);
    expect(md).toMatch(/\| random \(control\) \|/);
  });

  it('runs every method of the default table, TSR rows included, on a tiny box', async () => {
    const before = tf.memory().numTensors;
    const { rows } = await runBoxBenchmark({
      variants: ['middle'],
      steps: 10,
      features: 10,
      trainSamples: 100,
      testSamples: 4,
      seed: 2,
      train: { epochs: 1, timeBudgetMs: 3000 },
      fractions: 2,
      methodOptions: {
        integratedGradients: { steps: 4 },
        smoothGrad: { samples: 2 },
        kernelShap: { samples: 32 },
        timeShap: { samples: 32, tolerance: null },
        gradientShap: { samples: 2 },
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(rows.map((r) => r.method)).toEqual([...benchmarkMethods]);
    for (const r of rows) expect(Number.isFinite(r.aup), r.method).toBe(true);
  }, 300_000);
});
