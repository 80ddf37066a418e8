import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { KerasGRU } from '../../src/layers/builtin/gru.ts';
import '../../src/layers/activations.ts';
import { FastLSTM, FastSimpleRNN, withFastInnerLayers } from '../../src/layers/fast/recurrent.ts';
import { KERNEL } from '../../src/layers/fast/kernels.ts';
import { BACKENDS, bothPaths, bothPathsWarmUp, expectAgree, randomizeWeights, rnd, useBackend } from './helpers.ts';

const B = 3;
const T = 9;
const F = 5;

type Make = () => tf.layers.Layer;

interface Case {
  name: string;
  make: Make;
  /** Also pass an initial state of this many (B, units) tensors. */
  initialStates?: { count: number; units: number };
}

const lstm =
  (o: Record<string, unknown>): Make =>
  () =>
    new FastLSTM({
      units: 6,
      recurrentActivation: 'sigmoid',
      kernelInitializer: 'zeros',
      recurrentInitializer: 'zeros',
      ...o,
    } as never);
const simple =
  (o: Record<string, unknown>): Make =>
  () =>
    new FastSimpleRNN({ units: 7, kernelInitializer: 'zeros', recurrentInitializer: 'zeros', ...o } as never);
const gru =
  (o: Record<string, unknown>): Make =>
  () =>
    new KerasGRU({ units: 5, recurrentActivation: 'sigmoid', ...o } as never);

const cases: Case[] = [
  { name: 'LSTM(6) sigmoid, sequences', make: lstm({ returnSequences: true }) },
  { name: 'LSTM(8) hard_sigmoid (Keras 2), last output', make: lstm({ units: 8, recurrentActivation: 'hardSigmoid' }) },
  {
    name: 'LSTM(5) Keras 3 hard_sigmoid, relu, go_backwards, sequences',
    make: lstm({
      units: 5,
      recurrentActivation: 'keras3HardSigmoid',
      activation: 'relu',
      goBackwards: true,
      returnSequences: true,
    }),
  },
  { name: 'LSTM(6) return_state, no bias', make: lstm({ returnState: true, useBias: false }) },
  {
    name: 'LSTM(6) initial state, return_state, sequences',
    make: lstm({ returnState: true, returnSequences: true }),
    initialStates: { count: 2, units: 6 },
  },
  { name: 'SimpleRNN(7) tanh sequences', make: simple({ returnSequences: true }) },
  {
    name: 'SimpleRNN(4) relu go_backwards return_state',
    make: simple({ units: 4, activation: 'relu', goBackwards: true, returnState: true }),
  },
  {
    name: 'SimpleRNN(3) linear, initial state',
    make: simple({ units: 3, activation: 'linear', returnSequences: true }),
    initialStates: { count: 1, units: 3 },
  },
  { name: 'GRU(5) reset_after, sequences', make: gru({ resetAfter: true, returnSequences: true }) },
  {
    name: 'GRU(5) reset_before, hard_sigmoid, sequences',
    make: gru({ resetAfter: false, recurrentActivation: 'hardSigmoid', returnSequences: true }),
  },
  {
    name: 'GRU(8) reset_after, go_backwards, return_state',
    make: gru({ units: 8, resetAfter: true, goBackwards: true, returnState: true }),
  },
  {
    name: 'GRU(4) reset_before, no bias, initial state',
    make: gru({ units: 4, resetAfter: false, useBias: false, returnSequences: true }),
    initialStates: { count: 1, units: 4 },
  },
  {
    name: 'Bidirectional(LSTM(6)) concat',
    make: () =>
      withFastInnerLayers(
        tf.layers.bidirectional({ layer: lstm({ returnSequences: true })() as never, mergeMode: 'concat' }),
      ),
  },
  {
    name: 'Bidirectional(GRU(5)) sum, last output',
    make: () =>
      withFastInnerLayers(tf.layers.bidirectional({ layer: gru({ resetAfter: true })() as never, mergeMode: 'sum' })),
  },
  {
    name: 'Bidirectional(SimpleRNN(7)) ave',
    make: () =>
      withFastInnerLayers(
        tf.layers.bidirectional({ layer: simple({ returnSequences: true })() as never, mergeMode: 'ave' }),
      ),
  },
];

function setup(c: Case, seed: number) {
  const layer = c.make();
  const x = rnd([B, T, F], seed, 1.5);
  const states = c.initialStates
    ? Array.from({ length: c.initialStates.count }, (_, i) => rnd([B, c.initialStates!.units], seed + 100 + i, 0.8))
    : [];
  const call = (xx: tf.Tensor) => {
    const y = layer.apply(xx, states.length ? { initialState: states } : undefined) as tf.Tensor | tf.Tensor[];
    return Array.isArray(y) ? y : [y];
  };
  tf.dispose(call(x));
  randomizeWeights(layer, seed + 1);
  // TF.js' RNN keeps a tensor from its first call; warm both paths up before counting tensors.
  bothPathsWarmUp(() => call(x));
  // A loss that weighs every output element differently, so that every output's gradient matters.
  const loss = (xx: tf.Tensor) =>
    tf.addN(call(xx).map((y, i) => tf.sum(tf.mul(y, rnd(y.shape, seed + 7 + i))))) as tf.Scalar;
  return { layer, x, states, call, loss };
}

describe.each(BACKENDS)('fused recurrent kernels agree with the TF.js reference on %s', (backendName) => {
  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    await useBackend(backendName);
    const { layer, x, states, call, loss } = setup(c, 1000 + 31 * i);
    const forward = bothPaths(() => call(x));
    expectAgree(forward.fast, forward.reference, 2e-5, 2e-4, 'output');
    const grads = bothPaths(() => {
      const toX = [tf.grad(loss)(x)];
      // gradients w.r.t. the initial states and every weight (what training would need)
      const { value, grads: g } = tf.variableGrads(
        () => loss(x),
        layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val),
      );
      const toStates = states.length
        ? tf.grads(
            (...s: tf.Tensor[]) => tf.addN(call(x).map((y, k) => tf.sum(tf.mul(y, rnd(y.shape, 5 + k))))) as tf.Scalar,
          )(states)
        : [];
      value.dispose();
      return [...toX, ...Object.values(g), ...toStates];
    });
    expectAgree(grads.fast, grads.reference, 2e-5, 5e-4, 'gradient');
    tf.dispose([x, ...states]);
    layer.dispose();
  });
});

describe('fused recurrent path', () => {
  it('is taken (one kernel call) when the config allows and skipped with a mask', async () => {
    await useBackend('wasm');
    const layer = new FastLSTM({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid' } as never);
    const x = rnd([2, 5, 3], 1);
    const kernels: string[] = [];
    const profile = await tf.profile(() => layer.apply(x) as tf.Tensor);
    kernels.push(...profile.kernelNames);
    // no tape records: the kernel that keeps nothing for a backward pass
    expect(kernels).toContain(KERNEL.lstmInference);
    expect(kernels).not.toContain(KERNEL.lstm);
    const taped = await tf.profile(() => tf.grad((v: tf.Tensor) => tf.sum(layer.apply(v) as tf.Tensor))(x));
    expect(taped.kernelNames).toContain(KERNEL.lstm);
    expect(taped.kernelNames).toContain(KERNEL.lstmGrad);
    expect(taped.kernelNames).not.toContain(KERNEL.lstmInference);
    const mask = tf
      .tensor2d([
        [1, 1, 1, 0, 0],
        [1, 1, 1, 1, 1],
      ])
      .cast('bool');
    const masked = await tf.profile(() => layer.apply(x, { mask }) as tf.Tensor);
    expect(masked.kernelNames).not.toContain(KERNEL.lstm);
    expect(masked.kernelNames).not.toContain(KERNEL.lstmInference);
    tf.dispose([x, mask]);
  });

  it('gives the tape no saved-state outputs to make zero gradients for (LSTM, GRU; cpu and wasm)', async () => {
    // TF.js' tape fills a JavaScript array of zeros for every output of a recorded kernel that no
    // gradient reaches; the saving kernels' gates and cells are therefore inputs, not outputs.
    const Bb = 4;
    const Tt = 30;
    const units = 6;
    const stateSize = Tt * Bb * 4 * 8; // (T, B, 4·up) with up = pad4(6)
    const Real = Float32Array;
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      for (const layer of [lstm({ units, returnSequences: true })(), gru({ units, returnSequences: true })()]) {
        const x = rnd([Bb, Tt, 3], 11);
        const sizes: number[] = [];
        (globalThis as { Float32Array: unknown }).Float32Array = new Proxy(Real, {
          construct(target, args) {
            if (typeof args[0] === 'number') sizes.push(args[0]);
            return Reflect.construct(target, args);
          },
        });
        let profile: Awaited<ReturnType<typeof tf.profile>>;
        try {
          profile = await tf.profile(() => tf.grad((v: tf.Tensor) => tf.sum(layer.apply(v) as tf.Tensor))(x));
        } finally {
          (globalThis as { Float32Array: unknown }).Float32Array = Real;
        }
        const saving = layer.getClassName() === 'LSTM' ? KERNEL.lstm : KERNEL.gru;
        expect(profile.kernelNames, `${backend} ${layer.getClassName()}`).toContain(saving);
        expect(profile.kernelNames).toContain(KERNEL.scratch);
        // the cpu backend's scratch tensors are zeroed arrays of that size; the tape's would come on top
        expect(sizes.filter((n) => n === stateSize).length, `${backend} ${layer.getClassName()}`).toBe(
          backend === 'cpu' ? 1 : 0,
        );
        x.dispose();
        layer.dispose();
      }
    }
  });

  it('gives the same outputs with and without a gradient tape (every case)', async () => {
    await useBackend('wasm');
    for (const [i, c] of cases.entries()) {
      const { layer, x, states, call } = setup(c, 500 + i);
      const plain = call(x);
      let taped: tf.Tensor[] = [];
      tf.grad((v: tf.Tensor) => {
        const y = call(v);
        taped = y.map((t) => tf.keep(t.clone()));
        return tf.addN(y.map((t) => tf.sum(t))) as tf.Scalar;
      })(x).dispose();
      expect(taped.length, c.name).toBe(plain.length);
      plain.forEach((t, k) =>
        expect(Array.from(t.dataSync()), `${c.name}, output ${k}`).toEqual(Array.from(taped[k].dataSync())),
      );
      tf.dispose([...plain, ...taped, x, ...states]);
      layer.dispose();
    }
  });

  it('serializes as the TF.js class it extends', () => {
    const layer = new FastLSTM({ units: 4 } as never);
    expect(layer.getClassName()).toBe('LSTM');
    const back = tf.layers.lstm(layer.getConfig() as never);
    expect(back.getConfig()).toEqual(layer.getConfig());
  });

  it('handles a long sequence and a larger batch like the reference', async () => {
    await useBackend('wasm');
    const c: Case = { name: 'long', make: lstm({ units: 12, returnSequences: true }) };
    const { x: _x, layer, loss } = setup(c, 77);
    const x = rnd([7, 120, F], 78);
    const r = bothPaths(() => [layer.apply(x) as tf.Tensor, tf.grad(loss)(x)]);
    expectAgree(r.fast, r.reference, 3e-5, 5e-4);
    tf.dispose([x, _x]);
  });
});

afterAll(async () => {
  await useBackend('cpu');
});
