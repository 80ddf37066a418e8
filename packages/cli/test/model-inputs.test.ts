import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, modelFromConfig, predict, readNpy, toKerasH5, writeNpy, writeNpz } from '@keraspect/importer';
import { EXAMPLES_DIR } from '../src/commands/demo.ts';
import { run } from '../src/run.ts';
import { memoryIo } from './memory-io.ts';

// The CLI's two ways of naming what to open and what to feed: MODEL as an architecture JSON
// (model.to_json()) with --weights, and --input NAME=FILE / .npz for multi-input models.

const exampleH5 = new Uint8Array(readFileSync(join(EXAMPLES_DIR, 'attention-lstm.h5')));
const series = new Uint8Array(readFileSync(join(EXAMPLES_DIR, 'series.npy')));

/** Entry of a Keras 2 functional config called on `inbound` (output 0 of each). */
function layer(class_name: string, name: string, config: Record<string, unknown>, inbound: string[]) {
  return {
    class_name,
    name,
    config: { name, ...config },
    inbound_nodes: inbound.length ? [inbound.map((n) => [n, 0, 0, {}])] : [],
  };
}
const input = (name: string, shape: number[]) => ({
  class_name: 'InputLayer',
  name,
  config: { name, batch_input_shape: [null, ...shape], dtype: 'float32' },
  inbound_nodes: [],
});

/** a (6, 3) and b (6, 2) → Dense(4) each → Concatenate → SeqSelfAttention → Flatten → Dense(2). */
const twoInputConfig = {
  class_name: 'Model',
  config: {
    name: 'two_inputs',
    layers: [
      input('a', [6, 3]),
      input('b', [6, 2]),
      layer('Dense', 'da', { units: 4, activation: 'tanh' }, ['a']),
      layer('Dense', 'db', { units: 4, activation: 'tanh' }, ['b']),
      layer('Concatenate', 'cat', { axis: -1 }, ['da', 'db']),
      layer(
        'SeqSelfAttention',
        'att',
        {
          units: 3,
          attention_type: 'additive',
          attention_width: null,
          return_attention: false,
          attention_activation: 'linear',
        },
        ['cat'],
      ),
      layer('Flatten', 'flat', {}, ['att']),
      layer('Dense', 'out', { units: 2 }, ['flat']),
    ],
    input_layers: [
      ['a', 0, 0],
      ['b', 0, 0],
    ],
    output_layers: [['out', 0, 0]],
  },
};

const seq = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + 0.7 * i));
const aData = { data: seq(2 * 6 * 3, 1), shape: [2, 6, 3] };
const bData = { data: seq(2 * 6 * 2, 2), shape: [2, 6, 2] };

let twoH5: Uint8Array;
let expected: Float32Array;
let files: Record<string, Uint8Array>;

beforeAll(async () => {
  const km = await modelFromConfig(twoInputConfig as never);
  twoH5 = await toKerasH5(km);
  km.dispose();
  const loaded = await loadModel(twoH5);
  expected = predict(loaded, [aData, bData])[0].data as Float32Array;
  loaded.dispose();
  const example = await loadModel(exampleH5);
  const exampleWeights = await toKerasH5(example, { weightsOnly: true });
  const exampleArch = new TextEncoder().encode(JSON.stringify(example.modelConfig));
  example.dispose();
  files = {
    'two.h5': twoH5,
    'a.npy': writeNpy(aData),
    'b.npy': writeNpy(bData),
    'ab.npz': writeNpz({ b: bData, a: aData }),
    'positional.npz': writeNpz({ arr_0: aData, arr_1: bData }),
    'a-only.npz': writeNpz({ a: aData }),
    'b1.npy': writeNpy({ data: bData.data.subarray(0, 12), shape: [1, 6, 2] }),
    'arch.json': exampleArch,
    'weights.h5': exampleWeights,
    'series.npy': series,
  };
});

const prediction = (m: ReturnType<typeof memoryIo>, path = 'y.npy') =>
  readNpy(m.written.get(path) as Uint8Array).data as Float32Array;

describe('MODEL as architecture JSON (model.to_json()) with --weights', () => {
  it('predicts what the full model file predicts', async () => {
    const full = memoryIo(files);
    expect(
      await run(
        ['predict', join(EXAMPLES_DIR, 'attention-lstm.h5'), '--input', 'series.npy', '--out', 'y.npy'],
        full.io,
      ),
    ).toBe(0);
    const split = memoryIo(files);
    expect(
      await run(
        ['predict', 'arch.json', '--weights', 'weights.h5', '--input', 'series.npy', '--out', 'y.npy'],
        split.io,
      ),
    ).toBe(0);
    expect(Array.from(prediction(split))).toEqual(Array.from(prediction(full)));
  });

  it.each([
    ['inspect', []],
    ['outputs', ['--input', 'series.npy', '--out', 'o']],
    ['attention', ['--input', 'series.npy', '--out', 'att']],
    ['attribute', ['--input', 'series.npy', '--method', 'gradient', '--out', 'g.npy']],
    ['report', ['--input', 'series.npy', '--out', 'r', '--methods', 'gradient', '--quiet']],
    ['convert', ['--to', 'h5', '--out', 'x.h5']],
    ['show', ['--input', 'series.npy', '--out', 'fig']],
  ])('works for %s', async (command, rest) => {
    const m = memoryIo(files);
    expect(await run([command, 'arch.json', '--weights', 'weights.h5', ...rest], m.io), m.err()).toBe(0);
  });

  it('works for plot: rnnWeights and a layer of one sample (DATA is the model)', async () => {
    const m = memoryIo(files);
    expect(
      await run(
        ['plot', 'rnnWeights', 'arch.json', '--weights', 'weights.h5', '--layer', 'lstm', '--out', 'w.png'],
        m.io,
      ),
      m.err(),
    ).toBe(0);
    expect(m.written.has('w.png')).toBe(true);
    const layer = memoryIo(files);
    expect(
      await run(
        [
          'plot',
          'features1D',
          'arch.json',
          '--weights',
          'weights.h5',
          '--input',
          'series.npy',
          '--layer',
          'lstm',
          '--out',
          'f.png',
        ],
        layer.io,
      ),
      layer.err(),
    ).toBe(0);
    expect(layer.written.has('f.png')).toBe(true);
  });

  it('refuses an architecture without --weights, and JSON given as the weights', async () => {
    const m = memoryIo(files);
    expect(await run(['inspect', 'arch.json'], m.io)).toBe(2);
    expect(m.err()).toMatch(
      /'arch\.json' is a model architecture \(JSON, as model\.to_json\(\) writes it\) without weights: give the weights file with --weights FILE/,
    );
    const w = memoryIo(files);
    expect(await run(['inspect', 'weights.h5', '--weights', 'arch.json'], w.io)).toBe(2);
    expect(w.err()).toMatch(/--weights 'arch\.json' is JSON text, not a weights file/);
  });

  it('a weights-only file given as MODEL says how to give the architecture on the command line', async () => {
    const m = memoryIo(files);
    expect(await run(['inspect', 'weights.h5'], m.io)).toBe(1);
    expect(m.err()).toMatch(/weights-only file.*keraspect <command> ARCHITECTURE\.json --weights THIS_FILE/s);
  });
});

describe('named inputs: --input NAME=FILE and .npz', () => {
  it('feeds each named input, in any order', async () => {
    const m = memoryIo(files);
    expect(
      await run(['predict', 'two.h5', '--input', 'b=b.npy', '--input', 'a=a.npy', '--out', 'y.npy'], m.io),
      m.err(),
    ).toBe(0);
    expect(Array.from(prediction(m))).toEqual(Array.from(expected));
  });

  it('takes one .npz whose arrays are named like the inputs, or numpy.savez positional arrays', async () => {
    for (const file of ['ab.npz', 'positional.npz']) {
      const m = memoryIo(files);
      expect(await run(['predict', 'two.h5', '--input', file, '--out', 'y.npy'], m.io), m.err()).toBe(0);
      expect(Array.from(prediction(m))).toEqual(Array.from(expected));
    }
    const mixed = memoryIo(files);
    expect(
      await run(['predict', 'two.h5', '--input', 'a-only.npz', '--input', 'b=ab.npz', '--out', 'y.npy'], mixed.io),
    ).toBe(0);
    expect(Array.from(prediction(mixed))).toEqual(Array.from(expected));
  });

  it.each([
    ['outputs', ['--out', 'o']],
    ['attention', ['--out', 'att']],
    ['attribute', ['--method', 'gradientXInput', '--out', 'g.npy']],
    ['report', ['--out', 'r', '--methods', 'gradient', '--quiet']],
    ['show', ['--out', 'fig']],
  ])('works for %s', async (command, rest) => {
    const m = memoryIo(files);
    expect(await run([command, 'two.h5', '--input', 'a=a.npy', '--input', 'b=b.npy', ...rest], m.io), m.err()).toBe(0);
    if (command === 'attribute') {
      expect(readNpy(m.written.get('g.0.npy') as Uint8Array).shape).toEqual([2, 6, 3]);
      expect(readNpy(m.written.get('g.1.npy') as Uint8Array).shape).toEqual([2, 6, 2]);
    }
  });

  it('works for plot with a model (a layer of one sample)', async () => {
    const m = memoryIo(files);
    expect(
      await run(
        [
          'plot',
          'features1D',
          'two.h5',
          '--input',
          'b=b.npy',
          '--input',
          'a=a.npy',
          '--layer',
          'cat',
          '--out',
          'c.png',
        ],
        m.io,
      ),
      m.err(),
    ).toBe(0);
    expect(m.written.has('c.png')).toBe(true);
    const missing = memoryIo(files);
    expect(
      await run(['plot', 'features1D', 'two.h5', '--input', 'a=a.npy', '--layer', 'cat', '--out', 'c.png'], missing.io),
    ).toBe(2);
    expect(missing.err()).toMatch(/No data for input 'b' of model 'two_inputs'/);
  });

  it('names the input that has no data, and how to give it', async () => {
    const m = memoryIo(files);
    expect(await run(['predict', 'two.h5', '--input', 'a=a.npy', '--out', 'y.npy'], m.io)).toBe(2);
    expect(m.err()).toMatch(
      /No data for input 'b' of model 'two_inputs' \(inputs: a \(None, 6, 3\), b \(None, 6, 2\)\)\. Give it with --input b=FILE\./,
    );
    const npz = memoryIo(files);
    expect(await run(['predict', 'two.h5', '--input', 'a-only.npz', '--out', 'y.npy'], npz.io)).toBe(2);
    expect(npz.err()).toMatch(/No data for input 'b' of model 'two_inputs'/);
  });

  it('rejects unknown names, inputs given twice, unnamed files for several inputs and mismatched batches', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['c=a.npy'],
        /Model 'two_inputs' has no input named 'c' \(--input c=a\.npy\)\. Its inputs: a \(None, 6, 3\), b \(None, 6, 2\)\./,
      ],
      [['a=a.npy', 'a=ab.npz'], /Input 'a' is given twice \(a\.npy and ab\.npz:a\)/],
      [
        ['a.npy'],
        /Model 'two_inputs' has 2 inputs .*: name each one, e\.g\. --input a=FILE --input b=FILE, or give one \.npz whose arrays are named a, b\./,
      ],
      [
        ['a=a.npy', 'b=b1.npy'],
        /Inputs need the same number of samples: 'a' \(a\.npy\) has 2, 'b' \(b1\.npy\) has 1\./,
      ],
      [
        ['a=b.npy', 'b=b.npy'],
        /Input 'b\.npy' has shape \(2, 6, 2\) but input 'a' of model 'two_inputs' takes \(None, 6, 3\)/,
      ],
    ];
    for (const [inputs, message] of cases) {
      const m = memoryIo(files);
      expect(await run(['predict', 'two.h5', ...inputs.flatMap((i) => ['--input', i]), '--out', 'y.npy'], m.io)).toBe(
        2,
      );
      expect(m.err()).toMatch(message);
    }
  });

  it('a single-input model takes a bare .npz with one array', async () => {
    const one = memoryIo({ ...files, 's.npz': writeNpz({ x: readNpy(series) as never }) });
    expect(
      await run(['predict', join(EXAMPLES_DIR, 'attention-lstm.h5'), '--input', 's.npz', '--out', 'y.npy'], one.io),
    ).toBe(0);
    expect(readNpy(one.written.get('y.npy') as Uint8Array).shape).toEqual([4, 1]);
  });
});

describe('non-finite inputs', () => {
  it('a NaN in the input file is named by its sample, step and feature, and nothing is written', async () => {
    const x = readNpy(series);
    const data = Float32Array.from(x.data as Float32Array);
    const [, T, F] = x.shape;
    data[(2 * T + 5) * F + 1] = Number.NaN;
    const m = memoryIo({ 'nan.npy': writeNpy({ data, shape: x.shape }) });
    expect(
      await run(['predict', join(EXAMPLES_DIR, 'attention-lstm.h5'), '--input', 'nan.npy', '--out', 'y.npy'], m.io),
    ).toBe(1);
    expect(m.err()).toMatch(/contains NaN at \[2, 5, 1\] \(flat index \d+\); Keraspect needs finite inputs/);
    expect(m.written.size).toBe(0);
  });
});
