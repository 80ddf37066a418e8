import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeNpy } from '@keraspect/importer';
import { EXAMPLES_DIR } from '../src/commands/demo.ts';
import { seedFigures } from '../src/report/seed-figures.ts';
import { run } from '../src/run.ts';
import { memoryIo } from './memory-io.ts';
import { seededInput, weightedAttentionH5, weightedAttentionModel } from './seed-models.ts';

const model = join(EXAMPLES_DIR, 'attention-lstm.h5');
const series = join(EXAMPLES_DIR, 'series.npy');
const PNG = [0x89, 0x50, 0x4e, 0x47];

describe("keraspect show: the seed answer's figures in one command", () => {
  it('draws the two features1D figures and the features2D figure of the bundled example, naming the answer’s calls', async () => {
    const m = memoryIo();
    expect(await run(['show', model, '--input', series, '--out', 'figs'], m.io)).toBe(0);
    expect([...m.written.keys()]).toEqual([
      'figs/features1D-lstm.png',
      'figs/features1D-lstm-equated.png',
      'figs/features2D-attention.png',
    ]);
    for (const png of m.written.values()) expect(Array.from((png as Uint8Array).subarray(0, 4))).toEqual(PNG);
    expect(m.out()).toMatch(
      /answer: {4}show_features_1D\(model, 'lstm', X\[0:1\], max_timesteps=100, equate_axes=False, show_y_zero=False\)\n {2}keraspect: render\('features1D', lstm, \{ maxTimesteps: 100, equateAxes: false, showYZero: false \}\)/,
    );
    expect(m.out()).toMatch(/answer: {4}show_features_2D\(outs_2\[0\]\)/);
  });

  it('adds the SeqWeightedAttention histograms (output and weights, 500 bins) for a model that has one', async () => {
    const m = memoryIo({ 'w.h5': await weightedAttentionH5(12), 'x.npy': writeNpy(seededInput(2)) });
    expect(await run(['show', 'w.h5', '--input', 'x.npy', '--out', 'o', '--sample', '1'], m.io)).toBe(0);
    expect([...m.written.keys()]).toEqual([
      'o/features1D-lstm.png',
      'o/features1D-lstm-equated.png',
      'o/histogram-seq_weighted_attention-output.png',
      'o/histogram-seq_weighted_attention-attention.png',
    ]);
    expect(m.out()).toMatch(/answer: {4}plt\.hist\(outs_1, bins=500\)/);
    expect(m.out()).toMatch(/No attention layer with \(query, key\) weights: the features2D figure is left out/);

    const km = await weightedAttentionModel(12);
    const { figures } = seedFigures(km, seededInput(2), { sample: 1 });
    const hist = figures.filter((f) => f.spec.kind === 'histogram');
    const counts = hist.map((f) => {
      const bars = f.spec.panels[0]!.layers[0]!;
      return bars.type === 'bars' ? [bars.heights.length, bars.heights.reduce((a, b) => a + b, 0)] : [];
    });
    expect(counts).toEqual([
      [500, 12], // the pooled output: one value per LSTM unit
      [500, 20], // the attention weights: one per timestep
    ]);
    km.dispose();
  });

  it('keraspect plot histogram MODEL --layer seq_weighted --output 0 | attention draws the same histograms as show', async () => {
    const m = memoryIo({ 'w.h5': await weightedAttentionH5(12), 'x.npy': writeNpy(seededInput(2)) });
    expect(await run(['show', 'w.h5', '--input', 'x.npy', '--out', 'o', '--sample', '1'], m.io)).toBe(0);
    for (const [output, file] of [
      ['0', 'output'],
      ['attention', 'attention'],
    ]) {
      const args = ['plot', 'histogram', 'w.h5', '--input', 'x.npy', '--layer', 'seq_weighted', '--sample', '1'];
      const flags = [
        '--output',
        output!,
        '--option',
        'bins=500',
        '--option',
        `title=seq_weighted_attention ${file === 'output' ? 'output' : 'attention weights'}`,
      ];
      expect(await run([...args, ...flags, '--out', `${file}.png`], m.io), m.err()).toBe(0);
      const a = Buffer.from(m.written.get(`${file}.png`) as Uint8Array);
      expect(a.equals(Buffer.from(m.written.get(`o/histogram-seq_weighted_attention-${file}.png`) as Uint8Array))).toBe(
        true,
      );
    }
  });

  it('takes the layer by substring, like the answer’s layer_name, and says what is wrong with a bad one', async () => {
    const m = memoryIo();
    expect(await run(['show', model, '--input', series, '--out', 'f', '--layer', 'lst'], m.io)).toBe(0);
    expect(m.written.has('f/features1D-lstm.png')).toBe(true);
    const bad = memoryIo();
    expect(await run(['show', model, '--input', series, '--out', 'f', '--layer', 'flatten'], bad.io)).toBe(2);
    expect(bad.err()).toMatch(/Layer 'flatten' has no \(batch, timesteps, channels\) output \(flatten \[1,1536\]\)/);
    const noOut = memoryIo();
    expect(await run(['show', model, '--input', series], noOut.io)).toBe(2);
    expect(noOut.err()).toMatch(/Missing --out/);
  });
});
