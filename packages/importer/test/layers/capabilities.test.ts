import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  isActivated,
  isAttentionSource,
  isBidirectionalWrapper,
  isRecurrentSource,
  isWrapper,
  type KerasModel,
  modelFromConfig,
  type RecurrentCell,
} from '../../src/index.ts';

type LayerJson = { class_name: string; config: Record<string, unknown> };

/** Input (batch, ...shape) → layers, with seeded random weights. */
async function sequential(shape: number[], layers: LayerJson[], kerasVersion = '2.3.1'): Promise<KerasModel> {
  const km = await modelFromConfig(
    {
      class_name: 'Sequential',
      config: {
        name: 'm',
        layers: [{ class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, ...shape] } }, ...layers],
      },
    } as never,
    { kerasVersion },
  );
  let seed = 7;
  for (const l of km.layers) {
    const ws = l.layer.getWeights();
    if (ws.length) l.layer.setWeights(ws.map((w) => tf.randomNormal(w.shape, 0, 0.5, 'float32', seed++)));
  }
  return km;
}

const input = (shape: number[], seed = 1) => tf.randomNormal(shape, 0, 1, 'float32', seed);
const one = (t: tf.Tensor | tf.Tensor[]) => (Array.isArray(t) ? t[0] : t);

function expectClose(actual: tf.Tensor, expected: tf.Tensor, digits = 5): void {
  expect(actual.shape).toEqual(expected.shape);
  const e = expected.dataSync();
  actual.dataSync().forEach((v, i) => expect(v).toBeCloseTo(e[i], digits));
}

/** The recurrence written out from the cell alone (Keras' equations); the layer's own output must equal it. */
function reference(cell: RecurrentCell, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [B, T] = x.shape as number[];
    const U = cell.units;
    const steps = tf.unstack(cell.goBackwards ? tf.reverse(x, 1) : x, 1);
    const [inBias, recBias] =
      cell.bias && cell.bias.rank === 2 ? tf.unstack(cell.bias, 0) : [cell.bias, null as tf.Tensor | null];
    let h: tf.Tensor = tf.zeros([B, U]);
    let c: tf.Tensor = tf.zeros([B, U]);
    const outs: tf.Tensor[] = [];
    for (const xt of steps) {
      let zx = tf.matMul(xt, cell.kernel);
      if (inBias) zx = tf.add(zx, inBias);
      if (cell.kind === 'lstm') {
        const [i, f, g, o] = tf.split(tf.add(zx, tf.matMul(h, cell.recurrentKernel)), 4, 1);
        const gate = (t: tf.Tensor) => cell.applyRecurrentActivation(t);
        c = tf.add(tf.mul(gate(f), c), tf.mul(gate(i), cell.applyActivation(g)));
        h = tf.mul(gate(o), cell.applyActivation(c));
      } else if (cell.kind === 'gru') {
        const [xz, xr, xh] = tf.split(zx, 3, 1);
        let hu = tf.matMul(h, cell.recurrentKernel);
        if (recBias) hu = tf.add(hu, recBias);
        const [hz, hr, hh] = tf.split(hu, 3, 1);
        const z = cell.applyRecurrentActivation(tf.add(xz, hz));
        const r = cell.applyRecurrentActivation(tf.add(xr, hr));
        const cand = cell.resetAfter
          ? cell.applyActivation(tf.add(xh, tf.mul(r, hh)))
          : cell.applyActivation(
              tf.add(xh, tf.matMul(tf.mul(r, h), tf.slice(cell.recurrentKernel, [0, 2 * U], [U, U]))),
            );
        h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), cand));
      } else {
        h = cell.applyActivation(tf.add(zx, tf.matMul(h, cell.recurrentKernel)));
      }
      outs.push(h);
    }
    void T;
    return cell.returnSequences ? tf.stack(outs, 1) : h;
  });
}

describe('RecurrentSource: the cell a recurrent layer shows is the one it runs', () => {
  const cases: [string, LayerJson, string?][] = [
    ['LSTM', { class_name: 'LSTM', config: { name: 'r', units: 4, return_sequences: true } }],
    ['LSTM hard_sigmoid, backwards', { class_name: 'LSTM', config: { name: 'r', units: 3, go_backwards: true } }],
    [
      'GRU reset_after',
      { class_name: 'GRU', config: { name: 'r', units: 3, reset_after: true, return_sequences: true } },
    ],
    ['GRU reset_before', { class_name: 'GRU', config: { name: 'r', units: 3, reset_after: false } }],
    ['SimpleRNN', { class_name: 'SimpleRNN', config: { name: 'r', units: 3, return_sequences: true } }],
    ['CuDNNLSTM', { class_name: 'CuDNNLSTM', config: { name: 'r', units: 3, return_sequences: true } }],
    ['CuDNNGRU', { class_name: 'CuDNNGRU', config: { name: 'r', units: 3 } }],
  ];
  for (const [label, json] of cases) {
    it(label, async () => {
      const km = await sequential([5, 2], [json]);
      const layer = km.layer('r');
      expect(isRecurrentSource(layer)).toBe(true);
      if (!isRecurrentSource(layer)) return;
      const cell = layer.recurrentCell();
      const [kernel, recurrentKernel] = layer.getWeights();
      expect(Array.from(cell.kernel.dataSync())).toEqual(Array.from(kernel.dataSync()));
      expect(Array.from(cell.recurrentKernel.dataSync())).toEqual(Array.from(recurrentKernel.dataSync()));
      expect(cell.returnSequences).toBe(json.config.return_sequences === true);
      expect(cell.goBackwards).toBe(json.config.go_backwards === true);
      const x = input([2, 5, 2]);
      expectClose(one(layer.apply(x) as tf.Tensor), reference(cell, x));
      km.dispose();
    });
  }

  it('Bidirectional: both copies are recurrent sources, forward and backward', async () => {
    const km = await sequential(
      [5, 2],
      [
        {
          class_name: 'Bidirectional',
          config: {
            name: 'bi',
            merge_mode: 'concat',
            layer: { class_name: 'LSTM', config: { name: 'l', units: 3, return_sequences: true } },
          },
        },
      ],
    );
    const bi = km.layer('bi');
    expect(isBidirectionalWrapper(bi)).toBe(true);
    if (!isBidirectionalWrapper(bi)) return;
    expect(bi.mergeMode).toBe('concat');
    expect(bi.wrappedLayer).toBe(bi.forwardLayer);
    expect(km.layers.find((l) => l.name === 'bi')?.innerClassName).toBe('LSTM');
    const [fwd, bwd] = [bi.forwardLayer, bi.backwardLayer];
    expect(isRecurrentSource(fwd) && isRecurrentSource(bwd)).toBe(true);
    if (!isRecurrentSource(fwd) || !isRecurrentSource(bwd)) return;
    expect(bwd.recurrentCell().goBackwards).toBe(true);
    const x = input([2, 5, 2]);
    const want = tf.concat([reference(fwd.recurrentCell(), x), tf.reverse(reference(bwd.recurrentCell(), x), 1)], -1);
    expectClose(one(bi.apply(x) as tf.Tensor), want);
    km.dispose();
  });
});

describe('Activated: the call without the final activation', () => {
  it('Dense, Conv1D, SeparableConv1D and TimeDistributed(Dense): act(z) is the call', async () => {
    const km = await sequential(
      [6, 3],
      [
        {
          class_name: 'Conv1D',
          config: { name: 'conv', filters: 4, kernel_size: 3, padding: 'causal', activation: 'relu' },
        },
        {
          class_name: 'SeparableConv1D',
          config: { name: 'sep', filters: 3, kernel_size: 2, padding: 'same', activation: 'elu' },
        },
        {
          class_name: 'TimeDistributed',
          config: { name: 'td', layer: { class_name: 'Dense', config: { name: 'tdd', units: 2, activation: 'tanh' } } },
        },
        { class_name: 'Flatten', config: { name: 'flat' } },
        { class_name: 'Dense', config: { name: 'out', units: 2, activation: 'sigmoid' } },
      ],
    );
    const checks: [string, number[], (z: tf.Tensor) => tf.Tensor][] = [
      ['conv', [2, 6, 3], tf.relu],
      ['sep', [2, 6, 4], tf.elu],
      ['td', [2, 6, 3], tf.tanh],
      ['out', [2, 12], tf.sigmoid],
    ];
    for (const [name, shape, act] of checks) {
      const layer = km.layer(name);
      expect(isActivated(layer), name).toBe(true);
      if (!isActivated(layer)) continue;
      const x = input(shape, 3);
      const z = layer.callWithoutActivation(x);
      expect(z, name).not.toBeNull();
      expectClose(act(z as tf.Tensor), one(layer.apply(x) as tf.Tensor));
    }
    // Dense: z = x·W + b exactly.
    const dense = km.layer('out');
    const [w, b] = dense.getWeights();
    const x = input([2, 12], 4);
    if (isActivated(dense)) expectClose(dense.callWithoutActivation(x) as tf.Tensor, tf.add(tf.matMul(x, w), b));
    km.dispose();
  });

  it('activation layers are their activation: the call without it is the identity', async () => {
    const km = await sequential(
      [4],
      [
        { class_name: 'Activation', config: { name: 'act', activation: 'tanh' } },
        { class_name: 'Softmax', config: { name: 'soft' } },
        { class_name: 'ReLU', config: { name: 'relu', negative_slope: 0.1 } },
        { class_name: 'LeakyReLU', config: { name: 'leaky' } },
      ],
    );
    const x = input([2, 4], 5);
    for (const name of ['act', 'soft', 'relu', 'leaky']) {
      const layer = km.layer(name);
      expect(isActivated(layer), name).toBe(true);
      if (isActivated(layer)) expect(layer.callWithoutActivation(x)).toBe(x);
    }
    km.dispose();
  });

  it('a TimeDistributed of a layer without an activation has none to leave out; recurrent layers are not Activated', async () => {
    const km = await sequential(
      [3, 2],
      [
        {
          class_name: 'TimeDistributed',
          config: { name: 'td', layer: { class_name: 'Dropout', config: { name: 'd', rate: 0.1 } } },
        },
        { class_name: 'LSTM', config: { name: 'lstm', units: 2 } },
      ],
    );
    const td = km.layer('td');
    expect(isWrapper(td) && td.wrappedLayer.getClassName()).toBe('Dropout');
    expect(isActivated(td) && td.callWithoutActivation(input([1, 3, 2]))).toBeNull();
    expect(isActivated(km.layer('lstm'))).toBe(false);
    expect(isWrapper(km.layer('lstm'))).toBe(false);
    km.dispose();
  });
});

describe('AttentionSource: recording the weights of real calls', () => {
  it('records the last call after recordAttention, hands it over once, then stops', async () => {
    const km = await sequential([5, 3], [{ class_name: 'SeqSelfAttention', config: { name: 'att', units: 4 } }]);
    const att = km.layer('att');
    expect(isAttentionSource(att)).toBe(true);
    if (!isAttentionSource(att)) return;
    const [x1, x2] = [input([2, 5, 3], 8), input([2, 5, 3], 9)];
    const before = tf.memory().numTensors;
    tf.dispose(att.apply(x1) as tf.Tensor);
    expect(att.takeAttention()).toBeNull(); // not recording
    att.recordAttention();
    tf.tidy(() => {
      att.apply(x1);
      att.apply(x2);
    });
    const got = att.takeAttention();
    expect(got).not.toBeNull();
    const want = att.computeAttention(x2);
    expectClose(got as tf.Tensor, want, 6);
    tf.dispose([got as tf.Tensor, want]);
    tf.dispose(att.apply(x1) as tf.Tensor);
    expect(att.takeAttention()).toBeNull(); // stopped by the take
    expect(tf.memory().numTensors).toBe(before);
    km.dispose();
  });
});
