import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ImporterError, modelFromConfig, predict } from '../../src/index.ts';
import { expectClose, randMat, randVec, seeded, softmaxRow } from './reference.ts';

// keras-embed-sim (embeddings.py): EmbeddingRet returns [E[ids], E]; EmbeddingSim computes
// softmax(x·Eᵀ + bias). keras-transformer's decoders end this way; checked through a Keras 2
// functional config against loops written from that source.

const n = 5;
const d = 3;

function config(useBias: boolean, maskZero = false) {
  return {
    class_name: 'Model',
    config: {
      name: 'm',
      layers: [
        {
          class_name: 'InputLayer',
          name: 'ids',
          config: { name: 'ids', batch_input_shape: [null, 4], dtype: 'int32' },
          inbound_nodes: [],
        },
        {
          class_name: 'EmbeddingRet',
          name: 'emb',
          config: { name: 'emb', input_dim: n, output_dim: d, mask_zero: maskZero },
          inbound_nodes: [[['ids', 0, 0, {}]]],
        },
        {
          class_name: 'EmbeddingSim',
          name: 'sim',
          config: { name: 'sim', use_bias: useBias, stop_gradient: false },
          inbound_nodes: [
            [
              ['emb', 0, 0, {}],
              ['emb', 0, 1, {}],
            ],
          ],
        },
      ],
      input_layers: [['ids', 0, 0]],
      output_layers: [
        ['sim', 0, 0],
        ['emb', 0, 1],
      ],
    },
  };
}

describe('keras-embed-sim EmbeddingRet → EmbeddingSim', () => {
  const rnd = seeded(3);
  const E = randMat(n, d, rnd);
  const bias = randVec(n, rnd);
  const ids = [0, 3, 4, 1];

  for (const useBias of [true, false]) {
    it(`softmax(E[id]·Eᵀ${useBias ? ' + bias' : ''}) per step; the table comes out as it is`, async () => {
      const km = await modelFromConfig(config(useBias));
      km.layer('emb').setWeights([tf.tensor2d(E)]);
      if (useBias) km.layer('sim').setWeights([tf.tensor1d(bias)]);
      expect(km.layer('sim').weights.map((w) => w.shape)).toEqual(useBias ? [[n]] : []);
      const [y, table] = predict(km, { data: Int32Array.from(ids), shape: [1, 4] });
      expect(y.shape).toEqual([1, 4, n]);
      const want = ids.map((id) =>
        softmaxRow(E.map((row, j) => row.reduce((a, v, k) => a + v * E[id][k], 0) + (useBias ? bias[j] : 0))),
      );
      expectClose(Array.from(y.data), want.flat());
      expect(table.shape).toEqual([n, d]);
      expectClose(Array.from(table.data), E.flat());
      km.dispose();
    });
  }

  it('mask_zero: padding ids are masked and the similarities still computed for every step', async () => {
    const km = await modelFromConfig(config(false, true));
    km.layer('emb').setWeights([tf.tensor2d(E)]);
    const [y] = predict(km, { data: Int32Array.from(ids), shape: [1, 4] });
    expect(y.shape).toEqual([1, 4, n]);
    expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
    km.dispose();
  });

  it('ids outside the table are an input error naming EmbeddingRet', async () => {
    const km = await modelFromConfig(config(true));
    const e = (() => {
      try {
        predict(km, { data: Int32Array.of(0, 1, 5, 2), shape: [1, 4] });
      } catch (err) {
        return err;
      }
    })();
    km.dispose();
    expect(e).toBeInstanceOf(ImporterError);
    expect((e as Error).message).toMatch(
      /has id 5 at \[0, 2\] \(flat index 2\), but it feeds EmbeddingRet 'emb'.*input_dim 5/,
    );
  });
});
