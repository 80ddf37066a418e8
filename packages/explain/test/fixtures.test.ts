import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { KerasModel } from '@keraspect/importer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attentionMaps, explain, inputGradients, layerOutputs, type MethodName, methodNames } from '../src/index.ts';
import { expectCloseToKeras, FLOAT32_AMPLIFIED } from '../../../test/support/keras-compare.ts';
import { type FixtureEntry, fixtureDir, loadFixture, manifest, npy } from './helpers.ts';

/**
 * Real Keras fixtures. Models that do not load yet (ports still being wired) are reported and left
 * out, not hard-coded: the tables below are built from what loads.
 */
const loaded = new Map<string, KerasModel>();
const failedToLoad: string[] = [];

beforeAll(async () => {
  for (const f of manifest) {
    const km = await loadFixture(f);
    if (km instanceof Error) failedToLoad.push(`${f.expected}: ${km.message.slice(0, 120)}`);
    else loaded.set(f.expected, km);
  }
  if (failedToLoad.length) console.warn(`[explain fixtures] not loading yet:\n  ${failedToLoad.join('\n  ')}`);
});
afterAll(() => {
  for (const km of loaded.values()) km.dispose();
});

const withGradient = manifest.filter(
  (f) => f.input_gradient_f64 && fixtureDir && existsSync(join(f.root, f.expected, 'grad_input_f64.npy')),
);

/**
 * Measured disagreements with the Keras gradient, kept visible as expected failures (`it.fails`):
 * when the cause is fixed the test starts passing and this entry must go.
 */
const KNOWN_GRADIENT_GAPS: Record<string, string> = {
  // 10 of 12 entries agree to 3e-8 (max|expected| 1.3e-4), but at sample 1, step 2 the fixture's
  // float64 central difference says −1.315e-4 while we give 2.4e-6. Real Keras 3.15 itself (jax
  // backend, float32 autodiff, run on this machine) gives 2.377e-6 there, like us; the same chain
  // with a float64 LayerNormalization Jacobian gives 2.394e-6. LayerNormalization over 2 features
  // leaves gradients of order ε/σ³ ≈ 1e-5, so the finite difference is dominated by its own error.
  // The entry is a property of the fixture, not of the port; kept visible as an expected failure.
  'vk_new_transformer_mha_k3.9.2':
    'fixture finite difference at sample 1 step 2 disagrees with Keras autodiff (see comment)',
};

/**
 * Absolute floor under the README's relative rule: float64 central differences with step 1e-4
 * carry ~1e-12·|f|/1e-4 of rounding noise, which is all the expected array holds where the true
 * gradient is 0 (surro_model-cnn: dead ReLUs, max|expected| 1e-8 of pure noise).
 */
const FD_NOISE = 1e-7;

/**
 * With the fused recurrent kernels every fixture runs every method (disazi's 6000-step BiLSTM takes
 * ~12 s per gradient); KERASPECT_FAST_TESTS=1 leaves the 6000-step models out for quick local runs.
 */
const slow = (f: FixtureEntry) => (f.inputs[0].shape[1] ?? 0) >= 1000 && process.env.KERASPECT_FAST_TESTS === '1';

const slowModel = (f: FixtureEntry) => (f.inputs[0].shape[1] ?? 0) >= 1000;

describe.skipIf(!fixtureDir)('layer outputs and attention maps match real Keras', () => {
  it.each(manifest.map((f) => [f.expected, f] as [string, FixtureEntry]))('%s', (name, f) => {
    const km = loaded.get(name);
    if (!km) return void console.warn(`[skip] ${name} does not load yet`);
    const big = name.startsWith('eqt_');
    const dir = join(f.root, f.expected);
    const x = npy(join(dir, 'input.npy'));
    const before = tf.memory().numTensors;
    const layerFiles = existsSync(join(dir, 'layers')) ? readdirSync(join(dir, 'layers')) : [];
    const inGolden = new Set(layerFiles.map((fn) => fn.replace(/(\.\d+)?\.npy$/, '')));
    const names = km.layers.map((l) => l.name).filter((n) => inGolden.has(n) && !f.inputs.some((i) => i.name === n));
    // One sample per forward pass joins chunks too; the 6000-step models run the batch at once (time).
    const internalBatchSize = slowModel(f) ? 32 : 1;
    let compared = 0;
    for (const o of layerOutputs(km, x, names, { internalBatchSize })) {
      const file = o.count === 1 ? `${o.layer}.npy` : `${o.layer}.${o.index}.npy`;
      if (!layerFiles.includes(file)) continue;
      expectCloseToKeras(
        o.array,
        npy(join(dir, 'layers', file)),
        `${name} layer ${file}`,
        big,
        name in FLOAT32_AMPLIFIED,
      );
      compared++;
    }
    expect(compared, `${name}: layer outputs compared`).toBeGreaterThan(0);
    for (const a of attentionMaps(km, x, { layers: f.attention_layers, internalBatchSize })) {
      expectCloseToKeras(a.array, npy(join(dir, 'attention', `${a.layer}.npy`)), `${name} attention ${a.layer}`, big);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.skipIf(!fixtureDir)('input gradients match real Keras (central differences, float64)', () => {
  const check = (name: string, f: FixtureEntry) => {
    const km = loaded.get(name);
    if (!km) return void console.warn(`[skip] ${name} does not load yet`);
    const dir = join(f.root, f.expected);
    const x = npy(join(dir, 'input_f64.npy'));
    const want = npy(join(dir, 'grad_input_f64.npy'));
    const before = tf.memory().numTensors;
    // d/dx of Σ_batch output[b].flat[0] of the first output.
    const g = inputGradients(km, { data: Float32Array.from(x.data), shape: x.shape }, { output: 0, target: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expect(g.gradients[0].shape).toEqual(want.shape);
    // wild/ fixtures list the indices where the float64 central difference is not stable across
    // steps (a kink nearby): those elements are left out, as the fixtures README says.
    const unstable = new Set(
      (f.fd_unstable ?? []).map((idx) => idx.reduce((flat, v, d) => flat * want.shape[d] + v, 0)),
    );
    const scale = Array.from(want.data).reduce((m, v, i) => (unstable.has(i) ? m : Math.max(m, Math.abs(v))), 0);
    let worst = 0;
    let at = 0;
    for (let i = 0; i < want.data.length; i++) {
      if (unstable.has(i)) continue;
      const d = Math.abs(g.gradients[0].data[i] - want.data[i]);
      if (d > worst) [worst, at] = [d, i];
    }
    expect(
      worst,
      `${name}: max |Δ| ${worst} at ${at} (got ${g.gradients[0].data[at]}, want ${want.data[at]}), max|expected| ${scale}`,
    ).toBeLessThanOrEqual(1e-3 * scale + FD_NOISE);
  };
  it.each(
    withGradient
      .filter((f) => !(f.expected in KNOWN_GRADIENT_GAPS))
      .map((f) => [f.expected, f] as [string, FixtureEntry]),
  )('%s', check);
  it.fails.each(
    withGradient.filter((f) => f.expected in KNOWN_GRADIENT_GAPS).map((f) => [f.expected, f] as [string, FixtureEntry]),
  )('%s (known gap)', check);
});

/**
 * Measured exceptions to DeepLIFT's 1e-4 summation-to-delta bound, with the bound they meet. EqT
 * against the other sample of the batch (deepLiftShap's background) reaches attributions of ~60 for
 * f ≈ 0.34: the attention (A·V, weights as gates) and LayerNormalization (1/σ as a gate) rules
 * divide by the signal's Δ, and float32 rounding grows with those multipliers (delta 8.1e-4).
 */
const DELTA_FLOOR: Record<string, number> = {
  'eqt_blockly_model_weights_k2.3.1_weightsonly × deepLiftShap': 3e-3,
};

/** Light settings so that the big models finish: what is checked is shape, finiteness, determinism, no leaks. */
function lightOptions(name: MethodName, f: FixtureEntry): Record<string, unknown> {
  const steps = f.inputs[0].shape[1] ?? 1;
  switch (name) {
    case 'integratedGradients':
      return { steps: 4 };
    case 'smoothGrad':
      return { samples: 2, stdev: 0.1 };
    case 'occlusion':
      return { window: Math.max(1, Math.ceil(steps / 4)) };
    case 'featureAblation':
    case 'featurePermutation':
      return { groups: { window: Math.max(1, Math.ceil(steps / 4)) } };
    case 'temporalSaliencyRescaling': {
      // All features as one group; on the 6000-step models no step passes the quantile (step 1 only).
      const F = f.inputs[0].shape[2] ?? 1;
      return { features: [Array.from({ length: F }, (_, i) => i)], quantile: steps >= 1000 ? 1 : 0.55 };
    }
    case 'timeShap':
      // Feature players (few), pruning (2·steps forward rows per sample) only on short sequences.
      return { level: 'feature', samples: 16, tolerance: steps <= 30 ? 0.025 : null };
    case 'gradientShap':
      return { samples: 2 };
    case 'kernelShap':
      // 4 windows as players (14 coalitions), 2 for the 6000-step models (2 coalitions).
      return { groups: { window: Math.max(1, Math.ceil(steps / (steps >= 1000 ? 2 : 4))) } };
    default:
      return {};
  }
}

describe.skipIf(!fixtureDir)('integrated gradients completeness on fixture models', () => {
  // Σattr = f(x) − f(0) within 1e-3 relative. ReLU, LeakyReLU and Keras 2's piecewise-linear
  // hard_sigmoid make the path integrand non-smooth, so the number of points needed differs by model:
  // the trapezoid rule is refined (×4) until the delta is within bounds, up to a point budget that
  // keeps the run short (LayerNormalization over 2 features is nearly a step function near the zero
  // baseline: the transformer fixture needs ~16k points). Token-id inputs are refused by gradient methods. The 6000-step models need
  // minutes per hundred path points here; they run with KERASPECT_SLOW=1.
  const long = (f: FixtureEntry) => (f.inputs[0].shape[1] ?? 0) >= 1000 && process.env.KERASPECT_SLOW !== '1';
  const cases = manifest
    .filter((f) => !long(f) && f.inputs[0].dtype === 'float32' && !f.needs_custom_layers.includes('somi'))
    .map((f) => [f.expected, f] as [string, FixtureEntry]);
  /**
   * Measured exceptions, with the bound they do meet. dnforimaco: along the straight path f swings
   * between 0.02 and 0.34 (total variation ≈ 0.8) while f(x) − f(0) = 0.064, and with two stacked
   * LSTMs (128, 64 units) over 100 steps the float32 gradients carry noise: Gauss–Legendre at 256
   * and 1024 points both leave |delta| ≈ 5e-4…1e-3 (≈1% of the gap) without converging further.
   */
  const FLOAT32_FLOOR: Record<string, { rule: 'gaussLegendre'; steps: number; relative: number }> = {
    'dnforimaco_attention_lstm_sequential_k3.11.3': { rule: 'gaussLegendre', steps: 256, relative: 2e-2 },
    // keras-tcn 3.1 (relu inside the blocks and after each residual sum): the path integrand has
    // kinks at every ReLU switch, so the trapezoid rule converges only ~2× per 4× points (relative
    // |delta| of sample 0: 2.2e-2, 1.3e-2, 6.2e-3 at 64, 256, 1024 points; would need ~65k);
    // Gauss–Legendre at 256 points gives 1.3e-2 and 5.9e-4. Its input gradients match Keras.
    'hbeacon_tcn_weightsonly_tfk2.3.0-tf': { rule: 'gaussLegendre', steps: 256, relative: 2e-2 },
  };
  it.each(cases)(
    '%s',
    async (name, f) => {
      const km = loaded.get(name);
      if (!km) return void console.warn(`[skip] ${name} does not load yet`);
      const x = npy(join(f.root, f.expected, 'input.npy'));
      const T = f.inputs[0].shape[1] ?? 1;
      const floor = FLOAT32_FLOOR[name];
      if (floor) {
        const zero0 = { data: new Float32Array(x.data.length), shape: x.shape };
        const g0 = (await explain('gradient', km, zero0, { target: 0 })).scores;
        const a = await explain('integratedGradients', km, x, { steps: floor.steps, rule: floor.rule, target: 0 });
        a.delta!.forEach((d, b) =>
          expect(Math.abs(d), `${name} sample ${b}`).toBeLessThanOrEqual(
            floor.relative * Math.abs(a.scores[b] - g0[b]),
          ),
        );
        return;
      }
      // Path points affordable for this model: ~1.6e10 / (steps × params) multiply-adds, at most 65536.
      const budget = Math.min(65536, 4 ** Math.floor(Math.log(1.6e10 / (T * km.paramsTotal())) / Math.log(4)));
      const zero = { data: new Float32Array(x.data.length), shape: x.shape };
      const f0 = (await explain('gradient', km, zero, { target: 0 })).scores;
      let worst = Number.POSITIVE_INFINITY;
      let steps = 64;
      for (; steps <= budget; steps *= 4) {
        const a = await explain('integratedGradients', km, x, {
          steps,
          rule: 'trapezoid',
          target: 0,
          internalBatchSize: T >= 1000 ? 16 : 256,
        });
        worst = Math.max(
          ...Array.from(a.delta!, (d, b) => Math.abs(d) / (1e-3 * Math.abs(a.scores[b] - f0[b]) + 1e-6)),
        );
        if (worst <= 1) break;
      }
      expect(
        worst,
        `${name}: |delta| / (1e-3·|f(x) − f(0)|) = ${worst.toFixed(2)} at ${Math.min(steps, budget)} steps`,
      ).toBeLessThanOrEqual(1);
    },
    // mm_tcn (72 steps, 138k parameters) needs 1024 points: ~9 min here on a loaded 2-core machine.
    1_200_000,
  );
});

describe.skipIf(!fixtureDir)('every method on every fixture that loads', () => {
  const cases = manifest
    .filter((f) => !slow(f))
    .flatMap((f) => methodNames.map((m) => [`${f.expected} × ${m}`, f, m] as [string, FixtureEntry, MethodName]));
  const check = async (_label: string, f: FixtureEntry, method: MethodName) => {
    const km = loaded.get(f.expected);
    if (!km) return void console.warn(`[skip] ${f.expected} does not load yet`);
    const x = npy(join(f.root, f.expected, 'input.npy'));
    const run = () =>
      explain(method, km, x, {
        ...lightOptions(method, f),
        seed: 3,
        internalBatchSize: (f.inputs[0].shape[1] ?? 0) >= 1000 ? 2 : 16,
      });
    const before = tf.memory().numTensors;
    let a: Awaited<ReturnType<typeof run>> | undefined;
    try {
      a = await run();
    } catch (e) {
      const err = e as Error & { code?: string };
      // Expected refusals: gradients w.r.t. token ids, LRP and DeepLIFT on layers they have no rule for. They must be ExplainErrors naming the problem.
      expect(err.name, err.message).toBe('ExplainError');
      expect([
        'NOT_DIFFERENTIABLE',
        'UNSUPPORTED_LAYER',
        ...(method === 'timeShap' || method === 'temporalSaliencyRescaling' ? ['BAD_OPTION'] : []),
      ]).toContain(err.code);
      expect(['occlusion', 'featureAblation', 'featurePermutation', 'kernelShap']).not.toContain(method);
      // TimeSHAP explains (batch, steps, features) inputs only.
      if (method === 'timeShap') expect(err.code).toBe('BAD_OPTION');
      if (method === 'temporalSaliencyRescaling') expect(err.message).toMatch(/\(batch, steps, features\)/);
      expect(tf.memory().numTensors).toBe(before);
      return;
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(a.attributions[0].shape).toEqual(x.shape);
    expect(Array.from(a.attributions[0].data).every(Number.isFinite)).toBe(true);
    // DeepLIFT's summation-to-delta: Σ attributions = f(x) − f(x̄) up to float32 error.
    if (method === 'deepLift' || method === 'deepLiftShap')
      a.delta?.forEach((d, b) =>
        expect(Math.abs(d), `${f.expected} sample ${b}: delta`).toBeLessThanOrEqual(
          (DELTA_FLOOR[`${f.expected} × ${method}`] ?? 1e-4) * Math.max(1, Math.abs(a.scores[b])),
        ),
      );
    const again = await run();
    expect(Array.from(again.attributions[0].data)).toEqual(Array.from(a.attributions[0].data));
  };
  // Budgets with a wide margin for a busy 2-core machine: a method on the 6000-step models runs
  // twice (determinism) at ~12 s per gradient when the machine is idle, so several minutes when not.
  const long = (f: FixtureEntry) => (f.inputs[0].shape[1] ?? 0) >= 1000;
  it.each(cases.filter(([, f]) => !long(f)))('%s', check, 300_000);
  it.each(cases.filter(([, f]) => long(f)))('%s', check, 1_200_000);
});
