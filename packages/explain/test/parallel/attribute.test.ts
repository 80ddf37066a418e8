import { initBackend, type KerasModel, loadModel, type ModelPool } from '@keraspect/importer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attentionMaps,
  attentionMapsInPool,
  type Attribution,
  attributeInPool,
  createExplainer,
  createExplainPool,
  ExplainError,
  methods,
} from '../../src/index.ts';
import { smallAttentionLstmBytes, smallBatch } from '../../../../test/support/small-attention-lstm.ts';

const same = (a: Attribution, b: Attribution) => {
  expect(a.attributions.map((x) => x.shape)).toEqual(b.attributions.map((x) => x.shape));
  a.attributions.forEach((x, i) => expect(Array.from(x.data)).toEqual(Array.from(b.attributions[i].data)));
  expect(Array.from(a.scores)).toEqual(Array.from(b.scores));
  expect(a.units && Array.from(a.units)).toEqual(b.units && Array.from(b.units));
  expect(a.delta && Array.from(a.delta)).toEqual(b.delta && Array.from(b.delta));
};

describe('attribution on a model pool', () => {
  let km: KerasModel;
  let pool: ModelPool;
  beforeAll(async () => {
    await initBackend('wasm');
    const bytes = await smallAttentionLstmBytes();
    km = await loadModel(bytes);
    pool = await createExplainPool({ bytes }, { threads: 2 });
  }, 240_000);
  afterAll(async () => {
    await pool?.close();
    km?.dispose();
  });

  it('gives exactly the one-thread attributions of the whole batch for per-sample methods', async () => {
    const x = smallBatch(5, 11);
    for (const [method, options] of [
      ['gradientXInput', {}],
      ['integratedGradients', { steps: 8, internalBatchSize: 16 }],
      ['occlusion', {}],
    ] as const) {
      const one = await createExplainer(method, km, options).attribute(x);
      same(await attributeInPool(pool, method, x, options, { chunkSize: 2 }), one);
    }
  });

  it('splits a batch of more than 32 samples per worker into equal chunks, with one-thread results', async () => {
    // 70 samples: chunks of 32 would put 64 on one worker and 6 on the other; the default gives 4 × 17/18.
    const x = smallBatch(70, 15);
    const options = { steps: 4, internalBatchSize: 64 };
    same(
      await attributeInPool(pool, 'integratedGradients', x, options),
      await createExplainer('integratedGradients', km, options).attribute(x),
    );
  });

  it('splits integrated gradients of fewer samples than workers by path point, bit-identical to one thread', async () => {
    // A spy pool: the same workers, with every call's handler name recorded.
    const names: string[] = [];
    const spy: ModelPool = { ...pool, call: (name, ...rest) => (names.push(name), pool.call(name, ...rest)) };
    for (const [x, options] of [
      [smallBatch(1, 21), {}],
      [smallBatch(1, 22), { steps: 7, rule: 'trapezoid', internalBatchSize: 3, multiplyByInputs: false }],
      [smallBatch(1, 23), { baseline: { noise: { samples: 3, stdev: 0.5 } }, steps: 5, seed: 9 }],
    ] as const) {
      names.length = 0;
      const seen: number[] = [];
      const got = await attributeInPool(spy, 'integratedGradients', x, options, { onProgress: (d) => seen.push(d) });
      same(got, await createExplainer('integratedGradients', km, options).attribute(x));
      expect(names).toEqual(['pathGradients', 'pathGradients', 'attribute']);
      expect(seen).toEqual([1]);
    }
    // One path point has nothing to split: one worker attributes it.
    names.length = 0;
    const x = smallBatch(1, 24);
    const one = { steps: 1 };
    same(
      await attributeInPool(spy, 'integratedGradients', x, one),
      await createExplainer('integratedGradients', km, one).attribute(x),
    );
    expect(names).toEqual(['attribute']);
  });

  it('reports a bad input of a path-point split as the one-thread run does', async () => {
    const bad = smallBatch(1, 25);
    bad.data[3] = Number.NaN;
    const want = await createExplainer('integratedGradients', km)
      .attribute(bad)
      .catch((e) => e);
    const got = await attributeInPool(pool, 'integratedGradients', bad).catch((e) => e);
    expect(want).toBeInstanceOf(ExplainError);
    expect(got).toBeInstanceOf(ExplainError);
    expect({ code: got.code, message: got.message }).toEqual({ code: want.code, message: want.message });
  });

  it('computes attention maps on the workers exactly as one thread, for any chunking', async () => {
    const x = smallBatch(7, 16);
    const [one] = attentionMaps(km, x);
    for (const chunkSize of [undefined, 2, 7]) {
      const [got] = await attentionMapsInPool(pool, x, { chunkSize });
      expect({ layer: got.layer, className: got.className, axes: got.axes }).toEqual({
        layer: one.layer,
        className: one.className,
        axes: one.axes,
      });
      expect(got.array.shape).toEqual(one.array.shape);
      expect(Array.from(got.array.data)).toEqual(Array.from(one.array.data));
    }
    await expect(attentionMapsInPool(pool, x, { chunkSize: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(attentionMapsInPool(pool, x, { layers: 'nope' })).rejects.toMatchObject({ code: 'UNKNOWN_LAYER' });
  });

  it('equals one-thread runs over the same chunks for methods that draw noise across the batch', async () => {
    const x = smallBatch(4, 12);
    const options = { samples: 3, seed: 5 };
    const chunks = [
      { data: x.data.slice(0, 2 * 36), shape: [2, 12, 3] },
      { data: x.data.slice(2 * 36), shape: [2, 12, 3] },
    ];
    const parts = await Promise.all(chunks.map((c) => createExplainer('smoothGrad', km, options).attribute(c)));
    const got = await attributeInPool(pool, 'smoothGrad', x, options, { chunkSize: 2 });
    expect(Array.from(got.attributions[0].data)).toEqual([
      ...Array.from(parts[0].attributions[0].data),
      ...Array.from(parts[1].attributions[0].data),
    ]);
  });

  it('sends a wrapper’s method to the workers by name: smoothGrad over IG with 4 steps equals one thread', async () => {
    const x = smallBatch(2, 14);
    const options = { wrap: methods.integratedGradients, wrapOptions: { steps: 4 }, samples: 2, seed: 3 };
    const one = await createExplainer('smoothGrad', km, options).attribute(x);
    const got = await attributeInPool(pool, 'smoothGrad', x, options, { chunkSize: 2 });
    expect(Array.from(got.attributions[0].data)).toEqual(Array.from(one.attributions[0].data));
  });

  it('slices per-sample targets with the chunks and reports progress per chunk', async () => {
    const x = smallBatch(3, 13);
    const seen: number[] = [];
    const got = await attributeInPool(
      pool,
      'gradient',
      x,
      { target: [0, 0, 0] },
      { chunkSize: 1, onProgress: (d) => seen.push(d) },
    );
    same(got, await createExplainer('gradient', km, { target: [0, 0, 0] }).attribute(x));
    expect(seen.sort()).toEqual([1, 2, 3]);
  });

  it('refuses a function target, which cannot cross threads', async () => {
    await expect(attributeInPool(pool, 'gradient', smallBatch(1, 1), { target: (y) => y })).rejects.toMatchObject({
      code: 'BAD_OPTION',
    });
  });

  it("keeps a worker's ExplainError an ExplainError (callers tell errors apart with instanceof)", async () => {
    const e = await attributeInPool(pool, 'gradient', smallBatch(1, 1), { target: 99 }).catch((err) => err);
    expect(e).toBeInstanceOf(ExplainError);
    expect(e.code).toBe('BAD_TARGET');
  });
});
