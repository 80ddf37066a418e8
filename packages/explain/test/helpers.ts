import * as tf from '@tensorflow/tfjs';
import { type KerasModel, modelFromConfig, type NdArray } from '@keraspect/importer';
import { expect } from 'vitest';
import { type FixtureEntry, fixturesDir, loadManifest } from '../../../test/support/fixtures.ts';
import { fixtureNpy, loadFixture as loadSharedFixture } from '../../../test/support/load-fixture.ts';

type LayerJson = { class_name: string; config: Record<string, unknown> };

/** A Sequential Keras config: Input(shape) → layers. */
export function sequential(shape: number[], layers: LayerJson[]) {
  return {
    class_name: 'Sequential',
    config: {
      name: 'toy',
      layers: [{ class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, ...shape] } }, ...layers],
    },
  };
}

/** A functional-model layer entry. */
export function node(class_name: string, name: string, config: Record<string, unknown>, inbound: string[]) {
  return {
    class_name,
    name,
    config: { name, ...config },
    inbound_nodes: inbound.length ? [inbound.map((n) => [n, 0, 0, {}])] : [],
  };
}

/** A functional Keras config. */
export function functional(layers: ReturnType<typeof node>[], inputs: string[], outputs: string[]) {
  return {
    class_name: 'Model',
    config: {
      name: 'toyf',
      layers,
      input_layers: inputs.map((n) => [n, 0, 0]),
      output_layers: outputs.map((n) => [n, 0, 0]),
    },
  };
}

/** Build a toy model and set weights by layer name. */
export async function toy(
  config: unknown,
  weights: Record<string, number[][]> = {},
  shapes?: Record<string, number[][]>,
): Promise<KerasModel> {
  const km = await modelFromConfig(config as never);
  for (const [name, ws] of Object.entries(weights)) {
    const layer = km.layer(name);
    const shp = shapes?.[name] ?? layer.weights.map((w) => w.shape as number[]);
    layer.setWeights(ws.map((w, i) => tf.tensor(w, shp[i])));
  }
  return km;
}

/** Random weights for every layer (seeded), for toy models without closed forms. */
export function randomizeWeights(km: KerasModel, seed = 1, scale = 0.5): void {
  let s = seed;
  const r = () => {
    s = (s * 16807) % 2147483647;
    return (s / 2147483647) * 2 - 1;
  };
  for (const b of km.layers) {
    const ws = b.layer.getWeights();
    if (!ws.length) continue;
    b.layer.setWeights(
      ws.map((w) =>
        tf.tensor(
          Array.from({ length: w.size }, () => r() * scale),
          w.shape,
        ),
      ),
    );
  }
}

/** A plain array from numbers. */
export function nd(data: number[], shape: number[]): NdArray {
  return { data: Float32Array.from(data), shape };
}

/** Seeded standard-normal-ish data. */
export function randn(shape: number[], seed = 7): NdArray {
  let s = seed;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 48271) % 2147483647;
    const u = s / 2147483647;
    s = (s * 48271) % 2147483647;
    const v = s / 2147483647;
    data[i] = Math.sqrt(-2 * Math.log(u + 1e-12)) * Math.cos(2 * Math.PI * v);
  }
  return { data, shape };
}

/** Elementwise closeness with a report of the worst index. */
export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  expect(worst, `${what} max |Δ| at ${at}: got ${actual[at]} want ${expected[at]}`).toBeLessThanOrEqual(atol);
}

/** Run `fn` and assert it left no tensors behind. */
export async function noLeak<T>(fn: () => Promise<T> | T): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
  return out;
}

// ---- real Keras fixtures (same loading rules as packages/importer/test/fixtures.test.ts) ----

export const fixtureDir = fixturesDir();
export const manifest: FixtureEntry[] = fixtureDir ? loadManifest(fixtureDir) : [];
export type { FixtureEntry };

/** Read a fixture `.npy` as float32. */
export const npy = fixtureNpy;

/**
 * Load a fixture model (the shared loader of test/support), or return the load error so that a
 * table of fixtures can report what does not load instead of stopping.
 */
export async function loadFixture(f: FixtureEntry): Promise<KerasModel | Error> {
  try {
    return await loadSharedFixture(fixtureDir as string, f);
  } catch (e) {
    return e as Error;
  }
}
