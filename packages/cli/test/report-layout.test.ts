import { describe, expect, it } from 'vitest';
import { attentionFigure, buildReport, channelPages } from '../src/report/build.ts';
import { modelFromConfig } from '@keraspect/importer';
import { seededInput, weightedAttentionModel } from './seed-models.ts';

/** Panel labels (the bold green numbers) of a features1D spec. */
const labels = (spec: { texts: readonly { text: string; color?: string }[] }) =>
  spec.texts.filter((t) => t.color === '#008000').map((t) => t.text);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => String(a + i));

describe('the report lays out every channel and gives each attention map its own scale', () => {
  it('pages a 130-channel layer as 60 + 60 + 10 panels numbered 1…130 across pages', () => {
    const T = 12;
    const C = 130;
    const a = { data: Float32Array.from({ length: T * C }, (_, i) => Math.sin(i / 7)), shape: [T, C] };
    const pages = channelPages(a, 60, 'lstm — LSTM');
    expect(pages.map((p) => p.spec.panels.length)).toEqual([60, 60, 10]);
    expect(labels(pages[0]!.spec)).toEqual(range(1, 60));
    expect(labels(pages[1]!.spec)).toEqual(range(61, 120));
    expect(labels(pages[2]!.spec)).toEqual(range(121, 130));
    expect(pages.map((p) => p.note)).toEqual([
      'page 1 of 3: channels 1–60 of 130',
      'page 2 of 3: channels 61–120 of 130',
      'page 3 of 3: channels 121–130 of 130',
    ]);
    // The seed answer's grid per page: 60 → 10 rows × 6 columns.
    expect(new Set(pages[0]!.spec.panels.map((p) => p.y)).size).toBe(10);
    expect(new Set(pages[0]!.spec.panels.map((p) => p.x)).size).toBe(6);
    // Page 2's last panel shows channel 120.
    const last = pages[1]!.spec.panels[59]!.layers.find((l) => l.type === 'line');
    expect(last?.type === 'line' && last.y[3]).toBeCloseTo(Math.sin((3 * C + 119) / 7), 6);
    expect(channelPages(a, 200, 'x')).toHaveLength(1);
  });

  it('draws the raw attention and the rollout each on its own colour scale', () => {
    const faint = { data: Float32Array.from({ length: 16 }, (_, i) => 0.01 + (i % 5) * 0.01), shape: [4, 4] };
    const strong = { data: Float32Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 0.5 : 0.1)), shape: [4, 4] };
    const spec = attentionFigure(
      [
        { label: 'attention', values: faint },
        { label: 'rollout', values: strong },
      ],
      undefined,
      0,
    ).spec;
    expect(spec.colorbars.map((c) => [c.vmin, c.vmax])).toEqual([
      [Math.min(...faint.data), Math.max(...faint.data)],
      [0.1, 0.5].map((v) => Math.fround(v)),
    ]);
  });

  it("writes every page, the seed answer's figures with their code, and the SeqWeightedAttention histograms", async () => {
    const km = await weightedAttentionModel(70);
    const files = await buildReport(km, seededInput(2), { methods: ['gradient'] });
    km.dispose();
    const names = [...files.keys()];
    expect(names).toEqual(expect.arrayContaining(['img/layer-lstm-1.png', 'img/layer-lstm-2.png']));
    expect(names).toEqual(
      expect.arrayContaining([
        'img/seed-features1D-lstm.png',
        'img/seed-features1D-lstm-equated.png',
        'img/seed-histogram-seq_weighted_attention-output.png',
        'img/seed-histogram-seq_weighted_attention-attention.png',
      ]),
    );
    const html = files.get('index.html') as string;
    expect(html).toMatch(/The seed answer's figures/);
    expect(html).toMatch(
      /<code>plt\.hist\(outs_1, bins=500\)<\/code> → <code>render\(&#39;histogram&#39;, outs_1, \{ bins: 500 \}\)<\/code>/,
    );
    expect(html).toMatch(/page 2 of 2: channels 61–70 of 70/);
  });

  it('draws attention that runs on a pooled sequence without the input series beside it, and says why', async () => {
    const km = await modelFromConfig({
      class_name: 'Sequential',
      config: {
        name: 'pooled',
        layers: [
          { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 20, 3] } },
          { class_name: 'MaxPooling1D', config: { name: 'pool', pool_size: 4, strides: 4 } },
          { class_name: 'SeqSelfAttention', config: { name: 'att', units: 4 } },
          { class_name: 'Flatten', config: { name: 'flat' } },
          { class_name: 'Dense', config: { name: 'out', units: 1 } },
        ],
      },
    } as never);
    const files = await buildReport(km, seededInput(1), { methods: ['gradient'] });
    km.dispose();
    expect([...files.keys()]).toContain('img/attention.png');
    expect(files.get('index.html') as string).toMatch(/not drawn beside the maps: they span 5 steps, the input 20/);
  });

  it('warns at the top when the keras-self-attention variants differ for this file', async () => {
    const km = await modelFromConfig({
      class_name: 'Sequential',
      config: {
        name: 'windowed',
        layers: [
          { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 20, 3] } },
          { class_name: 'SeqSelfAttention', config: { name: 'att', units: 4, attention_width: 4 } },
          { class_name: 'Flatten', config: { name: 'flat' } },
          { class_name: 'Dense', config: { name: 'out', units: 1 } },
        ],
      },
    } as never);
    const html = (await buildReport(km, seededInput(1), { methods: ['gradient'] })).get('index.html') as string;
    km.dispose();
    expect(html).toMatch(
      /<p class="warn">Warning: SeqSelfAttention &#39;att&#39;.*attention_width=4.*--self-attention-variant/,
    );
  });

  it('stays silent when the variants agree for this file (no attention_width, no mask)', async () => {
    const km = await modelFromConfig({
      class_name: 'Sequential',
      config: {
        name: 'unwindowed',
        layers: [
          { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 20, 3] } },
          { class_name: 'SeqSelfAttention', config: { name: 'att', units: 4 } },
          { class_name: 'Flatten', config: { name: 'flat' } },
          { class_name: 'Dense', config: { name: 'out', units: 1 } },
        ],
      },
    } as never);
    const html = (await buildReport(km, seededInput(1), { methods: ['gradient'] })).get('index.html') as string;
    km.dispose();
    expect(html).toMatch(/SeqSelfAttention/);
    expect(html).not.toMatch(/class="warn"/);
  });
});
