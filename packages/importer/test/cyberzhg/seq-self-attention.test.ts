import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { portFor } from '../../src/layers/registry.ts';
import { SeqSelfAttention, type SeqSelfAttentionArgs } from '../../src/layers/cyberzhg/seq-self-attention.ts';
import type { SelfAttentionVariant } from '../../src/layers/port.ts';
import { context, expectClose, type Mat, randMat, randVec, refSelfAttention, seeded, t1, t2, t3 } from './reference.ts';

const VARIANTS: SelfAttentionVariant[] = ['legacy', '0.46', 'current'];

beforeEach(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  tf.disposeVariables();
});

/** A built layer with hand-set weights (Keras order). */
function layer(args: SeqSelfAttentionArgs, features: number, weights: tf.Tensor[]): SeqSelfAttention {
  const l = new SeqSelfAttention({ trainable: false, ...args });
  l.build([null, null, features]);
  l.setWeights(weights);
  tf.dispose(weights);
  return l;
}

/** Run and return [v, A] as nested arrays, checking no tensors leak. */
function run(l: SeqSelfAttention, x: Mat[], mask?: number[][]): { v: Mat[]; A: Mat[] } {
  const before = tf.memory().numTensors;
  const xt = t3(x);
  const mt = mask ? tf.tensor2d(mask) : undefined;
  const out = l.apply(xt, mt ? { mask: mt } : {}) as tf.Tensor | tf.Tensor[];
  const A = l.computeAttention(xt, mt ? { mask: mt } : {});
  const v = Array.isArray(out) ? out[0] : out;
  const res = { v: v.arraySync() as Mat[], A: A.arraySync() as Mat[] };
  tf.dispose([xt, out, A]);
  if (mt) mt.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return res;
}

/** Multiplicative with Wa = 0, ba = 0: all scores are 0, so A is uniform over the visible keys. */
function zeroScores(args: SeqSelfAttentionArgs, features: number): SeqSelfAttention {
  return layer({ attentionType: 'multiplicative', ...args }, features, [tf.zeros([features, features]), tf.zeros([1])]);
}

const X5: Mat[] = [
  [
    [1, 0],
    [2, 1],
    [3, -1],
    [4, 2],
    [5, 0],
  ],
];
const mean = (rows: number[][]): number[] => rows[0].map((_, j) => rows.reduce((a, r) => a + r[j], 0) / rows.length);

describe('SeqSelfAttention windows (zero scores: uniform over visible keys)', () => {
  it('current: width 3, centred — key s visible iff t−1 ≤ s ≤ t+1', () => {
    const { v, A } = run(zeroScores({ attentionWidth: 3, variant: 'current' }, 2), X5);
    const x = X5[0];
    expectClose(A[0][0], [0.5, 0.5, 0, 0, 0]);
    expectClose(A[0][2], [0, 1 / 3, 1 / 3, 1 / 3, 0]);
    expectClose(v[0][2], mean([x[1], x[2], x[3]]));
    expectClose(v[0][4], mean([x[3], x[4]]));
  });

  it('current: width 3, history_only — key s visible iff t−2 ≤ s ≤ t', () => {
    const { v, A } = run(zeroScores({ attentionWidth: 3, historyOnly: true, variant: 'current' }, 2), X5);
    const x = X5[0];
    expectClose(A[0][0], [1, 0, 0, 0, 0]);
    expectClose(A[0][3], [0, 1 / 3, 1 / 3, 1 / 3, 0]);
    expectClose(v[0][1], mean([x[0], x[1]]));
  });

  it('current: history_only without a width means all of the past (width 1e9)', () => {
    const l = zeroScores({ historyOnly: true, variant: 'current' }, 2);
    expect(l.attentionWidth).toBe(1e9);
    const { A } = run(l, X5);
    expectClose(A[0][4], [0.2, 0.2, 0.2, 0.2, 0.2]);
    expectClose(A[0][1], [0.5, 0.5, 0, 0, 0]);
  });

  it('current: even width 4 centred — lower = t − 2, keys t−2 … t+1', () => {
    const { A } = run(zeroScores({ attentionWidth: 4, variant: 'current' }, 2), X5);
    expectClose(A[0][2], [0.25, 0.25, 0.25, 0.25, 0]);
  });

  it('legacy: the window works the same way (up to the 1e-7 in the normalizer)', () => {
    const centred = run(zeroScores({ attentionWidth: 3, variant: 'legacy' }, 2), X5);
    expectClose(centred.A[0][2], [0, 1 / 3, 1 / 3, 1 / 3, 0]);
    const history = run(zeroScores({ attentionWidth: 3, historyOnly: true, variant: 'legacy' }, 2), X5);
    expectClose(history.A[0][1], [0.5, 0.5, 0, 0, 0]);
  });

  it('0.46: the window bug — attention_width (and so history_only) is ignored', () => {
    for (const historyOnly of [false, true]) {
      const { v, A } = run(zeroScores({ attentionWidth: 3, historyOnly, variant: '0.46' }, 2), X5);
      for (let t = 0; t < 5; t++) expectClose(A[0][t], [0.2, 0.2, 0.2, 0.2, 0.2]);
      expectClose(v[0][0], mean(X5[0]));
    }
  });
});

describe('SeqSelfAttention masks (zero scores, last step masked)', () => {
  const x: Mat[] = [
    [
      [1, 2],
      [3, 4],
      [5, 6],
    ],
  ];
  const mask = [[1, 1, 0]];

  it('legacy: masked keys and masked queries are zeroed — rows of unmasked steps average the unmasked keys, the masked row is 0', () => {
    const { v, A } = run(zeroScores({ variant: 'legacy' }, 2), x, mask);
    expectClose(A[0][0], [0.5, 0.5, 0]);
    expectClose(A[0][2], [0, 0, 0]);
    expectClose(v[0][2], [0, 0]);
    expectClose(v[0][1], [2, 3]);
  });

  for (const variant of ['0.46', 'current'] as const) {
    it(`${variant}: only (masked query, masked key) pairs get −1e4 — unmasked rows still see the masked key`, () => {
      const { v, A } = run(zeroScores({ variant }, 2), x, mask);
      expectClose(A[0][0], [1 / 3, 1 / 3, 1 / 3]);
      expectClose(A[0][2], [0.5, 0.5, 0]);
      expectClose(v[0][2], [2, 3]);
    });
  }

  it('the output mask passes through; with return_attention it is [mask, null]', () => {
    const m = tf.tensor2d([[1, 0]], undefined, 'bool');
    const plain = new SeqSelfAttention({ variant: 'current' });
    const both = new SeqSelfAttention({ variant: 'current', returnAttention: true });
    expect(plain.computeMask(tf.zeros([1, 2, 2]), m)).toBe(m);
    expect(both.computeMask(tf.zeros([1, 2, 2]), [m])).toEqual([m, null]);
  });

  it('a Masking layer in a TF.js model feeds its mask to the layer', () => {
    const rnd = seeded(3);
    const F = 3;
    const Wt = randMat(F, 4, rnd);
    const Wx = randMat(F, 4, rnd);
    const bh = randVec(4, rnd);
    const Wa = randMat(4, 1, rnd);
    const xs: Mat[] = [
      [
        [0.5, -1, 2],
        [0, 0, 0],
        [1, 1, -0.5],
        [0.2, 0.3, 0.1],
      ],
    ];
    for (const variant of VARIANTS) {
      const input = tf.input({ shape: [4, F] });
      const att = layer({ units: 4, variant }, F, [t2(Wt), t2(Wx), t1(bh), t2(Wa), t1([0.3])]);
      const masked = tf.layers.masking({ maskValue: 0 }).apply(input) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: att.apply(masked) as tf.SymbolicTensor });
      const out = model.predict(t3(xs)) as tf.Tensor;
      const ref = refSelfAttention(xs[0], { type: 'additive', Wt, Wx, bh, Wa, ba: 0.3, variant }, [1, 0, 1, 1]);
      expectClose(out, [ref.v]);
      out.dispose();
    }
  });
});

describe('SeqSelfAttention against a loop reference', () => {
  const rnd = seeded(42);
  const F = 3;
  const U = 5;
  const xs: Mat[] = [randMat(6, F, rnd), randMat(6, F, rnd)];
  const Wt = randMat(F, U, rnd);
  const Wx = randMat(F, U, rnd);
  const bh = randVec(U, rnd);
  const WaAdd = randMat(U, 1, rnd);
  const WaMul = randMat(F, F, rnd);

  const cases: { name: string; args: SeqSelfAttentionArgs; mask?: number[][] }[] = [
    { name: 'plain', args: {} },
    { name: 'width 3', args: { attentionWidth: 3 } },
    { name: 'width 2 history_only', args: { attentionWidth: 2, historyOnly: true } },
    { name: 'history_only', args: { historyOnly: true } },
    { name: 'softmax activation', args: { attentionActivation: 'softmax' } },
    { name: 'tanh activation + width 4', args: { attentionActivation: 'tanh', attentionWidth: 4 } },
    {
      name: 'masked step',
      args: {},
      mask: [
        [1, 1, 1, 0, 1, 1],
        [1, 1, 1, 1, 0, 0],
      ],
    },
    {
      name: 'masked step + width 3',
      args: { attentionWidth: 3 },
      mask: [
        [1, 0, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 0],
      ],
    },
  ];

  for (const variant of VARIANTS) {
    for (const c of cases) {
      const activation = c.args.attentionActivation as 'softmax' | 'tanh' | undefined;
      const common = { width: c.args.attentionWidth, historyOnly: c.args.historyOnly, variant, activation };
      it(`additive, ${variant}, ${c.name}`, () => {
        const l = layer({ units: U, variant, ...c.args }, F, [t2(Wt), t2(Wx), t1(bh), t2(WaAdd), t1([-0.2])]);
        const { v, A } = run(l, xs, c.mask);
        xs.forEach((x, b) => {
          const ref = refSelfAttention(
            x,
            { type: 'additive', Wt, Wx, bh, Wa: WaAdd, ba: -0.2, ...common },
            c.mask?.[b],
          );
          expectClose(A[b], ref.A);
          expectClose(v[b], ref.v);
        });
      });
      it(`multiplicative, ${variant}, ${c.name}`, () => {
        const l = layer({ attentionType: 'multiplicative', variant, ...c.args }, F, [t2(WaMul), t1([0.4])]);
        const { v, A } = run(l, xs, c.mask);
        xs.forEach((x, b) => {
          const ref = refSelfAttention(x, { type: 'multiplicative', Wa: WaMul, ba: 0.4, ...common }, c.mask?.[b]);
          expectClose(A[b], ref.A);
          expectClose(v[b], ref.v);
        });
      });
    }
  }

  it('additive without biases (use_additive_bias, use_attention_bias false) has weights Wt, Wx, Wa only', () => {
    const l = layer({ units: U, useAdditiveBias: false, useAttentionBias: false }, F, [t2(Wt), t2(Wx), t2(WaAdd)]);
    expect(l.weights.map((w) => w.originalName)).toEqual([`${l.name}_Add_Wt`, `${l.name}_Add_Wx`, `${l.name}_Add_Wa`]);
    const { v } = run(l, xs);
    expectClose(
      v[0],
      refSelfAttention(xs[0], { type: 'additive', Wt, Wx, bh: null, Wa: WaAdd, ba: null, variant: 'current' }).v,
    );
  });

  it('creates weights in Keras weight_names order and shapes', () => {
    const add = layer({ units: U }, F, [t2(Wt), t2(Wx), t1(bh), t2(WaAdd), t1([0])]);
    expect(add.weights.map((w) => [w.originalName.replace(`${add.name}_`, ''), w.shape])).toEqual([
      ['Add_Wt', [F, U]],
      ['Add_Wx', [F, U]],
      ['Add_bh', [U]],
      ['Add_Wa', [U, 1]],
      ['Add_ba', [1]],
    ]);
    const mul = layer({ attentionType: 'multiplicative' }, F, [t2(WaMul), t1([0])]);
    expect(mul.weights.map((w) => [w.originalName.replace(`${mul.name}_`, ''), w.shape])).toEqual([
      ['Mul_Wa', [F, F]],
      ['Mul_ba', [1]],
    ]);
  });

  it('rows of A sum to 1 (legacy: up to the 1e-7 in its normalizer)', () => {
    for (const variant of VARIANTS) {
      const l = layer({ units: U, variant, attentionWidth: 3 }, F, [t2(Wt), t2(Wx), t1(bh), t2(WaAdd), t1([0])]);
      const { A } = run(l, xs);
      for (const row of A.flat()) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });
});

describe('SeqSelfAttention outputs and the port', () => {
  it('return_attention gives two outputs [v (B,T,F), A (B,T,T)] in a model', () => {
    const input = tf.input({ shape: [4, 2] });
    const l = zeroScores({ returnAttention: true, variant: 'current' }, 2);
    const outs = l.apply(input) as tf.SymbolicTensor[];
    expect(outs.map((o) => o.shape)).toEqual([
      [null, 4, 2],
      [null, 4, 4],
    ]);
    const model = tf.model({ inputs: input, outputs: outs });
    const [v, A] = model.predict(tf.ones([2, 4, 2])) as tf.Tensor[];
    expect(v.shape).toEqual([2, 4, 2]);
    expectClose(A, new Array(2 * 4 * 4).fill(0.25));
  });

  it('the port reads the EQTransformer config and uses the chosen variant', () => {
    const config = {
      name: 'attentionP',
      trainable: false,
      dtype: 'float32',
      units: 32,
      attention_width: 3,
      attention_type: 'additive',
      return_attention: true,
      history_only: false,
      use_additive_bias: true,
      use_attention_bias: true,
      kernel_initializer: {
        class_name: 'VarianceScaling',
        config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null },
      },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null,
      bias_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
      attention_activation: 'linear',
      attention_regularizer_weight: 0,
    };
    for (const variant of VARIANTS) {
      const l = portFor('SeqSelfAttention', { name: 'x' }).build(config, context(variant)) as SeqSelfAttention;
      expect(l).toBeInstanceOf(SeqSelfAttention);
      expect([l.name, l.units, l.attentionWidth, l.returnAttention, l.variant, l.attentionActivation]).toEqual([
        'attentionP',
        32,
        3,
        true,
        variant,
        'linear',
      ]);
      l.build([null, 47, 16]);
      expect(l.weights.map((w) => w.shape)).toEqual([[16, 32], [16, 32], [32], [32, 1], [1]]);
    }
    const dsrna = portFor('SeqSelfAttention', { name: 'x' }).build(
      { ...config, name: 's', attention_activation: 'softmax', attention_width: null, return_attention: false },
      context('current'),
    ) as SeqSelfAttention;
    expect([dsrna.attentionActivation, dsrna.attentionWidth, dsrna.returnAttention]).toEqual(['softmax', null, false]);
  });

  it('rejects an unknown attention_type naming the layer', () => {
    expect(() =>
      portFor('SeqSelfAttention', { name: 'x' }).build({ name: 'att', attention_type: 'dot' }, context('current')),
    ).toThrow(
      /Layer 'att' \(SeqSelfAttention\) config 'attention_type' is 'dot'; supported values: additive, multiplicative/,
    );
  });

  it('is differentiable with respect to its input (every variant, window and mask)', () => {
    const rnd = seeded(7);
    const F = 2;
    const Wt = randMat(F, 3, rnd);
    const Wx = randMat(F, 3, rnd);
    const Wa = randMat(3, 1, rnd);
    const x = [randMat(4, F, rnd)];
    const mask = tf.tensor2d([[1, 1, 1, 0]]);
    for (const variant of VARIANTS) {
      const l = layer({ units: 3, variant, attentionWidth: 3 }, F, [t2(Wt), t2(Wx), t1([0, 0, 0]), t2(Wa), t1([0])]);
      const f = (xt: tf.Tensor) =>
        tf.sum(tf.mul(l.apply(xt, { mask }) as tf.Tensor, tf.range(0, 8).reshape([1, 4, 2])));
      const g = tf.grad(f)(t3(x));
      // Central differences in float32 on one coordinate.
      const h = 1e-2;
      const plus = x.map((r) => r.map((c) => [...c]));
      const minus = x.map((r) => r.map((c) => [...c]));
      plus[0][1][0] += h;
      minus[0][1][0] -= h;
      const fd = (f(t3(plus)).dataSync()[0] - f(t3(minus)).dataSync()[0]) / (2 * h);
      expect((g.arraySync() as number[][][])[0][1][0]).toBeCloseTo(fd, 2);
      expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    }
    mask.dispose();
  });
});
