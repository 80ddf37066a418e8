import { describe, expect, it } from 'vitest';
import { attentionMaps, layerOutputs, selectLayers } from '../src/index.ts';
import { noLeak, randn, randomizeWeights, sequential, toy } from './helpers.ts';

const model = async () => {
  const km = await toy(
    sequential(
      [5, 3],
      [
        { class_name: 'LSTM', config: { name: 'lstm_1', units: 4, return_sequences: true } },
        { class_name: 'LSTM', config: { name: 'lstm_2', units: 4, return_sequences: true } },
        { class_name: 'SeqSelfAttention', config: { name: 'seq_att', units: 3, return_attention: true } },
        { class_name: 'Flatten', config: { name: 'flat' } },
        { class_name: 'Dense', config: { name: 'out', units: 1 } },
      ],
    ),
  );
  randomizeWeights(km, 2);
  return km;
};

describe('layerOutputs', () => {
  it('selects by exact name, substring, RegExp, index and all', async () => {
    const km = await model();
    const names = (s: Parameters<typeof selectLayers>[1]) => selectLayers(km, s).map((l) => l.name);
    expect(names('lstm_1')).toEqual(['lstm_1']);
    expect(names('lstm')).toEqual(['lstm_1', 'lstm_2']);
    expect(names(/^(flat|out)$/)).toEqual(['flat', 'out']);
    expect(names(-1)).toEqual(['out']);
    expect(names('all')).toEqual(['lstm_1', 'lstm_2', 'seq_att', 'flat', 'out']);
    expect(names(['out', 'lstm_2'])).toEqual(['lstm_2', 'out']);
    km.dispose();
  });

  it('returns every output of multi-output layers, as plain arrays that satisfy the layers’ definitions', async () => {
    const km = await model();
    const x = randn([3, 5, 3]);
    const outs = await noLeak(() => layerOutputs(km, x, ['lstm_2', 'seq_att', 'flat', 'out']));
    expect(outs.map((o) => [o.layer, o.className, o.index, o.count, o.array.shape])).toEqual([
      ['lstm_2', 'LSTM', 0, 1, [3, 5, 4]],
      ['seq_att', 'SeqSelfAttention', 0, 2, [3, 5, 4]],
      ['seq_att', 'SeqSelfAttention', 1, 2, [3, 5, 5]],
      ['flat', 'Flatten', 0, 1, [3, 20]],
      ['out', 'Dense', 0, 1, [3, 1]],
    ]);
    const [h, v, a, flat, y] = outs.map((o) => o.array.data);
    expect(v).toBeInstanceOf(Float32Array);
    // SeqSelfAttention: v[b,t] = Σ_s A[b,t,s]·h[b,s], rows of A sum to 1.
    for (let b = 0; b < 3; b++)
      for (let t = 0; t < 5; t++) {
        let rowSum = 0;
        for (let s = 0; s < 5; s++) rowSum += a[(b * 5 + t) * 5 + s];
        expect(rowSum).toBeCloseTo(1, 5);
        for (let f = 0; f < 4; f++) {
          let want = 0;
          for (let s = 0; s < 5; s++) want += a[(b * 5 + t) * 5 + s] * h[(b * 5 + s) * 4 + f];
          expect(v[(b * 5 + t) * 4 + f]).toBeCloseTo(want, 5);
        }
      }
    expect(Array.from(flat)).toEqual(Array.from(v));
    // Dense: y = flat·W + b.
    const [w, bias] = km
      .layer('out')
      .getWeights()
      .map((t) => t.dataSync());
    for (let b = 0; b < 3; b++) {
      let want = bias[0];
      for (let k = 0; k < 20; k++) want += flat[b * 20 + k] * w[k];
      expect(y[b]).toBeCloseTo(want, 5);
    }
    km.dispose();
  });

  it('fails on a selector that matches no layer, naming the layers', async () => {
    const km = await model();
    expect(() => layerOutputs(km, randn([1, 5, 3]), 'nope')).toThrow(
      /No layer of model 'toy' matches 'nope'\. Layers: .*lstm_1/,
    );
    km.dispose();
  });

  it('gives the same values in batches of 1', async () => {
    const km = await model();
    const x = randn([3, 5, 3]);
    const a = layerOutputs(km, x, 'all');
    const b = await noLeak(() => layerOutputs(km, x, 'all', { internalBatchSize: 1 }));
    a.forEach((o, i) => {
      expect(b[i].array.shape).toEqual(o.array.shape);
      for (let k = 0; k < o.array.data.length; k++) expect(b[i].array.data[k]).toBeCloseTo(o.array.data[k], 6);
    });
    km.dispose();
  });
});

describe('attentionMaps', () => {
  it('fails on a layer that computes no attention, with the same error class and code as layerOutputs', async () => {
    const km = await model();
    const x = randn([1, 5, 3]);
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as Error & { code?: string };
      }
      throw new Error('expected an error');
    };
    const a = err(() => attentionMaps(km, x, { layers: ['lstm_1'] }));
    const b = err(() => layerOutputs(km, x, 'nope'));
    expect([a.name, a.code]).toEqual(['ExplainError', 'UNKNOWN_LAYER']);
    expect([b.name, b.code]).toEqual([a.name, a.code]);
    expect(a.message).toMatch(
      /Layer 'lstm_1' computes no attention weights\. Attention layers of model 'toy': seq_att/,
    );
    km.dispose();
  });

  it('fails on a name of no layer with exactly the error layerOutputs gives', async () => {
    const km = await model();
    const x = randn([1, 5, 3]);
    const message = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('expected an error');
    };
    const a = message(() => attentionMaps(km, x, { layers: ['nope'] }));
    expect(a).toBe(message(() => layerOutputs(km, x, 'nope')));
    expect(a).toMatch(/No layer of model 'toy' matches 'nope'\. Layers: .*seq_att/);
    km.dispose();
  });

  it('reads SeqSelfAttention weights (B, T, T) with axes and the Keras class name, batched', async () => {
    const km = await model();
    const x = randn([3, 5, 3]);
    const [m] = await noLeak(() => attentionMaps(km, x, { internalBatchSize: 2 }));
    expect(m.className).toBe('SeqSelfAttention');
    expect(m.axes).toEqual(['batch', 'query', 'key']);
    expect(m.array.shape).toEqual([3, 5, 5]);
    const out = layerOutputs(km, x, 'seq_att')[1];
    for (let k = 0; k < out.array.data.length; k++) expect(m.array.data[k]).toBeCloseTo(out.array.data[k], 6);
    km.dispose();
  });
});
