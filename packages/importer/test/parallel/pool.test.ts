import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KerasModel, predict } from '../../src/index.ts';
import { loadModel } from '../../src/model.ts';
import { createModelPool, type ModelPool, ownBuffers, poolChunks } from '../../src/parallel/pool.ts';
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

  it('splits a batch over the workers by default (equal chunks, a multiple of the workers) exactly as one thread', async () => {
    // 150 rows: 3 chunks of at most 64 would be 64 + 64 + 22, two of them on one worker; 4 chunks of 38/37 balance.
    const x = batch(150, 5);
    const [got] = await pool.predict(x);
    expect(Array.from(got.data)).toEqual(Array.from(predict(km, x)[0].data));
    // The caller's array is copied, not moved: it stays readable after its chunks were transferred.
    expect(x.data.length).toBe(150 * 12 * 3);
  });

  it('runs chunks on both workers at once and keeps their order', async () => {
    const xs = [batch(5, 2), batch(9, 3)];
    const [a, b] = await Promise.all(xs.map((x) => pool.predict(x, { chunkSize: 2 })));
    expect(Array.from(a[0].data)).toEqual(Array.from(predict(km, xs[0])[0].data));
    expect(Array.from(b[0].data)).toEqual(Array.from(predict(km, xs[1])[0].data));
  });

  it('chunks rows evenly: a multiple of the workers, at most maxChunk rows, sizes within one row', () => {
    expect(poolChunks(32, 2, 64)).toEqual([
      [0, 16],
      [16, 32],
    ]);
    expect(poolChunks(150, 2, 64)).toEqual([
      [0, 38],
      [38, 76],
      [76, 113],
      [113, 150],
    ]);
    expect(poolChunks(7, 3, 64)).toEqual([
      [0, 3],
      [3, 5],
      [5, 7],
    ]);
    // Fewer rows than workers: one row each, no empty chunks.
    expect(poolChunks(1, 2, 32)).toEqual([[0, 1]]);
    expect(poolChunks(0, 2, 32)).toEqual([]);
    for (const [n, threads, max] of [
      [1000, 2, 64],
      [65, 2, 32],
      [33, 4, 8],
    ]) {
      const c = poolChunks(n, threads, max);
      const sizes = c.map(([s, e]) => e - s);
      expect(c[0][0]).toBe(0);
      expect(c.at(-1)?.[1]).toBe(n);
      c.slice(1).forEach(([s], i) => expect(s).toBe(c[i][1]));
      expect(c.length % threads).toBe(0);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(max);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('transfers only buffers an array owns whole', () => {
    const whole = new Float32Array(4);
    const shared = new Float32Array(8);
    expect(
      ownBuffers([
        { data: whole, shape: [4] },
        { data: shared.subarray(0, 4), shape: [4] },
      ]),
    ).toEqual([whole.buffer]);
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
