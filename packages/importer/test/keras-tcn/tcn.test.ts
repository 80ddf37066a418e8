import { beforeAll, describe, expect, it } from 'vitest';
import { writeKerasH5 } from '../../src/export/h5.ts';
import { loadModel, modelFromConfig, predict, registerLayer, unregisterLayer } from '../../src/index.ts';
import { placeWeights } from '../../src/layers/keras-tcn/layout.ts';
import type { WeightArray } from '../../src/layers/port.ts';
import { h5 } from '../../src/read/h5wasm.ts';
import { kerasZip, type Var } from '../keras-zip.ts';
import { elu, type RefBlock, type RefConv, type RefTcn, referenceTcn, relu, type Seq, tanh } from './reference.ts';

// keras-tcn's TCN, release by release (philipperemy/keras-tcn, tcn/tcn.py history): files are
// written with Keraspect's own h5 writer, with the config keys and weight names each release and
// producer uses, and compared with a loop-by-loop reference of that release's math.

beforeAll(async () => {
  await h5();
});

/** Which keras-tcn release (and producer) a test file imitates. */
type Release =
  | 'keras3-3.5' // keras-tcn ≥ 3.5 on Keras 3: go_backwards/return_state keys, names without ':0'
  | 'tf-3.2' // 3.2 – 3.4 on tf.keras: use_weight_norm key
  | 'tf-3.1' // 3.1.x: no main conv, matching_conv1D where channels change, relu inside the blocks
  | 'tf-3.0' // 3.0.2: 1×1 input conv, residual 1×1 convs built outside their conv1D_2 scope, norm_<k> scopes
  | 'tf-3.0.1' // 2.9.2 – 3.0.1: as 3.0.2 without the norm_<k> scopes (TF 1 names the second BN gamma_1, …)
  | 'tf-2.9.0'; // 2.8.3-tf – 2.9.0: as 3.0.1 without the use_layer_norm key (and the 'same' slice at the last step)

interface Options {
  release: Release;
  filters: number | number[];
  kernelSize: number;
  dilations: number[];
  stacks?: number;
  padding?: 'causal' | 'same';
  skip?: boolean;
  returnSequences?: boolean;
  activation?: 'relu' | 'elu' | 'tanh';
  norm?: 'batch' | 'layer' | 'weight';
  goBackwards?: boolean;
  /** Steps and features of the input. */
  steps: number;
  features: number;
  /** Weight-norm `initialized` flag to store. Default 1. */
  initialized?: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

const ACT = { relu, elu, tanh };

/** A TCN file (config, weights in the release's names and order) and the reference model it holds. */
function tcnFile(o: Options, seed = 1) {
  const r = rng(seed);
  const modern = o.release === 'keras3-3.5' || o.release === 'tf-3.2';
  const old = o.release === 'tf-3.0' || o.release === 'tf-3.0.1' || o.release === 'tf-2.9.0';
  const normScope = o.release !== 'tf-3.0.1' && o.release !== 'tf-2.9.0';
  const suffix = o.release === 'keras3-3.5' ? '' : ':0';
  const stacks = o.stacks ?? 1;
  const perDilation = Array.isArray(o.filters) ? o.filters : o.dilations.map(() => o.filters as number);
  const filters = Array.from({ length: stacks }, () => perDilation).flat();
  const dilations = Array.from({ length: stacks }, () => o.dilations).flat();
  const skip = o.skip ?? true;
  const trainable: WeightArray[] = [];
  const fixed: WeightArray[] = [];
  const arr = (n: number, scale = 0.6) => Array.from({ length: n }, () => r() * scale);
  const weight = (name: string, shape: number[], values: number[], into = trainable): void => {
    into.push({ name: `tcn/${name}${suffix}`, shape, data: Float32Array.from(values) });
  };
  const makeConv = (path: string, k: number, cin: number, cout: number, wn = false): RefConv => {
    const flat = arr(k * cin * cout);
    const kernel = Array.from({ length: k }, (_, j) =>
      Array.from({ length: cin }, (_, i) => Array.from({ length: cout }, (_, c) => flat[(j * cin + i) * cout + c])),
    );
    const bias = arr(cout, 0.3);
    const g = wn ? arr(cout).map((v) => 0.5 + Math.abs(v)) : undefined;
    const at = (leaf: string) => (path ? `${path}/${leaf}` : leaf);
    if (g) weight(at('g'), [cout], g);
    weight(at('kernel'), [k, cin, cout], flat);
    weight(at('bias'), [cout], bias);
    if (wn) {
      weight(`${path}/initialized`, [], [o.initialized ?? 1], fixed);
      // tf-addons' data_init clone of the wrapped conv: tracked (so saved) yet never used once initialized.
      weight(`${path}/data_dep_init/kernel`, [k, cin, cout], arr(k * cin * cout), fixed);
      weight(`${path}/data_dep_init/bias`, [cout], arr(cout), fixed);
    }
    return { kernel, bias, g };
  };
  let bnCounter = 9; // keras names them globally: batch_normalization_9, _10, … (sorted by number, not text)
  let channels = o.features;
  let inputConv: RefConv | undefined;
  if (old) {
    // Built in TCN.build without a scope of its own: tcn/kernel:0.
    inputConv = makeConv('', 1, channels, filters[0]);
    channels = filters[0];
  }
  const blocks: RefBlock[] = filters.map((f, i) => {
    const p = `residual_block_${i}`;
    const convs: RefConv[] = [];
    const norms: number[][][] = [];
    let cin = channels;
    for (let k = 0; k < 2; k++) {
      convs.push(makeConv(`${p}/conv1D_${k}`, o.kernelSize, cin, f, o.norm === 'weight'));
      if (o.norm === 'batch' || o.norm === 'layer') {
        const layer = o.norm === 'batch' ? `batch_normalization_${bnCounter++}` : `layer_normalization_${bnCounter++}`;
        // Keras 3 scopes a weight by its layer's name too; tf.keras only by the name scopes open when
        // the layer is built (norm_<k> from 3.0.2; before, TF 1's graph made the names unique).
        const scope = o.release === 'keras3-3.5' ? `${p}/norm_${k}/${layer}` : normScope ? `${p}/norm_${k}` : p;
        const unique = normScope || k === 0 ? '' : `_${k}`;
        const gamma = arr(f).map((v) => 1 + v / 2);
        const beta = arr(f, 0.2);
        weight(`${scope}/gamma${unique}`, [f], gamma);
        weight(`${scope}/beta${unique}`, [f], beta);
        if (o.norm === 'batch') {
          const mean = arr(f, 0.3);
          const variance = arr(f).map((v) => 0.5 + Math.abs(v));
          weight(`${scope}/moving_mean${unique}`, [f], mean, fixed);
          weight(`${scope}/moving_variance${unique}`, [f], variance, fixed);
          norms.push([gamma, beta, mean, variance]);
        } else norms.push([gamma, beta]);
      }
      cin = f;
    }
    const lastBlock = i === filters.length - 1 + (skip ? 0 : 1);
    const hasMatching = old ? !lastBlock : channels !== f;
    // ≤ 3.0.2 builds the 1×1 conv outside its conv1D_2 scope: residual_block_<i>/kernel:0.
    const matching = hasMatching ? makeConv(old ? p : `${p}/matching_conv1D`, 1, channels, f) : undefined;
    channels = f;
    return {
      convs: convs as [RefConv, RefConv],
      norms: norms.length ? (norms as [number[][], number[][]]) : undefined,
      matching,
    };
  });
  const config: Record<string, unknown> = {
    name: 'tcn',
    trainable: true,
    nb_filters: o.filters,
    kernel_size: o.kernelSize,
    nb_stacks: stacks,
    dilations: o.dilations,
    padding: o.padding ?? 'causal',
    use_skip_connections: skip,
    dropout_rate: 0.1,
    return_sequences: o.returnSequences ?? false,
    activation: o.activation ?? 'relu',
    kernel_initializer: 'he_normal',
    use_batch_norm: o.norm === 'batch',
  };
  if (o.release !== 'tf-2.9.0') config.use_layer_norm = o.norm === 'layer';
  if (o.release === 'tf-3.2') config.use_weight_norm = o.norm === 'weight';
  if (o.release === 'keras3-3.5') Object.assign(config, { go_backwards: o.goBackwards ?? false, return_state: false });
  const className = o.release === 'keras3-3.5' ? 'Custom>TCN' : 'TCN';
  const modelConfig = {
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      layers: [
        {
          class_name: 'InputLayer',
          config: { name: 'x', batch_input_shape: [null, o.steps, o.features], dtype: 'float32' },
        },
        { class_name: className, config },
      ],
    },
  };
  const reference: RefTcn = {
    blocks,
    dilations,
    kernelSize: o.kernelSize,
    padding: o.padding ?? 'causal',
    activation: ACT[o.activation ?? 'relu'],
    innerRelu: !modern,
    branchActivation: modern,
    useSkip: skip,
    returnSequences: o.returnSequences ?? false,
    sameSliceMiddle: o.release !== 'tf-2.9.0',
    goBackwards: o.goBackwards ?? false,
    inputConv,
  };
  const bytes = writeKerasH5({
    modelConfig: modelConfig as never,
    kerasVersion: o.release === 'keras3-3.5' ? '3.9.2' : '2.4.0',
    layers: [
      { name: 'x', weights: [] },
      { name: 'tcn', weights: [...trainable, ...fixed] },
    ],
  });
  return { bytes, reference, modelConfig, weights: [...trainable, ...fixed] };
}

function input(o: Options, batch = 2): { data: Float32Array; shape: number[]; rows: Seq[] } {
  const r = rng(99);
  const rows: Seq[] = Array.from({ length: batch }, () =>
    Array.from({ length: o.steps }, () => Array.from({ length: o.features }, () => r())),
  );
  return { data: Float32Array.from(rows.flat(2)), shape: [batch, o.steps, o.features], rows };
}

async function expectMatches(o: Options): Promise<void> {
  const { bytes, reference } = tcnFile(o);
  const km = await loadModel(bytes);
  try {
    const x = input(o);
    const [y] = predict(km, { data: x.data, shape: x.shape });
    const want = x.rows.map((row) => referenceTcn(row, reference)).flat(2) as number[];
    expect(y.data.length).toBe(want.length);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(y.data[i] - want[i]));
    expect(worst, `max |Δ| vs the reference (${JSON.stringify(o)})`).toBeLessThan(2e-5);
  } finally {
    km.dispose();
  }
}

const base = { kernelSize: 2, dilations: [1, 2], filters: 3, steps: 7, features: 2 };

describe('keras-tcn TCN: the math of each release', () => {
  it('≥ 3.2: the configured activation inside the blocks and once more on the branch (elu tells them apart)', async () => {
    await expectMatches({ ...base, release: 'tf-3.2', activation: 'elu' });
    await expectMatches({ ...base, release: 'keras3-3.5', activation: 'elu' });
  });

  it('3.1: relu inside the blocks whatever the activation, the activation only after the residual sum', async () => {
    await expectMatches({ ...base, release: 'tf-3.1', activation: 'elu', skip: false });
    await expectMatches({ ...base, release: 'tf-3.1', activation: 'tanh' });
  });

  it('≤ 3.0: a 1×1 input convolution, and 1×1 residual convolutions on every block but the last (all of them without skips)', async () => {
    await expectMatches({ ...base, release: 'tf-3.0', activation: 'tanh', dilations: [1, 2, 4] });
    await expectMatches({ ...base, release: 'tf-3.0', activation: 'tanh', dilations: [1, 2, 4], skip: false });
  });

  it("padding='same' without sequences: step T/2 from 2.9.2 (use_layer_norm in the config), the last step in 2.9.0", async () => {
    await expectMatches({ ...base, release: 'tf-3.0', padding: 'same', steps: 8 });
    await expectMatches({ ...base, release: 'tf-2.9.0', padding: 'same', steps: 8 });
    await expectMatches({ ...base, release: 'keras3-3.5', padding: 'same', kernelSize: 3, steps: 9 });
  });
});

describe('keras-tcn TCN: each option', () => {
  it('return_sequences, nb_stacks, kernel sizes and dilations', async () => {
    await expectMatches({ ...base, release: 'keras3-3.5', returnSequences: true });
    await expectMatches({ ...base, release: 'keras3-3.5', stacks: 2, kernelSize: 3, dilations: [1, 2, 4], steps: 12 });
    await expectMatches({ ...base, release: 'tf-3.2', returnSequences: true, padding: 'same', kernelSize: 3 });
  });

  it('use_skip_connections off, and a list of nb_filters (a 1×1 residual conv where channels change)', async () => {
    await expectMatches({ ...base, release: 'keras3-3.5', skip: false, activation: 'tanh' });
    await expectMatches({ ...base, release: 'tf-3.2', skip: false, filters: [3, 4], activation: 'elu' });
  });

  it('use_batch_norm: moving statistics stored last (tf.keras) and layers numbered past 9', async () => {
    await expectMatches({ ...base, release: 'tf-3.2', norm: 'batch', activation: 'elu' });
    await expectMatches({ ...base, release: 'keras3-3.5', norm: 'batch', returnSequences: true });
    await expectMatches({ ...base, release: 'tf-3.0', norm: 'batch' });
  });

  it('normalization weights named by their scopes alone, as tf.keras names them (norm_<k>/gamma:0; before 3.0.2 gamma, gamma_1)', async () => {
    await expectMatches({ ...base, release: 'tf-3.0', norm: 'batch', filters: 4 });
    await expectMatches({ ...base, release: 'tf-3.0.1', norm: 'batch', activation: 'tanh' });
    await expectMatches({ ...base, release: 'tf-3.0.1', norm: 'layer', skip: false });
  });

  it('use_layer_norm', async () => {
    await expectMatches({ ...base, release: 'tf-3.2', norm: 'layer', activation: 'tanh' });
    await expectMatches({ ...base, release: 'tf-3.1', norm: 'layer' });
  });

  it('use_weight_norm (tensorflow-addons): kernel / ‖kernel‖ · g', async () => {
    await expectMatches({ ...base, release: 'tf-3.2', norm: 'weight', activation: 'elu' });
  });

  it('dilations that are not powers of two are used as stored (adjust_dilations only ever ran in compiled_tcn)', async () => {
    await expectMatches({ ...base, release: 'keras3-3.5', dilations: [1, 3, 5], kernelSize: 3, steps: 16 });
    await expectMatches({ ...base, release: 'tf-3.0.1', dilations: [3, 6], steps: 12, returnSequences: true });
  });

  it("an activation passed as a function, as Keras 3 serializes it inside keras-tcn's raw config", async () => {
    const o: Options = { ...base, release: 'keras3-3.5', activation: 'tanh' };
    const { modelConfig, weights, reference } = tcnFile(o);
    const tcn = modelConfig.config.layers[1].config as Record<string, unknown>;
    tcn.activation = {
      module: 'keras.src.activations.activations',
      class_name: 'function',
      config: 'tanh',
      registered_name: 'tanh',
    };
    const bytes = writeKerasH5({
      modelConfig: modelConfig as never,
      kerasVersion: '3.9.2',
      layers: [
        { name: 'x', weights: [] },
        { name: 'tcn', weights },
      ],
    });
    const km = await loadModel(bytes);
    try {
      const x = input(o);
      const [y] = predict(km, { data: x.data, shape: x.shape });
      const want = x.rows.flatMap((row) => referenceTcn(row, reference) as number[]);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(y.data[i] - want[i]));
      expect(worst).toBeLessThan(2e-5);
    } finally {
      km.dispose();
    }
  });

  it('go_backwards reverses the input in time (and returns the reversed sequence)', async () => {
    await expectMatches({ ...base, release: 'keras3-3.5', goBackwards: true });
    await expectMatches({ ...base, release: 'keras3-3.5', goBackwards: true, returnSequences: true });
  });

  it('a TCN built from a config alone (no stored weights) has the latest release layout', async () => {
    const { modelConfig } = tcnFile({ ...base, release: 'keras3-3.5', filters: [3, 3] });
    const km = await modelFromConfig(modelConfig as never, { kerasVersion: '3.9.2' });
    expect(km.layer('tcn').weights.map((w) => w.shape)).toEqual([
      [2, 2, 3],
      [3],
      [2, 3, 3],
      [3],
      [1, 2, 3],
      [3], // block 0, with a 1×1 residual conv (2 → 3 channels)
      [2, 3, 3],
      [3],
      [2, 3, 3],
      [3], // block 1, identity residual
    ]);
    expect(km.summary()[1].outputShapes).toEqual([[null, 3]]);
    km.dispose();
  });
});

/**
 * The same TCN as a Keras 3 `.keras` zip: saving_lib walks the layer's attributes by name, so weights
 * sit at layers/tcn/residual_block_<i>/<attribute>/vars/<n> (BatchNormalization in the
 * `batch_norm_layers` list, named by class with a counter).
 */
function tcnZip(o: Options) {
  const file = tcnFile(o);
  const groups: Record<string, Var[]> = { 'layers/tcn': [] };
  const index: Record<string, number> = { kernel: 0, bias: 1, gamma: 0, beta: 1, moving_mean: 2, moving_variance: 3 };
  for (const w of file.weights) {
    const [, block, sub, kind] = /residual_block_(\d+)\/(.+)\/(\w+)$/.exec(w.name) ?? [];
    const bn = /batch_normalization_(\d+)/.exec(sub);
    // Within a block the two BatchNormalizations are batch_normalization and batch_normalization_1.
    const attr = bn ? `batch_norm_layers/batch_normalization${Number(bn[1]) % 2 ? '' : '_1'}` : sub;
    const path = `layers/tcn/residual_block_${block}/${attr}`;
    groups[path] ??= [];
    groups[path][index[kind]] = { shape: w.shape, data: w.data };
  }
  const layers = file.modelConfig.config.layers;
  const config = {
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      layers: [
        {
          module: 'keras.layers',
          class_name: 'InputLayer',
          config: { name: 'x', batch_shape: layers[0].config.batch_input_shape, dtype: 'float32' },
          registered_name: null,
        },
        { module: 'tcn.tcn', class_name: 'TCN', config: layers[1].config, registered_name: 'Custom>TCN' },
      ],
    },
    registered_name: null,
  };
  const bytes = kerasZip({ config, kerasVersion: '3.9.2', groups, names: { 'layers/tcn': 'tcn' } });
  return { bytes, reference: file.reference };
}

describe('keras-tcn TCN in a Keras 3 .keras zip', () => {
  it('loads the weights from their attribute paths and matches the reference', async () => {
    const o: Options = {
      ...base,
      release: 'keras3-3.5',
      norm: 'batch',
      activation: 'elu',
      filters: [3, 4],
      skip: false,
    };
    const { bytes, reference } = tcnZip(o);
    const km = await loadModel(bytes);
    try {
      expect(km.format).toBe('keras-zip');
      const x = input(o);
      const [y] = predict(km, { data: x.data, shape: x.shape });
      const want = x.rows.map((row) => referenceTcn(row, reference)).flat(2) as number[];
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(y.data[i] - want[i]));
      expect(worst).toBeLessThan(2e-5);
    } finally {
      km.dispose();
    }
  });
});

/**
 * `Bidirectional(TCN)` as tf.keras writes it (inner `layer` only; both halves' trainable weights
 * before both halves' moving statistics) or as Keras 3 does (`backward_layer` written too).
 */
function bidirectionalFile(o: Options, mergeMode: 'concat' | 'sum', keras3: boolean) {
  const fwd = tcnFile(o, 1);
  const bwd = tcnFile({ ...o, goBackwards: true }, 2);
  const fixed = (w: WeightArray) => /moving_|initialized/.test(w.name);
  const rename = (w: WeightArray, side: string) => ({
    ...w,
    name: w.name.replace(/^tcn\//, `bidirectional/${side}_tcn/`),
  });
  const f = fwd.weights.map((w) => rename(w, 'forward'));
  const b = bwd.weights.map((w) => rename(w, 'backward'));
  const weights = [
    ...f.filter((w) => !fixed(w)),
    ...b.filter((w) => !fixed(w)),
    ...f.filter(fixed),
    ...b.filter(fixed),
  ];
  const [inputLayer, tcn] = fwd.modelConfig.config.layers;
  const tcnConfig = tcn.config as Record<string, unknown>;
  const config: Record<string, unknown> = {
    name: 'bidirectional',
    trainable: true,
    layer: { class_name: tcn.class_name, config: tcnConfig },
    merge_mode: mergeMode,
  };
  if (keras3) config.backward_layer = { class_name: tcn.class_name, config: { ...tcnConfig, go_backwards: true } };
  const modelConfig = {
    class_name: 'Sequential',
    config: { name: 'sequential', layers: [inputLayer, { class_name: 'Bidirectional', config }] },
  };
  const bytes = writeKerasH5({
    modelConfig: modelConfig as never,
    kerasVersion: keras3 ? '3.9.2' : '2.4.0',
    layers: [
      { name: 'x', weights: [] },
      { name: 'bidirectional', weights },
    ],
  });
  return { bytes, forward: fwd.reference, backward: bwd.reference };
}

describe('keras-tcn TCN inside Bidirectional (keras-tcn ≥ 3.5)', () => {
  it.each([
    ['tf.keras, concat, sequences, batch norm', false, 'concat', { returnSequences: true, norm: 'batch' as const }],
    ['Keras 3, sum, last step', true, 'sum', { returnSequences: false }],
  ] as const)(
    '%s: the forward TCN beside its go_backwards copy, flipped back in time',
    async (_l, keras3, mode, extra) => {
      const o: Options = { ...base, release: keras3 ? 'keras3-3.5' : 'tf-3.2', ...extra };
      const { bytes, forward, backward } = bidirectionalFile(o, mode, keras3);
      const km = await loadModel(bytes);
      try {
        const x = input(o);
        const [y] = predict(km, { data: x.data, shape: x.shape });
        const want = x.rows.flatMap((row) => {
          const yf = referenceTcn(row, forward);
          let yb = referenceTcn(row, backward);
          if (o.returnSequences) yb = [...(yb as Seq)].reverse();
          if (!o.returnSequences) {
            const [a, b] = [yf as number[], yb as number[]];
            return mode === 'concat' ? [...a, ...b] : a.map((v, i) => v + b[i]);
          }
          return (yf as Seq).flatMap((step, t) =>
            mode === 'concat' ? [...step, ...(yb as Seq)[t]] : step.map((v, i) => v + (yb as Seq)[t][i]),
          );
        });
        expect(y.data.length).toBe(want.length);
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(y.data[i] - want[i]));
        expect(worst).toBeLessThan(2e-5);
        expect(km.summary().find((r) => r.name === 'bidirectional')?.params).toBe(2 * tcnParams(o));
      } finally {
        km.dispose();
      }
    },
  );
});

/**
 * `TimeDistributed(TCN)`: Keras builds the TCN inside the wrapper's scope, so its weights are named
 * time_distributed/residual_block_<i>/… and listed in the TCN's own (trainable first) order.
 */
describe('keras-tcn TCN inside TimeDistributed', () => {
  it.each([
    ['tf.keras, keras-tcn 3.0.2 with batch norm (input conv, moving statistics last)', 'tf-3.0', 'batch'],
    ['Keras 3, keras-tcn 3.5, sequences', 'keras3-3.5', undefined],
  ] as const)('%s: the TCN on every outer step', async (_l, release, norm) => {
    const o: Options = { ...base, release, norm, returnSequences: release === 'keras3-3.5' };
    const outer = 3;
    const file = tcnFile(o);
    const [inputLayer, tcn] = file.modelConfig.config.layers;
    const modelConfig = {
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          {
            class_name: 'InputLayer',
            config: { name: 'x', batch_input_shape: [null, outer, o.steps, o.features], dtype: 'float32' },
          },
          { class_name: 'TimeDistributed', config: { name: 'time_distributed', trainable: true, layer: tcn } },
        ],
      },
    };
    expect(inputLayer.class_name).toBe('InputLayer');
    const bytes = writeKerasH5({
      modelConfig: modelConfig as never,
      kerasVersion: release === 'keras3-3.5' ? '3.9.2' : '2.4.0',
      layers: [
        { name: 'x', weights: [] },
        {
          name: 'time_distributed',
          weights: file.weights.map((w) => ({ ...w, name: w.name.replace(/^tcn\//, 'time_distributed/') })),
        },
      ],
    });
    const km = await loadModel(bytes);
    try {
      const r = rng(7);
      const rows: Seq[][] = Array.from({ length: 2 }, () =>
        Array.from({ length: outer }, () =>
          Array.from({ length: o.steps }, () => Array.from({ length: o.features }, () => r())),
        ),
      );
      const [y] = predict(km, { data: Float32Array.from(rows.flat(3)), shape: [2, outer, o.steps, o.features] });
      const want = rows.flatMap((sample) =>
        sample.flatMap((seq) => (referenceTcn(seq, file.reference) as number[]).flat()),
      );
      expect(y.data.length).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(y.data[i] - want[i]));
      expect(worst).toBeLessThan(2e-5);
    } finally {
      km.dispose();
    }
  });
});

describe('keras-tcn TCN after Masking (Keras 3)', () => {
  it('computes on the masked input as it is (keras-tcn takes no mask) and passes no mask on', async () => {
    const o: Options = { ...base, release: 'keras3-3.5', returnSequences: true };
    const file = tcnFile(o);
    const [inputLayer, tcn] = file.modelConfig.config.layers;
    const modelConfig = {
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          inputLayer,
          { class_name: 'Masking', config: { name: 'masking', mask_value: 0 } },
          tcn,
          { class_name: 'LSTM', config: { name: 'lstm', units: 2, return_sequences: false } },
        ],
      },
    };
    const lstm = [
      { name: 'lstm/lstm_cell/kernel', shape: [3, 8], data: Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)) },
      {
        name: 'lstm/lstm_cell/recurrent_kernel',
        shape: [2, 8],
        data: Float32Array.from({ length: 16 }, (_, i) => Math.cos(i) / 2),
      },
      { name: 'lstm/lstm_cell/bias', shape: [8], data: Float32Array.from({ length: 8 }, (_, i) => i / 10) },
    ];
    const bytes = writeKerasH5({
      modelConfig: modelConfig as never,
      kerasVersion: '3.9.2',
      layers: [
        { name: 'x', weights: [] },
        { name: 'masking', weights: [] },
        { name: 'tcn', weights: file.weights },
        { name: 'lstm', weights: lstm },
      ],
    });
    const km = await loadModel(bytes);
    try {
      const x = input(o);
      // The last two steps of sample 0 are masked (all zero).
      for (let t = o.steps - 2; t < o.steps; t++)
        for (let c = 0; c < o.features; c++) {
          x.data[t * o.features + c] = 0;
          x.rows[0][t][c] = 0;
        }
      const [y] = predict(km, { data: x.data, shape: x.shape });
      // The LSTM sees the TCN's full sequence, no mask: its output from the unmasked-LSTM reference.
      const sig = (v: number) => 1 / (1 + Math.exp(-v));
      const want = x.rows.flatMap((row) => {
        const seq = referenceTcn(row, file.reference) as Seq;
        let h = [0, 0];
        let c = [0, 0];
        for (const step of seq) {
          const z = Array.from({ length: 8 }, (_, j) => {
            let s = lstm[2].data[j];
            step.forEach((v, i) => {
              s += v * lstm[0].data[i * 8 + j];
            });
            h.forEach((v, i) => {
              s += v * lstm[1].data[i * 8 + j];
            });
            return s;
          });
          const gate = (g: number, u: number) => z[g * 2 + u];
          c = c.map((cv, u) => sig(gate(1, u)) * cv + sig(gate(0, u)) * Math.tanh(gate(2, u)));
          h = c.map((cv, u) => sig(gate(3, u)) * Math.tanh(cv));
        }
        return h;
      });
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(y.data[i] - want[i]));
      expect(worst).toBeLessThan(2e-5);
    } finally {
      km.dispose();
    }
  });
});

/** Parameters of one TCN of the test files (as Keras counts them). */
function tcnParams(o: Options): number {
  return tcnFile(o).weights.reduce((n, w) => n + w.data.length, 0);
}

describe('keras-tcn TCN: names and errors', () => {
  it("resolves the registered name 'Custom>TCN' to keras-tcn's class, and a user registration under it wins", async () => {
    const { bytes } = tcnFile({ ...base, release: 'keras3-3.5' });
    const km = await loadModel(bytes);
    expect(km.summary().map((r) => r.className)).toEqual(['InputLayer', 'Custom>TCN']);
    km.dispose();
    registerLayer('Custom>TCN', { build: () => ({ user: true }) as never, describe: 'user' });
    try {
      await expect(loadModel(bytes)).rejects.toThrow();
    } finally {
      unregisterLayer('Custom>TCN');
    }
  });

  it('places Keras 3 .keras weights (vars/<i>, batch_norm_layers containers) by path', () => {
    const w = (name: string, shape: number[]) => ({
      name,
      shape,
      data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
    });
    const placed = placeWeights('tcn', [
      w('layers/tcn/residual_block_0/batch_norm_layers/batch_normalization/vars/0', [3]),
      w('layers/tcn/residual_block_0/batch_norm_layers/batch_normalization/vars/3', [3]),
      w('layers/tcn/residual_block_0/batch_norm_layers/batch_normalization_1/vars/2', [3]),
      w('layers/tcn/residual_block_0/conv1D_1/vars/1', [3]),
      w('layers/tcn/residual_block_10/matching_conv1D/vars/0', [1, 2, 3]),
    ]);
    expect(placed.map((p) => [p.where, p.kind])).toEqual([
      [{ block: 0, part: 'norm', index: 0 }, 'gamma'],
      [{ block: 0, part: 'norm', index: 0 }, 'moving_variance'],
      [{ block: 0, part: 'norm', index: 1 }, 'moving_mean'],
      [{ block: 0, part: 'conv', index: 1 }, 'bias'],
      [{ block: 10, part: 'matching' }, 'kernel'],
    ]);
  });

  it('a missing weight is named, with what was stored', async () => {
    const { modelConfig, weights } = tcnFile({ ...base, release: 'tf-3.2' });
    const bytes = writeKerasH5({
      modelConfig: modelConfig as never,
      kerasVersion: '2.4.0',
      layers: [
        { name: 'x', weights: [] },
        { name: 'tcn', weights: weights.filter((x) => !x.name.includes('residual_block_1/conv1D_0/bias')) },
      ],
    });
    await expect(loadModel(bytes)).rejects.toThrow(
      /TCN layer 'tcn': no stored weight is the bias of residual block 1 conv1D_0 \(stored: tcn\/residual_block_0\/conv1D_0\/kernel:0, /,
    );
  });

  it('a weight-normalized conv that was never initialized is refused, saying why', async () => {
    const { bytes } = tcnFile({ ...base, release: 'tf-3.2', norm: 'weight', initialized: 0 });
    const e = await loadModel(bytes).catch((err: unknown) => err as Error);
    expect((e as Error).message).toMatch(
      /the weight normalization of residual block 0 conv1D_0 was never initialized \(its 'initialized' flag is 0\)/,
    );
  });

  it('two normalizations at once are refused as keras-tcn refuses them', async () => {
    const { modelConfig } = tcnFile({ ...base, release: 'tf-3.2', norm: 'batch' });
    const tcn = modelConfig.config.layers[1].config as Record<string, unknown>;
    tcn.use_layer_norm = true;
    await expect(modelFromConfig(modelConfig as never)).rejects.toThrow(
      /Layer 'tcn' \(TCN\) config 'use_layer_norm' = true is not supported: keras-tcn allows one normalization at a time\./,
    );
  });
});
