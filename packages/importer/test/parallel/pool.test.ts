import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KerasModel, predict } from '../../src/index.ts';
import { loadModel } from '../../src/model.ts';
import { createModelPool, type ModelPool } from '../../src/parallel/pool.ts';
import { smallAttentionLstmBytes, smallBatch as batch } from '../../../../test/support/small-attention-lstm.ts';

describe('model pool', () => {
  let bytes: Uint8Array;
  let km: KerasModel;
  let pool: ModelPool;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    bytes = await smallAttentionLstmBytes();
    km = await loadModel(bytes);
    pool = await createModelPool({ bytes }, { threads: 2 });
  }, 240_000);
  afterAll(async () => {
    await pool?.close();
    km?.dispose();
  });

  it('predicts exactly what one thread predicts, for chunks that do not divide the batch', async () => {
    const x = batch(7, 1);
    const one = predict(km, x)[0];
    for (const chunkSize of [3, 1, 7, undefined]) {
      const [got] = await pool.predict(x, { chunkSize });
      expect(got.shape).toEqual(one.shape);
      expect(Array.from(got.data)).toEqual(Array.from(one.data));
    }
  });

  it('runs chunks on both workers at once and keeps their order', async () => {
    const xs = [batch(5, 2), batch(9, 3)];
    const [a, b] = await Promise.all(xs.map((x) => pool.predict(x, { chunkSize: 2 })));
    expect(Array.from(a[0].data)).toEqual(Array.from(predict(km, xs[0])[0].data));
    expect(Array.from(b[0].data)).toEqual(Array.from(predict(km, xs[1])[0].data));
  });

  it("fails with the importer's own typed error for a wrong input shape", async () => {
    const bad = { data: new Float32Array(2 * 5 * 3), shape: [2, 5, 3] };
    await expect(pool.predict(bad)).rejects.toMatchObject({ name: 'ImporterError', code: 'INPUT_SHAPE' });
  });

  it('loads a model built in code from its config and layer weights', async () => {
    const weights: Record<string, { data: Float32Array; shape: number[] }[]> = {};
    for (const l of km.model.layers)
      weights[l.name] = l.getWeights().map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape }));
    const fromConfig = await createModelPool({ config: km.modelConfig, weights }, { threads: 1 });
    try {
      const x = batch(3, 4);
      expect(Array.from((await fromConfig.predict(x))[0].data)).toEqual(Array.from(predict(km, x)[0].data));
    } finally {
      await fromConfig.close();
    }
  });

  it('refuses Lambda functions, which cannot cross threads', async () => {
    await expect(
      createModelPool({ bytes, options: { lambdas: { l: (x: tf.Tensor) => x } } as never }, { threads: 1 }),
    ).rejects.toMatchObject({ code: 'BAD_ARGUMENT', message: /Lambda/ });
  });

  it('fails to start with the loader error when the bytes are not a model', async () => {
    await expect(createModelPool({ bytes: new Uint8Array([1, 2, 3]) }, { threads: 1 })).rejects.toMatchObject({
      name: 'ImporterError',
      code: 'NOT_HDF5',
    });
  });
});
