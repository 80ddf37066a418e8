import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeqSelfAttention } from '../../src/layers/cyberzhg/index.ts';
import { writeKerasH5 } from '../../src/export/h5.ts';
import { loadModel, predict } from '../../src/index.ts';
import { h5 } from '../../src/read/h5wasm.ts';
import { expectClose, type Mat, randMat, randVec, refSelfAttention, seeded } from './reference.ts';

// keras-self-attention 0.25–0.38 accepted SeqSelfAttention([x, positions]): attention over the
// whole of x, then only the rows at `positions` (B, P) are returned, v (B, P, F) and A (B, P, T)
// (seq_self_attention.py before 97f1c59). The file is a Keras 2 functional model from the h5 writer.

beforeAll(async () => {
  await h5();
});

const T = 5;
const F = 3;
const U = 4;
const P = 3;

function positionsFile(returnAttention: boolean, weights: { name: string; m: number[][] | number[] }[]) {
  const node = (name: string) => [name, 0, 0, {}];
  const outputs = returnAttention
    ? [
        ['att', 0, 0],
        ['att', 0, 1],
      ]
    : [['att', 0, 0]];
  const modelConfig = {
    class_name: 'Model',
    config: {
      name: 'm',
      layers: [
        {
          class_name: 'InputLayer',
          name: 'x',
          config: { name: 'x', batch_input_shape: [null, T, F], dtype: 'float32' },
          inbound_nodes: [],
        },
        {
          class_name: 'InputLayer',
          name: 'pos',
          config: { name: 'pos', batch_input_shape: [null, P], dtype: 'int32' },
          inbound_nodes: [],
        },
        {
          class_name: 'SeqSelfAttention',
          name: 'att',
          config: {
            name: 'att',
            units: U,
            attention_width: null,
            attention_type: 'additive',
            return_attention: returnAttention,
            history_only: false,
            use_additive_bias: true,
            use_attention_bias: true,
            attention_activation: null,
            attention_regularizer_weight: 0.0,
          },
          inbound_nodes: [[node('x'), node('pos')]],
        },
      ],
      input_layers: [
        ['x', 0, 0],
        ['pos', 0, 0],
      ],
      output_layers: outputs,
    },
  };
  return writeKerasH5({
    modelConfig: modelConfig as never,
    kerasVersion: '2.2.4',
    layers: [
      { name: 'x', weights: [] },
      { name: 'pos', weights: [] },
      {
        name: 'att',
        weights: weights.map((w) => ({
          name: `att/${w.name}:0`,
          shape: Array.isArray(w.m[0]) ? [(w.m as number[][]).length, (w.m as number[][])[0].length] : [w.m.length],
          data: Float32Array.from((w.m as number[][]).flat()),
        })),
      },
    ],
  });
}

describe('SeqSelfAttention with a positions input (keras-self-attention 0.25–0.38)', () => {
  const rnd = seeded(21);
  const Wt = randMat(F, U, rnd);
  const Wx = randMat(F, U, rnd);
  const bh = randVec(U, rnd);
  const Wa = randMat(U, 1, rnd);
  const ba = 0.2;
  const weights = [
    { name: 'att_Add_Wt', m: Wt },
    { name: 'att_Add_Wx', m: Wx },
    { name: 'att_Add_bh', m: bh },
    { name: 'att_Add_Wa', m: Wa },
    { name: 'att_Add_ba', m: [ba] },
  ];
  const xs: Mat[] = [randMat(T, F, rnd), randMat(T, F, rnd)];
  const pos = [
    [4, 0, 2],
    [1, 1, 3],
  ];

  it('returns the rows of v and A at the given positions', async () => {
    const km = await loadModel(positionsFile(true, weights), { selfAttentionVariant: 'legacy' });
    try {
      const [v, a] = predict(km, [
        { data: Float32Array.from(xs.flat(2)), shape: [2, T, F] },
        { data: Int32Array.from(pos.flat()), shape: [2, P] },
      ]);
      expect(v.shape).toEqual([2, P, F]);
      expect(a.shape).toEqual([2, P, T]);
      const refs = xs.map((x) => refSelfAttention(x, { type: 'additive', Wt, Wx, bh, Wa, ba, variant: 'legacy' }));
      expectClose(
        Array.from(v.data as Float32Array),
        refs.map((r, b) => pos[b].map((p) => r.v[p])),
      );
      expectClose(
        Array.from(a.data as Float32Array),
        refs.map((r, b) => pos[b].map((p) => r.A[p])),
      );
    } finally {
      km.dispose();
    }
  });

  it('more than [x, positions] is refused with a typed error', () => {
    const l = new SeqSelfAttention({ units: 2, name: 'sa3' });
    const x = tf.zeros([1, 3, 2]);
    l.build([null, 3, 2]);
    expect(() => l.apply([x, x, x])).toThrow(/Layer 'sa3' \(SeqSelfAttention\) is called on 3 inputs/);
    x.dispose();
  });
});
