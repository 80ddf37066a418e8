import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { portFor } from '../../src/layers/registry.ts';
import {
  SeqWeightedAttention,
  type SeqWeightedAttentionArgs,
} from '../../src/layers/cyberzhg/seq-weighted-attention.ts';
import type { SelfAttentionVariant } from '../../src/layers/port.ts';
import { context, expectClose, type Mat, randMat, seeded, t1, t2, t3 } from './reference.ts';

beforeEach(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => tf.disposeVariables());

function layer(args: SeqWeightedAttentionArgs, features: number, weights: tf.Tensor[]): SeqWeightedAttention {
  const l = new SeqWeightedAttention({ trainable: false, ...args });
  l.build([null, null, features]);
  l.setWeights(weights);
  tf.dispose(weights);
  return l;
}

/** a = exp(l − max)/(Σ + 1e-7) over unmasked steps, v = Σ a_t x_t (one sequence). */
function ref(x: Mat, W: number[], b: number, mask?: number[]): { v: number[]; a: number[] } {
  const m = mask ?? x.map(() => 1);
  const logits = x.map((xt) => xt.reduce((acc, v, f) => acc + v * W[f], b));
  const mx = Math.max(...logits.filter((_, t) => m[t] === 1));
  const p = logits.map((l, t) => (m[t] ? Math.exp(l - mx) : 0));
  const sum = p.reduce((s, v) => s + v, 0);
  const a = p.map((v) => v / (sum + 1e-7));
  return { a, v: x[0].map((_, f) => x.reduce((acc, xt, t) => acc + a[t] * xt[f], 0)) };
}

describe('SeqWeightedAttention', () => {
  const x: Mat[] = [
    [
      [1, 2],
      [3, 4],
      [5, 9],
    ],
  ];

  it('with W = 0, b = 0 the output is the mean over time', () => {
    const l = layer({}, 2, [tf.zeros([2, 1]), tf.zeros([1])]);
    const out = l.apply(t3(x)) as tf.Tensor;
    expect(out.shape).toEqual([1, 2]);
    expectClose(out, [[3, 5]]);
  });

  it('closed form: W = [1, 0], b = 0 → a ∝ exp(x₀)', () => {
    const l = layer({ returnAttention: true }, 2, [t2([[1], [0]]), t1([0])]);
    const [v, a] = l.apply(t3(x)) as tf.Tensor[];
    const z = Math.exp(1) + Math.exp(3) + Math.exp(5);
    const w = [Math.exp(1) / z, Math.exp(3) / z, Math.exp(5) / z];
    expectClose(a, [w]);
    expectClose(v, [[w[0] * 1 + w[1] * 3 + w[2] * 5, w[0] * 2 + w[1] * 4 + w[2] * 9]]);
    expect(a.shape).toEqual([1, 3]);
  });

  for (const variant of ['legacy', '0.46', 'current'] as SelfAttentionVariant[]) {
    it(`${variant}: a masked step gets weight 0 and the rest renormalize`, () => {
      const rnd = seeded(5);
      const xs = [randMat(5, 3, rnd), randMat(5, 3, rnd)];
      const W = [0.5, -1, 2];
      const mask = [
        [1, 1, 0, 1, 1],
        [1, 1, 1, 1, 0],
      ];
      const l = layer({ variant, returnAttention: true }, 3, [t2(W.map((w) => [w])), t1([0.3])]);
      const m = tf.tensor2d(mask, undefined, 'bool');
      const before = tf.memory().numTensors;
      const [v, a] = l.apply(t3(xs), { mask: m }) as tf.Tensor[];
      const attn = l.computeAttention(t3(xs), { mask: m });
      xs.forEach((xb, b) => {
        const r = ref(xb, W, 0.3, mask[b]);
        expectClose((a.arraySync() as Mat)[b], r.a);
        expectClose((v.arraySync() as Mat)[b], r.v);
        expectClose((attn.arraySync() as Mat)[b], r.a);
      });
      tf.dispose([v, a, attn]);
      expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 2); // the two t3(xs) inputs
    });
  }

  it('weights are W (F,1), b (1) in Keras order; use_bias false drops b', () => {
    const l = layer({}, 4, [tf.zeros([4, 1]), tf.zeros([1])]);
    expect(l.weights.map((w) => [w.originalName, w.shape])).toEqual([
      [`${l.name}_W`, [4, 1]],
      [`${l.name}_b`, [1]],
    ]);
    const nb = layer({ useBias: false }, 4, [tf.zeros([4, 1])]);
    expect(nb.weights).toHaveLength(1);
  });

  it('output shapes and masks: (B,F), with return_attention [(B,F), (B,T)], no mask out', () => {
    const l = new SeqWeightedAttention({ returnAttention: true });
    expect(l.computeOutputShape([null, 7, 3])).toEqual([
      [null, 3],
      [null, 7],
    ]);
    expect(l.computeMask()).toEqual([null, null]);
    expect(new SeqWeightedAttention().computeOutputShape([null, 7, 3])).toEqual([null, 3]);
  });

  it('the port reads use_bias / return_attention', () => {
    const l = portFor('SeqWeightedAttention', { name: 'x' }).build(
      { name: 'swa', use_bias: false, return_attention: true },
      context('legacy'),
    ) as SeqWeightedAttention;
    expect([l.name, l.useBias, l.returnAttention, l.variant]).toEqual(['swa', false, true, 'legacy']);
  });
});
