import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { explain, predictSafe } from './support.ts';
import { expectAllClose, functional, nd, node, noLeak, randn, randomizeWeights, sequential, toy } from '../helpers.ts';

const sum = (a: ArrayLike<number>, from = 0, to = a.length) => {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i];
  return s;
};

/** Zero every bias so that relevance is conserved exactly (up to ε). */
function zeroBiases(km: Awaited<ReturnType<typeof toy>>): void {
  for (const b of km.layers) {
    const ws = b.layer.weights;
    if (!ws.length) continue;
    const vals = b.layer.getWeights();
    b.layer.setWeights(vals.map((v, i) => (/bias/.test(ws[i].name) ? tf.zerosLike(v) : v)));
  }
}

async function conserved(config: unknown, shape: number[], seed: number, tol = 1e-3) {
  const km = await toy(config);
  randomizeWeights(km, seed, 0.6);
  zeroBiases(km);
  const x = randn(shape, seed);
  // With zero biases and ε → 0 both bias factors conserve (the bias share is ε-sized).
  for (const biasFactor of [0, 1]) {
    const r = await noLeak(() => explain('lrpEpsilon', km, x, { epsilon: 1e-9, biasFactor, target: 0 }));
    const n = r.attributions[0].data.length / shape[0];
    for (let b = 0; b < shape[0]; b++)
      expect(sum(r.attributions[0].data, b * n, b * n + n)).toBeCloseTo(r.scores[b], -Math.log10(tol));
  }
  const r = await explain('lrpEpsilon', km, x, { epsilon: 1e-9, target: 0 });
  // the LRP-modified model computes the same forward values as the model
  expect(Array.from(r.scores)).toEqual(Array.from(predictSafe(km, x)).map((v) => expect.closeTo(v, 5)));
  km.dispose();
}

describe('lrpEpsilon', () => {
  it('conserves relevance on a Dense ReLU net with zero bias: Σ R = f(x)', () =>
    conserved(
      sequential(
        [6],
        [
          { class_name: 'Dense', config: { name: 'h1', units: 5, activation: 'relu' } },
          { class_name: 'Dense', config: { name: 'h2', units: 4, activation: 'relu' } },
          { class_name: 'Dense', config: { name: 'out', units: 1 } },
        ],
      ),
      [3, 6],
      2,
    ));

  it('conserves relevance through Conv1D, MaxPooling1D and Flatten', () =>
    conserved(
      sequential(
        [8, 2],
        [
          {
            class_name: 'Conv1D',
            config: { name: 'c', filters: 3, kernel_size: 3, activation: 'relu', padding: 'causal' },
          },
          { class_name: 'MaxPooling1D', config: { name: 'p', pool_size: 2 } },
          { class_name: 'Flatten', config: { name: 'f' } },
          { class_name: 'Dense', config: { name: 'out', units: 1 } },
        ],
      ),
      [2, 8, 2],
      3,
    ));

  it('conserves relevance through an LSTM (Arras et al.: gates take none)', () =>
    conserved(
      sequential(
        [5, 3],
        [
          { class_name: 'LSTM', config: { name: 'lstm', units: 4, recurrent_activation: 'sigmoid' } },
          { class_name: 'Dense', config: { name: 'out', units: 1 } },
        ],
      ),
      [2, 5, 3],
      4,
    ));

  it('conserves relevance through GRU (reset_after) and Bidirectional LSTM', async () => {
    await conserved(
      sequential(
        [5, 3],
        [
          { class_name: 'GRU', config: { name: 'gru', units: 4, reset_after: true } },
          { class_name: 'Dense', config: { name: 'out', units: 1 } },
        ],
      ),
      [2, 5, 3],
      5,
    );
    await conserved(
      sequential(
        [5, 3],
        [
          { class_name: 'GRU', config: { name: 'gru', units: 4, reset_after: false } },
          { class_name: 'Dense', config: { name: 'out', units: 1 } },
        ],
      ),
      [2, 5, 3],
      6,
    );
    await conserved(
      sequential(
        [5, 3],
        [
          {
            class_name: 'Bidirectional',
            config: {
              name: 'bi',
              layer: { class_name: 'LSTM', config: { name: 'l', units: 3, return_sequences: true } },
              merge_mode: 'concat',
            },
          },
          { class_name: 'Flatten', config: { name: 'f' } },
          { class_name: 'Dense', config: { name: 'out', units: 1 } },
        ],
      ),
      [2, 5, 3],
      7,
    );
  });

  it('conserves relevance through SeqSelfAttention (weights are gates)', () =>
    conserved(
      sequential(
        [5, 3],
        [
          { class_name: 'SeqSelfAttention', config: { name: 'att', units: 4 } },
          { class_name: 'Flatten', config: { name: 'f' } },
          { class_name: 'Dense', config: { name: 'out', units: 1 } },
        ],
      ),
      [2, 5, 3],
      8,
    ));

  it('applies ε at the output layer too (Arras et al.): R = x ⊙ w · f/(f + ε) for f = w·x', async () => {
    // Before, preActivation's override answered for the output layer and LRP-0 ran there: R = x ⊙ w.
    const w = [0.5, -1, 2];
    const km = await toy(
      sequential([3], [{ class_name: 'Dense', config: { name: 'out', units: 1, use_bias: false } }]),
      {
        out: [w],
      },
      { out: [[3, 1]] },
    );
    const x = nd([1, 2, 0.25], [1, 3]);
    const f = 0.5 - 2 + 0.5;
    const eps = 0.5;
    const r = await explain('lrpEpsilon', km, x, { epsilon: eps, target: 0 });
    expectAllClose(
      r.attributions[0].data,
      [0.5, -2, 0.5].map((v) => (v * f) / (f - eps)),
      1e-6,
      'R',
    );
    km.dispose();
  });

  it('gives Dense(tanh) and Dense(linear) + Activation(tanh) the same relevances', async () => {
    const head = { class_name: 'Dense', config: { name: 'out', units: 1 } };
    const fused = await toy(
      sequential([4], [{ class_name: 'Dense', config: { name: 'h', units: 3, activation: 'tanh' } }, head]),
    );
    const split = await toy(
      sequential(
        [4],
        [
          { class_name: 'Dense', config: { name: 'h', units: 3 } },
          { class_name: 'Activation', config: { name: 'a', activation: 'tanh' } },
          head,
        ],
      ),
    );
    randomizeWeights(fused, 11, 0.8);
    split.layer('h').setWeights(fused.layer('h').getWeights());
    split.layer('out').setWeights(fused.layer('out').getWeights());
    const x = randn([3, 4], 12);
    const a = await explain('lrpEpsilon', fused, x, { epsilon: 0.05, target: 0 });
    const b = await noLeak(() => explain('lrpEpsilon', split, x, { epsilon: 0.05, target: 0 }));
    expectAllClose(b.attributions[0].data, a.attributions[0].data, 1e-6, 'split vs fused');
    fused.dispose();
    split.dispose();
  });

  it('passes relevance from h to c unchanged in an LSTM step (closed form for one unit, one step)', async () => {
    // One step from zero state: c = i·g, h = o·tanh(c), f = v·h. Arras et al.: R_h = v·h·f/(f + ε),
    // R_c = R_h, R_g = R_c·c/(c + ε), R_x = x·w_g·R_g/(z_g + ε) with z_g = x·w_g + b_g.
    const km = await toy(
      sequential(
        [1, 1],
        [
          { class_name: 'LSTM', config: { name: 'lstm', units: 1, recurrent_activation: 'sigmoid' } },
          { class_name: 'Dense', config: { name: 'out', units: 1, use_bias: false } },
        ],
      ),
    );
    const [wi, wf, wg, wo] = [0.3, -0.2, 0.9, 0.7];
    const [bi, bf, bg, bo] = [0.1, 0.2, -0.3, 0.4];
    const v = 1.5;
    km.layer('lstm').setWeights([tf.tensor2d([[wi, wf, wg, wo]]), tf.zeros([1, 4]), tf.tensor1d([bi, bf, bg, bo])]);
    km.layer('out').setWeights([tf.tensor2d([[v]])]);
    const x = 0.8;
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    const zg = x * wg + bg;
    const c = sig(x * wi + bi) * Math.tanh(zg);
    const h = sig(x * wo + bo) * Math.tanh(c);
    const f = v * h;
    const eps = 0.01;
    const sgn = (z: number) => (z >= 0 ? 1 : -1);
    const rh = (v * h * f) / (f + eps * sgn(f));
    const rg = (rh * c) / (c + eps * sgn(c));
    const want = (x * wg * rg) / (zg + eps * sgn(zg));
    const r = await explain('lrpEpsilon', km, nd([x], [1, 1, 1]), { epsilon: eps, target: 0 });
    expect(r.attributions[0].data[0]).toBeCloseTo(want, 6);
    km.dispose();
  });

  it('with biasFactor 1 gives a Dense layer its bias share: R = (w ⊙ x + (b + ε·sign f)/N) · f/(f + ε·sign f)', async () => {
    const w = [0.5, -1, 2];
    const bias = 0.3;
    const km = await toy(
      sequential([3], [{ class_name: 'Dense', config: { name: 'out', units: 1 } }]),
      {
        out: [w, [bias]],
      },
      { out: [[3, 1], [1]] },
    );
    const x = [1, 2, 0.25];
    const f = 0.5 - 2 + 0.5 + bias;
    const eps = 0.2;
    const s = f >= 0 ? eps : -eps;
    const r = await explain('lrpEpsilon', km, nd(x, [1, 3]), { epsilon: eps, biasFactor: 1, target: 0 });
    expectAllClose(
      r.attributions[0].data,
      x.map((v, j) => ((w[j] * v + (bias + s) / 3) * f) / (f + s)),
      1e-6,
      'R',
    );
    expect(sum(r.attributions[0].data)).toBeCloseTo(f, 6);
    km.dispose();
  });

  it('with biasFactor 1 conserves relevance exactly with biases: Dense, causal dilated Conv1D, BatchNormalization, pooling, Add', async () => {
    const model = functional(
      [
        node('InputLayer', 'x', { batch_input_shape: [null, 8, 2] }, []),
        node('Conv1D', 'c', { filters: 3, kernel_size: 3, dilation_rate: 2, padding: 'causal', activation: 'relu' }, [
          'x',
        ]),
        node('BatchNormalization', 'bn', {}, ['c']),
        node('Conv1D', 'c2', { filters: 3, kernel_size: 2, strides: 2, padding: 'same', activation: 'tanh' }, ['bn']),
        node('AveragePooling1D', 'p', { pool_size: 2 }, ['c2']),
        node('Dense', 'd', { units: 3, activation: 'relu' }, ['p']),
        node('Add', 'sum', {}, ['p', 'd']),
        node('GlobalAveragePooling1D', 'g', {}, ['sum']),
        node('Dense', 'out', { units: 2 }, ['g']),
      ],
      ['x'],
      ['out'],
    );
    const km = await toy(model);
    randomizeWeights(km, 21, 0.7);
    const [gamma, beta, mean] = km.layer('bn').getWeights();
    km.layer('bn').setWeights([gamma, beta, mean, tf.fill([3], 0.8)]); // a variance must be positive
    const x = randn([3, 8, 2], 22);
    const r = await noLeak(() => explain('lrpEpsilon', km, x, { epsilon: 0.01, biasFactor: 1, target: 1 }));
    const n = 16;
    for (let b = 0; b < 3; b++) expect(sum(r.attributions[0].data, b * n, b * n + n)).toBeCloseTo(r.scores[b], 5);
    // without the bias factor the biases (random, non-zero here) absorb a visible share
    const r0 = await explain('lrpEpsilon', km, x, { epsilon: 0.01, target: 1 });
    expect(Math.abs(sum(r0.attributions[0].data, 0, n) - r0.scores[0])).toBeGreaterThan(1e-3);
    km.dispose();
  });

  it('with biasFactor 1 conserves relevance through SeqSelfAttention and a Dense head with biases', async () => {
    const km = await toy(
      sequential(
        [5, 3],
        [
          { class_name: 'SeqSelfAttention', config: { name: 'att', units: 4 } },
          { class_name: 'Flatten', config: { name: 'f' } },
          { class_name: 'Dense', config: { name: 'h', units: 4, activation: 'tanh' } },
          { class_name: 'Dense', config: { name: 'out', units: 1 } },
        ],
      ),
    );
    randomizeWeights(km, 23, 0.6);
    const x = randn([2, 5, 3], 24);
    const r = await explain('lrpEpsilon', km, x, { epsilon: 0.01, biasFactor: 1, target: 0 });
    for (let b = 0; b < 2; b++) expect(sum(r.attributions[0].data, b * 15, b * 15 + 15)).toBeCloseTo(r.scores[b], 5);
    km.dispose();
  });

  it('rejects a biasFactor outside [0, 1] and a negative epsilon, naming the option', async () => {
    const km = await toy(sequential([3], [{ class_name: 'Dense', config: { name: 'out', units: 1 } }]));
    await expect(async () => explain('lrpEpsilon', km, randn([1, 3]), { biasFactor: 2 })).rejects.toThrow(
      /lrpEpsilon: option `biasFactor` must be a number in \[0, 1\]; got 2/,
    );
    await expect(async () => explain('lrpEpsilon', km, randn([1, 3]), { epsilon: -1 })).rejects.toThrow(
      /lrpEpsilon: option `epsilon` must be a number ≥ 0; got -1/,
    );
    km.dispose();
  });

  it('refuses a model whose output also feeds another layer (relevance starts at the outputs)', async () => {
    const km = await toy(
      functional(
        [
          node('InputLayer', 'x', { batch_input_shape: [null, 3] }, []),
          node('Dense', 'a', { units: 2 }, ['x']),
          node('Dense', 'b', { units: 1 }, ['a']),
        ],
        ['x'],
        ['a', 'b'],
      ),
    );
    await expect(async () => explain('lrpEpsilon', km, randn([1, 3]), { output: 1 })).rejects.toThrow(
      /lrpEpsilon: the model output 'a' also feeds layer 'b'.*Use 'integratedGradients' or 'occlusion'/,
    );
    km.dispose();
  });

  it('fails before any work on a layer it has no rule for, naming the layer and class', async () => {
    const km = await toy(
      functional(
        [
          node('InputLayer', 'x', { batch_input_shape: [null, 3] }, []),
          node('Dense', 'a', { units: 2 }, ['x']),
          node('Dense', 'b', { units: 2 }, ['x']),
          node('Multiply', 'gate', {}, ['a', 'b']),
          node('Dense', 'out', { units: 1 }, ['gate']),
        ],
        ['x'],
        ['out'],
      ),
    );
    await expect(explain('lrpEpsilon', km, randn([1, 3]))).rejects.toThrow(
      /lrpEpsilon has no rule for layer 'gate' \(Multiply\)\. Rules exist for: Dense, .*Use 'integratedGradients' or 'occlusion'/,
    );
    km.dispose();
  });
});
