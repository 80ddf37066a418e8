import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modelFromConfig, predict } from '../../src/index.ts';
import { portFor } from '../../src/layers/registry.ts';
import type { FeedForward } from '../../src/layers/cyberzhg/feed-forward.ts';
import { CyberZhgLayerNormalization } from '../../src/layers/cyberzhg/layer-normalization.ts';
import { context, expectClose, type Mat, matmul, randMat, randVec, seeded, t1, t2, t3 } from './reference.ts';

beforeEach(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => tf.disposeVariables());

/** EQTransformer's configs as written in eqt_blockly_usgs_d_p_s_k2.3.1.h5. */
const EQT_LN = {
  name: 'layer_normalization_1',
  trainable: false,
  dtype: 'float32',
  center: true,
  scale: true,
  epsilon: 9.999999999999998e-15,
  gamma_initializer: { class_name: 'Ones', config: {} },
  beta_initializer: { class_name: 'Zeros', config: {} },
};
const EQT_FF = {
  name: 'feed_forward_1',
  trainable: false,
  dtype: 'float32',
  units: 128,
  activation: 'relu',
  use_bias: true,
  kernel_initializer: {
    class_name: 'VarianceScaling',
    config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null },
  },
  bias_initializer: { class_name: 'Zeros', config: {} },
  dropout_rate: 0.1,
};
/** Keras' built-in LayerNormalization (tf.keras 2.x). */
const BUILTIN_LN = {
  name: 'ln',
  trainable: true,
  dtype: 'float32',
  axis: [2],
  epsilon: 0.001,
  center: true,
  scale: true,
};

describe('keras-layer-normalization LayerNormalization', () => {
  it('closed form: [1, 2, 3] → (x − 2)/√(2/3 + ε)·γ + β', () => {
    const l = new CyberZhgLayerNormalization({ epsilon: 1e-14 });
    l.build([null, 3]);
    l.setWeights([t1([1, 2, 3]), t1([0.5, 0, -0.5])]);
    const s = Math.sqrt(2 / 3);
    expectClose(l.apply(t2([[1, 2, 3]])) as tf.Tensor, [[(-1 / s) * 1 + 0.5, 0, (1 / s) * 3 - 0.5]]);
  });

  it('normalizes each step of a sequence over the last axis; ε matters for constant rows', () => {
    const rnd = seeded(9);
    const x = [randMat(4, 5, rnd, 3)];
    const l = new CyberZhgLayerNormalization({ epsilon: 0.5 });
    l.build([null, 4, 5]);
    const y = (l.apply(t3(x)) as tf.Tensor).arraySync() as Mat[];
    x[0].forEach((row, t) => {
      const m = row.reduce((a, b) => a + b, 0) / 5;
      const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / 5;
      expectClose(
        y[0][t],
        row.map((r) => (r - m) / Math.sqrt(v + 0.5)),
      );
    });
  });

  it('scale/center flags decide which of gamma, beta exist (in that order)', () => {
    const both = new CyberZhgLayerNormalization();
    both.build([null, 3]);
    expect(both.weights.map((w) => w.originalName)).toEqual(['gamma', 'beta']);
    const onlyBeta = new CyberZhgLayerNormalization({ scale: false });
    onlyBeta.build([null, 3]);
    expect(onlyBeta.weights.map((w) => w.originalName)).toEqual(['beta']);
    const none = new CyberZhgLayerNormalization({ scale: false, center: false });
    none.build([null, 3]);
    expectClose(none.apply(t2([[2, 4]])) as tf.Tensor, [[-1, 1]]);
  });

  it('is recognized by the absence of axis, and the port reads EQTransformer’s config', () => {
    const port = portFor('LayerNormalization', EQT_LN);
    expect(port.describe).toMatch(/keras-layer-normalization/);
    expect(portFor('LayerNormalization', BUILTIN_LN)).not.toBe(port);
    const l = port.build(EQT_LN, context('legacy')) as CyberZhgLayerNormalization;
    expect([l.name, l.epsilon, l.center, l.scale]).toEqual([
      'layer_normalization_1',
      9.999999999999998e-15,
      true,
      true,
    ]);
    const dflt = port.build({ name: 'x', epsilon: null }, context('legacy')) as CyberZhgLayerNormalization;
    expect(dflt.epsilon).toBe(1e-14);
    expect(CyberZhgLayerNormalization.kerasClassName).toBe('LayerNormalization');
  });

  it('passes masks through', () => {
    const m = tf.tensor2d([[1, 0]], undefined, 'bool');
    expect(new CyberZhgLayerNormalization().computeMask(tf.zeros([1, 2, 3]), m)).toBe(m);
  });
});

describe('keras-position-wise-feed-forward FeedForward', () => {
  it('act(x·W1 + b1)·W2 + b2 with relu, dropout off', () => {
    const rnd = seeded(21);
    const F = 3;
    const U = 4;
    const W1 = randMat(F, U, rnd);
    const b1 = randVec(U, rnd);
    const W2 = randMat(U, F, rnd);
    const b2 = randVec(F, rnd);
    const x = [randMat(5, F, rnd), randMat(5, F, rnd)];
    const l = portFor('FeedForward', EQT_FF).build({ ...EQT_FF, units: U }, context('legacy')) as FeedForward;
    l.build([null, null, F]);
    expect(l.weights.map((w) => [w.originalName, w.shape])).toEqual([
      ['feed_forward_1_W1', [F, U]],
      ['feed_forward_1_b1', [U]],
      ['feed_forward_1_W2', [U, F]],
      ['feed_forward_1_b2', [F]],
    ]);
    l.setWeights([t2(W1), t1(b1), t2(W2), t1(b2)]);
    const hidden = (m: Mat) => matmul(m, W1).map((r) => r.map((v, j) => Math.max(0, v + b1[j])));
    const expected = x.map((xb) => matmul(hidden(xb), W2).map((r) => r.map((v, j) => v + b2[j])));
    const y1 = l.apply(t3(x)) as tf.Tensor;
    const y2 = l.apply(t3(x)) as tf.Tensor;
    expectClose(y1, expected);
    expectClose(y2, expected); // deterministic: no dropout
    expect(l.dropoutRate).toBe(0.1);
  });

  it('use_bias false: W1, W2 only; a linear activation makes it x·W1·W2', () => {
    const l = portFor('FeedForward', EQT_FF).build(
      { name: 'ff', units: 2, activation: 'linear', use_bias: false },
      context('current'),
    ) as FeedForward;
    l.build([null, 2]);
    l.setWeights([
      t2([
        [1, 2],
        [3, 4],
      ]),
      t2([
        [1, 0],
        [0, -1],
      ]),
    ]);
    expect(l.weights).toHaveLength(2);
    // [1, 1]·W1 = [4, 6]; ·W2 = [4, −6]
    expectClose(l.apply(t2([[1, 1]])) as tf.Tensor, [[4, -6]]);
  });

  describe("activation 'gelu': keras-transformer's tanh approximation unless told Keras' erf", () => {
    const x = 1.5;
    const tanhGelu = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    // erf(1.5/√2) by its series; Keras' gelu is 0.5·x·(1 + erf(x/√2)).
    const z = x / Math.SQRT2;
    let erf = 0;
    for (let n = 0, term = z; n < 40; n++, term *= (-z * z) / n) erf += term / (2 * n + 1);
    erf *= 2 / Math.sqrt(Math.PI);
    const erfGelu = 0.5 * x * (1 + erf);
    const config = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 1] } },
          { class_name: 'FeedForward', config: { name: 'ff', units: 1, activation: 'gelu', use_bias: false } },
        ],
      },
    };
    const run = async (options: Parameters<typeof modelFromConfig>[1]) => {
      const km = await modelFromConfig(config, options);
      km.layer('ff').setWeights([t2([[1]]), t2([[1]])]);
      const y = predict(km, { data: Float32Array.of(x), shape: [1, 1] })[0].data[0];
      const warnings = km.warnings.map((w) => w.code);
      km.dispose();
      return { y, warnings };
    };

    it('reads tanh by default; a tf.keras 2.4+ file also gets a GELU_VARIANT warning', async () => {
      expect(Math.abs(tanhGelu - erfGelu)).toBeGreaterThan(1e-4);
      const old = await run({ kerasVersion: '2.3.1' });
      expect(old.y).toBeCloseTo(tanhGelu, 6);
      expect(old.warnings).toEqual([]);
      const recent = await run({ kerasVersion: '2.9.0' });
      expect(recent.y).toBeCloseTo(tanhGelu, 6);
      expect(recent.warnings).toEqual(['GELU_VARIANT']);
    });

    it("geluVariant 'erf' gives Keras' own gelu, and either choice silences the warning", async () => {
      const erfRun = await run({ kerasVersion: '2.9.0', geluVariant: 'erf' });
      expect(erfRun.y).toBeCloseTo(erfGelu, 6);
      expect(erfRun.warnings).toEqual([]);
      expect((await run({ kerasVersion: '2.9.0', geluVariant: 'tanh' })).warnings).toEqual([]);
    });
  });
});
