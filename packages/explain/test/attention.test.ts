import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { modelFromConfig } from '@keraspect/importer';
import { attentionMaps, layerOutputs } from '../src/index.ts';

/** Input → Masking(0) → SeqSelfAttention(return_attention) — the layer's own second output is A. */
const config = (returnAttention: boolean) => ({
  class_name: 'Sequential',
  config: {
    name: 'masked',
    layers: [
      { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 5, 2] } },
      { class_name: 'Masking', config: { name: 'mask', mask_value: 0 } },
      {
        class_name: 'SeqSelfAttention',
        config: {
          name: 'att',
          units: 3,
          attention_type: 'additive',
          return_attention: returnAttention,
          attention_activation: 'linear',
        },
      },
    ],
  },
});

describe('attention maps see the masks of a real forward pass', () => {
  it('equals the layer’s own returned attention on masked steps', async () => {
    const km = await modelFromConfig(config(true) as never);
    const withOut = await modelFromConfig(config(false) as never);
    const w = km.layer('att').getWeights();
    withOut.layer('att').setWeights(w.map((t, i) => tf.randomNormal(t.shape, 0, 0.7, 'float32', i + 1)));
    km.layer('att').setWeights(withOut.layer('att').getWeights());
    // Sample 0: the last two steps are all zeros, so Masking hides them.
    const x = {
      data: Float32Array.of(1, 2, -1, 0.5, 0.3, -2, 0, 0, 0, 0, 2, 1, 1, 1, -1, 2, 0.5, 0.5, 3, -1),
      shape: [2, 5, 2],
    };
    const own = layerOutputs(km, x, 'att').find((o) => o.index === 1)!.array;
    const [map] = attentionMaps(withOut, x);
    expect(map.array.shape).toEqual([2, 5, 5]);
    Array.from(map.array.data).forEach((v, i) => expect(v).toBeCloseTo(own.data[i], 6));
    // keras-self-attention ≥ 0.46 pushes down a score only where query and key are both masked:
    // the masked queries 3 and 4 of sample 0 give (almost) no weight to the masked keys 3 and 4.
    for (const t of [3, 4]) expect(map.array.data[t * 5 + 3] + map.array.data[t * 5 + 4]).toBeLessThan(1e-3);
    // Sample 1 has no masked step: its masked-key weights are ordinary.
    expect(map.array.data[25 + 3 * 5 + 3] + map.array.data[25 + 3 * 5 + 4]).toBeGreaterThan(1e-3);
    km.dispose();
    withOut.dispose();
  });
});

describe('attentionMaps picks layers with layerOutputs’ selectors', () => {
  const x = { data: Float32Array.from({ length: 10 }, (_, i) => (i % 3) - 1), shape: [1, 5, 2] };

  it('takes an exact name, a substring, a RegExp, an index and a list, each layer once', async () => {
    const km = await modelFromConfig(config(false) as never);
    const names = (layers: Parameters<typeof attentionMaps>[2]) => attentionMaps(km, x, layers).map((m) => m.layer);
    expect(names({})).toEqual(['att']);
    expect(names({ layers: 'att' })).toEqual(['att']);
    expect(names({ layers: 'a' })).toEqual(['att']); // 'a' also matches 'mask', which has no attention
    expect(names({ layers: /^at/ })).toEqual(['att']);
    expect(names({ layers: -1 })).toEqual(['att']);
    expect(names({ layers: ['att', /t+/] })).toEqual(['att']);
    km.dispose();
  });

  it('fails on a selector of no layer with layerOutputs’ error, and on a layer without attention naming it', async () => {
    const km = await modelFromConfig(config(false) as never);
    let outputsError = '';
    try {
      layerOutputs(km, x, 'nope');
    } catch (e) {
      outputsError = (e as Error).message;
    }
    expect(outputsError).toMatch(/No layer of model 'masked' matches 'nope'/);
    expect(() => attentionMaps(km, x, { layers: 'nope' })).toThrow(outputsError);
    expect(() => attentionMaps(km, x, { layers: 'mask' })).toThrow(
      /Layer 'mask' computes no attention weights\. Attention layers of model 'masked': att\./,
    );
    km.dispose();
  });
});
