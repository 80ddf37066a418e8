import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { portFor } from '../../src/layers/registry.ts';
import type { MultiHead } from '../../src/layers/cyberzhg/multi-head.ts';
import { SeqSelfAttention } from '../../src/layers/cyberzhg/seq-self-attention.ts';
import type { KerasLayerJson } from '../../src/keras-format/types.ts';
import { context, expectClose, matmul, randMat, randVec, refSelfAttention, seeded, t1, t2, t3 } from './reference.ts';

beforeEach(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => tf.disposeVariables());

/** A stand-in for the importer's buildLayer: Dense and SeqSelfAttention. */
function inner(json: KerasLayerJson): tf.layers.Layer {
  const c = json.config;
  if (json.class_name === 'BatchNormalization')
    return tf.layers.batchNormalization({ name: c.name, epsilon: c.epsilon as number, trainable: false });
  if (json.class_name === 'Dense')
    return tf.layers.dense({
      name: c.name,
      units: c.units as number,
      useBias: c.use_bias as boolean,
      trainable: false,
    });
  return portFor(json.class_name, c).build(c, context('current'));
}

const dense = (name: string, units: number, useBias = true): KerasLayerJson => ({
  class_name: 'Dense',
  config: { name, units, use_bias: useBias, activation: 'linear' },
});

describe('keras-multi-head MultiHead', () => {
  const rnd = seeded(33);

  it('stacks each copy’s output on a new last axis, weights copy by copy', () => {
    const config = {
      name: 'multi_head_1',
      layers: [dense('dense_1_1', 2), dense('dense_1_2', 2), dense('dense_1_3', 2)],
      hidden_dim: null,
      use_bias: true,
      reg_index: null,
      reg_slice: null,
      reg_factor: null,
    };
    const l = portFor('MultiHead', { name: 'x' }).build(config, context('current', inner)) as MultiHead;
    l.build([null, 4, 3]);
    expect(l.weights.map((w) => w.originalName)).toEqual([
      'dense_1_1/kernel',
      'dense_1_1/bias',
      'dense_1_2/kernel',
      'dense_1_2/bias',
      'dense_1_3/kernel',
      'dense_1_3/bias',
    ]);
    const W = [0, 1, 2].map(() => randMat(3, 2, rnd));
    const b = [0, 1, 2].map(() => randVec(2, rnd));
    l.setWeights(W.flatMap((w, i) => [t2(w), t1(b[i])]));
    const x = [randMat(4, 3, rnd)];
    const y = l.apply(t3(x)) as tf.Tensor;
    expect(y.shape).toEqual([1, 4, 2, 3]);
    expect(l.computeOutputShape([null, 4, 3])).toEqual([null, 4, 2, 3]);
    const expected = x[0].map((_, t) =>
      [0, 1].map((u) => [0, 1, 2].map((i) => matmul([x[0][t]], W[i])[0][u] + b[i][u])),
    );
    expectClose(y, [expected]);
  });

  it('hidden_dim: copy i sees x·W[:, i·h:(i+1)·h] + b[i·h:(i+1)·h]; W and b come first', () => {
    const h = 2;
    const config = {
      name: 'mh',
      layers: [dense('d_1', 1, false), dense('d_2', 1, false)],
      hidden_dim: h,
      use_bias: true,
    };
    const l = portFor('MultiHead', { name: 'x' }).build(config, context('current', inner)) as MultiHead;
    l.build([null, 3]);
    expect(l.weights.map((w) => [w.originalName, w.shape])).toEqual([
      ['mh_W', [3, 4]],
      ['mh_b', [4]],
      ['d_1/kernel', [2, 1]],
      ['d_2/kernel', [2, 1]],
    ]);
    const W = randMat(3, 4, rnd);
    const bb = randVec(4, rnd);
    const k = [randMat(2, 1, rnd), randMat(2, 1, rnd)];
    l.setWeights([t2(W), t1(bb), t2(k[0]), t2(k[1])]);
    const x = randMat(2, 3, rnd);
    const proj = matmul(x, W).map((r) => r.map((v, j) => v + bb[j]));
    // (B, units=1, copies=2): copy i is Dense(1) on columns i·h … i·h+1 of the projection
    const expected = proj.map((r) => [[0, 1].map((i) => r[i * h] * k[i][0][0] + r[i * h + 1] * k[i][1][0])]);
    const y = l.apply(t2(x)) as tf.Tensor;
    expect(y.shape).toEqual([2, 1, 2]);
    expectClose(y, expected);
  });

  it('wraps SeqSelfAttention copies; weights named per copy inside a model', () => {
    const sa = (name: string): KerasLayerJson => ({
      class_name: 'SeqSelfAttention',
      config: { name, units: 2, attention_type: 'multiplicative', attention_activation: 'linear' },
    });
    const l = portFor('MultiHead', { name: 'x' }).build(
      { name: 'heads', layers: [sa('att_1'), sa('att_2')], hidden_dim: null, use_bias: true },
      context('current', inner),
    ) as MultiHead;
    const input = tf.input({ shape: [3, 2] });
    const model = tf.model({ inputs: input, outputs: l.apply(input) as tf.SymbolicTensor });
    const names = model.weights.map((w) => w.originalName);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toHaveLength(4);
    const Wa = [randMat(2, 2, rnd), randMat(2, 2, rnd)];
    l.setWeights([t2(Wa[0]), t1([0]), t2(Wa[1]), t1([0])]);
    const x = randMat(3, 2, rnd);
    const y = (model.predict(t3([x])) as tf.Tensor).arraySync() as number[][][][];
    for (let i = 0; i < 2; i++) {
      const r = refSelfAttention(x, { type: 'multiplicative', Wa: Wa[i], ba: 0, variant: 'current' });
      expectClose(
        y[0].map((row) => row.map((f) => f[i])),
        r.v,
      );
    }
    expect(l.inner[0]).toBeInstanceOf(SeqSelfAttention);
  });

  it("orders copies' weights as Keras saves them: every copy's trainable ones, then the non-trainable", () => {
    const bn = (name: string, trainable = true): KerasLayerJson => ({
      class_name: 'BatchNormalization',
      config: { name, epsilon: 0.5, trainable },
    });
    const build = (layers: KerasLayerJson[]) => {
      const l = portFor('MultiHead', { name: 'x' }).build(
        { name: 'mh', layers },
        context('current', inner),
      ) as MultiHead;
      l.build([null, 1]);
      return l;
    };
    expect(build([bn('a'), bn('b')]).weights.map((w) => w.originalName)).toEqual([
      'a/gamma',
      'a/beta',
      'b/gamma',
      'b/beta',
      'a/moving_mean',
      'a/moving_variance',
      'b/moving_mean',
      'b/moving_variance',
    ]);
    // A frozen copy's weights are all non-trainable in Keras: they follow every trainable one.
    const l = build([bn('a', false), bn('b')]);
    expect(l.weights.map((w) => w.originalName)).toEqual([
      'b/gamma',
      'b/beta',
      'a/gamma',
      'a/beta',
      'a/moving_mean',
      'a/moving_variance',
      'b/moving_mean',
      'b/moving_variance',
    ]);
    // Loaded in that order, copy a computes (x − 1)/√(3 + 0.5)·2 + 0.25 and copy b (x − 2)/√(0.5 + 0.5)·3 + 1.
    l.setWeights([3, 1, 2, 0.25, 1, 3, 2, 0.5].map((v) => t1([v])));
    const y = l.apply(t2([[4]])) as tf.Tensor;
    expectClose(y, [[[(3 / Math.sqrt(3.5)) * 2 + 0.25, 2 * 3 + 1]]]);
  });

  it('builds numbered copies from a config with only layer and layer_num', () => {
    const l = portFor('MultiHead', { name: 'x' }).build(
      { name: 'mh2', layer: dense('d', 2), layer_num: 3 },
      context('current', inner),
    ) as MultiHead;
    expect(l.inner.map((x) => x.name)).toEqual(['d_1', 'd_2', 'd_3']);
    expect(() =>
      portFor('MultiHead', { name: 'x' }).build({ name: 'mh3', layers: [] }, context('current', inner)),
    ).toThrow(/'mh3' \(MultiHead\) config 'layers'/);
  });
});
