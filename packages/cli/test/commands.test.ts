import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '@keraspect/importer';
import { run } from '../src/run.ts';
import { EXAMPLES_DIR } from '../src/commands/demo.ts';
import { fixturesDir } from '../../../test/support/fixtures.ts';
import { memoryIo } from './memory-io.ts';

const model = join(EXAMPLES_DIR, 'attention-lstm.h5');
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
    expect(m.out()).toMatch(/attention \(SeqSelfAttention\)\s+\(None, 48, 16\), \(None, 48, 48\)\s+545\s+lstm\[0\]\[0\]/);
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

  it('outputs writes predict.npy and one file per layer output', async () => {
    const m = memoryIo();
    expect(await run(['outputs', model, '--input', series, '--out', 'out'], m.io)).toBe(0);
    expect([...m.written.keys()].sort()).toEqual(['out/layers/attention.0.npy', 'out/layers/attention.1.npy', 'out/layers/concat.npy', 'out/layers/flatten.npy', 'out/layers/forecast.npy', 'out/layers/lstm.npy', 'out/predict.npy']);
    expect(readNpy(m.written.get('out/layers/attention.1.npy') as Uint8Array).shape).toEqual([4, 48, 48]);
  });

  it('convert to h5 and tfjs', async () => {
    const m = memoryIo();
    expect(await run(['convert', model, '--to', 'h5', '--out', 'x.h5'], m.io)).toBe(0);
    const again = memoryIo({ 'x.h5': m.written.get('x.h5') as Uint8Array });
    expect(await run(['inspect', 'x.h5', '--json'], again.io)).toBe(0);
    expect(JSON.parse(again.out()).paramsTotal).toBe(3362);
    const t = memoryIo();
    expect(await run(['convert', model, '--to', 'tfjs', '--out', 'web/'], t.io)).toBe(0);
    expect(JSON.parse(t.written.get('web/model.json') as string).weightsManifest[0].paths).toEqual(['group1-shard1of1.bin']);
  });

  describe('errors: exit code and message', () => {
    const cases: [string, string[], number, RegExp][] = [
      ['missing model file', ['inspect', 'nope.h5'], 2, /The model file 'nope.h5' does not exist/],
      ['missing MODEL', ['inspect'], 2, /Missing MODEL/],
      ['unknown flag', ['inspect', model, '--frob'], 2, /Unknown option '--frob'/],
      ['missing --input', ['predict', model, '--out', 'y.npy'], 2, /Missing --input/],
      ['bad --to', ['convert', model, '--to', 'onnx', '--out', 'x'], 2, /--to must be tfjs or h5 \(got 'onnx'\)/],
      ['not a model', ['inspect', series], 1, /is not an HDF5 file: it is a NumPy \.npy array/],
      ['wrong input shape', ['predict', model, '--input', 'bad.npy', '--out', 'y.npy'], 1, /must have shape \[None, 48, 3\].*\[2, 5\]/],
      ['missing input file', ['predict', model, '--input', 'none.npy', '--out', 'y.npy'], 2, /The input file 'none.npy' does not exist/],
      ['bad variant', ['inspect', model, '--self-attention-variant', 'new'], 2, /legacy, 0.46 or current/],
    ];
    it.each(cases)('%s', async (_n, argv, code, msg) => {
      const m = memoryIo({ 'bad.npy': writeNpy({ data: new Float32Array(10), shape: [2, 5] }) });
      expect(await run(argv, m.io)).toBe(code);
      expect(m.err()).toMatch(msg);
    });
  });

  describe.skipIf(!dir)('--plugin and --weights with real Keras files', () => {
    it('a plugin supplies Lambdas by layer name', async () => {
      const plugin = join(import.meta.dirname, 'fixtures', 'disazi-plugin.mjs');
      const m = memoryIo();
      expect(await run(['inspect', join(dir!, 'models', 'disazi_in_azinet_timedistributed_k2.2.4.h5'), '--plugin', plugin, '--json'], m.io)).toBe(0);
      expect(JSON.parse(m.out()).paramsTotal).toBe(205202);
    });

    it('a plugin registers a user-defined layer class', async () => {
      const plugin = join(import.meta.dirname, 'fixtures', 'simple-attention-plugin.mjs');
      const m = memoryIo();
      expect(await run(['predict', join(dir!, 'models', 'aditya_lstm_simpleattention_custom_k3.8.0.h5'), '--plugin', plugin, '--input', join(dir!, 'aditya_lstm_simpleattention_custom_k3.8.0', 'input.npy'), '--out', 'y.npy'], m.io)).toBe(0);
      const want = readNpy(new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(join(dir!, 'aditya_lstm_simpleattention_custom_k3.8.0', 'predict.npy')))));
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
