import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { explain, inputGradients, layerGradients, type Target, weightGradients } from '../src/index.ts';
import { expectAllClose, functional, nd, node, noLeak, randn, randomizeWeights, sequential, toy } from './helpers.ts';
import { predict, type KerasModel, type NdArray } from '@keraspect/importer';

/** Central differences of Σ_b score(b) (score picked by `pick` from the flat first output). */
function finiteDiff(
  km: KerasModel,
  x: NdArray,
  pick: (out: Float32Array, b: number, k: number) => number,
  h = 1e-2,
): Float32Array {
  const f = (d: Float32Array) => {
    const out = predict(km, { data: d, shape: x.shape })[0];
    const k = out.data.length / x.shape[0];
    let s = 0;
    for (let b = 0; b < x.shape[0]; b++) s += pick(out.data as Float32Array, b, k);
    return s;
  };
  const g = new Float32Array(x.data.length);
  for (let i = 0; i < g.length; i++) {
    const p = Float32Array.from(x.data);
    const m = Float32Array.from(x.data);
    p[i] += h;
    m[i] -= h;
    g[i] = (f(p) - f(m)) / (2 * h);
  }
  return g;
}

const rnn = async () => {
  const km = await toy(
    sequential(
      [4, 2],
      [
        { class_name: 'LSTM', config: { name: 'lstm', units: 3, return_sequences: true } },
        {
          class_name: 'TimeDistributed',
          config: {
            name: 'td',
            layer: { class_name: 'Dense', config: { name: 'd', units: 2, activation: 'sigmoid' } },
          },
        },
      ],
    ),
  );
  randomizeWeights(km, 3, 0.8);
  return km;
};

describe('inputGradients and targets', () => {
  it('match finite differences for a unit target', async () => {
    const km = await rnn();
    const x = randn([2, 4, 2], 1);
    const g = await noLeak(() => inputGradients(km, x, { target: 5 }));
    expectAllClose(
      g.gradients[0].data,
      finiteDiff(km, x, (o, b, k) => o[b * k + 5]),
      2e-3,
    );
    km.dispose();
  });

  it("default 'max' picks each sample's argmax unit; per-sample indices pick given units", async () => {
    const km = await rnn();
    const x = randn([2, 4, 2], 2);
    const out = predict(km, x)[0].data;
    const k = out.length / 2;
    const argmax = [0, 1].map((b) =>
      Array.from(out.slice(b * k, b * k + k)).reduce((best, v, j, a) => (v > a[best] ? j : best), 0),
    );
    expect(Array.from(inputGradients(km, x).units ?? [])).toEqual(argmax);
    const g = inputGradients(km, x, { target: [1, 6] });
    expectAllClose(
      g.gradients[0].data,
      finiteDiff(km, x, (o, b, kk) => o[b * kk + [1, 6][b]]),
      2e-3,
    );
    km.dispose();
  });

  it('a function target, e.g. the sum over a horizon', async () => {
    const km = await rnn();
    const x = randn([2, 4, 2], 3);
    const g = inputGradients(km, x, { target: (y) => tf.sum(tf.slice(y, [0, 2, 0], [-1, 2, 1]), [1, 2]) });
    expect(g.units).toBeNull();
    expectAllClose(
      g.gradients[0].data,
      finiteDiff(km, x, (o, b, k) => o[b * k + 4] + o[b * k + 6]),
      2e-3,
    );
    km.dispose();
  });

  it('preActivation explains the logit: a sigmoid Dense model has gradient w', async () => {
    const W = [0.5, -1, 2];
    const km = await toy(
      sequential([3], [{ class_name: 'Dense', config: { name: 'd', units: 1, activation: 'sigmoid' } }]),
      { d: [W, [0.3]] },
      { d: [[3, 1], [1]] },
    );
    const x = nd([1, 2, 3], [1, 3]);
    const g = inputGradients(km, x, { preActivation: true, target: 0 });
    expectAllClose(g.gradients[0].data, W, 1e-6);
    expect(g.scores[0]).toBeCloseTo(0.5 - 2 + 6 + 0.3, 5);
    const s = inputGradients(km, x, { target: 0 });
    const p = 1 / (1 + Math.exp(-(0.5 - 2 + 6 + 0.3)));
    expectAllClose(
      s.gradients[0].data,
      W.map((w) => w * p * (1 - p)),
      1e-6,
    );
    km.dispose();
  });

  it('selects the output of multi-output models by index or name', async () => {
    const km = await toy(
      functional(
        [
          node('InputLayer', 'x', { batch_input_shape: [null, 2] }, []),
          node('Dense', 'y1', { units: 1, use_bias: false }, ['x']),
          node('Dense', 'y2', { units: 1, use_bias: false }, ['x']),
        ],
        ['x'],
        ['y1', 'y2'],
      ),
      { y1: [[1, 2]], y2: [[3, 4]] },
      { y1: [[2, 1]], y2: [[2, 1]] },
    );
    const x = nd([1, 1], [1, 2]);
    expectAllClose(inputGradients(km, x, { output: 1 }).gradients[0].data, [3, 4], 1e-6);
    expectAllClose(inputGradients(km, x, { output: 'y1' }).gradients[0].data, [1, 2], 1e-6);
    km.dispose();
  });
});

describe('one forward pass per chunk', () => {
  /**
   * Forward kernels of this one-Dense relu model run by `fn`, one per model evaluation: the fused
   * product, or (TF.js while recording a gradient) the Relu after it.
   */
  const forwardProducts = async (fn: () => unknown) => {
    const p = await tf.profile(async () => {
      await fn();
    });
    return p.kernels.filter((k) => ['KeraspectDenseProduct', '_FusedMatMul', 'Relu'].includes(k.name)).length;
  };

  it("gradients at x read the target's units and the scores at x off their own pass (no forward pass of their own)", async () => {
    const km = await toy(
      sequential([3], [{ class_name: 'Dense', config: { name: 'd', units: 4, activation: 'relu' } }]),
    );
    randomizeWeights(km, 5, 1);
    const x = randn([5, 3], 11);
    const out = predict(km, x)[0].data;
    const argmax = [0, 1, 2, 3, 4].map((b) =>
      Array.from(out.slice(b * 4, b * 4 + 4)).reduce((best, v, j, a) => (v > a[best] ? j : best), 0),
    );
    const targets: Target[] = ['max', 2, [3, 2, 1, 0, 3], (y: tf.Tensor) => tf.sum(y, 1)];
    for (const target of targets) {
      let g: ReturnType<typeof inputGradients> | undefined;
      // 5 samples in chunks of 2: 3 passes, each a forward and a backward pass.
      expect(await forwardProducts(() => (g = inputGradients(km, x, { target, internalBatchSize: 2 })))).toBe(3);
      const units =
        target === 'max'
          ? argmax
          : typeof target === 'number'
            ? [2, 2, 2, 2, 2]
            : Array.isArray(target)
              ? target
              : null;
      expect(g?.units ? Array.from(g.units) : null).toEqual(units);
      const expected = [0, 1, 2, 3, 4].map((b) =>
        units ? out[b * 4 + units[b]] : out[b * 4] + out[b * 4 + 1] + out[b * 4 + 2] + out[b * 4 + 3],
      );
      expectAllClose(g?.scores ?? [], expected, 1e-6, `target ${String(target)}`);
    }
    km.dispose();
  });

  it('methods that score elsewhere than x still evaluate x once for what the target needs', async () => {
    const km = await toy(sequential([3], [{ class_name: 'Dense', config: { name: 'd', units: 4 } }]));
    randomizeWeights(km, 6, 1);
    const x = randn([2, 3], 12);
    const out = predict(km, x)[0].data;
    const a = await noLeak(() => explain('integratedGradients', km, x, { steps: 4, internalBatchSize: 8 }));
    expect(Array.from(a.units ?? [])).toEqual(
      [0, 1].map((b) =>
        Array.from(out.slice(b * 4, b * 4 + 4)).reduce((best, v, j, arr) => (v > arr[best] ? j : best), 0),
      ),
    );
    expectAllClose(
      a.scores,
      [0, 1].map((b) => out[b * 4 + (a.units as Int32Array)[b]]),
      1e-6,
    );
    // A linear model: IG is exact, so the delta is 0 whatever the rule.
    expectAllClose(a.delta ?? [], [0, 0], 1e-5);
    km.dispose();
  });
});

describe('layerGradients', () => {
  it("w.r.t. a layer's output: splitting before a linear head gives its weights", async () => {
    const km = await toy(
      sequential(
        [3],
        [
          { class_name: 'Dense', config: { name: 'h', units: 2, activation: 'tanh' } },
          { class_name: 'Dense', config: { name: 'out', units: 1, use_bias: false } },
        ],
      ),
      { out: [[2, -3]] },
      { out: [[2, 1]] },
    );
    const g = await noLeak(() => layerGradients(km, randn([2, 3]), 'h', { target: 0 }));
    expect(g.names).toEqual(['h']);
    expectAllClose(g.gradients[0].data, [2, -3, 2, -3], 1e-6);
    km.dispose();
  });
});

describe('weightGradients', () => {
  it('of a linear model are Σ_batch x', async () => {
    const km = await toy(sequential([3], [{ class_name: 'Dense', config: { name: 'd', units: 1 } }]));
    const x = nd([1, 2, 3, 4, 5, 6], [2, 3]);
    const w = await noLeak(() => weightGradients(km, x, 'd', { target: 0, internalBatchSize: 1 }));
    expect(w.map((g) => g.weight)).toEqual([expect.stringMatching(/kernel/), expect.stringMatching(/bias/)]);
    expectAllClose(w[0].array.data, [5, 7, 9], 1e-6);
    expectAllClose(w[1].array.data, [2], 1e-6);
    km.dispose();
  });

  it('of Conv1D and Embedding weights work on every backend (wasm borrows the missing kernels)', async () => {
    const km = await toy(
      sequential(
        [6],
        [
          { class_name: 'Embedding', config: { name: 'emb', input_dim: 5, output_dim: 2 } },
          { class_name: 'Conv1D', config: { name: 'conv', filters: 2, kernel_size: 3 } },
          { class_name: 'Flatten', config: { name: 'f' } },
          { class_name: 'Dense', config: { name: 'out', units: 1 } },
        ],
      ),
    );
    randomizeWeights(km, 9);
    const x = nd([0, 1, 2, 3, 4, 1, 2, 2, 0, 0, 4, 3], [2, 6]);
    const w = await noLeak(() => weightGradients(km, x, ['emb', 'conv'], { target: 0 }));
    expect(w.map((g) => `${g.layer}:${g.array.shape}`)).toEqual(['emb:5,2', 'conv:3,2,2', 'conv:2']);
    // check the conv kernel gradient against finite differences of Σ_b f
    const conv = km.layer('conv');
    const [kernel, bias] = conv.getWeights();
    const kd = (kernel.dataSync() as Float32Array).slice();
    const f = (k: Float32Array) => {
      conv.setWeights([tf.tensor(k, kernel.shape), bias]);
      const o = predict(km, x)[0].data;
      return o[0] + o[1];
    };
    const h = 1e-2;
    for (const i of [0, 5, 11]) {
      const p = kd.slice();
      const m = kd.slice();
      p[i] += h;
      m[i] -= h;
      expect(w[1].array.data[i]).toBeCloseTo((f(p) - f(m)) / (2 * h), 2);
    }
    conv.setWeights([kernel, bias]);
    km.dispose();
  });
});
