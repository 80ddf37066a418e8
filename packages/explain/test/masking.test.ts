import * as tf from '@tensorflow/tfjs';
import { type KerasModel, loadModel, modelFromConfig, predict, toKerasH5 } from '@keraspect/importer';
import { describe, expect, it } from 'vitest';
import { explain, inputGradients } from '../src/index.ts';

// Gradients through masks: TensorFlow treats a mask as a constant (not_equal and any have no
// gradient), so d/dx is zero at masked steps and, at valid steps, what it is without the padding.
// TF.js has no gradient for `any`; before, every gradient method failed on a masked model.

const kt = (layer: string) => ({
  class_name: '__keras_tensor__',
  config: { shape: [], dtype: 'float32', keras_history: [layer, 0, 0] },
});
const entry = (
  module: string,
  class_name: string,
  name: string,
  config: Record<string, unknown>,
  args: unknown[],
  kwargs = {},
) => ({
  module,
  class_name,
  config: { name, ...config },
  registered_name: module.startsWith('keras.src.ops') ? class_name : null,
  name,
  inbound_nodes: args.length ? [{ args, kwargs }] : [],
});
const input = (name: string, shape: number[]) => ({
  module: 'keras.layers',
  class_name: 'InputLayer',
  config: { name, batch_shape: [null, ...shape], dtype: 'float32' },
  registered_name: null,
  name,
  inbound_nodes: [],
});
const model = (layers: unknown[], out: string) => ({
  class_name: 'Functional',
  config: { name: 'f', layers, input_layers: [['x', 0, 0]], output_layers: [[out, 0, 0]] },
});
const lstm = { units: 3, activation: 'tanh', recurrent_activation: 'sigmoid' };

function randomize(km: KerasModel): void {
  let s = 11;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 1.2;
  };
  for (const l of km.model.layers)
    if (l.weights.length)
      l.setWeights(
        l.weights.map((w) =>
          tf.tensor(
            Float32Array.from({ length: w.shape.reduce((a: number, d) => a * (d ?? 1), 1) }, next),
            w.shape as number[],
          ),
        ),
      );
}

const T = 5;
const F = 2;
const valid = 3;

describe('input gradients through masks', () => {
  it('Keras 3 (Masking → NotEqual/Any op nodes → LSTM(mask=)): zero at masked steps, the unpadded gradient elsewhere', async () => {
    const masked = await modelFromConfig(
      model(
        [
          input('x', [T, F]),
          entry('keras.layers', 'Masking', 'masking', { mask_value: 0 }, [kt('x')]),
          entry('keras.src.ops.numpy', 'NotEqual', 'not_equal', {}, [kt('x'), 0]),
          entry('keras.src.ops.numpy', 'Any', 'any', { axis: -1, keepdims: false }, [kt('not_equal')]),
          entry('keras.layers', 'LSTM', 'lstm', lstm, [kt('masking')], { mask: kt('any') }),
          entry('keras.layers', 'Dense', 'out', { units: 1 }, [kt('lstm')]),
        ],
        'out',
      ) as never,
      { kerasVersion: '3.9.2' },
    );
    randomize(masked);
    const plain = await modelFromConfig(
      model(
        [
          input('x', [valid, F]),
          entry('keras.layers', 'LSTM', 'lstm', lstm, [kt('x')]),
          entry('keras.layers', 'Dense', 'out', { units: 1 }, [kt('lstm')]),
        ],
        'out',
      ) as never,
      { kerasVersion: '3.9.2' },
    );
    plain.layer('lstm').setWeights(masked.layer('lstm').getWeights());
    plain.layer('out').setWeights(masked.layer('out').getWeights());
    const x = Float32Array.from({ length: T * F }, (_, i) => (Math.floor(i / F) < valid ? Math.sin(1 + i) : 0));
    const g = inputGradients(masked, { data: x, shape: [1, T, F] }, { target: 0 }).gradients[0].data;
    const want = inputGradients(plain, { data: x.slice(0, valid * F), shape: [1, valid, F] }, { target: 0 })
      .gradients[0].data;
    expect(Math.max(...Array.from(want, Math.abs))).toBeGreaterThan(1e-3);
    for (let i = 0; i < valid * F; i++) expect(g[i]).toBeCloseTo(want[i], 5);
    for (let i = valid * F; i < T * F; i++) expect(g[i]).toBe(0);
    masked.dispose();
    plain.dispose();
  });

  it('Keras 2 (Masking → LSTM, the mask propagated by the layers)', async () => {
    const km = await modelFromConfig({
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'Masking', config: { name: 'masking', mask_value: 0, batch_input_shape: [null, T, F] } },
          { class_name: 'LSTM', config: { name: 'lstm', ...lstm } },
        ],
      },
    } as never);
    randomize(km);
    const x = Float32Array.from({ length: T * F }, (_, i) => (Math.floor(i / F) < valid ? Math.cos(i) : 0));
    const g = inputGradients(km, { data: x, shape: [1, T, F] }, { target: 1 }).gradients[0].data;
    expect(Array.from(g.slice(valid * F))).toEqual(new Array((T - valid) * F).fill(0));
    expect(Math.max(...Array.from(g.slice(0, valid * F), Math.abs))).toBeGreaterThan(1e-4);
    km.dispose();
  });

  it('a masked Keras 3 model saved with the h5 writer loads, matches the unpadded model and takes every gradient method', async () => {
    const config = model(
      [
        input('x', [T, F]),
        entry('keras.layers', 'Masking', 'masking', { mask_value: 0 }, [kt('x')]),
        entry('keras.src.ops.numpy', 'NotEqual', 'not_equal', {}, [kt('x'), 0]),
        entry('keras.src.ops.numpy', 'Any', 'any', { axis: -1, keepdims: false }, [kt('not_equal')]),
        entry('keras.layers', 'LSTM', 'lstm', { ...lstm, return_sequences: true }, [kt('masking')], {
          mask: kt('any'),
        }),
        entry('keras.layers', 'GlobalAveragePooling1D', 'pool', {}, [kt('lstm')], { mask: kt('any') }),
        entry('keras.layers', 'Dense', 'out', { units: 1 }, [kt('pool')]),
      ],
      'out',
    );
    const built = await modelFromConfig(config as never, { kerasVersion: '3.9.2' });
    randomize(built);
    const km = await loadModel(await toKerasH5(built));
    built.dispose();
    const plain = await modelFromConfig(
      model(
        [
          input('x', [valid, F]),
          entry('keras.layers', 'LSTM', 'lstm', { ...lstm, return_sequences: true }, [kt('x')]),
          entry('keras.layers', 'GlobalAveragePooling1D', 'pool', {}, [kt('lstm')]),
          entry('keras.layers', 'Dense', 'out', { units: 1 }, [kt('pool')]),
        ],
        'out',
      ) as never,
      { kerasVersion: '3.9.2' },
    );
    plain.layer('lstm').setWeights(km.layer('lstm').getWeights());
    plain.layer('out').setWeights(km.layer('out').getWeights());
    try {
      const x = Float32Array.from({ length: 2 * T * F }, (_, i) =>
        Math.floor((i % (T * F)) / F) < valid ? Math.sin(2 + i) : 0,
      );
      const xValid = Float32Array.from([0, 1].flatMap((b) => Array.from(x.slice(b * T * F, b * T * F + valid * F))));
      // Keras averages over the valid steps only (the mask reaches the pooling too).
      const [y] = predict(km, { data: x, shape: [2, T, F] });
      const [want] = predict(plain, { data: xValid, shape: [2, valid, F] });
      for (let i = 0; i < 2; i++) expect(y.data[i]).toBeCloseTo(want.data[i], 5);
      for (const method of ['gradient', 'gradientXInput', 'integratedGradients', 'smoothGrad'] as const) {
        const options =
          method === 'integratedGradients' ? { steps: 8 } : method === 'smoothGrad' ? { samples: 3, seed: 1 } : {};
        const a = await explain(method, km, { data: x, shape: [2, T, F] }, options as never);
        const g = a.attributions[0].data;
        expect(Array.from(g).every(Number.isFinite), method).toBe(true);
        expect(Math.max(...Array.from(g, Math.abs)), method).toBeGreaterThan(1e-5);
        // Padding steps get nothing (smoothGrad's noise unmasks them, so it is left out here).
        if (method !== 'smoothGrad')
          for (let i = 0; i < g.length; i++) if (Math.floor((i % (T * F)) / F) >= valid) expect(g[i], method).toBe(0);
      }
    } finally {
      km.dispose();
      plain.dispose();
    }
  });
});
