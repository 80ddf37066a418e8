import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type KerasModel,
  type KerasModelJson,
  ImporterError,
  loadModel,
  modelFromConfig,
  type NdArray,
  predict,
} from '@keraspect/importer';
import { attentionMaps, attentionRollout, explain, layerGradients, layerOutputs, methods } from '@keraspect/explain';
import { render } from '@keraspect/viz';
import { fixturesDir } from './support/fixtures.ts';

// 100 repetitions of each cycle must leave tf.memory().numTensors where it was and RSS bounded.
// Load, predict, explain and render cycles are in the table below: each gets the shared context and
// runs REPEATS times after WARMUP untimed runs.

const REPEATS = 100;
const WARMUP = 5;
/** Allowed RSS growth over REPEATS runs of one cycle (after warm-up), in MiB. */
const RSS_BUDGET_MIB = 64;

const dir = fixturesDir();

interface LeakContext {
  /** vk_new_transformer_mha_k3.9.2.h5: small, with a MultiHeadAttention layer. */
  mhaBytes: Uint8Array;
  /** The same model, loaded once. */
  mha: KerasModel;
  /** A batch of 4 random inputs for it. */
  x: NdArray;
}

type Cycle = (ctx: LeakContext) => Promise<void> | void;

/** Expect an ImporterError from `fn` (failed loads must not leak either). */
async function typedFailure(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof ImporterError) return;
    throw e;
  }
  throw new Error('expected an ImporterError');
}

function denseChain(units: number[]): KerasModelJson {
  return {
    class_name: 'Sequential',
    config: {
      name: 'chain',
      layers: [
        { class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 8] } },
        ...units.map((u, i) => ({ class_name: 'Dense', config: { name: `d${i}`, units: u } })),
      ],
    },
  } as KerasModelJson;
}

const cycles: Record<string, Cycle> = {
  'load → predict → dispose': async (c) => {
    const km = await loadModel(c.mhaBytes);
    predict(km, c.x);
    km.dispose();
  },
  'predict (model loaded once)': (c) => {
    predict(c.mha, c.x);
  },
  attentionMaps: (c) => {
    const maps = attentionMaps(c.mha, c.x);
    expect(maps[0].array.shape).toEqual([4, 2, 3, 3]);
  },
  layerOutputs: (c) => {
    layerOutputs(c.mha, c.x);
  },
  'predict rejected (NaN input)': async (c) => {
    const bad = { data: c.x.data.slice(), shape: c.x.shape };
    bad.data[3] = Number.NaN;
    await typedFailure(async () => predict(c.mha, bad));
  },
  'load fails on weights (WEIGHT_MISMATCH after build)': async (c) => {
    await typedFailure(() => loadModel(c.mhaBytes, { architecture: JSON.stringify(denseChain([3])) }));
  },
  'build fails at a limit after earlier layers allocated weights': async () => {
    await typedFailure(() => modelFromConfig(denseChain([16, 16, 1_000_000]), { limits: { maxParams: 100_000 } }));
  },
  'corrupt file (truncated)': async (c) => {
    await typedFailure(() => loadModel(c.mhaBytes.subarray(0, 20_000)));
  },
  'explain: integratedGradients (16 steps)': async (c) => {
    const r = await explain('integratedGradients', c.mha, c.x, { steps: 16, target: 0 });
    expect(r.attributions[0].shape).toEqual([4, 3, 2]);
  },
  'explain: smoothGrad over gradientXInput, occlusion, lrp refusal': async (c) => {
    await explain('smoothGrad', c.mha, c.x, { wrap: methods.gradientXInput, samples: 3, seed: 1 });
    await explain('occlusion', c.mha, c.x, { window: 1 });
  },
  'explain: attention rollout and layer gradients': (c) => {
    attentionRollout(c.mha, c.x);
    layerGradients(c.mha, c.x, 'multi_head_attention_1', { target: 0 });
  },
  'render: attention heatmap and feature grid to PNG and SVG': (c) => {
    const [m] = attentionMaps(c.mha, c.x);
    render('attention', m.array, { sample: 0 }).png();
    render('features1D', c.x).svg();
  },
  'load → explain → render → dispose': async (c) => {
    const km = await loadModel(c.mhaBytes);
    const a = await explain('gradientXInput', km, c.x, { target: 0 });
    render('attribution', {
      series: { data: c.x.data.subarray(0, 6), shape: [3, 2] },
      attributions: { data: a.attributions[0].data.subarray(0, 6), shape: [3, 2] },
    }).png();
    km.dispose();
  },
};

describe.skipIf(!dir)('no leaks over 100 repeated cycles', () => {
  const ctx = {} as LeakContext;
  beforeAll(async () => {
    ctx.mhaBytes = new Uint8Array(readFileSync(join(dir!, 'models', 'vk_new_transformer_mha_k3.9.2.h5')));
    ctx.mha = await loadModel(ctx.mhaBytes);
    ctx.x = { data: Float32Array.from({ length: 4 * 3 * 2 }, (_, i) => Math.sin(i)), shape: [4, 3, 2] };
  });
  afterAll(() => ctx.mha?.dispose());

  for (const [name, cycle] of Object.entries(cycles)) {
    it(name, async () => {
      for (let i = 0; i < WARMUP; i++) await cycle(ctx);
      const tensors = tf.memory().numTensors;
      const rss = process.memoryUsage().rss;
      for (let i = 0; i < REPEATS; i++) await cycle(ctx);
      expect(tf.memory().numTensors).toBe(tensors);
      const grownMiB = (process.memoryUsage().rss - rss) / 2 ** 20;
      if (process.env.KERASPECT_LEAK_REPORT)
        console.log(`${name}: RSS ${grownMiB.toFixed(1)} MiB over ${REPEATS} runs`);
      expect(grownMiB).toBeLessThan(RSS_BUDGET_MIB);
    });
  }
});
