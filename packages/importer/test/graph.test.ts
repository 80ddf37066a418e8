import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadModel, modelFromConfig, predict, toKerasH5 } from '../src/index.ts';
import { normalizeModel } from '../src/keras-format/normalize.ts';
import { dense, functional } from './toy-graphs.ts';

describe('model graphs', () => {
  it('Keras 2.1 list-style Sequential without InputLayer gets an input named <first>_input', () => {
    const g = normalizeModel({
      class_name: 'Sequential',
      config: [dense('d', 1, { batch_input_shape: [null, 4] })] as never,
    });
    expect(g.layers.map((l) => l.name)).toEqual(['d_input', 'd']);
    expect(g.layers[0].batchShape).toEqual([null, 4]);
  });

  it('Keras 3 inbound nodes: positional lists, tensor kwargs', () => {
    const kt = (layer: string) => ({
      class_name: '__keras_tensor__',
      config: { shape: [null, 3], dtype: 'float32', keras_history: [layer, 0, 0] },
    });
    const g = normalizeModel({
      class_name: 'Functional',
      config: {
        name: 'k3',
        layers: [
          { class_name: 'InputLayer', name: 'x', config: { name: 'x', batch_shape: [null, 3] }, inbound_nodes: [] },
          {
            class_name: 'Add',
            name: 'add',
            config: { name: 'add' },
            inbound_nodes: [{ args: [[kt('x'), kt('x')]], kwargs: {} }],
          },
          {
            class_name: 'MultiHeadAttention',
            name: 'mha',
            config: { name: 'mha' },
            inbound_nodes: [
              { args: [kt('add')], kwargs: { value: kt('x'), training: false, return_attention_scores: true } },
            ],
          },
        ],
        input_layers: ['x', 0, 0],
        output_layers: [['mha', 0, 0]],
      },
    });
    expect(g.inputs).toEqual([{ layer: 'x', node: 0, tensor: 0 }]);
    const add = g.layers[1].calls[0];
    expect(add.listInput).toBe(true);
    expect(add.inputs.map((r) => r.layer)).toEqual(['x', 'x']);
    const mha = g.layers[2].calls[0];
    expect(mha.inputs.map((r) => r.layer)).toEqual(['add', 'x']);
    expect(mha.tensorKwargNames).toEqual(['value']);
    expect(mha.kwargs).toEqual({ return_attention_scores: true });
  });

  it('a cycle in the layer graph is a clear error, not a hang', async () => {
    const cyc = JSON.parse(JSON.stringify(functional));
    cyc.config.layers[2].inbound_nodes = [[['diff', 0, 0, {}]], [['b', 0, 0, {}]]];
    await expect(modelFromConfig(cyc)).rejects.toThrow(
      /Model 'graph': layer '(shared|diff)' \(call 0\) needs (shared|diff)\[0\], which depends on it in a cycle\. Keras never writes such a graph; the config is corrupt\./,
    );
  });

  it('multi-input, multi-output, shared layer and nested Sequential: closed form and .h5 round trip', async () => {
    const km = await modelFromConfig(functional);
    // shared: y = x·W + c; diff = (a − b)·W; head: relu(diff·H1 + h1)·H2 + h2
    const W = [1, 2, 0, -1, 3, 1];
    km.layer('shared').setWeights([tf.tensor2d(W, [3, 2]), tf.tensor1d([5, -5])]);
    km.layer('h1').setWeights([tf.tensor2d([1, 0, 0, 1], [2, 2]), tf.tensor1d([0, 0])]);
    km.layer('h2').setWeights([tf.tensor2d([2, 3], [2, 1]), tf.tensor1d([0.5])]);
    const a = { data: Float32Array.of(1, 2, 3), shape: [1, 3] };
    const b = { data: Float32Array.of(0, 1, 1), shape: [1, 3] };
    const [head, diff] = predict(km, [a, b]);
    // a − b = (1, 1, 2): diff = (1·1 + 1·0 + 2·3, 1·2 + 1·(−1) + 2·1) = (7, 3)
    expect(Array.from(diff.data)).toEqual([7, 3]);
    expect(head.data[0]).toBeCloseTo(2 * 7 + 3 * 3 + 0.5, 5);
    const rows = km.summary();
    expect(rows.find((r) => r.name === 'shared')!.inbound).toEqual(['a[0][0]', 'b[0][0]']);
    expect(rows.find((r) => r.name === 'head')!.params).toBe(6 + 3);
    const again = await loadModel(await toKerasH5(km));
    const [head2, diff2] = predict(again, [a, b]);
    expect(Array.from(head2.data)).toEqual(Array.from(head.data));
    expect(Array.from(diff2.data)).toEqual(Array.from(diff.data));
    km.dispose();
    again.dispose();
  });
});

describe('masks of layers with several outputs', () => {
  it("each output keeps its own mask: SeqSelfAttention's attention output has none, as in Keras", async () => {
    // Masking(0) hides step 2; the attention weights (output 1) carry no mask in keras-self-attention
    // (compute_mask returns [mask, None]), so the GlobalAveragePooling1D after them is a plain mean.
    const layer = (class_name: string, name: string, config: Record<string, unknown>, inbound: unknown[]) => ({
      class_name,
      name,
      config: { name, ...config },
      inbound_nodes: inbound.length ? [inbound] : [],
    });
    const km = await modelFromConfig({
      class_name: 'Model',
      config: {
        name: 'm',
        layers: [
          layer('InputLayer', 'x', { batch_input_shape: [null, 3, 2] }, []),
          layer('Masking', 'mask', { mask_value: 0 }, [['x', 0, 0, {}]]),
          layer('SeqSelfAttention', 'att', { units: 2, return_attention: true }, [['mask', 0, 0, {}]]),
          layer('GlobalAveragePooling1D', 'gap', {}, [['att', 0, 1, {}]]),
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [
          ['gap', 0, 0],
          ['att', 0, 1],
        ],
      },
    } as never);
    const [pooled, weights] = predict(km, { data: Float32Array.of(1, 2, 0.5, -1, 0, 0), shape: [1, 3, 2] });
    km.dispose();
    const A = Array.from(weights.data);
    const mean = [0, 1, 2].map((s) => (A[s] + A[3 + s] + A[6 + s]) / 3);
    Array.from(pooled.data).forEach((v, s) => expect(v).toBeCloseTo(mean[s], 6));
  });
});
