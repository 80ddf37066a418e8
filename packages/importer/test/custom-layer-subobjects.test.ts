import type * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineLayer, type ImporterError, registerLayer, unregisterLayer } from '../src/index.ts';
import { h5 } from '../src/read/h5wasm.ts';
import { dense, expectClose, predictRow, ramp } from './dense-math.ts';
import { kerasZip, type Var } from './keras-zip.ts';

// Keras 3's saving_lib writes a user-defined layer's sub-layers under their attribute names, and the
// weights file lists them alphabetically (h5 group order), not in the order the layer created them
// (its `weights`, the order a `defineLayer` definition lists). A layer with `self.W1 = Dense(u)` and
// `self.V = Dense(1)` — Bahdanau attention as users write it — is saved as `…/V/vars`, `…/W1/vars`.

beforeAll(async () => {
  await h5();
});

afterEach(() => unregisterLayer('TwoStep'));

/** A user layer computing V(W1(x)), both plain Dense: weights W1 (in, units), b1, V (units, 1), bV. */
function registerTwoStep() {
  registerLayer(
    'TwoStep',
    defineLayer('TwoStep', {
      weights: (config, shape) => [
        { name: 'W1_kernel', shape: [shape[shape.length - 1] as number, config.units as number] },
        { name: 'W1_bias', shape: [config.units as number] },
        { name: 'V_kernel', shape: [config.units as number, 1] },
        { name: 'V_bias', shape: [1] },
      ],
      call: (x, w, _c, t) => {
        const h = t.add(t.matMul(x as tf.Tensor2D, w.W1_kernel as tf.Tensor2D), w.W1_bias);
        return t.add(t.matMul(h as tf.Tensor2D, w.V_kernel as tf.Tensor2D), w.V_bias);
      },
    }),
  );
}

function twoStepZip(groups: Record<string, Var[]>) {
  return kerasZip({
    config: {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 'seq',
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', config: { name: 'x', batch_shape: [null, 3] } },
          {
            module: null,
            class_name: 'TwoStep',
            registered_name: 'Custom>TwoStep',
            config: { name: 'two_step', units: 2 },
          },
        ],
      },
    },
    kerasVersion: '3.10.0',
    groups,
  });
}

describe('a user-defined layer with sub-layers in a .keras file', () => {
  const W1 = ramp([3, 2], 1);
  const b1 = ramp([2], 2);
  const V = ramp([2, 1], 3);
  const bV = ramp([1], 4);
  const x = [0.5, -1, 2];
  const expected = dense(dense(x, W1, b1), V, bV);

  it('gets its weights in the order its definition lists, though the file lists the sub-layers alphabetically', async () => {
    registerTwoStep();
    // h5 lists the groups by name: V before W1.
    const bytes = twoStepZip({ 'layers/two_step/V': [V, bV], 'layers/two_step/W1': [W1, b1] });
    expectClose(await predictRow(bytes, x), expected);
  });

  it('still refuses weights that fit in no order of the sub-layers', async () => {
    registerTwoStep();
    const bytes = twoStepZip({ 'layers/two_step/V': [ramp([3, 1], 3), bV], 'layers/two_step/W1': [W1, b1] });
    const e = await predictRow(bytes, x).catch((err: unknown) => err);
    expect((e as ImporterError).code).toBe('WEIGHT_MISMATCH');
  });
});
