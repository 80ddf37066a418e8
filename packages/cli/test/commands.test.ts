import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '@keraspect/importer';
import { run } from '../src/run.ts';
import { EXAMPLES_DIR } from '../src/commands/demo.ts';
import { fixturesDir } from '../../../test/support/fixtures.ts';
import { memoryIo } from './memory-io.ts';

const model = join(EXAMPLES_DIR, 'attention-lstm.h5');

/** A model without attention layers, written by our own exporter. */
async function plainModel(): Promise<Uint8Array> {
  const { modelFromConfig, toKerasH5 } = await import('@keraspect/importer');
  const km = await modelFromConfig({
    class_name: 'Sequential',
    config: {
      name: 'plain',
      layers: [{ class_name: 'Dense', config: { name: 'd', units: 1, batch_input_shape: [null, 5] } }],
    },
  });
  const bytes = await toKerasH5(km);
  km.dispose();
  return bytes;
}
const series = join(EXAMPLES_DIR, 'series.npy');
const dir = fixturesDir();

describe('keraspect CLI (in-process)', () => {
  it('lists commands and rejects unknown ones', async () => {
    const m = memoryIo();
    expect(await run(['--help'], m.io)).toBe(0);
    expect(m.out()).toMatch(/inspect .*\n.*predict/s);
    const u = memoryIo();
    expect(await run(['frobnicate'], u.io)).toBe(2);
    expect(u.err()).toMatch(/Unknown command 'frobnicate'. Commands: inspect, predict/);
  });

  it('inspect prints the Keras summary, producer and backend', async () => {
    const m = memoryIo();
    expect(await run(['inspect', model], m.io)).toBe(0);
    expect(m.out()).toMatch(/Model: "attention_lstm_example"\s+\(Keras 2\.3\.1/);
    expect(m.out()).toMatch(/Backend: (wasm|cpu|tensorflow)/);
    expect(m.out()).toMatch(
      /attention \(SeqSelfAttention\)\s+\(None, 48, 16\), \(None, 48, 48\)\s+545\s+lstm\[0\]\[0\]/,
    );
    expect(m.out()).toMatch(/Attention layers: attention/);
  });

  it('inspect --json', async () => {
    const m = memoryIo();
    expect(await run(['inspect', model, '--json'], m.io)).toBe(0);
    const j = JSON.parse(m.out());
    expect(j.attentionLayers).toEqual(['attention']);
    expect(j.inputs).toEqual([{ name: 'series', shape: [null, 48, 3] }]);
    expect(j.paramsTotal).toBe(j.layers.reduce((n: number, l: { params: number }) => n + l.params, 0));
  });

  it('predict writes a float32 .npy', async () => {
    const m = memoryIo();
    expect(await run(['predict', model, '--input', series, '--out', 'y.npy'], m.io)).toBe(0);
    const y = readNpy(m.written.get('y.npy') as Uint8Array);
    expect(y.shape).toEqual([4, 1]);
    expect(y.dtype).toBe('float32');
  });

  it('predict and attribute write nested JSON for a .json path', async () => {
    const m = memoryIo();
    expect(await run(['predict', model, '--input', series, '--out', 'y.json'], m.io)).toBe(0);
    const y = JSON.parse(m.written.get('y.json') as string);
    expect(y).toHaveLength(4);
    expect(y[0]).toHaveLength(1);
    expect(
      await run(
        ['attribute', model, '--input', series, '--method', 'gradient', '--target', '0', '--out', 'g.json'],
        m.io,
      ),
    ).toBe(0);
    const g = JSON.parse(m.written.get('g.json') as string);
    expect([g.length, g[0].length, g[0][0].length]).toEqual([4, 48, 3]);
  });

  it('outputs writes predict.npy and one file per layer output', async () => {
    const m = memoryIo();
    expect(await run(['outputs', model, '--input', series, '--out', 'out'], m.io)).toBe(0);
    expect([...m.written.keys()].sort()).toEqual([
      'out/layers/attention.0.npy',
      'out/layers/attention.1.npy',
      'out/layers/concat.npy',
      'out/layers/flatten.npy',
      'out/layers/forecast.npy',
      'out/layers/lstm.npy',
      'out/predict.npy',
    ]);
    expect(readNpy(m.written.get('out/layers/attention.1.npy') as Uint8Array).shape).toEqual([4, 48, 48]);
  });

  it('outputs --layers takes names, substrings, /regex/ and indices', async () => {
    const m = memoryIo();
    expect(await run(['outputs', model, '--input', series, '--out', 'o', '--layers', '/^att/,forecast'], m.io)).toBe(0);
    expect([...m.written.keys()].sort()).toEqual([
      'o/layers/attention.0.npy',
      'o/layers/attention.1.npy',
      'o/layers/forecast.npy',
      'o/predict.npy',
    ]);
    const u = memoryIo();
    expect(await run(['outputs', model, '--input', series, '--out', 'o', '--layers', 'nope'], u.io)).toBe(1);
    expect(u.err()).toMatch(/No layer of model 'attention_lstm_example' matches 'nope'/);
  });

  it('convert to h5 and tfjs', async () => {
    const m = memoryIo();
    expect(await run(['convert', model, '--to', 'h5', '--out', 'x.h5'], m.io)).toBe(0);
    const again = memoryIo({ 'x.h5': m.written.get('x.h5') as Uint8Array });
    expect(await run(['inspect', 'x.h5', '--json'], again.io)).toBe(0);
    expect(JSON.parse(again.out()).paramsTotal).toBe(3362);
    const t = memoryIo();
    expect(await run(['convert', model, '--to', 'tfjs', '--out', 'web/'], t.io)).toBe(0);
    expect(JSON.parse(t.written.get('web/model.json') as string).weightsManifest[0].paths).toEqual([
      'group1-shard1of1.bin',
    ]);
  });

  it('attention writes each layer and the rollout', async () => {
    const m = memoryIo();
    expect(await run(['attention', model, '--input', series, '--out', 'att', '--rollout'], m.io)).toBe(0);
    expect(readNpy(m.written.get('att/attention.npy') as Uint8Array).shape).toEqual([4, 48, 48]);
    const r = readNpy(m.written.get('att/rollout.npy') as Uint8Array);
    expect(r.shape).toEqual([4, 48, 48]);
    const row0 = Array.from((r.data as Float32Array).subarray(0, 48)).reduce((a, b) => a + b, 0);
    expect(row0).toBeCloseTo(1, 4);
  });

  it('attribute --method gradient --target 0 writes the signed input gradient of unit 0', async () => {
    const m = memoryIo();
    expect(
      await run(
        ['attribute', model, '--input', series, '--method', 'gradient', '--target', '0', '--out', 'g.npy', '--json'],
        m.io,
      ),
    ).toBe(0);
    const g = readNpy(m.written.get('g.npy') as Uint8Array);
    expect(g.shape).toEqual([4, 48, 3]);
    // Central difference on one input cell of sample 0 agrees with the gradient.
    const { loadModel, predict } = await import('@keraspect/importer');
    const { readFileSync } = await import('node:fs');
    const km = await loadModel(new Uint8Array(readFileSync(model)));
    const x = readNpy(new Uint8Array(readFileSync(series)));
    const cell = 16 * 3 + 2;
    const f = (d: number) => {
      const xd = Float32Array.from(x.data as Float32Array);
      xd[cell] += d;
      return predict(km, { data: xd, shape: x.shape })[0].data[0];
    };
    const fd = (f(1e-2) - f(-1e-2)) / 2e-2;
    expect((g.data as Float32Array)[cell]).toBeCloseTo(fd, 2);
    expect(Array.from(g.data as Float32Array).some((v) => v < 0)).toBe(true);
    km.dispose();
    expect(JSON.parse(m.out()).units).toEqual([0, 0, 0, 0]);
  });

  it('attribute integratedGradients reports the convergence delta', async () => {
    const m = memoryIo();
    expect(
      await run(
        [
          'attribute',
          model,
          '--input',
          series,
          '--method',
          'integratedGradients',
          '--steps',
          '16',
          '--out',
          'ig.npy',
          '--json',
        ],
        m.io,
      ),
    ).toBe(0);
    const j = JSON.parse(m.out());
    expect(j.delta).toHaveLength(4);
    for (const d of j.delta) expect(Math.abs(d)).toBeLessThan(0.05);
  });

  it('plot renders every chart kind to PNG and SVG', async () => {
    const att = memoryIo();
    await run(['attention', model, '--input', series, '--out', 'att'], att.io);
    const attr = memoryIo();
    await run(['attribute', model, '--input', series, '--method', 'gradientXInput', '--out', 'a.npy'], attr.io);
    const files = {
      'att.npy': att.written.get('att/attention.npy') as Uint8Array,
      'a.npy': attr.written.get('a.npy') as Uint8Array,
    };
    const cases: string[][] = [
      ['features1D', series, '--sample', '0'],
      ['features2D', 'att.npy', '--sample', '0', '--colormap', 'magma'],
      ['histogram', 'att.npy'],
      ['features0D', series, '--sample', '0'],
      ['attribution', 'a.npy', '--series', series, '--sample', '1'],
      ['attention', 'att.npy', '--series', series, '--sample', '0'],
      ['rnnWeights', model, '--layer', 'lstm'],
    ];
    for (const c of cases) {
      for (const ext of ['png', 'svg']) {
        const m = memoryIo(files);
        const code = await run(['plot', ...c, '--out', `p.${ext}`, '--title', c[0]], m.io);
        expect(code, `${c.join(' ')}: ${m.err()}`).toBe(0);
        const outFile = m.written.get(`p.${ext}`)!;
        if (ext === 'png') expect(Array.from((outFile as Uint8Array).subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
        else expect(String(outFile)).toMatch(/^<svg|<\?xml/);
      }
    }
  });

  it('report writes index.html with images beside it', async () => {
    const m = memoryIo();
    expect(await run(['report', model, '--input', series, '--out', 'rep', '--steps', '8', '--quiet'], m.io)).toBe(0);
    const html = m.written.get('rep/index.html') as string;
    expect(html).toMatch(/<table class="summary">/);
    expect(html).toMatch(/integratedGradients/);
    for (const src of html.matchAll(/<img src="([^"]+)"/g)) expect(m.written.has(`rep/${src[1]}`), src[1]).toBe(true);
    expect([...m.written.keys()].at(-1)).toBe('rep/index.html');
  });

  it('inputs from .csv and .json, with or without the batch axis', async () => {
    const rows = Array.from({ length: 48 }, (_, t) => `${Math.sin(t)},${Math.cos(t)},${t === 10 ? 2 : 0}`).join('\n');
    const json = JSON.stringify(Array.from({ length: 48 }, (_, t) => [Math.sin(t), Math.cos(t), t === 10 ? 2 : 0]));
    const m = memoryIo({
      'x.csv': new TextEncoder().encode(`a,b,c\n${rows}\n`),
      'x.json': new TextEncoder().encode(json),
    });
    expect(await run(['predict', model, '--input', 'x.csv', '--out', 'c.npy'], m.io)).toBe(0);
    expect(await run(['predict', model, '--input', 'x.json', '--out', 'j.npy'], m.io)).toBe(0);
    const c = readNpy(m.written.get('c.npy') as Uint8Array);
    const j = readNpy(m.written.get('j.npy') as Uint8Array);
    expect(c.shape).toEqual([1, 1]);
    expect(c.data[0]).toBeCloseTo(Number(j.data[0]), 5);
  });

  describe('errors: exit code and message', () => {
    const cases: [string, string[], number, RegExp][] = [
      ['missing model file', ['inspect', 'nope.h5'], 2, /The model file 'nope.h5' does not exist/],
      ['missing MODEL', ['inspect'], 2, /Missing MODEL/],
      ['unknown flag', ['inspect', model, '--frob'], 2, /Unknown option '--frob'/],
      ['missing --input', ['predict', model, '--out', 'y.npy'], 2, /Missing --input/],
      ['bad --to', ['convert', model, '--to', 'onnx', '--out', 'x'], 2, /--to must be tfjs or h5 \(got 'onnx'\)/],
      ['not a model', ['inspect', series], 1, /is not an HDF5 file: it is a NumPy \.npy array/],
      [
        'wrong input shape',
        ['predict', model, '--input', 'bad.npy', '--out', 'y.npy'],
        2,
        /Input 'bad.npy' has shape \(2, 5\) but model 'attention_lstm_example' takes \(None, 48, 3\)/,
      ],
      [
        'unknown method',
        ['attribute', model, '--input', series, '--method', 'shap', '--out', 'a.npy'],
        2,
        /Unknown method 'shap'. Methods: gradient, gradientXInput, integratedGradients/,
      ],
      [
        'unknown layer',
        ['attribute', model, '--input', series, '--method', 'gradient', '--layer', 'nope', '--out', 'a.npy'],
        1,
        /No layer of model 'attention_lstm_example' matches 'nope'. Layers: series, lstm/,
      ],
      [
        'unknown chart kind',
        ['plot', 'pie', series, '--out', 'p.png'],
        2,
        /Unknown chart kind 'pie'. Kinds: features1D/,
      ],
      [
        'plot --out not an image',
        ['plot', 'features1D', series, '--out', 'p.jpg'],
        2,
        /--out must name a .png or .svg file/,
      ],
      [
        'attribution plot without series',
        ['plot', 'attribution', series, '--out', 'p.png'],
        2,
        /attribution needs --series FILE/,
      ],
      ['report without --out', ['report', model, '--input', series], 2, /Missing --out/],
      [
        'report bad method list',
        ['report', model, '--input', series, '--out', 'r', '--methods', 'gradient,magic'],
        2,
        /Unknown method 'magic' in --methods/,
      ],
      [
        'attention on a model without attention',
        ['attention', 'plain.h5', '--input', 'x5.npy', '--out', 'a'],
        1,
        /has no attention layers/,
      ],
      [
        'csv with ragged rows',
        ['predict', model, '--input', 'bad.csv', '--out', 'y.npy'],
        2,
        /'bad.csv' row 2 has 2 columns, the first row 3/,
      ],
      [
        'missing input file',
        ['predict', model, '--input', 'none.npy', '--out', 'y.npy'],
        2,
        /The input file 'none.npy' does not exist/,
      ],
      ['bad variant', ['inspect', model, '--self-attention-variant', 'new'], 2, /legacy, 0.46 or current/],
      [
        'unknown limit',
        ['inspect', model, '--limit', 'maxFun=3'],
        2,
        /Unknown limit 'maxFun' in --limit maxFun=3. Limits: maxFileBytes/,
      ],
      ['a limit hit names the flag to raise it', ['inspect', model, '--limit', 'maxParams=100'], 1, /maxParams/],
    ];
    it.each(cases)('%s', async (_n, argv, code, msg) => {
      const m = memoryIo({
        'bad.npy': writeNpy({ data: new Float32Array(10), shape: [2, 5] }),
        'bad.csv': new TextEncoder().encode('1,2,3\n4,5\n'),
        'plain.h5': await plainModel(),
        'x5.npy': writeNpy({ data: new Float32Array(5), shape: [1, 5] }),
      });
      expect(await run(argv, m.io)).toBe(code);
      expect(m.err()).toMatch(msg);
    });
  });

  it('a folder, a SavedModel folder and a TF.js model.json are each named as such, with what to pass instead', async () => {
    const root = await mkdtemp(join(tmpdir(), 'keraspect-dir-'));
    try {
      const saved = join(root, 'my_model');
      await mkdir(join(saved, 'variables'), { recursive: true });
      await writeFile(join(saved, 'saved_model.pb'), Uint8Array.of(0x08, 0x01, 0x12, 0x00));
      let m = memoryIo();
      expect(await run(['inspect', saved], m.io)).toBe(2);
      expect(m.err()).toMatch(/is a TensorFlow SavedModel folder .*load_model\('.*my_model'\)\.save\('model\.keras'\)/);
      m = memoryIo({
        'model.json': new TextEncoder().encode(JSON.stringify({ modelTopology: {}, weightsManifest: [] })),
      });
      expect(await run(['inspect', 'model.json'], m.io)).toBe(2);
      expect(m.err()).toMatch(/'model\.json' is a TF\.js layers model .*pass the Keras file it was converted from/);
      m = memoryIo();
      expect(await run(['inspect', join(saved, 'variables')], m.io)).toBe(2);
      expect(m.err()).toMatch(/The model file '.*variables' is a folder; pass the file itself/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  describe.skipIf(!dir)('--plugin and --weights with real Keras files', () => {
    it('a plugin supplies Lambdas by layer name', async () => {
      const plugin = join(import.meta.dirname, 'fixtures', 'disazi-plugin.mjs');
      const m = memoryIo();
      expect(
        await run(
          ['inspect', join(dir!, 'models', 'disazi_in_azinet_timedistributed_k2.2.4.h5'), '--plugin', plugin, '--json'],
          m.io,
        ),
      ).toBe(0);
      expect(JSON.parse(m.out()).paramsTotal).toBe(205202);
    });

    it('a plugin registers a user-defined layer class', async () => {
      const plugin = join(import.meta.dirname, 'fixtures', 'simple-attention-plugin.mjs');
      const m = memoryIo();
      expect(
        await run(
          [
            'predict',
            join(dir!, 'models', 'aditya_lstm_simpleattention_custom_k3.8.0.h5'),
            '--plugin',
            plugin,
            '--input',
            join(dir!, 'aditya_lstm_simpleattention_custom_k3.8.0', 'input.npy'),
            '--out',
            'y.npy',
          ],
          m.io,
        ),
      ).toBe(0);
      const want = readNpy(
        new Uint8Array(
          await import('node:fs').then((fs) =>
            fs.readFileSync(join(dir!, 'aditya_lstm_simpleattention_custom_k3.8.0', 'predict.npy')),
          ),
        ),
      );
      const got = readNpy(m.written.get('y.npy') as Uint8Array);
      Array.from(got.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(Number(want.data[i]), 4));
    });

    it('--weights loads a weights-only file onto MODEL architecture', async () => {
      const m = memoryIo();
      const arch = join(dir!, 'models', 'eqt_blockly_usgs_d_p_s_k2.3.1.h5');
      const w = join(dir!, 'models', 'eqt_blockly_model_weights_k2.3.1_weightsonly.h5');
      expect(await run(['inspect', arch, '--weights', w, '--json'], m.io)).toBe(0);
      expect(JSON.parse(m.out()).attentionLayers).toEqual(['attentionD0', 'attentionD', 'attentionP', 'attentionS']);
    });
  });
});
