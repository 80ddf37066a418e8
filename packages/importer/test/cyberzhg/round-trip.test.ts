import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CyberZhgLayerNormalization,
  CyberZhgMultiHeadAttention,
  FeedForward,
  MultiHead,
  PositionEmbedding,
  ScaledDotProductAttention,
  SeqSelfAttention,
  SeqWeightedAttention,
  TrigPosEmbedding,
} from '../../src/layers/cyberzhg/index.ts';
import { expectClose, randMat, seeded, t3 } from './reference.ts';

beforeEach(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => tf.disposeVariables());

type Make = () => tf.layers.Layer;

const makers: [string, Make][] = [
  [
    'SeqSelfAttention additive legacy, width 3, softmax scores',
    () => new SeqSelfAttention({ units: 3, attentionWidth: 3, attentionActivation: 'softmax', variant: 'legacy' }),
  ],
  [
    'SeqSelfAttention multiplicative 0.46, history_only',
    () =>
      new SeqSelfAttention({
        attentionType: 'multiplicative',
        historyOnly: true,
        useAttentionBias: false,
        variant: '0.46',
      }),
  ],
  [
    'SeqSelfAttention current, return_attention, hard sigmoid (Keras 3)',
    () => new SeqSelfAttention({ units: 2, returnAttention: true, attentionActivation: 'keras3HardSigmoid' }),
  ],
  [
    'SeqWeightedAttention legacy, return_attention',
    () => new SeqWeightedAttention({ returnAttention: true, variant: 'legacy' }),
  ],
  ['ScaledDotProductAttention history_only', () => new ScaledDotProductAttention({ historyOnly: true })],
  [
    'ScaledDotProductAttention legacy with epsilon',
    () => new ScaledDotProductAttention({ historyOnly: true, variant: 'legacy', epsilon: 1e-3 }),
  ],
  [
    'MultiHeadAttention (keras-multi-head)',
    () => new CyberZhgMultiHeadAttention({ headNum: 2, activation: 'tanh', historyOnly: true, variant: 'legacy' }),
  ],
  [
    'LayerNormalization (keras-layer-normalization)',
    () => new CyberZhgLayerNormalization({ epsilon: 1e-5, center: false }),
  ],
  ['LayerNormalization 0.2.0 form', () => new CyberZhgLayerNormalization({ epsilon: 1e-7, epsilonOnStd: true })],
  ['FeedForward', () => new FeedForward({ units: 5, activation: 'kerasGelu', dropoutRate: 0.1 })],
  ['TrigPosEmbedding concat', () => new TrigPosEmbedding({ mode: 'concat', outputDim: 2 })],
  ['PositionEmbedding add', () => new PositionEmbedding({ inputDim: 6, outputDim: 4, mode: 'add' })],
  [
    'MultiHead of two SeqSelfAttention',
    () =>
      new MultiHead({
        layers: [new SeqSelfAttention({ units: 2, name: 'a_1' }), new SeqSelfAttention({ units: 2, name: 'a_2' })],
      }),
  ],
  [
    'MultiHead with hidden_dim of two Dense',
    () =>
      new MultiHead({
        hiddenDim: 4,
        layers: [tf.layers.dense({ units: 3, name: 'd_1' }), tf.layers.dense({ units: 3, name: 'd_2' })],
      }),
  ],
];

const x = () => t3([randMat(5, 4, seeded(1)), randMat(5, 4, seeded(2))]);

function outputs(model: tf.LayersModel): number[][] {
  const y = model.predict(x());
  return (Array.isArray(y) ? y : [y]).map((t) => Array.from(t.dataSync()));
}

describe('getConfig → fromConfig', () => {
  for (const [name, make] of makers) {
    it(name, () => {
      const a = make();
      a.apply(tf.input({ shape: [5, 4] }));
      const cls = a.constructor as tf.serialization.SerializableConstructor<tf.layers.Layer> & {
        fromConfig: typeof tf.layers.Layer.fromConfig;
      };
      const b = cls.fromConfig(cls, a.getConfig()) as tf.layers.Layer;
      expect(b.getConfig()).toEqual(a.getConfig());
      b.apply(tf.input({ shape: [5, 4] }));
      b.setWeights(a.getWeights());
      const ya = a.apply(x()) as tf.Tensor | tf.Tensor[];
      const yb = b.apply(x()) as tf.Tensor | tf.Tensor[];
      const la = Array.isArray(ya) ? ya : [ya];
      const lb = Array.isArray(yb) ? yb : [yb];
      la.forEach((t, i) => expectClose(lb[i], Array.from(t.dataSync()), 0, 0));
    });
  }
});

describe('TF.js model JSON round trip (snake_case on disk, camelCase back)', () => {
  for (const [name, make] of makers) {
    it(name, () => {
      const input = tf.input({ shape: [5, 4] });
      const out = make().apply(input) as tf.SymbolicTensor | tf.SymbolicTensor[];
      const model = tf.model({ inputs: input, outputs: out });
      const json = model.toJSON(undefined, false) as object;
      const text = JSON.stringify(json);
      const again = tf.models.modelFromJSON(JSON.parse(text)) as unknown as Promise<tf.LayersModel>;
      return again.then((m2) => {
        m2.setWeights(model.getWeights());
        const a = outputs(model);
        const b = outputs(m2);
        expect(b.length).toBe(a.length);
        a.forEach((arr, i) => expectClose(b[i], arr, 0, 0));
      });
    });
  }

  it('the selected variant survives the round trip', async () => {
    const input = tf.input({ shape: [5, 4] });
    const model = tf.model({
      inputs: input,
      outputs: new SeqSelfAttention({ variant: '0.46', attentionWidth: 2, name: 'sa' }).apply(
        input,
      ) as tf.SymbolicTensor,
    });
    const m2 = await tf.models.modelFromJSON(JSON.parse(JSON.stringify(model.toJSON(undefined, false))));
    const layer = m2.getLayer('sa') as SeqSelfAttention;
    expect([layer.variant, layer.attentionWidth]).toEqual(['0.46', 2]);
  });
});
