import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CyberZhgLayerNormalization,
  CyberZhgMultiHeadAttention,
  FeedForward,
  MultiHead,
  ScaledDotProductAttention,
  SeqSelfAttention,
  SeqWeightedAttention,
  TrigPosEmbedding,
} from '../../src/layers/cyberzhg/index.ts';
import type { SelfAttentionVariant } from '../../src/layers/port.ts';
import { expectClose, randMat, seeded } from './reference.ts';

/**
 * Input gradients (what `explain` needs) through every CyberZHG layer, on cpu and on wasm (whose
 * kernel set lacks some gradients): both must exist, be finite and agree.
 */
const VARIANTS: SelfAttentionVariant[] = ['legacy', '0.46', 'current'];
const makers: [string, () => tf.layers.Layer][] = [
  ...VARIANTS.map((variant): [string, () => tf.layers.Layer] => [
    `SeqSelfAttention additive ${variant}`,
    () => new SeqSelfAttention({ units: 3, attentionWidth: 3, attentionActivation: 'softmax', variant }),
  ]),
  ...VARIANTS.map((variant): [string, () => tf.layers.Layer] => [
    `SeqSelfAttention multiplicative ${variant}`,
    () => new SeqSelfAttention({ attentionType: 'multiplicative', historyOnly: true, variant }),
  ]),
  ['SeqWeightedAttention legacy', () => new SeqWeightedAttention({ variant: 'legacy' })],
  ['SeqWeightedAttention current', () => new SeqWeightedAttention()],
  ['ScaledDotProductAttention', () => new ScaledDotProductAttention({ historyOnly: true })],
  ['MultiHeadAttention', () => new CyberZhgMultiHeadAttention({ headNum: 2 })],
  ['LayerNormalization', () => new CyberZhgLayerNormalization()],
  ['FeedForward', () => new FeedForward({ units: 3 })],
  ['TrigPosEmbedding add', () => new TrigPosEmbedding()],
  ['TrigPosEmbedding concat', () => new TrigPosEmbedding({ mode: 'concat', outputDim: 4 })],
  [
    'MultiHead',
    () =>
      new MultiHead({
        hiddenDim: 4,
        layers: [new SeqSelfAttention({ name: 'g_1' }), new SeqSelfAttention({ name: 'g_2' })],
      }),
  ],
];

const X = [randMat(5, 4, seeded(4)), randMat(5, 4, seeded(5))];
const MASK = [
  [1, 1, 1, 1, 0],
  [1, 1, 0, 1, 1],
];

async function gradients(backend: string): Promise<Record<string, number[]>> {
  await tf.setBackend(backend);
  const out: Record<string, number[]> = {};
  for (const [name, make] of makers) {
    const layer = make();
    layer.build([null, 5, 4]);
    // Deterministic weights so that both backends see the same layer.
    const rnd = seeded(77);
    layer.setWeights(
      layer.weights.map((w) => {
        const shape = w.shape as number[];
        return tf.tensor(
          Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rnd()),
          shape,
        );
      }),
    );
    const mask = tf.tensor2d(MASK);
    const f = (x: tf.Tensor) => {
      const y = layer.apply(x, { mask }) as tf.Tensor;
      return tf.sum(tf.mul(y, tf.sin(tf.range(0, y.size).reshape(y.shape))));
    };
    const g = tf.grad(f)(tf.tensor3d(X));
    out[name] = Array.from(g.dataSync());
    tf.dispose([g, mask]);
    tf.disposeVariables();
  }
  return out;
}

let wasmOk = false;
try {
  await import('@tensorflow/tfjs-backend-wasm');
  wasmOk = await tf.setBackend('wasm');
} catch {
  wasmOk = false;
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('input gradients', () => {
  it('exist and are finite on cpu', async () => {
    const g = await gradients('cpu');
    for (const [name, values] of Object.entries(g)) {
      expect(values.every(Number.isFinite), name).toBe(true);
      expect(
        values.some((v) => v !== 0),
        name,
      ).toBe(true);
    }
  });

  it.skipIf(!wasmOk)('agree between wasm and cpu', async () => {
    const cpu = await gradients('cpu');
    const wasm = await gradients('wasm');
    for (const name of Object.keys(cpu)) {
      try {
        expectClose(wasm[name], cpu[name], 1e-4, 1e-3);
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`);
      }
    }
  });
});
