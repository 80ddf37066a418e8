import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KerasModel, loadModel, readNpy, toFloat32 } from '@keraspect/importer';
import { EXAMPLES_DIR } from '../src/commands/demo.ts';
import { render } from '@keraspect/viz';
import { layerChartData } from '../src/layer-data.ts';
import { run } from '../src/run.ts';
import { memoryIo } from './memory-io.ts';

let km: KerasModel;
const X = readNpy(new Uint8Array(readFileSync(join(EXAMPLES_DIR, 'series.npy'))));
const x = { data: toFloat32(X), shape: X.shape };

beforeAll(async () => {
  km = await loadModel(new Uint8Array(readFileSync(join(EXAMPLES_DIR, 'attention-lstm.h5'))));
});
afterAll(() => km?.dispose());

describe('a layer of a model as chart data (plot KIND MODEL --input X --layer L)', () => {
  it('gives one sample of the layer, by name or substring, like the answer’s layer_name', () => {
    const d = layerChartData(km, x, { kind: 'features1D', layer: 'lst', sample: 2 });
    expect([d.layer, d.className, d.data.shape]).toEqual(['lstm', 'LSTM', [48, 16]]);
    expect(d.options).toEqual({});
    const all = layerChartData(km, x, { kind: 'features1D', layer: 'lstm', sample: 0 });
    expect(Array.from(d.data.data)).not.toEqual(Array.from(all.data.data));
  });

  it('picks the attention weights as output 1 of SeqSelfAttention or as --output attention, alike', () => {
    const one = layerChartData(km, x, { kind: 'features2D', layer: 'attention', output: 1 });
    const att = layerChartData(km, x, { kind: 'features2D', layer: 'attention', output: 'attention' });
    expect(one.data.shape).toEqual([48, 48]);
    expect(one.options).toEqual({});
    Array.from(att.data.data).forEach((v, i) => expect(v).toBeCloseTo(one.data.data[i]!, 6));
  });

  it('draws a (timesteps, channels) output with time on x for features2D', () => {
    expect(layerChartData(km, x, { kind: 'features2D', layer: 'lstm' }).options).toEqual({
      transpose: true,
      yLabel: 'Channels',
    });
  });

  it('says what the layer has when the output or the sample does not exist', () => {
    expect(() => layerChartData(km, x, { kind: 'features1D', layer: 'attention', output: 2 })).toThrow(
      /--output 2: layer 'attention' \(SeqSelfAttention\) has 2 outputs \(0…1\), or 'attention' for its attention weights/,
    );
    expect(() => layerChartData(km, x, { kind: 'features2D', layer: 'lstm', output: 'attention' })).toThrow(
      /layer 'lstm' \(LSTM\) computes no attention weights\. Attention layers: attention/,
    );
    expect(() => layerChartData(km, x, { kind: 'features1D', layer: 'lstm', sample: 4 })).toThrow(
      /--sample must be an integer in 0…3 \(got 4\)/,
    );
    expect(() => layerChartData(km, x, { kind: 'features1D', layer: 'gru' })).toThrow(/gru/);
  });
});

describe('keraspect plot KIND MODEL --input X --layer L', () => {
  const model = join(EXAMPLES_DIR, 'attention-lstm.h5');
  const series = join(EXAMPLES_DIR, 'series.npy');

  it('draws the layer output of the chosen sample and says what it drew', async () => {
    const m = memoryIo();
    const args = ['plot', 'features1D', model, '--input', series, '--layer', 'lst', '--sample', '2', '--out', 'f.svg'];
    expect(await run(args, m.io), m.err()).toBe(0);
    expect(m.out()).toMatch(/features1D of lstm \(LSTM\) output 0 \[48,16\], sample 2/);
    const expected = render('features1D', layerChartData(km, x, { kind: 'features1D', layer: 'lstm', sample: 2 }).data);
    expect(m.written.get('f.svg')).toBe(expected.svg());
  });

  it('refuses what model mode cannot draw, naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['plot', 'features1D', model, '--input', series, '--out', 'f.png'], /needs --layer NAME/],
      [['plot', 'features1D', series, '--output', '1', '--out', 'f.png'], /--output .* give --input X with it/],
      [['plot', 'attribution', model, '--input', series, '--layer', 'lstm', '--out', 'f.png'], /keraspect attribute/],
      [
        ['plot', 'features1D', model, '--input', series, '--layer', 'lstm', '--output', 'first', '--out', 'f.png'],
        /--output must be an output index/,
      ],
    ];
    for (const [args, message] of cases) {
      const m = memoryIo();
      expect(await run(args, m.io)).toBe(2);
      expect(m.err()).toMatch(message);
    }
  });
});
