import { beforeAll, describe, expect, it } from 'vitest';
import { writeKerasH5 } from '../../src/export/h5.ts';
import { loadModel, predict } from '../../src/index.ts';
import type { SelfAttentionVariant, WeightArray } from '../../src/layers/port.ts';
import { h5 } from '../../src/read/h5wasm.ts';
import { expectClose, type Mat, refScaledDot, refScaledDotLegacy } from './reference.ts';

// keras-self-attention's ScaledDotProductAttention changed its normalization with the version
// (scaled_dot_attention.py history): 0.37–0.43 multiply exp(e − max over all keys) by the history
// window and the key mask and divide by Σ + ε; 0.44 and later push hidden keys down by 10⁴ and take a
// softmax. keras-multi-head's MultiHeadAttention runs whichever one is installed. Files are written
// with Keraspect's h5 writer and read with each selfAttentionVariant.

beforeAll(async () => {
  await h5();
});

type Json = { class_name: string; config: Record<string, unknown> };

/** x → layer, as a Keras 2 Sequential file. */
function file(T: number, F: number, layer: Json, weights: WeightArray[] = []): Uint8Array {
  const layers: Json[] = [
    { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, T, F], dtype: 'float32' } },
    layer,
  ];
  return writeKerasH5({
    modelConfig: { class_name: 'Sequential', config: { name: 's', layers } } as never,
    layers: [
      { name: 'x', weights: [] },
      { name: layer.config.name as string, weights },
    ],
  });
}

async function run(bytes: Uint8Array, x: Mat, variant: SelfAttentionVariant): Promise<number[]> {
  const km = await loadModel(bytes, { selfAttentionVariant: variant });
  try {
    const [y] = predict(km, { data: Float32Array.from(x.flat()), shape: [1, x.length, x[0].length] });
    return Array.from(y.data as Float32Array);
  } finally {
    km.dispose();
  }
}

/** The largest |a − b| between two nested arrays: the references must differ for a test to mean anything. */
function gap(a: Mat, b: Mat): number {
  return Math.max(...a.flat().map((v, i) => Math.abs(v - b.flat()[i])));
}

// The last step scores far above the others for every query, so the normalizations part ways.
const X: Mat = [
  [1, 1],
  [0.5, -0.5],
  [1, 0],
  [8, 8],
];
const sdpa = (config: Record<string, unknown>): Json => ({
  class_name: 'ScaledDotProductAttention',
  config: { name: 'sdpa', trainable: true, return_attention: false, history_only: false, ...config },
});

describe('ScaledDotProductAttention by keras-self-attention version', () => {
  it("history_only: 'legacy' renormalizes exp(e − max over all keys), later versions softmax the visible ones", async () => {
    const bytes = file(4, 2, sdpa({ history_only: true }));
    const legacy = refScaledDotLegacy(X, X, X, true);
    const current = refScaledDot(X, X, X, true);
    expect(gap(legacy.v, current.v)).toBeGreaterThan(1e-3);
    expectClose(await run(bytes, X, 'legacy'), legacy.v);
    expectClose(await run(bytes, X, 'current'), current.v);
    expectClose(await run(bytes, X, '0.46'), current.v);
  });

  it("a key mask hiding the strongest key: 'legacy' multiplies by the mask after the shift", async () => {
    // Embedding(mask_zero) keeps the padding step's vector (Masking would zero it): token 0 → X[3].
    const table = [X[3], X[0], X[1], X[2]];
    const bytes = writeKerasH5({
      modelConfig: {
        class_name: 'Sequential',
        config: {
          name: 's',
          layers: [
            { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 4], dtype: 'int32' } },
            { class_name: 'Embedding', config: { name: 'emb', input_dim: 4, output_dim: 2, mask_zero: true } },
            sdpa({}),
          ],
        },
      } as never,
      layers: [
        { name: 'x', weights: [] },
        { name: 'emb', weights: [{ name: 'emb/embeddings:0', shape: [4, 2], data: Float32Array.from(table.flat()) }] },
        { name: 'sdpa', weights: [] },
      ],
    });
    const keep = [1, 1, 1, 0];
    const legacy = refScaledDotLegacy(X, X, X, false, keep);
    const current = refScaledDot(X, X, X, false, keep);
    expect(gap(legacy.v, current.v)).toBeGreaterThan(1e-3);
    for (const [variant, want] of [
      ['legacy', legacy.v],
      ['current', current.v],
    ] as const) {
      const km = await loadModel(bytes, { selfAttentionVariant: variant });
      const [y] = predict(km, { data: Int32Array.from([1, 2, 3, 0]), shape: [1, 4] });
      km.dispose();
      expectClose(Array.from(y.data as Float32Array), want);
    }
  });

  it("0.42–0.43 configs carry 'epsilon': 'legacy' divides by Σ + that epsilon", async () => {
    const bytes = file(4, 2, sdpa({ history_only: true, epsilon: 1e-3 }));
    const legacy = refScaledDotLegacy(X, X, X, true, undefined, 1e-3);
    expect(gap(legacy.v, refScaledDotLegacy(X, X, X, true).v)).toBeGreaterThan(1e-3);
    expectClose(await run(bytes, X, 'legacy'), legacy.v);
  });
});

describe('keras-multi-head MultiHeadAttention runs the installed ScaledDotProductAttention', () => {
  const F = 2;
  const eye = [
    [1, 0],
    [0, 1],
  ];
  const w = (name: string, m: number[][] | number[]): WeightArray => ({
    name: `mha/mha_${name}:0`,
    shape: Array.isArray(m[0]) ? [F, F] : [F],
    data: Float32Array.from((m as number[][]).flat()),
  });
  const mha = (config: Record<string, unknown>): Json => ({
    class_name: 'MultiHeadAttention',
    config: { name: 'mha', trainable: true, head_num: 1, activation: 'linear', history_only: true, ...config },
  });

  it("history_only with identity projections: 'legacy' is the 0.37–0.43 normalization with K.epsilon()", async () => {
    const weights = ['q', 'k', 'v', 'o'].flatMap((p) => [w(`W${p}`, eye), w(`b${p}`, [0, 0])]);
    const bytes = file(4, F, mha({ use_bias: true }), weights);
    expectClose(await run(bytes, X, 'legacy'), refScaledDotLegacy(X, X, X, true).v);
    expectClose(await run(bytes, X, 'current'), refScaledDot(X, X, X, true).v);
  });

  it('a config without use_bias (keras-multi-head before 0.13) has no biases: Wq, Wk, Wv, Wo only', async () => {
    const bytes = file(
      4,
      F,
      mha({}),
      ['q', 'k', 'v', 'o'].map((p) => w(`W${p}`, eye)),
    );
    expectClose(await run(bytes, X, 'current'), refScaledDot(X, X, X, true).v);
  });

  it("keras-multi-head 0.6 wrote the activation as 'kernel_activation'", async () => {
    const bytes = file(
      4,
      F,
      {
        class_name: 'MultiHeadAttention',
        config: { name: 'mha', trainable: true, head_num: 1, kernel_activation: 'linear' },
      },
      ['q', 'k', 'v', 'o'].map((p) => w(`W${p}`, eye)),
    );
    // With the default relu, negative features would be cut off and the outputs differ.
    expectClose(
      await run(bytes, [[-1, 2], ...X.slice(1)], 'current'),
      refScaledDot([[-1, 2], ...X.slice(1)], [[-1, 2], ...X.slice(1)], [[-1, 2], ...X.slice(1)]).v,
    );
  });
});
