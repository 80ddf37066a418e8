import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { additiveAttentionPort, type KerasAdditiveAttention } from '../../src/layers/builtin/additive-attention.ts';
import { attentionPort, type KerasAttention } from '../../src/layers/builtin/attention.ts';
import { type KerasMultiHeadAttention, multiHeadAttentionPort } from '../../src/layers/builtin/multi-head-attention.ts';
import { portFor } from '../../src/layers/registry.ts';
import { isAttentionSource } from '../../src/layers/capabilities.ts';
import type { KerasVersion } from '../../src/layers/port.ts';
import { ctx, expectClose, K2, K3, rand, roundTrip } from './helpers.ts';

const K3_11: KerasVersion = { raw: '3.11.3', major: 3, minor: 11, patch: 3 };

const B = 2;
const TQ = 3;
const TV = 4;
const D = 3;
const q = rand(B * TQ * D, 31);
const v = rand(B * TV * D, 32);
const k = rand(B * TV * D, 33);
const at = (a: number[], T: number, b: number, t: number, d: number) => a[(b * T + t) * D + d];

function softmaxRow(s: number[]): number[] {
  const m = Math.max(...s);
  const e = s.map((x) => Math.exp(x - m));
  const z = e.reduce((a, c) => a + c, 0);
  return e.map((x) => x / z);
}

/** Reference dense attention: score(b, t, s) given; masks as 0/1 arrays. */
function refDense(
  score: (b: number, t: number, s: number) => number,
  opts: { vMask?: number[][]; qMask?: number[][]; causal?: boolean } = {},
) {
  const out: number[] = [];
  const weights: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < TQ; t++) {
      const s = Array.from({ length: TV }, (_, j) => {
        const ok = (opts.vMask ? opts.vMask[b][j] : 1) && (!opts.causal || j <= t);
        return score(b, t, j) - (ok ? 0 : 1e9);
      });
      const w = softmaxRow(s);
      weights.push(...w);
      for (let d = 0; d < D; d++) {
        let acc = 0;
        for (let j = 0; j < TV; j++) acc += w[j] * at(v, TV, b, j, d);
        out.push(opts.qMask && !opts.qMask[b][t] ? 0 : acc);
      }
    }
  }
  return { out, weights };
}

const dot = (b: number, t: number, s: number, key = k) => {
  let acc = 0;
  for (let d = 0; d < D; d++) acc += at(q, TQ, b, t, d) * at(key, TV, b, s, d);
  return acc;
};

const tq = () => tf.tensor3d(q, [B, TQ, D]);
const tv = () => tf.tensor3d(v, [B, TV, D]);
const tk = () => tf.tensor3d(k, [B, TV, D]);

describe('Attention (built-in, Luong)', () => {
  it('dot with use_scale, key input, returns scores', () => {
    const layer = attentionPort.build({ name: 'att', use_scale: true, score_mode: 'dot' }, ctx()) as KerasAttention;
    layer.build([
      [null, TQ, D],
      [null, TV, D],
      [null, TV, D],
    ]);
    layer.setWeights([tf.scalar(0.7)]);
    const [out, w] = layer.apply([tq(), tv(), tk()], { return_attention_scores: true }) as tf.Tensor[];
    const ref = refDense((b, t, s) => 0.7 * dot(b, t, s));
    expect(w.shape).toEqual([B, TQ, TV]);
    expectClose(out.dataSync(), ref.out);
    expectClose(w.dataSync(), ref.weights);
    expect(isAttentionSource(layer)).toBe(true);
    expectClose(layer.computeAttention([tq(), tv(), tk()]).dataSync(), ref.weights);
  });

  it('concat mode with scale and concat_score_weight (weights in Keras order)', () => {
    const layer = attentionPort.build({ name: 'att', use_scale: true, score_mode: 'concat' }, ctx()) as KerasAttention;
    layer.build([
      [null, TQ, D],
      [null, TV, D],
    ]);
    expect(layer.weights.map((x) => x.originalName.split('/').pop())).toEqual(['scale', 'concat_score_weight']);
    layer.setWeights([tf.scalar(0.5), tf.scalar(1.5)]);
    const out = layer.apply([tq(), tv()]) as tf.Tensor;
    const ref = refDense((b, t, s) => {
      let acc = 0;
      for (let d = 0; d < D; d++) acc += Math.tanh(0.5 * (at(q, TQ, b, t, d) + at(v, TV, b, s, d)));
      return 1.5 * acc;
    });
    expectClose(out.dataSync(), ref.out);
  });

  it('causal (tf.keras 2 config and Keras 3 call kwarg) with value and query masks', () => {
    const vMask = [
      [1, 1, 0, 1],
      [1, 0, 1, 1],
    ];
    const qMask = [
      [1, 0, 1],
      [1, 1, 1],
    ];
    const ref = refDense((b, t, s) => dot(b, t, s, v), { vMask, qMask, causal: true });
    const mask = [tf.tensor2d(qMask, [B, TQ], 'bool'), tf.tensor2d(vMask, [B, TV], 'bool')];
    const k2 = attentionPort.build({ name: 'a', use_scale: false, causal: true }, ctx(K2));
    k2.build([
      [null, TQ, D],
      [null, TV, D],
    ]);
    expectClose((k2.apply([tq(), tv()], { mask }) as tf.Tensor).dataSync(), ref.out);
    const k3 = attentionPort.build({ name: 'b', use_scale: false, score_mode: 'dot', dropout: 0 }, ctx(K3));
    k3.build([
      [null, TQ, D],
      [null, TV, D],
    ]);
    expectClose((k3.apply([tq(), tv()], { mask, use_causal_mask: true }) as tf.Tensor).dataSync(), ref.out);
    expect(k3.computeMask([tq(), tv()], mask)).toBe(mask[0]);
  });

  it('in a functional model, return_attention_scores gives two outputs', () => {
    const iq = tf.input({ shape: [TQ, D] });
    const iv = tf.input({ shape: [TV, D] });
    const layer = attentionPort.build({ name: 'att2', use_scale: false }, ctx());
    const outs = layer.apply([iq, iv], { return_attention_scores: true }) as tf.SymbolicTensor[];
    expect(outs.map((o) => o.shape)).toEqual([
      [null, TQ, D],
      [null, TQ, TV],
    ]);
    const model = tf.model({ inputs: [iq, iv], outputs: outs });
    const [o, w] = model.predict([tq(), tv()]) as tf.Tensor[];
    const ref = refDense((b, t, s) => dot(b, t, s, v));
    expectClose(o.dataSync(), ref.out);
    expectClose(w.dataSync(), ref.weights);
    const clone = roundTrip(layer as KerasAttention);
    expect(clone.getConfig()).toEqual(layer.getConfig());
  });

  it('tells the built-in config from a user class named Attention', () => {
    // The layer config of the user class `Attention` in dnforimaco_attention_lstm_sequential_k3.11.3.h5
    // (Keras 3.11), as stored in the file: none of the built-in's keys.
    const user = {
      name: 'attention',
      trainable: true,
      dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
    };
    expect(attentionPort.matches!(user)).toBe(false);
    expect(() => portFor('Attention', user)).toThrow(
      /'attention' \(class 'Attention'\).*keys: name, trainable, dtype.*Keras' built-in Attention.*user-defined class.*registerLayer\("Attention"/,
    );
    expect(portFor('Attention', { name: 'a', use_scale: false, score_mode: 'dot', dropout: 0 })).toBe(attentionPort);
    expect(
      attentionPort.matches!({
        name: 'a',
        trainable: true,
        dtype: 'float32',
        use_scale: true,
        causal: false,
        dropout: 0,
      }),
    ).toBe(true);
    expect(portFor('AdditiveAttention', { name: 'a', use_scale: true })).toBe(additiveAttentionPort);
    expect(() => portFor('AdditiveAttention', { name: 'a' })).toThrow(/user-defined class/);
    expect(() => attentionPort.build({ name: 'a', use_scale: false, score_mode: 'general' }, ctx())).toThrow(
      /score_mode.*'general'/,
    );
  });
});

describe('AdditiveAttention (built-in, Bahdanau)', () => {
  it('scale (D,) weighting of tanh(q + k), with masks and scores', () => {
    const layer = additiveAttentionPort.build({ name: 'add', use_scale: true }, ctx()) as KerasAdditiveAttention;
    layer.build([
      [null, TQ, D],
      [null, TV, D],
      [null, TV, D],
    ]);
    expect(layer.weights[0].shape).toEqual([D]);
    const scale = [0.3, -0.8, 1.1];
    layer.setWeights([tf.tensor1d(scale)]);
    const vMask = [
      [1, 1, 1, 0],
      [0, 1, 1, 1],
    ];
    const [out, w] = layer.apply([tq(), tv(), tk()], {
      mask: [null, tf.tensor2d(vMask, [B, TV], 'bool')],
      return_attention_scores: true,
    }) as tf.Tensor[];
    const ref = refDense(
      (b, t, s) => {
        let acc = 0;
        for (let d = 0; d < D; d++) acc += scale[d] * Math.tanh(at(q, TQ, b, t, d) + at(k, TV, b, s, d));
        return acc;
      },
      { vMask },
    );
    expectClose(out.dataSync(), ref.out);
    expectClose(w.dataSync(), ref.weights);
    const g = tf.grad((x: tf.Tensor) => tf.sum(layer.apply([x, tv(), tk()]) as tf.Tensor))(tq());
    expect(g.shape).toEqual([B, TQ, D]);
    expect(roundTrip(layer).getConfig()).toEqual(layer.getConfig());
  });
});

describe('MultiHeadAttention (built-in)', () => {
  const H = 2;
  const DK = 2;
  const DV = 3;
  const DO = 4;
  const wq = rand(D * H * DK, 41);
  const bq = rand(H * DK, 42);
  const wk = rand(D * H * DK, 43);
  const bk = rand(H * DK, 44);
  const wv = rand(D * H * DV, 45);
  const bv = rand(H * DV, 46);
  const wo = rand(H * DV * DO, 47);
  const bo = rand(DO, 48);

  function proj(x: number[], T: number, w: number[], bias: number[], d: number) {
    // (B, T, D)·(D, H, d) + (H, d) → [b][h][t][j]
    return Array.from({ length: B }, (_, b) =>
      Array.from({ length: H }, (_, h) =>
        Array.from({ length: T }, (_, t) =>
          Array.from({ length: d }, (_, j) => {
            let acc = bias[h * d + j];
            for (let f = 0; f < D; f++) acc += x[(b * T + t) * D + f] * w[(f * H + h) * d + j];
            return acc;
          }),
        ),
      ),
    );
  }

  function refMha(causal: boolean, qMask?: number[][]) {
    const Q = proj(q, TQ, wq, bq, DK);
    const K = proj(k, TV, wk, bk, DK);
    const V = proj(v, TV, wv, bv, DV);
    const scores: number[] = [];
    const out: number[] = [];
    for (let b = 0; b < B; b++) {
      const ctxv = Array.from({ length: TQ }, () => Array.from({ length: H }, () => new Array(DV).fill(0)));
      for (let h = 0; h < H; h++) {
        for (let t = 0; t < TQ; t++) {
          const s = Array.from({ length: TV }, (_, j) => {
            let acc = 0;
            for (let i = 0; i < DK; i++) acc += Q[b][h][t][i] * K[b][h][j][i];
            const ok = (!causal || j <= t) && (!qMask || qMask[b][t]);
            return acc / Math.sqrt(DK) - (ok ? 0 : 1e9);
          });
          const w = softmaxRow(s).map((x, j) => ((!causal || j <= t) && (!qMask || qMask[b][t]) ? x : 0));
          scores.push(...w);
          for (let j = 0; j < TV; j++) for (let e = 0; e < DV; e++) ctxv[t][h][e] += w[j] * V[b][h][j][e];
        }
      }
      for (let t = 0; t < TQ; t++) {
        for (let o = 0; o < DO; o++) {
          let acc = bo[o];
          for (let h = 0; h < H; h++) for (let e = 0; e < DV; e++) acc += ctxv[t][h][e] * wo[(h * DV + e) * DO + o];
          out.push(acc);
        }
      }
    }
    return { scores, out };
  }

  const config = {
    name: 'mha',
    num_heads: H,
    key_dim: DK,
    value_dim: DV,
    use_bias: true,
    output_shape: [DO],
    attention_axes: [1],
    dropout: 0,
  };

  function build(version = K3_11): KerasMultiHeadAttention {
    const layer = multiHeadAttentionPort.build(config, ctx(version)) as KerasMultiHeadAttention;
    layer.build([
      [null, TQ, D],
      [null, TV, D],
      [null, TV, D],
    ]);
    layer.setWeights([
      tf.tensor3d(wq, [D, H, DK]),
      tf.tensor2d(bq, [H, DK]),
      tf.tensor3d(wk, [D, H, DK]),
      tf.tensor2d(bk, [H, DK]),
      tf.tensor3d(wv, [D, H, DV]),
      tf.tensor2d(bv, [H, DV]),
      tf.tensor3d(wo, [H, DV, DO]),
      tf.tensor1d(bo),
    ]);
    return layer;
  }

  it('per-head scores and output match the loop; weights in Keras order', () => {
    const layer = build();
    expect(layer.weights.map((w) => w.originalName.replace(/^mha\//, ''))).toEqual([
      'query/kernel',
      'query/bias',
      'key/kernel',
      'key/bias',
      'value/kernel',
      'value/bias',
      'attention_output/kernel',
      'attention_output/bias',
    ]);
    const [out, scores] = layer.apply([tq(), tv(), tk()], { return_attention_scores: true }) as tf.Tensor[];
    const ref = refMha(false);
    expect(scores.shape).toEqual([B, H, TQ, TV]);
    expectClose(scores.dataSync(), ref.scores);
    expectClose(out.dataSync(), ref.out);
    expectClose(layer.computeAttention([tq(), tv(), tk()]).dataSync(), ref.scores);
  });

  it('use_causal_mask and a query mask (Keras ≥ 3.10 zeroes masked weights)', () => {
    const layer = build();
    const qMask = [
      [1, 1, 0],
      [1, 1, 1],
    ];
    const [out, scores] = layer.apply([tq(), tv(), tk()], {
      use_causal_mask: true,
      return_attention_scores: true,
      mask: [tf.tensor2d(qMask, [B, TQ], 'bool'), null, null],
    }) as tf.Tensor[];
    const ref = refMha(true, qMask);
    expectClose(scores.dataSync(), ref.scores);
    expectClose(out.dataSync(), ref.out);
    // Keras < 3.10 (and tf.keras 2.10+) leave a fully masked query row uniform.
    const old = build(K3);
    const s39 = (
      old.apply([tq(), tv(), tk()], {
        use_causal_mask: true,
        return_attention_scores: true,
        mask: [tf.tensor2d(qMask, [B, TQ], 'bool'), null, null],
      }) as tf.Tensor[]
    )[1];
    const row = Array.from(s39.dataSync()).slice(2 * TV, 3 * TV);
    expectClose(row, [0.25, 0.25, 0.25, 0.25]);
  });

  it('symbolic call with kwarg tensors and return_attention_scores; round trip', () => {
    const layer = multiHeadAttentionPort.build(config, ctx()) as KerasMultiHeadAttention;
    const iq = tf.input({ shape: [TQ, D] });
    const ik = tf.input({ shape: [TV, D] });
    const iv = tf.input({ shape: [TV, D] });
    // mha(q, key=k, value=v, return_attention_scores=True)
    const outs = layer.apply([iq, ik, iv], {
      tensorKwargNames: ['key', 'value'],
      return_attention_scores: true,
    }) as tf.SymbolicTensor[];
    expect(outs.map((o) => o.shape)).toEqual([
      [null, TQ, DO],
      [null, H, TQ, TV],
    ]);
    const ref = build();
    layer.setWeights(ref.getWeights());
    const model = tf.model({ inputs: [iq, ik, iv], outputs: outs });
    const [o, s] = model.predict([tq(), tk(), tv()]) as tf.Tensor[];
    const exp = refMha(false);
    expectClose(o.dataSync(), exp.out);
    expectClose(s.dataSync(), exp.scores);
    const clone = roundTrip(layer);
    expect(clone.getConfig()).toEqual(layer.getConfig());
  });

  it('rejects other attention_axes and tells keras-multi-head configs apart', () => {
    expect(() => multiHeadAttentionPort.build({ ...config, attention_axes: [2] }, ctx())).toThrow(/attention_axes/);
    expect(multiHeadAttentionPort.matches!({ name: 'm', head_num: 4 })).toBe(false);
    expect(portFor('MultiHeadAttention', config)).toBe(multiHeadAttentionPort);
    // Neither Keras' nor keras-multi-head's: the error lists both candidates.
    expect(() => portFor('MultiHeadAttention', { name: 'm', heads: 4 })).toThrow(
      /'m' \(class 'MultiHeadAttention'\).*Keras' built-in MultiHeadAttention.*'num_heads' and 'key_dim'.*keras-multi-head's MultiHeadAttention.*'head_num'.*registerLayer\("MultiHeadAttention"/,
    );
  });

  it('matches the fixture config and is differentiable', () => {
    const cfg = {
      name: 'multi_head_attention_1',
      num_heads: 2,
      key_dim: 2,
      value_dim: 2,
      dropout: 0,
      use_bias: true,
      output_shape: null,
      attention_axes: [1],
    };
    const layer = multiHeadAttentionPort.build(cfg, ctx());
    const x = tf.tensor3d(rand(2 * 3 * 2, 5), [2, 3, 2]);
    const y = layer.apply([x, x]) as tf.Tensor;
    expect(y.shape).toEqual([2, 3, 2]);
    expect(layer.weights.map((w) => w.shape)).toEqual([
      [2, 2, 2],
      [2, 2],
      [2, 2, 2],
      [2, 2],
      [2, 2, 2],
      [2, 2],
      [2, 2, 2],
      [2],
    ]);
    const g = tf.grad((inp: tf.Tensor) => tf.sum(layer.apply([inp, inp]) as tf.Tensor))(x);
    expect(g.shape).toEqual([2, 3, 2]);
  });
});
