import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { portFor } from '../src/layers/registry.ts';
import { ctx, expectClose, rand } from './builtin/helpers.ts';

/**
 * The importer's Dense (linear and relu activations) runs on `denseProduct`: TF.js' own fused
 * kernel for the values, a registered gradient for the backward pass. Compared with TF.js' Dense
 * holding the same weights, on the cpu and wasm backends.
 */
describe.each(['cpu', 'wasm'])('Dense on denseProduct (%s backend)', (backendName) => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  const cases = [
    { activation: 'linear', useBias: true, shape: [5, 7], units: 3 },
    { activation: 'relu', useBias: true, shape: [5, 7], units: 3 },
    { activation: 'linear', useBias: false, shape: [2, 4, 7], units: 1 },
    { activation: 'relu', useBias: false, shape: [2, 3, 7], units: 70 },
  ] as const;

  for (const c of cases) {
    it(`${c.activation}, ${c.useBias ? 'bias' : 'no bias'}, input [${c.shape}] → ${c.units} units: TF.js' values and gradients`, async () => {
      await tf.setBackend(backendName);
      await tf.ready();
      const config = { name: 'd', units: c.units, activation: c.activation, use_bias: c.useBias };
      const ours = portFor('Dense', config).build(config, ctx());
      const theirs = tf.layers.dense({ units: c.units, activation: c.activation, useBias: c.useBias });
      const F = c.shape[c.shape.length - 1];
      const x = tf.tensor(
        rand(
          c.shape.reduce((a, b) => a * b, 1),
          3,
        ),
        [...c.shape],
      );
      ours.apply(x);
      theirs.apply(x);
      const weights = [
        tf.tensor2d(rand(F * c.units, 5), [F, c.units]),
        ...(c.useBias ? [tf.tensor1d(rand(c.units, 6))] : []),
      ];
      ours.setWeights(weights);
      theirs.setWeights(weights);
      const before = tf.memory().numTensors;

      // Forward: the same kernel, so the same values (no tape: TF.js fuses its activation too).
      const [yo, yt] = [ours, theirs].map((l) => l.apply(x) as tf.Tensor);
      expect(yo.shape).toEqual(yt.shape);
      expect(Array.from(yo.dataSync())).toEqual(Array.from(yt.dataSync()));
      tf.dispose([yo, yt]);

      // Input gradients of a weighted sum, and the kernel's and bias' gradients.
      const w = tf.tensor(rand(yt.size, 8), yt.shape);
      const loss = (l: tf.layers.Layer) => (t: tf.Tensor) => tf.sum(tf.mul(l.apply(t) as tf.Tensor, w)) as tf.Scalar;
      const [go, gt] = [ours, theirs].map((l) => tf.grad(loss(l))(x));
      expectClose(go.dataSync(), gt.dataSync(), 1e-5);
      const vars = (l: tf.layers.Layer) => l.weights.map((v) => (v as unknown as { read(): tf.Variable }).read());
      for (const [o, t] of vars(ours).map((v, i) => [v, vars(theirs)[i]])) {
        const ro = tf.variableGrads(() => loss(ours)(x), [o]);
        const rt = tf.variableGrads(() => loss(theirs)(x), [t]);
        expectClose(ro.grads[o.name].dataSync(), rt.grads[t.name].dataSync(), 1e-5);
        tf.dispose([ro.value, rt.value, ro.grads[o.name], rt.grads[t.name]]);
      }
      tf.dispose([go, gt, w]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, ...weights]);
      ours.dispose();
      theirs.dispose();
    });
  }

  it('an input gradient computes no weight gradient (one product in the backward pass)', async () => {
    await tf.setBackend(backendName);
    await tf.ready();
    const config = { name: 'd', units: 1, activation: 'linear' };
    const layer = portFor('Dense', config).build(config, ctx());
    const x = tf.tensor2d(rand(4 * 9, 1), [4, 9]);
    layer.apply(x);
    const p = await tf.profile(() => {
      const g = tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t) as tf.Tensor))(x);
      g.dispose();
    });
    const names = p.kernels.map((k) => k.name);
    expect(names.filter((n) => n === 'KeraspectDenseProduct')).toHaveLength(1);
    expect(names.filter((n) => /MatMul/.test(n))).toHaveLength(1);
    x.dispose();
    layer.dispose();
  });
});
