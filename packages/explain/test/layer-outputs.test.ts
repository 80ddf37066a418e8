import { describe, expect, it } from 'vitest';
import { attentionMaps, layerOutputs, selectLayers } from '../src/index.ts';
import { noLeak, randn, randomizeWeights, sequential, toy } from './helpers.ts';
import { allLayerOutputs } from '@keraspect/importer';

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

  it('returns every output of multi-output layers, as plain arrays equal to the importer’s', async () => {
    const km = await model();
    const x = randn([3, 5, 3]);
    const outs = await noLeak(() => layerOutputs(km, x, 'seq_att'));
    expect(outs.map((o) => [o.layer, o.className, o.index, o.count, o.array.shape])).toEqual([
      ['seq_att', 'SeqSelfAttention', 0, 2, [3, 5, 4]],
      ['seq_att', 'SeqSelfAttention', 1, 2, [3, 5, 5]],
    ]);
    const ref = allLayerOutputs(km, x, ['seq_att']);
    expect(Array.from(outs[1].array.data)).toEqual(Array.from(ref[1].array.data));
    expect(outs[0].array.data).toBeInstanceOf(Float32Array);
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
