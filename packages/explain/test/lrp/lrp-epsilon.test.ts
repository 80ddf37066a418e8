import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { explain, predictSafe } from './support.ts';
import { functional, node, noLeak, randn, randomizeWeights, sequential, toy } from '../helpers.ts';

const sum = (a: ArrayLike<number>, from = 0, to = a.length) => {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i];
  return s;
};

/** Zero every bias so that relevance is conserved exactly (up to ε). */
function zeroBiases(km: Awaited<ReturnType<typeof toy>>): void {
  for (const b of km.built.layers) {
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
  const r = await noLeak(() => explain('lrpEpsilon', km, x, { epsilon: 1e-9, target: 0 }));
  const n = r.attributions[0].data.length / shape[0];
  for (let b = 0; b < shape[0]; b++)
    expect(sum(r.attributions[0].data, b * n, b * n + n)).toBeCloseTo(r.scores[b], -Math.log10(tol));
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
