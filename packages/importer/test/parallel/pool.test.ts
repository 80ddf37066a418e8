import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KerasModel, modelFromConfig, predict, toKerasH5 } from '../../src/index.ts';
import { loadModel } from '../../src/model.ts';
import { createModelPool, type ModelPool } from '../../src/parallel/pool.ts';
import { attentionLstmConfig, mulberry32 } from '../../../../scripts/lib/attention-lstm.ts';

// An LSTM → SeqSelfAttention → Dense model (the fused kernels' paths) with seeded weights, as .h5 bytes.
async function modelBytes(): Promise<Uint8Array> {
  const config = attentionLstmConfig({
    name: 'pool_model',
    steps: 12,
    features: 3,
    rnn: { className: 'LSTM', name: 'lstm', config: { units: 5, activation: 'tanh', recurrent_activation: 'sigmoid' } },
    attentionUnits: 4,
    outputName: 'out',
  });
  const km = await modelFromConfig(config as never, { kerasVersion: '2.3.1' });
  const r = mulberry32(3);
  for (const l of km.model.layers)
    l.setWeights(
      l.getWeights().map((w) =>
        tf.tensor(
          Float32Array.from({ length: w.size }, () => r() - 0.5),
          w.shape,
        ),
      ),
    );
  const bytes = await toKerasH5(km);
  km.dispose();
  return bytes;
}

const batch = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return { data: Float32Array.from({ length: n * 12 * 3 }, () => 2 * r() - 1), shape: [n, 12, 3] };
};

describe('model pool', () => {
  let bytes: Uint8Array;
  let km: KerasModel;
  let pool: ModelPool;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    bytes = await modelBytes();
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
    await expect(pool.predict(bad)).rejects.toMatchObject({ name: 'KeraspectError', code: 'INPUT_SHAPE' });
  });

  it('refuses Lambda functions, which cannot cross threads', async () => {
    await expect(
      createModelPool({ bytes, options: { lambdas: { l: (x: tf.Tensor) => x } } as never }, { threads: 1 }),
    ).rejects.toMatchObject({ code: 'BAD_ARGUMENT', message: /Lambda/ });
  });

  it('fails to start with the loader error when the bytes are not a model', async () => {
    await expect(createModelPool({ bytes: new Uint8Array([1, 2, 3]) }, { threads: 1 })).rejects.toMatchObject({
      name: 'KeraspectError',
      code: 'NOT_HDF5',
    });
  });
});
