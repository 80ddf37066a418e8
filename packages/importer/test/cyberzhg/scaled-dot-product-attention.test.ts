import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { portFor } from '../../src/layers/registry.ts';
import { CyberZhgMultiHeadAttention } from '../../src/layers/cyberzhg/multi-head-attention.ts';
import { ScaledDotProductAttention } from '../../src/layers/cyberzhg/scaled-dot-product-attention.ts';
import {
  context,
  expectClose,
  type Mat,
  matmul,
  randMat,
  randVec,
  refScaledDot,
  seeded,
  t1,
  t2,
  t3,
} from './reference.ts';

beforeEach(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => tf.disposeVariables());

const rnd = seeded(11);
const q: Mat[] = [randMat(4, 2, rnd), randMat(4, 2, rnd)];
const k: Mat[] = [randMat(5, 2, rnd), randMat(5, 2, rnd)];
const v: Mat[] = [randMat(5, 3, rnd), randMat(5, 3, rnd)];

describe('ScaledDotProductAttention', () => {
  it('closed form: one query against two keys', () => {
    const l = new ScaledDotProductAttention({ returnAttention: true });
    const [out, A] = l.apply([
      t3([[[1, 1]]]),
      t3([
        [
          [1, 0],
          [0, 2],
        ],
      ]),
      t3([[[10], [20]]]),
    ]) as tf.Tensor[];
    // scores 1/√2 and 2/√2
    const p = 1 / (1 + Math.exp(1 / Math.SQRT2));
    expectClose(A, [[[p, 1 - p]]]);
    expectClose(out, [[[10 * p + 20 * (1 - p)]]]);
  });

  it('query/key/value list: softmax(QKᵀ/√d)·V', () => {
    const l = new ScaledDotProductAttention({ returnAttention: true });
    const [out, A] = l.apply([t3(q), t3(k), t3(v)]) as tf.Tensor[];
    expect(out.shape).toEqual([2, 4, 3]);
    expect(A.shape).toEqual([2, 4, 5]);
    for (let b = 0; b < 2; b++) {
      const r = refScaledDot(q[b], k[b], v[b]);
      expectClose((out.arraySync() as Mat[])[b], r.v);
      expectClose((A.arraySync() as Mat[])[b], r.A);
      for (const row of (A.arraySync() as Mat[])[b]) expect(row.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 6);
    }
    expect(
      l.computeOutputShape([
        [null, 4, 2],
        [null, 5, 2],
        [null, 5, 3],
      ]),
    ).toEqual([
      [null, 4, 3],
      [null, 4, 5],
    ]);
  });

  it('single tensor (self-attention) with history_only and a key mask', () => {
    const x = [randMat(5, 2, rnd)];
    const l = new ScaledDotProductAttention({ historyOnly: true });
    const mask = [[1, 1, 0, 1, 1]];
    const m = tf.tensor2d(mask, undefined, 'bool');
    const out = l.apply(t3(x), { mask: m }) as tf.Tensor;
    const r = refScaledDot(x[0], x[0], x[0], true, mask[0]);
    expectClose(out, [r.v]);
    const A = l.computeAttention(t3(x), { mask: m }).arraySync() as Mat[];
    expectClose(A[0][0], [1, 0, 0, 0, 0]);
    expect(A[0][3][2]).toBeLessThan(1e-6);
    // a list of masks: the key mask (second) is the one used
    const l2 = new ScaledDotProductAttention();
    const listed = l2.call([t3(x), t3(x), t3(x)], { mask: [null, m, null] }) as tf.Tensor;
    expectClose(listed, [refScaledDot(x[0], x[0], x[0], false, mask[0]).v]);
    expect(l.computeMask(t3(x), [m, m, m])).toBe(m);
  });

  it('the port reads return_attention, history_only and the epsilon of 0.42, 0.43 and 0.45 configs', () => {
    const l = portFor('ScaledDotProductAttention', { name: 'x' }).build(
      { name: 'sdpa', return_attention: true, history_only: true, epsilon: 1e-3 },
      context('current'),
    ) as ScaledDotProductAttention;
    expect([l.returnAttention, l.historyOnly, l.epsilon]).toEqual([true, true, 1e-3]);
    const A = l.computeAttention(t3([[[1], [1]]]));
    // row 0: only key 0 visible: e/(e + 1e-3)
    expectClose((A.arraySync() as Mat[])[0][0], [1 / (1 + 1e-3), 0], 1e-6, 1e-5);
  });
});

describe('keras-multi-head MultiHeadAttention', () => {
  const F = 4;
  const eye = (n: number): Mat =>
    Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  const zeros = (n: number) => new Array<number>(n).fill(0);

  function mha(
    args: { headNum: number; activation?: string; historyOnly?: boolean; useBias?: boolean },
    weights: tf.Tensor[],
    f = F,
  ) {
    const l = new CyberZhgMultiHeadAttention({ trainable: false, ...args });
    l.build([null, null, f]);
    l.setWeights(weights);
    tf.dispose(weights);
    return l;
  }

  it('identity projections, linear: each head is scaled-dot attention on its slice of features (√2 scaling)', () => {
    const x = [randMat(3, F, rnd), randMat(3, F, rnd)];
    const l = mha({ headNum: 2, activation: 'linear' }, [
      t2(eye(F)),
      t1(zeros(F)),
      t2(eye(F)),
      t1(zeros(F)),
      t2(eye(F)),
      t1(zeros(F)),
      t2(eye(F)),
      t1(zeros(F)),
    ]);
    const out = (l.apply(t3(x)) as tf.Tensor).arraySync() as Mat[];
    const A = l.computeAttention(t3(x)).arraySync() as Mat[][];
    expect(l.attentionAxes).toEqual(['batch', 'head', 'query', 'key']);
    for (let b = 0; b < 2; b++) {
      for (let h = 0; h < 2; h++) {
        const slice = x[b].map((row) => row.slice(2 * h, 2 * h + 2));
        const r = refScaledDot(slice, slice, slice);
        expectClose(A[b][h], r.A);
        expectClose(
          out[b].map((row) => row.slice(2 * h, 2 * h + 2)),
          r.v,
        );
      }
    }
  });

  it('random weights, relu, history_only: matches a per-head loop reference', () => {
    const W = [randMat(F, F, rnd), randMat(F, F, rnd), randMat(F, F, rnd), randMat(F, F, rnd)];
    const bs = [randVec(F, rnd), randVec(F, rnd), randVec(F, rnd), randVec(F, rnd)];
    const x = randMat(5, F, rnd);
    const l = mha(
      { headNum: 2, activation: 'relu', historyOnly: true },
      W.flatMap((w, i) => [t2(w), t1(bs[i])]),
    );
    const relu = (m: Mat) => m.map((r) => r.map((v) => Math.max(0, v)));
    const proj = (m: Mat, i: number) => relu(matmul(m, W[i]).map((r) => r.map((v, j) => v + bs[i][j])));
    const [Q, Kp, V] = [proj(x, 0), proj(x, 1), proj(x, 2)];
    const heads = [0, 1].map((h) => {
      const s = (m: Mat) => m.map((r) => r.slice(2 * h, 2 * h + 2));
      return refScaledDot(s(Q), s(Kp), s(V), true);
    });
    const merged = x.map((_, t) => [...heads[0].v[t], ...heads[1].v[t]]);
    const expected = proj(merged, 3);
    expectClose(l.apply(t3([x])) as tf.Tensor, [expected]);
    expectClose(l.computeAttention(t3([x])), [heads.map((h) => h.A)]);
  });

  it('weights in Keras order Wq, bq, Wk, bk, Wv, bv, Wo, bo; head_num must divide F', () => {
    const l = new CyberZhgMultiHeadAttention({ headNum: 2, trainable: false });
    l.build([null, 3, F]);
    expect(l.weights.map((w) => w.originalName.replace(`${l.name}_`, ''))).toEqual([
      'Wq',
      'bq',
      'Wk',
      'bk',
      'Wv',
      'bv',
      'Wo',
      'bo',
    ]);
    const nb = new CyberZhgMultiHeadAttention({ headNum: 4, useBias: false });
    nb.build([null, 3, F]);
    expect(nb.weights.map((w) => w.shape)).toEqual([
      [F, F],
      [F, F],
      [F, F],
      [F, F],
    ]);
    expect(() => new CyberZhgMultiHeadAttention({ headNum: 3, name: 'mh' }).build([null, 3, F])).toThrow(
      /'mh'.*head_num 3 does not divide the value feature size 4/,
    );
  });

  it('is told apart from the built-in MultiHeadAttention by its config', () => {
    const config = { name: 'mha', head_num: 2, activation: 'linear', use_bias: false, history_only: true };
    const port = portFor('MultiHeadAttention', config);
    expect(port.describe).toMatch(/keras-multi-head/);
    expect(portFor('MultiHeadAttention', { name: 'b', num_heads: 2, key_dim: 8 })).not.toBe(port);
    const l = port.build(config, context('current')) as CyberZhgMultiHeadAttention;
    expect([l.headNum, l.activation, l.useBias, l.historyOnly]).toEqual([2, 'linear', false, true]);
    const defaults = port.build({ name: 'mha2', head_num: 2 }, context('current')) as CyberZhgMultiHeadAttention;
    expect(defaults.activation).toBe('relu');
  });
});
