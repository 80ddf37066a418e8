import { beforeAll, describe, expect, it } from 'vitest';
import { writeKerasH5 } from '../../src/export/h5.ts';
import { loadModel, predict } from '../../src/index.ts';
import { h5 } from '../../src/read/h5wasm.ts';
import { expectClose, type Mat, randMat, randVec, seeded } from './reference.ts';

// keras-layer-normalization 0.2.0 (its first release with weights) had no center/scale/epsilon
// keys and computed γ·(x − mean)/(std + K.epsilon()) + β with weights `<name>_gamma`, `<name>_beta`;
// from 0.5.0 on it is (x − mean)/√(var + ε) with ε = 1e-14 unless the config (0.6+) says otherwise.

beforeAll(async () => {
  await h5();
});

const T = 3;
const F = 4;

function file(config: Record<string, unknown>, gamma: number[], beta: number[]): Uint8Array {
  return writeKerasH5({
    modelConfig: {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, T, F], dtype: 'float32' } },
          { class_name: 'LayerNormalization', config: { name: 'ln', trainable: true, ...config } },
        ],
      },
    } as never,
    layers: [
      { name: 'x', weights: [] },
      {
        name: 'ln',
        weights: [
          { name: 'ln/ln_gamma:0', shape: [F], data: Float32Array.from(gamma) },
          { name: 'ln/ln_beta:0', shape: [F], data: Float32Array.from(beta) },
        ],
      },
    ],
  });
}

/** Per step: (x − mean) / (std + epsAdd) or / √(var + epsSqrt), then ·γ + β. */
function ref(x: Mat, gamma: number[], beta: number[], form: 'std' | 'sqrt', eps: number): Mat {
  return x.map((row) => {
    const mean = row.reduce((a, b) => a + b, 0) / row.length;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
    const denom = form === 'std' ? Math.sqrt(variance) + eps : Math.sqrt(variance + eps);
    return row.map((v, f) => ((v - mean) / denom) * gamma[f] + beta[f]);
  });
}

describe('keras-layer-normalization by release', () => {
  const rnd = seeded(8);
  const gamma = randVec(F, rnd).map((g) => 1 + g / 2);
  const beta = randVec(F, rnd, 0.3);
  // Features with a spread of ~1e-4, where the epsilon forms part ways.
  const x: Mat = randMat(T, F, rnd, 1e-4);

  async function run(bytes: Uint8Array): Promise<number[]> {
    const km = await loadModel(bytes);
    try {
      return Array.from(predict(km, { data: Float32Array.from(x.flat()), shape: [1, T, F] })[0].data as Float32Array);
    } finally {
      km.dispose();
    }
  }

  it('0.2.0 (no center/scale/epsilon keys): divides by std + 1e-7', async () => {
    const want = ref(x, gamma, beta, 'std', 1e-7);
    const modern = ref(x, gamma, beta, 'sqrt', 1e-14);
    expect(Math.max(...want.flat().map((v, i) => Math.abs(v - modern.flat()[i])))).toBeGreaterThan(1e-3);
    expectClose(await run(file({}, gamma, beta)), want);
  });

  it('a config with center/scale but no epsilon keeps √(var + 1e-14) (0.5.0)', async () => {
    expectClose(await run(file({ center: true, scale: true }, gamma, beta)), ref(x, gamma, beta, 'sqrt', 1e-14));
  });
});
