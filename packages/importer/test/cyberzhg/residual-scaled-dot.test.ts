import { describe, expect, it } from 'vitest';
import { ImporterError, modelFromConfig, predict } from '../../src/index.ts';
import { expectClose, type Mat, matmul, randMat, seeded, softmaxRow } from './reference.ts';

// keras-self-attention's ResidualScaledDotProductAttention (real_former.py, 0.49+): e = QKᵀ/√d + prev,
// masks as ScaledDotProductAttention's current form, outputs [softmax(e)·V, e(, A)]; checked through
// a Keras 2 functional config against loops written from that source.

function ref(q: Mat, k: Mat, v: Mat, prev: Mat, historyOnly: boolean, keyMask?: number[]) {
  const d = q[0].length;
  const e = q.map((qt, t) => k.map((ks, s) => qt.reduce((a, x, i) => a + x * ks[i], 0) / Math.sqrt(d) + prev[t][s]));
  const A = e.map((row, t) =>
    softmaxRow(row.map((x, s) => x - (historyOnly && s > t ? 1e4 : 0) - (keyMask ? 1e4 * (1 - keyMask[s]) : 0))),
  );
  return { v: matmul(A, v), e, A };
}

const input = (name: string, shape: number[]) => ({
  class_name: 'InputLayer',
  name,
  config: { name, batch_input_shape: [null, ...shape], dtype: 'float32' },
  inbound_nodes: [],
});

function config(inputs: string[], att: Record<string, unknown>, outputs: number) {
  return {
    class_name: 'Model',
    config: {
      name: 'm',
      layers: [
        ...inputs.map((n) => input(n, n === 'prev' ? [3, 3] : [3, 2])),
        {
          class_name: 'ResidualScaledDotProductAttention',
          name: 'att',
          config: { name: 'att', ...att },
          inbound_nodes: [inputs.map((n) => [n, 0, 0, {}])],
        },
      ],
      input_layers: inputs.map((n) => [n, 0, 0]),
      output_layers: Array.from({ length: outputs }, (_, i) => ['att', 0, i]),
    },
  };
}

const rnd = seeded(5);
const x = randMat(3, 2, rnd);
const prev = randMat(3, 3, rnd, 2);
const flat = (m: Mat) => Float32Array.from(m.flat());

describe('ResidualScaledDotProductAttention', () => {
  it('[x, prev]: outputs softmax(xxᵀ/√d + prev)·x and the scores e, history_only hiding later keys', async () => {
    for (const historyOnly of [false, true]) {
      const km = await modelFromConfig(
        config(['x', 'prev'], { return_attention: false, history_only: historyOnly }, 2),
      );
      const [y, e] = predict(km, [
        { data: flat(x), shape: [1, 3, 2] },
        { data: flat(prev), shape: [1, 3, 3] },
      ]);
      const r = ref(x, x, x, prev, historyOnly);
      expectClose(Array.from(y.data), r.v.flat());
      // The scores passed on are those before history_only's penalty.
      expectClose(Array.from(e.data), r.e.flat());
      km.dispose();
    }
  });

  it('[q, k, v, prev] with return_attention: three outputs, the attention last', async () => {
    const q = randMat(3, 2, rnd);
    const k = randMat(3, 2, rnd);
    const v = randMat(3, 2, rnd);
    const km = await modelFromConfig(config(['q', 'k', 'v', 'prev'], { return_attention: true }, 3));
    const [y, e, A] = predict(
      km,
      [q, k, v, prev].map((m) => ({ data: flat(m), shape: [1, m.length, m[0].length] })),
    );
    const r = ref(q, k, v, prev, false);
    expectClose(Array.from(y.data), r.v.flat());
    expectClose(Array.from(e.data), r.e.flat());
    expectClose(Array.from(A.data), r.A.flat());
    km.dispose();
  });

  it('refuses three inputs, naming the layer and the forms it takes', async () => {
    const km = await modelFromConfig(config(['q', 'k', 'v'], {}, 2)).catch((err: unknown) => err);
    expect(km).toBeInstanceOf(ImporterError);
    expect((km as Error).message).toMatch(/'att'.*\[query, key, value, previous\] or \[x, previous\].*3 input/);
  });
});
