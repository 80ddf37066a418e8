/**
 * `pnpm parity [--captum PATH] [--tsr PATH] [--json] [--models a,b] [--methods a,b] [--backend b] [--keep]`:
 * every attribution method Captum also has, run by Keraspect and by Captum on a PyTorch twin of the
 * same model with the same weights and matched settings, and the methods Captum lacks against their
 * authors' code (TSR) or its algorithm re-run on the twin (TimeSHAP); prints per method the largest
 * relative difference over the models, max|K − C| / max|C| (one line each; `--json` prints every
 * model's number).
 *
 * Not part of CI: it needs Debian's Python with torch and numpy (`/usr/bin/python3`, or
 * PARITY_PYTHON) and a Captum checkout (`git clone https://github.com/pytorch/captum`, tag v0.7.0
 * checked out; `--captum PATH` or CAPTUM_PATH); TSR also needs scikit-learn and a checkout of
 * ayaabdelsalam91/TS-Interpretability-Benchmark (`--tsr PATH` or TSR_PATH). The twin is built in
 * float64 by scripts/parity/captum_twin.py from the weights this script writes; its prediction is
 * checked against Keraspect's first.
 *
 * Adding a method is one entry in `entries` below: Keraspect's options and the Captum call.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {
  type Attribution,
  createExplainer,
  type ExplainerOptions,
  type MethodName,
  methodNames,
  methods,
  quadrature,
  seededRng,
} from '@keraspect/explain';
import {
  type BackendName,
  backend,
  initBackend,
  type KerasModel,
  modelFromConfig,
  type NdArray,
  predict,
  readNpy,
  toFloat32,
  writeNpy,
} from '@keraspect/importer';
import { fixturesDir, loadManifest } from '../../test/support/fixtures.ts';
import { loadFixture } from '../../test/support/load-fixture.ts';
import { attentionLstmConfig, mulberry32 } from '../lib/attention-lstm.ts';

const here = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------- models

interface ParityModel {
  name: string;
  /** Key in `modelTable`. */
  key?: string;
  km: KerasModel;
  /** Batch of 2 (feature permutation over a batch of 2 is the one swap, the same on both sides). */
  x: NdArray;
  /** Samples are flat (features only): entries marked `sequence` are skipped. */
  flat?: boolean;
}

/** The seed attention-LSTM (scripts/lib/attention-lstm.ts), small, with seeded uniform weights. */
async function seedModel(): Promise<ParityModel> {
  const [steps, features] = [24, 4];
  const config = attentionLstmConfig({
    name: 'seed_attention_lstm',
    steps,
    features,
    rnn: { className: 'LSTM', name: 'lstm', config: { units: 8, recurrent_activation: 'sigmoid' } },
    attentionUnits: 6,
    outputName: 'forecast',
  });
  const km = await modelFromConfig(config as never, { kerasVersion: '2.3.1' });
  const r = mulberry32(7);
  for (const s of km.summary()) {
    const layer = km.layer(s.name);
    const ws = layer.getWeights();
    if (!ws.length) continue;
    layer.setWeights(
      ws.map((w) => {
        const fanIn = w.shape.length > 1 ? w.shape[0] : 4;
        const a = Math.sqrt(3 / fanIn);
        return tf.tensor(
          Float32Array.from({ length: w.size }, () => (2 * r() - 1) * a),
          w.shape,
        );
      }),
    );
  }
  const n = 2 * steps * features;
  const x = {
    data: Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) + (2 * r() - 1) * 0.5),
    shape: [2, steps, features],
  };
  return { name: 'seed', km, x };
}

/**
 * A feed-forward net (Conv1D relu → MaxPooling1D → Flatten → Dense tanh → Dense), seeded: DeepLIFT's
 * comparison, since Captum's DeepLIFT rules act through nonlinearity modules, none inside recurrent cells.
 * (The fixtures' feed-forward CNN saturates its sigmoids, so its input gradients are ~1e-8, below float32.)
 */
async function convNet(): Promise<ParityModel> {
  const layer = (class_name: string, config: Record<string, unknown>) => ({ class_name, config });
  const config = {
    class_name: 'Sequential',
    config: {
      name: 'convnet',
      layers: [
        layer('InputLayer', { name: 'x', batch_input_shape: [null, 12, 3] }),
        layer('Conv1D', { name: 'conv', filters: 6, kernel_size: 3, activation: 'relu' }),
        layer('MaxPooling1D', { name: 'pool', pool_size: 2 }),
        layer('Flatten', { name: 'flat' }),
        layer('Dense', { name: 'hidden', units: 8, activation: 'tanh' }),
        layer('Dense', { name: 'out', units: 2 }),
      ],
    },
  };
  const km = await modelFromConfig(config as never, { kerasVersion: '2.3.1' });
  seedWeights(km, 17);
  const r = mulberry32(19);
  return {
    name: 'convnet',
    km,
    x: { data: Float32Array.from({ length: 2 * 12 * 3 }, () => 2 * r() - 1), shape: [2, 12, 3] },
  };
}

/**
 * A dense net for LRP, with both forms of a tanh layer — Dense(linear) + Activation(tanh) and
 * Dense(tanh) — and a Dropout (relevance passes through all three unchanged on both sides).
 */
async function denseNet(): Promise<ParityModel> {
  const layer = (class_name: string, config: Record<string, unknown>) => ({ class_name, config });
  const config = {
    class_name: 'Sequential',
    config: {
      name: 'densenet',
      layers: [
        layer('InputLayer', { name: 'x', batch_input_shape: [null, 10] }),
        layer('Dense', { name: 'd1', units: 12, activation: 'relu' }),
        layer('Dropout', { name: 'drop', rate: 0.5 }),
        layer('Dense', { name: 'd2', units: 10 }),
        layer('Activation', { name: 'act', activation: 'tanh' }),
        layer('Dense', { name: 'd3', units: 8, activation: 'tanh' }),
        layer('Dense', { name: 'out', units: 3 }),
      ],
    },
  };
  const km = await modelFromConfig(config as never, { kerasVersion: '2.3.1' });
  seedWeights(km, 23);
  const r = mulberry32(29);
  return {
    name: 'densenet',
    km,
    flat: true,
    x: { data: Float32Array.from({ length: 2 * 10 }, () => 2 * r() - 1), shape: [2, 10] },
  };
}

/** Seeded uniform weights ±√(3/fan-in). */
function seedWeights(km: KerasModel, seed: number): void {
  const r = mulberry32(seed);
  for (const s of km.summary()) {
    const layer = km.layer(s.name);
    const ws = layer.getWeights();
    if (!ws.length) continue;
    layer.setWeights(
      ws.map((w) => {
        const fanIn = w.shape.length > 1 ? w.shape.slice(0, -1).reduce((a, b) => a * b, 1) : 4;
        const a = Math.sqrt(3 / fanIn);
        return tf.tensor(
          Float32Array.from({ length: w.size }, () => (2 * r() - 1) * a),
          w.shape,
        );
      }),
    );
  }
}

/** A real-Keras fixture and its own input (batch 2). */
async function fixture(name: string): Promise<ParityModel> {
  const dir = fixturesDir();
  if (!dir) throw new Error(`parity: the fixture '${name}' needs ../shared/fixtures or KERASPECT_FIXTURES.`);
  const entry = loadManifest(dir).find((f) => f.expected === name);
  if (!entry) throw new Error(`parity: no fixture '${name}' in ${dir}/manifest.json.`);
  const km = await loadFixture(dir, entry);
  const a = readNpy(new Uint8Array(readFileSync(join(entry.root, name, 'input.npy'))));
  return { name, km, x: { data: toFloat32(a), shape: a.shape } };
}

const modelTable: Record<string, () => Promise<ParityModel>> = {
  seed: seedModel,
  lstm: () => fixture('kevinlin_lstm_model_k2.1.6'),
  bilstm: () => fixture('vk_new_bi_lstm_k3.9.2'),
  gru: () => fixture('surro_time_series_gru_k2.2.4'),
  convnet: convNet,
  cnnBilstmAttention: () => fixture('dsrna_3fold_cnn_bilstm_seqselfatt_softmax_k2.3.1'),
  mlp: async () => ({ ...(await fixture('surro_mexie-mlp_k2.2.4-tf')), flat: true }),
  densenet: denseNet,
};

// ---------------------------------------------------------------- method table

/** What an entry sees of the model: shapes, the input, and files it can hand to the Captum side. */
interface Ctx {
  /** Key in `modelTable`. */
  model: string;
  x: NdArray;
  /** `--tsr`: a checkout of the TSR authors' code, if given. */
  tsr?: string;
  /** One sample's shape: (steps, features), or (features) for a flat model (then `steps` is 1). */
  sample: number[];
  steps: number;
  features: number;
  /** Write an array for the Captum side; returns its file name. */
  file(name: string, a: NdArray): string;
}

interface CaptumJob {
  /** captum.attr class, or 'NoiseTunnel' with `inner`. */
  captum: string;
  inner?: string;
  init?: Record<string, unknown>;
  /** attribute() arguments; a string value of baselines/feature_mask is a file name. */
  args?: Record<string, unknown>;
  /** NoiseTunnel: the noise Keraspect drew, (batch · samples, …) sample-major per row. */
  noise?: string;
  /** TimeShap (exact Shapley values by the script, feedzai/timeshap's players and pruning): level, tolerance, baseline file. */
  level?: 'event' | 'feature' | 'cell';
  tolerance?: number | null;
  topEvents?: number;
  topFeatures?: number;
  baseline?: string;
  /** TSR: a checkout of the authors' code (TS-Interpretability-Benchmark); `inner` is the Captum method. */
  tsr?: string;
  /** LRP: the ε of Captum's EpsilonRule, set on every linear module of the twin. */
  epsilon?: number;
  /** Compare the convergence delta too. */
  delta?: boolean;
  /** GradientShap: Keraspect's draws, replayed as numpy's choice/uniform and torch.normal. */
  replay?: { choice: string; uniform: string; normal: string };
}

interface Entry {
  name: string;
  method: MethodName;
  /**
   * A difference of forward values (occlusion, ablation, permutation, Shapley): its error is bounded
   * by twice the float32 error of Keraspect's forward pass, which the table prints beside it.
   */
  perturbation?: boolean;
  /**
   * Only these models (keys of `modelTable`). DeepLIFT: Captum applies its rules through hooks on
   * nn.ReLU/Tanh/Sigmoid/MaxPool1d modules and none inside a recurrent cell, so it is compared on
   * the feed-forward fixture only.
   */
  models?: string[];
  /** Needs `--tsr` (the authors' code): skipped, and said so, without it. */
  needsTsr?: boolean;
  /** Needs (steps, features) samples: skipped on flat models. */
  sequence?: boolean;
  /** Also compare Keraspect's result × factor (a documented rule difference, shown exactly). */
  scaled?: { name: string; factor: number };
  keraspect: (c: Ctx) => ExplainerOptions;
  captum: (c: Ctx) => CaptumJob;
}

const IG_STEPS = 16;
const NOISE = { samples: 6, stdev: 0.25, seed: 3 };

/** One group id per value of one sample, flat C order, as (1, …) for Captum's feature_mask. */
function mask(c: Ctx, id: (t: number, f: number) => number): { flat: number[]; nd: NdArray } {
  const flat: number[] = [];
  for (let t = 0; t < c.steps; t++) for (let f = 0; f < c.features; f++) flat.push(id(t, f));
  return { flat, nd: { data: Float32Array.from(flat), shape: [1, ...c.sample] } };
}

/** Each feature's mean over the batch and the steps: Keraspect's 'mean' baseline, as one sample. */
function featureMean(c: Ctx): NdArray {
  const out = new Float32Array(c.steps * c.features);
  const sums = new Float64Array(c.features);
  const per = c.x.data.length / c.features;
  for (let i = 0; i < c.x.data.length; i++) sums[i % c.features] += c.x.data[i];
  for (let i = 0; i < out.length; i++) out[i] = sums[i % c.features] / per;
  return { data: out, shape: [1, ...c.sample] };
}

/** A fixed reference series ("file" baseline), one sample. */
function fileBaseline(c: Ctx): NdArray {
  const r = mulberry32(11);
  return {
    data: Float32Array.from({ length: c.steps * c.features }, () => r() - 0.5),
    shape: [1, ...c.sample],
  };
}

/** The noise Keraspect's smoothGrad draws (seededRng(seed); per draw, per sample, per value), in Captum's layout. */
function smoothGradNoise(c: Ctx): NdArray {
  const [b, ...rest] = c.x.shape;
  const n = c.x.data.length / b;
  const rng = seededRng(NOISE.seed);
  const out = new Float32Array(c.x.data.length * NOISE.samples);
  for (let s = 0; s < NOISE.samples; s++)
    for (let i = 0; i < b; i++)
      for (let k = 0; k < n; k++) out[(i * NOISE.samples + s) * n + k] = NOISE.stdev * rng.normal();
  return { data: out, shape: [b * NOISE.samples, ...rest] };
}

/** Three reference samples (the SHAP methods' background), seeded. */
function background(c: Ctx): NdArray {
  const r = mulberry32(13);
  return {
    data: Float32Array.from({ length: 3 * c.steps * c.features }, () => 2 * r() - 1),
    shape: [3, ...c.sample],
  };
}

const SHAP = { samples: 5, stdev: 0.1, seed: 5 };

/**
 * Feed-forward models only: Captum applies DeepLIFT's rules through hooks on nonlinearity modules
 * and LRP's through rules on nn.Linear/Conv modules, none inside a recurrent cell or attention.
 */
const DEEPLIFT_MODELS = ['convnet', 'mlp', 'densenet'];
const LRP_MODELS = ['convnet', 'mlp', 'densenet'];

/**
 * Models whose sequences are short enough for exact event-level Shapley values without pruning
 * (≤ 10 events: 2^10 coalitions on each side).
 */
const SHORT_SEQUENCES = ['lstm', 'bilstm', 'gru'];
/**
 * Pruning tolerances that prune inside each model's sequences (measured two-player values of the
 * older events sit well away from them): seed 23/23 of 24 steps, lstm 0/2 of 8, bilstm 1/0 of 3,
 * gru 9/3 of 10, cnnBilstmAttention 99/99 of 100 — few enough players for exact Shapley values.
 */
const TIMESHAP_TOLERANCE: Record<string, number> = {
  seed: 0.1,
  lstm: 1,
  bilstm: 0.1,
  gru: 0.3,
  cnnBilstmAttention: 0.05,
};

/** Cell level: 2 top events × 2 top features (≤ 10 players on these models, so both sides are exact). */
const TOP = { topEvents: 2, topFeatures: 2 };

const timeShapEntry = (level: 'event' | 'feature' | 'cell', prune: boolean, models: string[]): Entry => ({
  name: `timeShap ${level}, ${prune ? 'pruned' : 'no pruning'} ↔ exact Shapley`,
  method: 'timeShap',
  perturbation: true,
  sequence: true,
  models,
  keraspect: (c) => ({
    level,
    tolerance: prune ? TIMESHAP_TOLERANCE[c.model] : null,
    baseline: 'mean',
    samples: 4096,
    ...(level === 'cell' ? TOP : {}),
  }),
  captum: (c) => ({
    captum: 'TimeShap',
    level,
    tolerance: prune ? TIMESHAP_TOLERANCE[c.model] : null,
    baseline: c.file('mean', featureMean(c)),
    ...(level === 'cell' ? TOP : {}),
  }),
});

/** TSR (masking time relevance, as the authors' current code) over a method, ↔ their getTwoStepRescaling over Captum's. */
const tsrEntry = (method: 'gradient' | 'gradientXInput', inner: string): Entry => ({
  name: `temporalSaliencyRescaling over ${method} ↔ the authors' code over ${inner}`,
  method: 'temporalSaliencyRescaling',
  sequence: true,
  needsTsr: true,
  keraspect: (c) => {
    // Their masking value is the sample's first value, input[0, 0, 0].
    const [b, n] = [c.x.shape[0], c.x.data.length / c.x.shape[0]];
    const data = new Float32Array(c.x.data.length);
    for (let i = 0; i < b; i++) data.fill(c.x.data[i * n], i * n, (i + 1) * n);
    return {
      wrap: methods[method],
      // Their Grad is Captum's Saliency with its default abs=True.
      wrapOptions: method === 'gradient' ? { postprocess: 'abs' } : {},
      timeRelevance: 'masking',
      quantile: 0.55,
      baseline: { data, shape: c.x.shape },
    };
  },
  captum: (c) => ({ captum: 'TSR', inner, tsr: c.tsr }),
});

const lrpEntry = (epsilon: number): Entry => ({
  name: `lrpEpsilon ε ${epsilon}`,
  method: 'lrpEpsilon',
  models: LRP_MODELS,
  keraspect: () => ({ epsilon }),
  captum: () => ({ captum: 'LRP', epsilon }),
});

/** GradientShap's draws as Keraspect makes them (seededRng(seed); per draw j = b·S + s: row, α, noise). */
function gradientShapDraws(c: Ctx) {
  const [b, ...rest] = c.x.shape;
  const n = c.x.data.length / b;
  const total = b * SHAP.samples;
  const rng = seededRng(SHAP.seed);
  const pick = new Float32Array(total);
  const alpha = new Float32Array(total);
  const noise = new Float32Array(total * n);
  for (let j = 0; j < total; j++) {
    pick[j] = Math.min(2, Math.floor(rng.uniform() * 3));
    alpha[j] = rng.uniform();
    for (let i = 0; i < n; i++) noise[j * n + i] = SHAP.stdev * rng.normal();
  }
  return {
    choice: c.file('gs_choice', { data: pick, shape: [total] }),
    uniform: c.file('gs_uniform', { data: alpha, shape: [total] }),
    normal: c.file('gs_normal', { data: noise, shape: [total, ...rest] }),
  };
}

const igRules = {
  left: 'riemann_left',
  right: 'riemann_right',
  middle: 'riemann_middle',
  trapezoid: 'riemann_trapezoid',
  gaussLegendre: 'gausslegendre',
} as const;

const smoothGradEntry = (variant: 'smoothgrad' | 'smoothgrad2' | 'vargrad', ntType: string): Entry => ({
  name: `smoothGrad ${variant}`,
  method: 'smoothGrad',
  keraspect: () => ({ wrap: methods.gradient, samples: NOISE.samples, stdev: NOISE.stdev, variant, seed: NOISE.seed }),
  captum: (c) => ({
    captum: 'NoiseTunnel',
    inner: 'Saliency',
    args: { nt_type: ntType, nt_samples: NOISE.samples, stdevs: NOISE.stdev, abs: false },
    noise: c.file(`noise_${variant}`, smoothGradNoise(c)),
  }),
});

/** Keraspect method ↔ Captum call, settings matched (docs/explain.md lists the mapping). */
const entries: Entry[] = [
  {
    name: 'gradient',
    method: 'gradient',
    keraspect: () => ({}),
    captum: () => ({ captum: 'Saliency', args: { abs: false } }),
  },
  {
    name: 'gradient abs',
    method: 'gradient',
    keraspect: () => ({ postprocess: 'abs' }),
    captum: () => ({ captum: 'Saliency', args: { abs: true } }),
  },
  {
    name: 'gradientXInput',
    method: 'gradientXInput',
    keraspect: () => ({}),
    captum: () => ({ captum: 'InputXGradient' }),
  },
  ...(Object.keys(igRules) as (keyof typeof igRules)[]).map(
    (rule): Entry => ({
      name: `integratedGradients ${rule}`,
      method: 'integratedGradients',
      // Captum's riemann_trapezoid: nodes linspace(0, 1, n), weights 1/n with halved ends, i.e. ours × (n−1)/n.
      ...(rule === 'trapezoid'
        ? { scaled: { name: 'integratedGradients trapezoid × (n−1)/n', factor: (IG_STEPS - 1) / IG_STEPS } }
        : {}),
      keraspect: () => ({ steps: IG_STEPS, rule }),
      captum: () => ({
        captum: 'IntegratedGradients',
        args: { n_steps: IG_STEPS, method: igRules[rule], return_convergence_delta: true },
        delta: true,
      }),
    }),
  ),
  {
    name: 'integratedGradients mean baseline',
    method: 'integratedGradients',
    keraspect: () => ({ steps: IG_STEPS, rule: 'middle', baseline: 'mean' }),
    captum: (c) => ({
      captum: 'IntegratedGradients',
      args: {
        n_steps: IG_STEPS,
        method: 'riemann_middle',
        baselines: c.file('mean', featureMean(c)),
        return_convergence_delta: true,
      },
      delta: true,
    }),
  },
  {
    name: 'integratedGradients file baseline',
    method: 'integratedGradients',
    keraspect: (c) => ({ steps: IG_STEPS, rule: 'gaussLegendre', baseline: fileBaseline(c) }),
    captum: (c) => ({
      captum: 'IntegratedGradients',
      args: {
        n_steps: IG_STEPS,
        method: 'gausslegendre',
        baselines: c.file('file', fileBaseline(c)),
        return_convergence_delta: true,
      },
      delta: true,
    }),
  },
  {
    name: 'integratedGradients multiplyByInputs false',
    method: 'integratedGradients',
    keraspect: () => ({ steps: IG_STEPS, rule: 'gaussLegendre', multiplyByInputs: false }),
    captum: () => ({
      captum: 'IntegratedGradients',
      init: { multiply_by_inputs: false },
      args: { n_steps: IG_STEPS, method: 'gausslegendre' },
    }),
  },
  smoothGradEntry('smoothgrad', 'smoothgrad'),
  smoothGradEntry('smoothgrad2', 'smoothgrad_sq'),
  smoothGradEntry('vargrad', 'vargrad'),
  {
    name: 'smoothGrad over integratedGradients',
    method: 'smoothGrad',
    keraspect: () => ({
      wrap: methods.integratedGradients,
      wrapOptions: { steps: IG_STEPS, rule: 'gaussLegendre' },
      samples: NOISE.samples,
      stdev: NOISE.stdev,
      seed: NOISE.seed,
    }),
    captum: (c) => ({
      captum: 'NoiseTunnel',
      inner: 'IntegratedGradients',
      args: {
        nt_type: 'smoothgrad',
        nt_samples: NOISE.samples,
        stdevs: NOISE.stdev,
        n_steps: IG_STEPS,
        method: 'gausslegendre',
      },
      noise: c.file('noise_smoothgrad', smoothGradNoise(c)),
    }),
  },
  {
    name: 'smoothGrad vargrad over gradientXInput',
    method: 'smoothGrad',
    keraspect: () => ({
      wrap: methods.gradientXInput,
      samples: NOISE.samples,
      stdev: NOISE.stdev,
      variant: 'vargrad',
      seed: NOISE.seed,
    }),
    captum: (c) => ({
      captum: 'NoiseTunnel',
      inner: 'InputXGradient',
      args: { nt_type: 'vargrad', nt_samples: NOISE.samples, stdevs: NOISE.stdev },
      noise: c.file('noise_vargrad', smoothGradNoise(c)),
    }),
  },
  {
    name: 'occlusion 1 step',
    sequence: true,
    perturbation: true,
    method: 'occlusion',
    keraspect: () => ({ window: 1 }),
    captum: (c) => ({
      captum: 'Occlusion',
      args: { sliding_window_shapes: [1, c.features], strides: [1, c.features], baselines: 0 },
    }),
  },
  {
    name: 'occlusion 2 steps × each feature, stride 1',
    sequence: true,
    perturbation: true,
    method: 'occlusion',
    keraspect: () => ({ window: 2, stride: 1, features: 'each' }),
    captum: () => ({ captum: 'Occlusion', args: { sliding_window_shapes: [2, 1], strides: [1, 1], baselines: 0 } }),
  },
  {
    name: 'featureAblation steps',
    sequence: true,
    perturbation: true,
    method: 'featureAblation',
    keraspect: () => ({ groups: 'steps' }),
    captum: (c) => ({
      captum: 'FeatureAblation',
      args: { feature_mask: c.file('steps', mask(c, (t) => t).nd), baselines: 0 },
    }),
  },
  {
    name: 'featureAblation mask, mean baseline',
    perturbation: true,
    method: 'featureAblation',
    keraspect: (c) => ({ groups: { mask: mask(c, (t, f) => (Math.floor(t / 2) + 3 * f) % 5).flat }, baseline: 'mean' }),
    captum: (c) => ({
      captum: 'FeatureAblation',
      args: {
        feature_mask: c.file('mask5', mask(c, (t, f) => (Math.floor(t / 2) + 3 * f) % 5).nd),
        baselines: c.file('mean', featureMean(c)),
      },
    }),
  },
  {
    name: 'featurePermutation features',
    sequence: true,
    perturbation: true,
    method: 'featurePermutation',
    keraspect: () => ({ groups: 'features' }),
    captum: (c) => ({
      captum: 'FeaturePermutation',
      args: { feature_mask: c.file('features', mask(c, (_t, f) => f).nd) },
    }),
  },
  {
    name: 'featurePermutation mask',
    perturbation: true,
    method: 'featurePermutation',
    keraspect: (c) => ({ groups: { mask: mask(c, (t, f) => (t + 2 * f) % 3).flat } }),
    captum: (c) => ({
      captum: 'FeaturePermutation',
      args: { feature_mask: c.file('mask3', mask(c, (t, f) => (t + 2 * f) % 3).nd) },
    }),
  },
  {
    name: 'gradientShap',
    method: 'gradientShap',
    keraspect: (c) => ({ background: background(c), samples: SHAP.samples, stdev: SHAP.stdev, seed: SHAP.seed }),
    captum: (c) => ({
      captum: 'GradientShap',
      args: { baselines: c.file('background', background(c)), n_samples: SHAP.samples, stdevs: SHAP.stdev },
      replay: gradientShapDraws(c),
    }),
  },
  {
    name: 'gradientShap multiplyByInputs false',
    method: 'gradientShap',
    keraspect: (c) => ({
      background: background(c),
      samples: SHAP.samples,
      stdev: SHAP.stdev,
      seed: SHAP.seed,
      multiplyByInputs: false,
    }),
    captum: (c) => ({
      captum: 'GradientShap',
      init: { multiply_by_inputs: false },
      args: { baselines: c.file('background', background(c)), n_samples: SHAP.samples, stdevs: SHAP.stdev },
      replay: gradientShapDraws(c),
    }),
  },
  timeShapEntry('event', false, SHORT_SEQUENCES),
  timeShapEntry('event', true, Object.keys(TIMESHAP_TOLERANCE)),
  timeShapEntry('feature', true, Object.keys(TIMESHAP_TOLERANCE)),
  timeShapEntry('cell', true, Object.keys(TIMESHAP_TOLERANCE)),
  tsrEntry('gradient', 'Saliency'),
  tsrEntry('gradientXInput', 'InputXGradient'),
  lrpEntry(0.01),
  lrpEntry(0.25),
  {
    name: 'deepLift rescale',
    method: 'deepLift',
    models: DEEPLIFT_MODELS,
    keraspect: () => ({ baseline: 'zeros' }),
    captum: () => ({ captum: 'DeepLift', args: { baselines: 0 } }),
  },
  {
    name: 'deepLift multiplyByInputs false',
    method: 'deepLift',
    models: DEEPLIFT_MODELS,
    keraspect: (c) => ({ baseline: fileBaseline(c), multiplyByInputs: false }),
    captum: (c) => ({
      captum: 'DeepLift',
      init: { multiply_by_inputs: false },
      args: { baselines: c.file('file', fileBaseline(c)) },
    }),
  },
  {
    name: 'deepLiftShap',
    method: 'deepLiftShap',
    models: DEEPLIFT_MODELS,
    keraspect: (c) => ({ background: background(c) }),
    captum: (c) => ({ captum: 'DeepLiftShap', args: { baselines: c.file('background', background(c)) } }),
  },
  {
    // Exact Kernel SHAP (every coalition of ≤ 5 players) is the Shapley value: Captum's ShapleyValues.
    name: 'kernelShap exact ↔ ShapleyValues',
    sequence: true,
    perturbation: true,
    method: 'kernelShap',
    keraspect: (c) => ({ groups: { window: Math.ceil(c.steps / 5) }, samples: 'auto' }),
    captum: (c) => {
      const w = Math.ceil(c.steps / 5);
      return {
        captum: 'ShapleyValues',
        args: { feature_mask: c.file(`windows${w}`, mask(c, (t) => Math.floor(t / w)).nd), baselines: 0 },
      };
    },
  },
];

// ---------------------------------------------------------------- running

interface Row {
  entry: string;
  model: string;
  diff: number;
  deltaDiff?: number;
  /** Perturbation methods: 2 · max|f_K − f_twin| / max|C|, the forward-error scale of the comparison. */
  floor?: number;
  /** TimeSHAP: the pruning index the reference found per sample (events before it are one player). */
  pruned?: number[];
}

function parseArgs(argv: string[]) {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    captum: get('--captum') ?? process.env.CAPTUM_PATH,
    tsr: get('--tsr') ?? process.env.TSR_PATH,
    json: argv.includes('--json'),
    keep: argv.includes('--keep'),
    models: get('--models')?.split(',') ?? Object.keys(modelTable),
    backend: get('--backend') as BackendName | undefined,
    methods: get('--methods')?.split(','),
    python: process.env.PARITY_PYTHON ?? '/usr/bin/python3',
  };
}

function maxAbs(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s = Math.max(s, Math.abs(a[i]));
  return s;
}

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return s === 0 ? (d === 0 ? 0 : Number.POSITIVE_INFINITY) : d / s;
}

/** The model as the twin reads it: layers in summary order with TF.js config, inbound tensors and weights. */
function writeSpec(km: KerasModel, dir: string): Record<string, unknown> {
  const layers = km.summary().map((s) => {
    const layer = km.layer(s.name);
    const weights = layer.getWeights().map((w, i) => {
      const file = `w_${s.name}_${i}.npy`;
      writeFileSync(join(dir, file), writeNpy({ data: w.dataSync() as Float32Array, shape: w.shape }));
      return file;
    });
    const inbound = s.inbound.map((ref) => {
      const m = /^(.*)\[(\d+)\]\[(\d+)\]$/.exec(ref);
      if (!m) throw new Error(`parity: cannot read the inbound reference '${ref}' of layer '${s.name}'.`);
      return [m[1], Number(m[3])];
    });
    return { name: s.name, kerasClass: s.className, config: layer.getConfig(), inbound, weights };
  });
  const out = km.model.outputs[0];
  const outLayer = km.summary().find((s) => km.layer(s.name) === out.sourceLayer);
  return { inputs: km.inputNames, output: [outLayer?.name, out.tensorIndex ?? 0], layers };
}

async function runModel(m: ParityModel, list: Entry[], opts: ReturnType<typeof parseArgs>, rows: Row[]) {
  const dir = mkdtempSync(join(tmpdir(), `keraspect-parity-${m.name}-`));
  const sample = m.x.shape.slice(1);
  const [steps, features] = sample.length === 2 ? sample : [1, sample[0]];
  const files = new Map<string, string>();
  const ctx: Ctx = {
    model: m.key ?? m.name,
    x: m.x,
    tsr: opts.tsr ? resolve(opts.tsr) : undefined,
    sample,
    steps,
    features,
    file(name, a) {
      const file = `${name}.npy`;
      if (!files.has(file))
        writeFileSync(join(dir, file), writeNpy({ data: Float32Array.from(a.data), shape: a.shape }));
      files.set(file, file);
      return file;
    },
  };
  const spec = writeSpec(m.km, dir);
  const xFile = ctx.file('x', m.x);
  const [y] = predict(m.km, m.x);
  writeFileSync(join(dir, 'predict.npy'), writeNpy({ data: Float32Array.from(y.data), shape: y.shape }));
  const ours = new Map<string, Attribution>();
  const jobs: (CaptumJob & { id: string; input: string; target: number[] })[] = [];
  for (const [i, e] of list.entries()) {
    const options = { ...e.keraspect(ctx), internalBatchSize: 64 } as ExplainerOptions;
    const r = await createExplainer(e.method, m.km, options).attribute(m.x);
    ours.set(e.name, r);
    const job = e.captum(ctx);
    jobs.push({ id: `job${i}`, input: xFile, target: Array.from(r.units ?? []), ...job });
  }
  writeFileSync(
    join(dir, 'spec.json'),
    JSON.stringify({ ...spec, predict: 'predict.npy', predictInput: xFile, igSteps: IG_STEPS, jobs }, null, 1),
  );
  const py = spawnSync(opts.python, [join(here, 'captum_twin.py'), resolve(opts.captum as string), dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (py.status !== 0)
    throw new Error(`parity: the Captum side failed on model '${m.name}':\n${py.stderr}${py.stdout}`);
  const info = JSON.parse(readFileSync(join(dir, 'out', 'info.json'), 'utf8'));
  rows.push({ entry: 'twin prediction (PyTorch twin vs Keraspect)', model: m.name, diff: info.twinPredictDiff });
  list.forEach((e, i) => {
    const theirs = readNpy(new Uint8Array(readFileSync(join(dir, 'out', `job${i}.npy`))));
    const r = ours.get(e.name) as Attribution;
    const row: Row = { entry: e.name, model: m.name, diff: relDiff(r.attributions[0].data, toFloat32(theirs)) };
    if (e.perturbation) row.floor = (2 * info.twinPredictAbs) / maxAbs(toFloat32(theirs));
    const extra = join(dir, 'out', `job${i}.json`);
    if (existsSync(extra)) row.pruned = JSON.parse(readFileSync(extra, 'utf8')).pruned;
    if (jobs[i].delta && r.delta) {
      const d = readNpy(new Uint8Array(readFileSync(join(dir, 'out', `job${i}.delta.npy`))));
      row.deltaDiff = Math.max(
        ...Array.from(
          r.delta,
          (v, k) => Math.abs(v - Number(toFloat32(d)[k])) / Math.max(1e-12, Math.abs(r.scores[k])),
        ),
      );
    }
    rows.push(row);
    if (e.scaled) {
      const k = e.scaled.factor;
      const scaled: Row = {
        entry: e.scaled.name,
        model: m.name,
        diff: relDiff(
          Float32Array.from(r.attributions[0].data, (v) => v * k),
          toFloat32(theirs),
        ),
      };
      if (jobs[i].delta && r.delta) {
        const d = toFloat32(readNpy(new Uint8Array(readFileSync(join(dir, 'out', `job${i}.delta.npy`)))));
        const n = r.attributions[0].data.length / r.delta.length;
        scaled.deltaDiff = Math.max(
          ...Array.from(r.delta, (dk, b) => {
            let sum = 0;
            for (let q = b * n; q < (b + 1) * n; q++) sum += r.attributions[0].data[q];
            return Math.abs(k * sum - (sum - dk) - d[b]) / Math.max(1e-12, Math.abs(r.scores[b]));
          }),
        );
      }
      rows.push(scaled);
    }
  });
  if (opts.keep) console.error(`parity: kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
  return info as { captum: string; torch: string; trapezoidWeightSum: number; twinPredictAbs: number };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const getCaptum =
    'git clone https://github.com/pytorch/captum && git -C captum checkout v0.7.0, then pnpm parity --captum ./captum (or CAPTUM_PATH=./captum)';
  if (!opts.captum) {
    console.error(`pnpm parity: no Captum source given. It needs a Captum 0.7 checkout: ${getCaptum}.`);
    process.exit(2);
  }
  if (!existsSync(join(opts.captum, 'captum', 'attr', '__init__.py'))) {
    console.error(
      `pnpm parity: '${opts.captum}' is not a Captum source tree (no captum/attr/__init__.py in it). Get one: ${getCaptum}.`,
    );
    process.exit(2);
  }
  const version = /__version__\s*=\s*"([^"]+)"/.exec(
    readFileSync(join(opts.captum, 'captum', '__init__.py'), 'utf8'),
  )?.[1];
  if (!version?.startsWith('0.7.'))
    console.error(
      `pnpm parity: warning: '${opts.captum}' is Captum ${version ?? '(unknown version)'}, not 0.7; the settings mapping is Captum 0.7's.`,
    );
  const probe = spawnSync(opts.python, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.error(
      `pnpm parity needs Python with torch and numpy: '${opts.python}' ${probe.error ? `could not start (${probe.error.message})` : `says: ${probe.stderr.trim().split('\n').pop()}`}. On Debian: apt-get install python3-torch python3-numpy, or set PARITY_PYTHON.`,
    );
    process.exit(2);
  }
  if (opts.tsr && !existsSync(join(opts.tsr, 'MNIST Experiments', 'Scripts', 'interpret.py'))) {
    console.error(
      `pnpm parity: '${opts.tsr}' is not a checkout of ayaabdelsalam91/TS-Interpretability-Benchmark (no 'MNIST Experiments/Scripts/interpret.py' in it).`,
    );
    process.exit(2);
  }
  const list = entries.filter(
    (e) =>
      methodNames.includes(e.method) &&
      (!opts.methods || opts.methods.some((m) => e.name.startsWith(m))) &&
      (opts.tsr || !e.needsTsr),
  );
  if (!opts.tsr)
    console.error(
      "pnpm parity: no --tsr (or TSR_PATH): temporalSaliencyRescaling is not compared with its authors' code. Give a checkout of ayaabdelsalam91/TS-Interpretability-Benchmark to compare it.",
    );
  await initBackend(opts.backend);
  const rows: Row[] = [];
  let info = { captum: '?', torch: '?', trapezoidWeightSum: Number.NaN, twinPredictAbs: Number.NaN };
  for (const name of opts.models) {
    const make = modelTable[name];
    if (!make) throw new Error(`parity: unknown model '${name}'; known: ${Object.keys(modelTable).join(', ')}.`);
    const m = { ...(await make()), key: name };
    const own = list.filter((e) => (!e.models || e.models.includes(name)) && !(m.flat && e.sequence));
    info = await runModel(m, own, opts, rows);
    m.km.dispose();
  }
  const trapezoid = quadrature('trapezoid', IG_STEPS).weights.reduce((a, b) => a + b, 0);
  if (opts.json) {
    console.log(JSON.stringify({ ...info, igSteps: IG_STEPS, keraspectTrapezoidWeightSum: trapezoid, rows }, null, 1));
    return;
  }
  console.log(
    `Keraspect (${backend()} backend) vs Captum ${info.captum} (torch ${info.torch}, float64 twin); models: ${opts.models.join(', ')}`,
  );
  console.log(
    'max relative difference max|K − C| / max|C| over the models (IG: and of the convergence delta / |f(x)|)',
  );
  const names = [...new Set(rows.map((r) => r.entry))];
  const width = Math.max(...names.map((n) => n.length));
  for (const n of names) {
    const own = rows.filter((r) => r.entry === n);
    const worst = own.reduce((a, r) => (r.diff > a.diff ? r : a));
    const delta = own.some((r) => r.deltaDiff !== undefined)
      ? `  delta ${Math.max(...own.map((r) => r.deltaDiff ?? 0)).toExponential(1)}`
      : '';
    const floor = worst.floor !== undefined ? `  forward-error scale ${worst.floor.toExponential(1)}` : '';
    const pruned = own.some((r) => r.pruned)
      ? `  pruning index per sample: ${own.map((r) => `${r.model.split('_')[0]} ${r.pruned?.join('/')}`).join(', ')}`
      : '';
    console.log(`${n.padEnd(width)}  ${worst.diff.toExponential(1)}  (worst: ${worst.model})${delta}${floor}${pruned}`);
  }
  console.log(
    `trapezoid rule with ${IG_STEPS} steps: Keraspect's weights sum to ${trapezoid.toFixed(6)}, Captum's riemann_trapezoid to ${info.trapezoidWeightSum.toFixed(6)} = (n−1)/n = ${((IG_STEPS - 1) / IG_STEPS).toFixed(6)}`,
  );
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
