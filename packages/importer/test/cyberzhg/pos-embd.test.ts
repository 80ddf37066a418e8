import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeKerasH5 } from '../../src/export/h5.ts';
import { ImporterError, loadModel, predict } from '../../src/index.ts';
import { PositionEmbedding } from '../../src/layers/cyberzhg/index.ts';
import type { WeightArray } from '../../src/layers/port.ts';
import { portFor } from '../../src/layers/registry.ts';
import { h5 } from '../../src/read/h5wasm.ts';
import { kerasZip, type Var } from '../keras-zip.ts';
import {
  context,
  expectClose,
  type Mat,
  randMat,
  randVec,
  refPositionExpand,
  refSelfAttention,
  refTrigTable,
  seeded,
} from './reference.ts';

// keras-pos-embd's TrigPosEmbedding and PositionEmbedding (CyberZHG/keras-pos-embd), written into
// .h5 files with Keraspect's own writer in the config keys and weight names Keras 2 / Keras 3 use,
// and compared with loops written from keras_pos_embd/*.py.

beforeAll(async () => {
  await h5();
});

type Json = { class_name: string; config: Record<string, unknown> };

/** A Sequential file `x → layer [→ after]` with the given stored weights. */
function file(
  inputShape: (number | null)[],
  layer: Json,
  weights: WeightArray[] = [],
  o: { dtype?: string; after?: Json; afterWeights?: WeightArray[]; keras?: string } = {},
): Uint8Array {
  const layers: Json[] = [
    { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: inputShape, dtype: o.dtype ?? 'float32' } },
    layer,
  ];
  if (o.after) layers.push(o.after);
  return writeKerasH5({
    modelConfig: { class_name: 'Sequential', config: { name: 's', layers } } as never,
    kerasVersion: o.keras ?? '2.3.1',
    layers: [
      { name: 'x', weights: [] },
      { name: layer.config.name as string, weights },
      ...(o.after ? [{ name: o.after.config.name as string, weights: o.afterWeights ?? [] }] : []),
    ],
  });
}

async function run(bytes: Uint8Array, data: Float32Array | Int32Array, shape: number[]) {
  const km = await loadModel(bytes);
  try {
    const [y] = predict(km, { data, shape });
    return { data: Array.from(y.data as Float32Array), shape: y.shape };
  } finally {
    km.dispose();
  }
}

const trig = (config: Record<string, unknown>): Json => ({
  class_name: 'TrigPosEmbedding',
  config: { name: 'trig_pos_embedding_1', trainable: true, ...config },
});

describe('TrigPosEmbedding (keras-pos-embd)', () => {
  const B = 2;
  const T = 7;
  const rnd = seeded(3);
  const xs: Mat[] = [randMat(T, 6, rnd), randMat(T, 6, rnd)];
  const steps = Array.from({ length: T }, (_, t) => t);

  it("mode 'add' (the default, as keras-transformer uses it): x + table of positions 0…T−1, width F", async () => {
    const y = await run(file([null, T, 6], trig({ mode: 'add', output_dim: null })), Float32Array.from(xs.flat(2)), [
      B,
      T,
      6,
    ]);
    const table = refTrigTable(steps, 6);
    expect(y.shape).toEqual([B, T, 6]);
    expectClose(
      y.data,
      xs.map((x) => x.map((row, t) => row.map((v, f) => v + table[t][f]))),
    );
  });

  it("a config without 'mode' means 'add'", async () => {
    const y = await run(file([null, T, 6], trig({})), Float32Array.from(xs.flat(2)), [B, T, 6]);
    const table = refTrigTable(steps, 6);
    expectClose(
      y.data,
      xs.map((x) => x.map((row, t) => row.map((v, f) => v + table[t][f]))),
    );
  });

  it("mode 'concat': [x, table] with output_dim columns appended", async () => {
    const y = await run(file([null, T, 6], trig({ mode: 'concat', output_dim: 4 })), Float32Array.from(xs.flat(2)), [
      B,
      T,
      6,
    ]);
    const table = refTrigTable(steps, 4);
    expect(y.shape).toEqual([B, T, 10]);
    expectClose(
      y.data,
      xs.map((x) => x.map((row, t) => [...row, ...table[t]])),
    );
  });

  it("mode 'expand': the input values are the positions (fractional ones too)", async () => {
    const pos = [
      [0, 1, 2.5, 40, 3],
      [7, 0, 1, 1, 250],
    ];
    const y = await run(
      file([null, 5], trig({ mode: 'expand', output_dim: 8 })),
      Float32Array.from(pos.flat()),
      [2, 5],
    );
    expect(y.shape).toEqual([2, 5, 8]);
    expectClose(
      y.data,
      pos.map((p) => refTrigTable(p, 8)),
    );
  });

  it('an odd width in add mode is refused, naming the layer (keras-pos-embd cannot run it either)', async () => {
    const e = await loadModel(file([null, T, 5], trig({ mode: 'add' }))).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ImporterError);
    expect((e as ImporterError).code).toBe('UNSUPPORTED_CONFIG');
    expect((e as Error).message).toMatch(/trig_pos_embedding_1.*TrigPosEmbedding.*even/s);
  });

  it("'expand' and 'concat' need an even output_dim, as keras-pos-embd's constructor demands", async () => {
    for (const config of [{ mode: 'expand' }, { mode: 'concat', output_dim: 3 }]) {
      const e = await loadModel(file([null, T, 4], trig(config))).catch((err: unknown) => err);
      expect((e as ImporterError).code).toBe('UNSUPPORTED_CONFIG');
      expect((e as Error).message).toMatch(/trig_pos_embedding_1.*output_dim/s);
    }
  });
});

const posEmb = (config: Record<string, unknown>): Json => ({
  class_name: 'PositionEmbedding',
  config: { name: 'pos_embd', trainable: true, embeddings_initializer: 'uniform', mask_zero: false, ...config },
});

describe('PositionEmbedding (keras-pos-embd)', () => {
  const rnd = seeded(11);
  const n = 3;
  const d = 4;
  // Table values exactly representable in float32, so that a lookup can be compared exactly.
  const table = (rows: number, cols: number) => randMat(rows, cols, rnd).map((r) => r.map(Math.fround));

  it("mode 'expand': clipped to [−n, n], row p + n of the (2n+1, d) table (Keras 2 weight names)", async () => {
    const E = table(2 * n + 1, d);
    const w = [{ name: 'pos_embd/embeddings:0', shape: [2 * n + 1, d], data: Float32Array.from(E.flat()) }];
    const pos = [
      [-5, -3, -1, 0, 2],
      [3, 4, 100, 1, -2],
    ];
    const y = await run(
      file([null, 5], posEmb({ input_dim: n, output_dim: d, mode: 'expand' }), w, { dtype: 'int32' }),
      Int32Array.from(pos.flat()),
      [2, 5],
    );
    expect(y.shape).toEqual([2, 5, d]);
    expectClose(
      y.data,
      pos.map((p) => refPositionExpand(p, E, n)),
      0,
      0,
    );
  });

  it("a config without 'mode' (keras-pos-embd before 0.4) means 'expand'", async () => {
    const E = table(2 * n + 1, d);
    const w = [{ name: 'pos_embd/embeddings:0', shape: [2 * n + 1, d], data: Float32Array.from(E.flat()) }];
    const y = await run(
      file([null, 3], posEmb({ input_dim: n, output_dim: d }), w, { dtype: 'int32' }),
      Int32Array.from([1, 0, -1]),
      [1, 3],
    );
    expectClose(y.data, [refPositionExpand([1, 0, -1], E, n)], 0, 0);
  });

  it("mode 'add': x + E[:T] (Keras 3 weight names)", async () => {
    const T = 5;
    const E = randMat(8, d, rnd);
    const xs = [randMat(T, d, rnd), randMat(T, d, rnd)];
    const w = [{ name: 'pos_embd/embeddings', shape: [8, d], data: Float32Array.from(E.flat()) }];
    const y = await run(
      file([null, T, d], posEmb({ input_dim: 8, output_dim: d, mode: 'add' }), w, { keras: '3.9.2' }),
      Float32Array.from(xs.flat(2)),
      [2, T, d],
    );
    expectClose(
      y.data,
      xs.map((x) => x.map((row, t) => row.map((v, f) => v + E[t][f]))),
    );
  });

  it("mode 'concat': [x, E[:T]]", async () => {
    const T = 5;
    const E = randMat(6, 3, rnd);
    const xs = [randMat(T, 2, rnd)];
    const w = [{ name: 'pos_embd/embeddings:0', shape: [6, 3], data: Float32Array.from(E.flat()) }];
    const y = await run(
      file([null, T, 2], posEmb({ input_dim: 6, output_dim: 3, mode: 'concat' }), w),
      Float32Array.from(xs.flat(2)),
      [1, T, 2],
    );
    expect(y.shape).toEqual([1, T, 5]);
    expectClose(
      y.data,
      xs.map((x) => x.map((row, t) => [...row, ...E[t]])),
    );
  });

  it('expand with mask_zero: steps whose position equals mask_zero are masked downstream', async () => {
    const E = table(2 * n + 1, d);
    const W = [[0.5], [-1], [0.25], [2]];
    const pos = [[1, 0, 2, 0, -1]];
    const after: Json = {
      class_name: 'SeqWeightedAttention',
      config: { name: 'swa', use_bias: false, return_attention: false },
    };
    const bytes = file(
      [null, 5],
      posEmb({ input_dim: n, output_dim: d, mode: 'expand', mask_zero: 2 }),
      [{ name: 'pos_embd/embeddings:0', shape: [2 * n + 1, d], data: Float32Array.from(E.flat()) }],
      {
        dtype: 'int32',
        after,
        afterWeights: [{ name: 'swa/swa_W:0', shape: [d, 1], data: Float32Array.from(W.flat()) }],
      },
    );
    const y = await run(bytes, Int32Array.from(pos.flat()), [1, 5]);
    // SeqWeightedAttention (current variant): a = softmax over the unmasked steps (position ≠ 2).
    const rows = refPositionExpand(pos[0], E, n);
    const keep = pos[0].map((p) => (p !== 2 ? 1 : 0));
    const logits = rows.map((r, t) => r.reduce((a, v, f) => a + v * W[f][0], 0) - 1e4 * (1 - keep[t]));
    const mx = Math.max(...logits);
    const ex = logits.map((l) => Math.exp(l - mx));
    const sum = ex.reduce((a, b) => a + b, 0);
    const a = ex.map((v) => v / (sum + 1e-7));
    expectClose(y.data, [rows[0].map((_, f) => rows.reduce((acc, r, t) => acc + a[t] * r[f], 0))]);
  });

  it('mask_zero=True masks position 1 (Python compares x != True), mask_zero=0 masks nothing', () => {
    const x = tf.tensor2d([[0, 1, 2, 1]], undefined, 'int32');
    const yes = new PositionEmbedding({ inputDim: 3, outputDim: 2, maskZero: true });
    expect(Array.from((yes.computeMask(x) as tf.Tensor).dataSync())).toEqual([1, 0, 1, 0]);
    expect(new PositionEmbedding({ inputDim: 3, outputDim: 2, maskZero: 0 }).computeMask(x)).toBeNull();
    const port = portFor('PositionEmbedding', { name: 'p', input_dim: 3, output_dim: 2 });
    expect(() => port.build({ name: 'p', input_dim: 3, output_dim: 2, mask_zero: 'yes' }, context('current'))).toThrow(
      /Layer 'p' \(PositionEmbedding\) config 'mask_zero' = "yes" is not supported/,
    );
    x.dispose();
  });

  it('add/concat with more steps than input_dim rows is refused before running', async () => {
    const w = [{ name: 'pos_embd/embeddings:0', shape: [4, 2], data: new Float32Array(8) }];
    const e = await loadModel(file([null, 6, 2], posEmb({ input_dim: 4, output_dim: 2, mode: 'add' }), w)).catch(
      (err: unknown) => err,
    );
    expect((e as ImporterError).code).toBe('INPUT_SHAPE');
    expect((e as Error).message).toMatch(/pos_embd.*6 steps.*input_dim 4/s);
  });

  it('add mode needs the feature size to equal output_dim', async () => {
    const w = [{ name: 'pos_embd/embeddings:0', shape: [8, 3], data: new Float32Array(24) }];
    const e = await loadModel(file([null, 6, 2], posEmb({ input_dim: 8, output_dim: 3, mode: 'add' }), w)).catch(
      (err: unknown) => err,
    );
    expect((e as ImporterError).code).toBe('UNSUPPORTED_CONFIG');
    expect((e as Error).message).toMatch(/pos_embd.*output_dim 3.*2 features/s);
  });
});

describe('keras-pos-embd in a Keras 3 .keras zip', () => {
  it('PositionEmbedding → SeqSelfAttention: weights found under layers/<class name>/vars', async () => {
    const rnd = seeded(31);
    const n = 3;
    const d = 4;
    const U = 3;
    const E = randMat(2 * n + 1, d, rnd);
    const att = { Wt: randMat(d, U, rnd), Wx: randMat(d, U, rnd), bh: randVec(U, rnd), Wa: randMat(U, 1, rnd) };
    const mat = (m: number[][] | number[]): Var =>
      Array.isArray(m[0])
        ? { shape: [(m as number[][]).length, (m as number[][])[0].length], data: (m as number[][]).flat() }
        : { shape: [m.length], data: m as number[] };
    const groups = {
      'layers/position_embedding': [mat(E)],
      'layers/seq_self_attention': [att.Wt, att.Wx, att.bh, att.Wa, [0.1]].map(mat),
    };
    const layer = (class_name: string, config: Record<string, unknown>) => ({
      module: class_name === 'InputLayer' ? 'keras.layers' : 'keras_pos_embd.pos_embd',
      class_name,
      config,
      registered_name: class_name === 'InputLayer' ? null : class_name,
    });
    const config = {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          layer('InputLayer', { name: 'x', batch_shape: [null, 5], dtype: 'int32' }),
          layer('PositionEmbedding', { name: 'pe', input_dim: n, output_dim: d, mode: 'expand', mask_zero: false }),
          layer('SeqSelfAttention', { name: 'att', units: U, attention_activation: null }),
        ],
      },
      registered_name: null,
    };
    const bytes = kerasZip({ config, kerasVersion: '3.9.2', groups });
    const pos = [0, 3, -2, 1, 9];
    const y = await run(bytes, Int32Array.from(pos), [1, 5]);
    const r = refSelfAttention(refPositionExpand(pos, E, n), { type: 'additive', ...att, ba: 0.1, variant: 'current' });
    expectClose(y.data, [r.v]);
  });
});
