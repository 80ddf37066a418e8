import { describe, expect, it } from 'vitest';
import { explain } from '../../src/index.ts';
import { expectAllClose, functional, nd, node, noLeak, randn, randomizeWeights, sequential, toy } from '../helpers.ts';

const W = [1, -2, 0.5, 3, -1, 0.25];
const linear = () =>
  toy(
    sequential(
      [3, 2],
      [
        { class_name: 'Flatten', config: { name: 'flat' } },
        { class_name: 'Dense', config: { name: 'd', units: 1 } },
      ],
    ),
    { d: [W, [0.7]] },
  );

/** Σ attributions of sample b == f(x_b) − f(x̄_b), i.e. DeepLIFT's delta is 0. */
async function summationToDelta(config: unknown, shape: number[], seed: number, options: Record<string, unknown> = {}) {
  const km = await toy(config);
  randomizeWeights(km, seed, 0.8);
  const x = randn(shape, seed);
  const base = randn([1, ...shape.slice(1)], seed + 100);
  const r = await noLeak(() =>
    explain('deepLift', km, x, { baseline: base, target: 0, internalBatchSize: 4, ...options }),
  );
  const fx = r.scores;
  // The reference's score, under the same target options (DeepLIFT's own options are not gradient's).
  const { rule: _rule, ...targetOptions } = options;
  const fb = (await explain('gradient', km, { data: base.data, shape: base.shape }, { target: 0, ...targetOptions }))
    .scores[0];
  const n = r.attributions[0].data.length / shape[0];
  for (let b = 0; b < shape[0]; b++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += r.attributions[0].data[b * n + k];
    expect(s, `sample ${b}`).toBeCloseTo(fx[b] - fb, 4);
    expect(Math.abs(r.delta![b])).toBeLessThan(1e-4);
  }
  km.dispose();
  return r;
}

describe('deepLift', () => {
  it('on a linear model equals gradient × (x − x̄), with delta 0; multiplyByInputs: false gives the gradient', async () => {
    const km = await linear();
    const x = randn([2, 3, 2], 1);
    const base = randn([1, 3, 2], 2);
    const r = await noLeak(() => explain('deepLift', km, x, { baseline: base, target: 0 }));
    expectAllClose(
      r.attributions[0].data,
      Array.from(x.data, (v, i) => W[i % 6] * (v - base.data[i % 6])),
      1e-5,
    );
    for (const d of r.delta!) expect(Math.abs(d)).toBeLessThan(1e-5);
    const m = await explain('deepLift', km, x, { baseline: base, multiplyByInputs: false, target: 0 });
    expectAllClose(m.attributions[0].data, [...W, ...W], 1e-6);
    km.dispose();
  });

  it('through one tanh unit credits w_i·Δx_i · Δy/Δz (the Rescale rule)', async () => {
    const km = await toy(
      sequential([2], [{ class_name: 'Dense', config: { name: 'd', units: 1, activation: 'tanh' } }]),
      { d: [[0.8, -1.5], [0.1]] },
      { d: [[2, 1], [1]] },
    );
    const x = nd([0.9, 0.4], [1, 2]);
    const r = await explain('deepLift', km, x, { baseline: nd([-0.2, 0.3], [1, 2]), target: 0 });
    const dz = 0.8 * (0.9 + 0.2) - 1.5 * (0.4 - 0.3);
    const dy = Math.tanh(0.8 * 0.9 - 1.5 * 0.4 + 0.1) - Math.tanh(0.8 * -0.2 - 1.5 * 0.3 + 0.1);
    expect(r.attributions[0].data[0]).toBeCloseTo((0.8 * 1.1 * dy) / dz, 6);
    expect(r.attributions[0].data[1]).toBeCloseTo((-1.5 * 0.1 * dy) / dz, 6);
    km.dispose();
  });

  it('RevealCancel credits relu(x₁ − x₂) at x = (2, 1) with (1.5, −0.5) where Rescale gives (2, −1)', async () => {
    const km = await toy(
      sequential(
        [2],
        [
          { class_name: 'Dense', config: { name: 'd', units: 1, activation: 'relu', use_bias: false } },
          { class_name: 'Dense', config: { name: 'out', units: 1, use_bias: false } },
        ],
      ),
      { d: [[1, -1]], out: [[1]] },
      { d: [[2, 1]], out: [[1, 1]] },
    );
    // Δz⁺ = 2, Δz⁻ = −1 from z̄ = 0: Δy⁺ = ½(2 − 0) + ½(1 − 0) = 1.5, Δy⁻ = ½(0 − 0) + ½(1 − 2) = −0.5.
    const x = nd([2, 1], [1, 2]);
    const rc = await explain('deepLift', km, x, { rule: 'revealCancel', target: 0 });
    expectAllClose(rc.attributions[0].data, [1.5, -0.5], 1e-6);
    const rs = await explain('deepLift', km, x, { target: 0 });
    expectAllClose(rs.attributions[0].data, [2, -1], 1e-6);
    km.dispose();
  });

  it('sums to f(x) − f(x̄) on a Dense ReLU/tanh net, with Rescale and with RevealCancel', async () => {
    const config = sequential(
      [6],
      [
        { class_name: 'Dense', config: { name: 'h1', units: 5, activation: 'relu' } },
        { class_name: 'Dense', config: { name: 'h2', units: 4, activation: 'tanh' } },
        { class_name: 'Dense', config: { name: 'out', units: 2, activation: 'sigmoid' } },
      ],
    );
    await summationToDelta(config, [3, 6], 3);
    await summationToDelta(config, [3, 6], 4, { rule: 'revealCancel' });
  });

  it('sums to f(x) − f(x̄) through Conv1D, MaxPooling1D, LeakyReLU and a softmax output', async () => {
    const config = sequential(
      [8, 2],
      [
        {
          class_name: 'Conv1D',
          config: { name: 'c', filters: 3, kernel_size: 3, activation: 'elu', padding: 'causal' },
        },
        { class_name: 'MaxPooling1D', config: { name: 'p', pool_size: 2 } },
        { class_name: 'LeakyReLU', config: { name: 'lr', alpha: 0.2 } },
        { class_name: 'Flatten', config: { name: 'f' } },
        { class_name: 'Dense', config: { name: 'out', units: 3, activation: 'softmax' } },
      ],
    );
    await summationToDelta(config, [2, 8, 2], 5);
    // Explaining the logit (preActivation) sums to the logit's change.
    await summationToDelta(config, [2, 8, 2], 6, { preActivation: true });
  });

  it('sums to f(x) − f(x̄) through SeqSelfAttention (weights as gates), LayerNormalization and Multiply', async () => {
    await summationToDelta(
      sequential(
        [5, 3],
        [
          { class_name: 'SeqSelfAttention', config: { name: 'att', units: 4 } },
          { class_name: 'LayerNormalization', config: { name: 'ln', axis: -1, epsilon: 1e-3 } },
          { class_name: 'Flatten', config: { name: 'f' } },
          { class_name: 'Dense', config: { name: 'out', units: 1 } },
        ],
      ),
      [2, 5, 3],
      7,
    );
    await summationToDelta(
      functional(
        [
          node('InputLayer', 'x', { batch_input_shape: [null, 4] }, []),
          node('Dense', 'a', { units: 3, activation: 'tanh' }, ['x']),
          node('Dense', 'b', { units: 3, activation: 'sigmoid' }, ['x']),
          node('Multiply', 'm', {}, ['a', 'b']),
          node('Dense', 'out', { units: 1 }, ['m']),
        ],
        ['x'],
        ['out'],
      ),
      [3, 4],
      8,
    );
  });

  it("sums to f(x) − f(x̄) through keras-position-wise-feed-forward's FeedForward (relu, tanh, no bias)", async () => {
    for (const [i, extra] of [{}, { activation: 'tanh' }, { use_bias: false }].entries())
      await summationToDelta(
        sequential(
          [4, 3],
          [
            { class_name: 'FeedForward', config: { name: 'ff', units: 5, ...extra } },
            { class_name: 'Flatten', config: { name: 'f' } },
            { class_name: 'Dense', config: { name: 'out', units: 1 } },
          ],
        ),
        [2, 4, 3],
        30 + i,
      );
  });

  it('sums to f(x) − f(x̄) through GlobalMaxPooling1D, Maximum and Minimum (the Δ goes to the pick at x)', async () => {
    await summationToDelta(
      functional(
        [
          node('InputLayer', 'x', { batch_input_shape: [null, 6, 3] }, []),
          node('Conv1D', 'c1', { filters: 4, kernel_size: 2, activation: 'tanh' }, ['x']),
          node('Conv1D', 'c2', { filters: 4, kernel_size: 2, activation: 'relu' }, ['x']),
          node('Maximum', 'mx', {}, ['c1', 'c2']),
          node('Minimum', 'mn', {}, ['c1', 'c2']),
          node('Concatenate', 'cat', { axis: -1 }, ['mx', 'mn']),
          node('GlobalMaxPooling1D', 'g', {}, ['cat']),
          node('Dense', 'out', { units: 1 }, ['g']),
        ],
        ['x'],
        ['out'],
      ),
      [3, 6, 3],
      9,
    );
  });

  it("sums to f(x) − f(x̄) through GlobalMaxPooling1D(data_format='channels_first'), which pools axis 2", async () => {
    await summationToDelta(
      functional(
        [
          node('InputLayer', 'x', { batch_input_shape: [null, 6, 3] }, []),
          node('Conv1D', 'c', { filters: 4, kernel_size: 2, activation: 'tanh' }, ['x']),
          node('GlobalMaxPooling1D', 'g', { data_format: 'channels_first' }, ['c']),
          node('Dense', 'out', { units: 1 }, ['g']),
        ],
        ['x'],
        ['out'],
      ),
      [3, 6, 3],
      10,
    );
  });

  it('through a one-step LSTM gives the whole Δh to the cell input (signal-take-all): w_g,k·Δx_k · Δh/Δz_g', async () => {
    // Gate order i, f, c, o; kernel (2, 4), recurrent kernel (1, 4), bias (4).
    const K = [0.5, -0.3, 0.9, 0.2, -0.7, 0.4, -1.1, 0.6];
    const B = [0.1, 0.2, -0.1, 0.05];
    const km = await toy(sequential([1, 2], [{ class_name: 'LSTM', config: { name: 'rnn', units: 1 } }]), {
      rnn: [K, [0.3, -0.2, 0.5, 0.1], B],
    });
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const cell = (x: number[]) => {
      const z = [0, 1, 2, 3].map((j) => x[0] * K[j] + x[1] * K[4 + j] + B[j]);
      return { zg: z[2], h: sig(z[3]) * Math.tanh(sig(z[0]) * Math.tanh(z[2])) };
    };
    const x = [0.8, -0.6];
    const ref = [-0.3, 0.4];
    const [a, b] = [cell(x), cell(ref)];
    const r = await noLeak(() =>
      explain('deepLift', km, nd(x, [1, 1, 2]), { baseline: nd(ref, [1, 1, 2]), target: 0 }),
    );
    const dh = a.h - b.h;
    expectAllClose(
      r.attributions[0].data,
      [0, 1].map((k) => (K[4 * k + 2] * (x[k] - ref[k]) * dh) / (a.zg - b.zg)),
      1e-6,
    );
    expect(Math.abs(r.delta![0])).toBeLessThan(1e-6);
    km.dispose();
  });

  it('through a linear SimpleRNN equals gradient × (x − x̄)', async () => {
    const km = await toy(
      sequential(
        [4, 2],
        [
          { class_name: 'SimpleRNN', config: { name: 'rnn', units: 3, activation: 'linear' } },
          { class_name: 'Dense', config: { name: 'out', units: 1 } },
        ],
      ),
    );
    randomizeWeights(km, 11, 0.6);
    const x = randn([2, 4, 2], 12);
    const r = await explain('deepLift', km, x, { target: 0 });
    const gx = await explain('gradientXInput', km, x, { target: 0 });
    expectAllClose(r.attributions[0].data, gx.attributions[0].data, 1e-5);
    km.dispose();
  });

  it('sums to f(x) − f(x̄) through stacked LSTM → GRU (reset_after) → SeqSelfAttention, and go_backwards', async () => {
    await summationToDelta(
      sequential(
        [6, 3],
        [
          { class_name: 'LSTM', config: { name: 'l', units: 4, return_sequences: true } },
          { class_name: 'GRU', config: { name: 'g', units: 3, return_sequences: true, reset_after: true } },
          { class_name: 'SeqSelfAttention', config: { name: 'att', units: 4 } },
          { class_name: 'Flatten', config: { name: 'f' } },
          { class_name: 'Dense', config: { name: 'out', units: 2, activation: 'softmax' } },
        ],
      ),
      [3, 6, 3],
      13,
    );
    await summationToDelta(
      sequential(
        [5, 2],
        [
          { class_name: 'GRU', config: { name: 'g', units: 3, reset_after: false, go_backwards: true } },
          { class_name: 'Dense', config: { name: 'out', units: 1, activation: 'tanh' } },
        ],
      ),
      [2, 5, 2],
      14,
    );
    await summationToDelta(
      sequential(
        [5, 2],
        [
          { class_name: 'SimpleRNN', config: { name: 's', units: 3, return_sequences: true } },
          { class_name: 'LSTM', config: { name: 'l', units: 2, go_backwards: true } },
          { class_name: 'Dense', config: { name: 'out', units: 1 } },
        ],
      ),
      [2, 5, 2],
      15,
    );
  });

  it('sums to f(x) − f(x̄) through Bidirectional with concat, sum, ave and mul merges', async () => {
    for (const [i, [merge, inner]] of (
      [
        ['concat', 'LSTM'],
        ['sum', 'GRU'],
        ['ave', 'SimpleRNN'],
        ['mul', 'LSTM'],
      ] as const
    ).entries())
      await summationToDelta(
        sequential(
          [5, 2],
          [
            {
              class_name: 'Bidirectional',
              config: {
                name: 'bi',
                merge_mode: merge,
                layer: { class_name: inner, config: { name: 'r', units: 3, return_sequences: i % 2 === 0 } },
              },
            },
            ...(i % 2 === 0 ? [{ class_name: 'Flatten', config: { name: 'f' } }] : []),
            { class_name: 'Dense', config: { name: 'out', units: 1 } },
          ],
        ),
        [2, 5, 2],
        16 + i,
      );
  });

  it('signal-take-all: where the signals move most, an input read only by the LSTM gates gets nothing', async () => {
    // Feature 1 feeds only i, f and o (its kernel column for the cell input c is 0).
    const km = await toy(sequential([3, 2], [{ class_name: 'LSTM', config: { name: 'rnn', units: 1 } }]), {
      rnn: [
        [0.5, -0.3, 0.9, 0.2, -0.7, 0.4, 0, 0.6],
        [0.3, -0.2, 0.5, 0.1],
        [0.1, 0.2, -0.1, 0.05],
      ],
    });
    const r = await explain('deepLift', km, randn([2, 3, 2], 21), { target: 0 });
    // The recurrent kernel's cell-input weight still carries feature 0's past through h; feature 1 reaches only gates.
    for (let k = 1; k < r.attributions[0].data.length; k += 2) expect(r.attributions[0].data[k]).toBe(0);
    expect(Math.abs(r.delta![0])).toBeLessThan(1e-5);
    km.dispose();
  });

  it('a gate takes the Δ where its signal has none (tanh saturated to 1 in both halves): ½·Δtanh(σ(x₀))', async () => {
    // i = σ(x₀), g = tanh(50) = 1 exactly in float32, f = o = σ(0) = ½: h = ½·tanh(σ(x₀)).
    const km = await toy(sequential([1, 2], [{ class_name: 'LSTM', config: { name: 'rnn', units: 1 } }]), {
      rnn: [
        [1, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 50, 0],
      ],
    });
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const r = await noLeak(() =>
      explain('deepLift', km, nd([1.5, 0.7], [1, 1, 2]), { baseline: nd([-0.5, 0.2], [1, 1, 2]), target: 0 }),
    );
    expect(r.attributions[0].data[0]).toBeCloseTo(0.5 * (Math.tanh(sig(1.5)) - Math.tanh(sig(-0.5))), 6);
    expect(r.attributions[0].data[1]).toBe(0);
    expect(Math.abs(r.delta![0])).toBeLessThan(1e-6);
    km.dispose();
  });

  it('fails up front naming a layer it has no rule for', async () => {
    const km = await toy(
      sequential(
        [3, 2],
        [
          { class_name: 'Masking', config: { name: 'mask', mask_value: 0 } },
          { class_name: 'LSTM', config: { name: 'rnn', units: 2 } },
        ],
      ),
    );
    expect(() => explain('deepLift', km, randn([1, 3, 2]))).toThrow(/'mask' \(Masking\)/);
    km.dispose();
  });
});

describe('deepLiftShap and gradientShap', () => {
  it('deepLiftShap on a linear model is w ⊙ (x − mean of the background), delta 0', async () => {
    const km = await linear();
    const x = randn([2, 3, 2], 3);
    const bg = randn([4, 3, 2], 4);
    const r = await noLeak(() => explain('deepLiftShap', km, x, { background: bg, target: 0, internalBatchSize: 3 }));
    const mean = Array.from(
      { length: 6 },
      (_, k) => (bg.data[k] + bg.data[6 + k] + bg.data[12 + k] + bg.data[18 + k]) / 4,
    );
    expectAllClose(
      r.attributions[0].data,
      Array.from(x.data, (v, i) => W[i % 6] * (v - mean[i % 6])),
      1e-5,
    );
    for (const d of r.delta!) expect(Math.abs(d)).toBeLessThan(1e-5);
    km.dispose();
  });

  it('gradientShap on a linear model is w ⊙ mean(x + ε − x̄) over the draws, delta 0; without noise and one reference w ⊙ (x − x̄)', async () => {
    const km = await linear();
    const x = randn([2, 3, 2], 5);
    const one = randn([1, 3, 2], 6);
    const r = await noLeak(() => explain('gradientShap', km, x, { background: one, samples: 3, target: 0 }));
    expectAllClose(
      r.attributions[0].data,
      Array.from(x.data, (v, i) => W[i % 6] * (v - one.data[i % 6])),
      1e-5,
    );
    const noisy = await explain('gradientShap', km, x, {
      background: randn([3, 3, 2], 7),
      samples: 8,
      stdev: 0.3,
      seed: 4,
      target: 0,
    });
    for (const d of noisy.delta!) expect(Math.abs(d)).toBeLessThan(1e-4);
    const again = await explain('gradientShap', km, x, {
      background: randn([3, 3, 2], 7),
      samples: 8,
      stdev: 0.3,
      seed: 4,
      target: 0,
    });
    expect(Array.from(again.attributions[0].data)).toEqual(Array.from(noisy.attributions[0].data));
    const grads = await explain('gradientShap', km, x, { samples: 2, multiplyByInputs: false, target: 0 });
    expectAllClose(grads.attributions[0].data, [...W, ...W], 1e-6);
    km.dispose();
  });

  it('gradientShap of a nonlinear model converges to f(x) − E f(x̄) in expectation', async () => {
    const km = await toy(
      sequential([2], [{ class_name: 'Dense', config: { name: 'd', units: 1, activation: 'tanh' } }]),
      { d: [[0.8, -1.5], [0.1]] },
      { d: [[2, 1], [1]] },
    );
    const x = nd([0.9, 0.4], [1, 2]);
    const base = nd([0, 0], [1, 2]);
    const r = await explain('gradientShap', km, x, { background: base, samples: 400, seed: 1, target: 0 });
    const s = r.attributions[0].data[0] + r.attributions[0].data[1];
    expect(s).toBeCloseTo(Math.tanh(0.8 * 0.9 - 1.5 * 0.4 + 0.1) - Math.tanh(0.1), 2);
    km.dispose();
  });
});
