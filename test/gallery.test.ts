import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attentionMaps, layerOutputs } from '@keraspect/explain';
import { type KerasModel, loadModel, type NdArray, readNpy, toFloat32 } from '@keraspect/importer';
import { type FigureSpec, render } from '@keraspect/viz';
import { run } from '@keraspect/cli';
import { memoryIo } from '../packages/cli/test/memory-io.ts';
import { seededInput, weightedAttentionModel } from '../packages/cli/test/seed-models.ts';

// The seed answer's figures ("How to visualize attention LSTM using keras-self-attention package?"),
// drawn from Keraspect's own bundled example with the answer's arguments:
//   show_features_1D(model, 'lstm', X[0:1], max_timesteps=100, equate_axes=False, show_y_zero=False)
//   show_features_1D(model, 'lstm', X[0:1], max_timesteps=100, equate_axes=True, show_y_zero=True)
//   show_features_2D(outs_2[0])
//   plt.hist(outs_2, bins=500)
// Each is checked against the rule the answer's code (matplotlib) follows, snapshotted as a spec
// summary (grid, y ranges, zero line, labels, colour range) and saved as PNG under test/output/gallery.

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const examples = join(root, 'examples');
const out = join(root, 'test', 'output', 'gallery');

let km: KerasModel;
let lstm: NdArray; // (48, 16): the LSTM's output for X[0:1]
let attention: NdArray; // (48, 48): outs_2[0], SeqSelfAttention's weights

const row0 = (a: NdArray): NdArray => ({
  data: a.data.subarray(0, a.data.length / a.shape[0]),
  shape: a.shape.slice(1),
});

beforeAll(async () => {
  km = await loadModel(new Uint8Array(readFileSync(join(examples, 'attention-lstm.h5'))));
  const x = readNpy(new Uint8Array(readFileSync(join(examples, 'series.npy'))));
  const x1 = { data: toFloat32(x).subarray(0, x.data.length / x.shape[0]), shape: [1, ...x.shape.slice(1)] };
  lstm = row0(layerOutputs(km, x1, 'lstm')[0]!.array);
  attention = row0(attentionMaps(km, x1)[0]!.array);
  mkdirSync(out, { recursive: true });
});
afterAll(() => km?.dispose());

/** matplotlib's autoscaled view of data spanning [lo, hi]: 5% of the span added on each side. */
const mpl = (lo: number, hi: number) => [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)];
const channel = (c: number) => Array.from({ length: 48 }, (_, t) => lstm.data[t * 16 + c]!);
const r4 = (v: number) => Number(v.toPrecision(4));

/** What the answer's pictures are made of, rounded: grid, axes, zero lines, labels, colour range, bins. */
function summary(spec: FigureSpec) {
  return {
    kind: spec.kind,
    size: [spec.width, spec.height, r4(spec.scale)],
    grid: [new Set(spec.panels.map((p) => p.y)).size, new Set(spec.panels.map((p) => p.x)).size],
    panels: spec.panels.map((p) => ({
      x: [r4(p.xAxis.min), r4(p.xAxis.max)],
      y: [r4(p.yAxis.min), r4(p.yAxis.max)],
      frame: p.frame ?? true,
      ticks: p.xAxis.ticks.length + p.yAxis.ticks.length,
      layers: p.layers.map((l) =>
        l.type === 'rule'
          ? `rule y=${l.value} ${l.color}`
          : l.type === 'heatmap'
            ? `heatmap ${l.rows}×${l.cols} ${l.colormap} [${r4(l.vmin)}, ${r4(l.vmax)}]`
            : l.type === 'bars'
              ? `bars ${l.heights.length} over [${r4(l.edges[0]!)}, ${r4(l.edges[l.edges.length - 1]!)}] ${l.color}`
              : l.type,
      ),
    })),
    labels: spec.texts.filter((t) => t.bold).map((t) => `${t.text} ${t.color ?? ''}`.trim()),
    colorbars: spec.colorbars.map((c) => `${c.colormap} [${r4(c.vmin)}, ${r4(c.vmax)}]`),
  };
}

/** Snapshot the summary, save the PNG for people to look at, return the spec. */
async function gallery(name: string, r: ReturnType<typeof render>): Promise<FigureSpec> {
  const oneLine = (m: string) => m.replace(/\s*\n\s*/g, ' ');
  const text = JSON.stringify(summary(r.spec), null, 1)
    .replace(/\[[^[\]{}]*\]/g, oneLine)
    .replace(/\{[^{}]*\}/g, oneLine);
  await expect(`${text}\n`).toMatchFileSnapshot(join(out, `${name}.spec.json`));
  writeFileSync(join(out, `${name}.png`), r.png());
  return r.spec;
}

describe("the seed answer's figures from the bundled example, with the answer's arguments", () => {
  it('show_features_1D(…, max_timesteps=100, equate_axes=False, show_y_zero=False): 8 × 2 grid, each panel its own data + 5%', async () => {
    const spec = await gallery(
      'features1D',
      render('features1D', lstm, { maxTimesteps: 100, equateAxes: false, showYZero: false }),
    );
    expect(summary(spec).grid).toEqual([8, 2]); // 16 channels: rows = 8, the largest divisor ≤ 10
    spec.panels.forEach((p, c) => {
      const v = channel(c);
      const [lo, hi] = mpl(Math.min(...v), Math.max(...v));
      expect(p.yAxis.min).toBeCloseTo(lo!, 6);
      expect(p.yAxis.max).toBeCloseTo(hi!, 6);
      expect([p.xAxis.min, p.xAxis.max, p.frame]).toEqual([0, 48, false]);
      expect(p.layers.map((l) => l.type)).toEqual(['line']);
    });
    expect(spec.texts.filter((t) => t.bold).map((t) => [t.text, t.color])).toEqual(
      Array.from({ length: 16 }, (_, c) => [String(c + 1), '#008000']),
    );
  });

  it('show_features_1D(…, equate_axes=True, show_y_zero=True): one symmetric range, a red y = 0 line in every panel', async () => {
    const spec = await gallery(
      'features1D-equated',
      render('features1D', lstm, { maxTimesteps: 100, equateAxes: true, showYZero: true }),
    );
    const all = Array.from(lstm.data);
    const [lo, hi] = mpl(Math.min(0, ...all), Math.max(0, ...all));
    const m = Math.max(Math.abs(lo!), Math.abs(hi!));
    for (const p of spec.panels) {
      expect(p.yAxis.min).toBeCloseTo(-m, 6);
      expect(p.yAxis.max).toBeCloseTo(m, 6);
      expect(p.layers[0]).toMatchObject({ type: 'rule', value: 0, color: '#ff0000' });
    }
  });

  it("show_features_2D(outs_2[0]): bwr over the map's own min..max (norm=None), with a colorbar", async () => {
    const spec = await gallery('features2D', render('features2D', attention));
    const lo = Math.min(...attention.data);
    const hi = Math.max(...attention.data);
    expect(spec.panels[0]!.layers[0]).toMatchObject({ type: 'heatmap', colormap: 'bwr', vmin: lo, vmax: hi });
    expect(spec.colorbars[0]).toMatchObject({ colormap: 'bwr', vmin: lo, vmax: hi });
    expect([spec.panels[0]!.xAxis.label, spec.panels[0]!.yAxis.label]).toEqual(['Timesteps', 'Attention features']);
  });

  it('plt.hist(outs_2, bins=500): 500 bins over [min, max] counting every weight', async () => {
    const spec = await gallery('histogram', render('histogram', attention, { bins: 500 }));
    const bars = spec.panels[0]!.layers[0]!;
    if (bars.type !== 'bars') throw new Error('expected bars');
    expect(bars.heights).toHaveLength(500);
    expect(bars.heights.reduce((a, b) => a + b, 0)).toBe(48 * 48);
    expect(bars.edges[0]).toBe(Math.min(...attention.data));
  });

  it("plt.hist(outs_1, bins=500) and plt.hist(outs_2, bins=500) of a SeqWeightedAttention model (the answer's second model, seeded)", async () => {
    // The bundled example has SeqSelfAttention only; this is the answer's LSTM → SeqWeightedAttention → Dense.
    const w = await weightedAttentionModel(24);
    try {
      const x1 = seededInput(1);
      const outs1 = row0(layerOutputs(w, x1, 'seq_weighted_attention')[0]!.array); // (24): the pooled output
      const outs2 = row0(attentionMaps(w, x1)[0]!.array); // (20): one weight per timestep
      expect([outs1.shape, outs2.shape]).toEqual([[24], [20]]);
      for (const [name, values] of [
        ['histogram-weighted-output', outs1],
        ['histogram-weighted-attention', outs2],
      ] as const) {
        const spec = await gallery(name, render('histogram', values, { bins: 500 }));
        const bars = spec.panels[0]!.layers[0]!;
        if (bars.type !== 'bars') throw new Error('expected bars');
        expect(bars.heights).toHaveLength(500);
        expect(bars.heights.reduce((a, b) => a + b, 0)).toBe(values.data.length);
        const [lo, hi] = [Math.min(...values.data), Math.max(...values.data)];
        expect([bars.edges[0], bars.edges[500]]).toEqual([lo, hi]);
        const [xlo, xhi] = mpl(lo, hi);
        expect(spec.panels[0]!.xAxis.min).toBeCloseTo(xlo!, 9);
        expect(spec.panels[0]!.xAxis.max).toBeCloseTo(xhi!, 9);
        expect(spec.panels[0]!.yAxis.max).toBeCloseTo(Math.max(...bars.heights) * 1.05, 9);
      }
    } finally {
      w.dispose();
    }
  });

  it('keraspect show draws the same pictures, byte for byte', async () => {
    const m = memoryIo();
    expect(
      await run(
        ['show', join(examples, 'attention-lstm.h5'), '--input', join(examples, 'series.npy'), '--out', 'g'],
        m.io,
      ),
    ).toBe(0);
    const same = (file: string, r: ReturnType<typeof render>) =>
      expect(Buffer.from(m.written.get(`g/${file}`) as Uint8Array).equals(Buffer.from(r.png()))).toBe(true);
    same('features1D-lstm.png', render('features1D', lstm, { maxTimesteps: 100, equateAxes: false, showYZero: false }));
    same(
      'features1D-lstm-equated.png',
      render('features1D', lstm, { maxTimesteps: 100, equateAxes: true, showYZero: true }),
    );
    same('features2D-attention.png', render('features2D', attention));
  });

  it("the README's keraspect plot commands (the answer's calls from the command line) draw the API's pictures, byte for byte", async () => {
    // Every command of the README's "The seed answer, call for call" shell block, run as written.
    const section = readFileSync(join(root, 'README.md'), 'utf8').split('## The seed answer, call for call')[1]!;
    const block = /```sh\n([^`]+?)\n```/.exec(section)![1]!;
    const commands = block
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((line) => line.trim().split(/\s+/));
    const expected: Record<string, ReturnType<typeof render>> = {
      'features1D.png': render('features1D', lstm, { maxTimesteps: 100, equateAxes: false, showYZero: false }),
      'features1D-equated.png': render('features1D', lstm, { maxTimesteps: 100, equateAxes: true, showYZero: true }),
      'features2D.png': render('features2D', attention),
      'histogram.png': render('histogram', attention, { bins: 500 }),
    };
    expect(commands.map((c) => c.slice(0, 4).join(' '))).toEqual(Array(4).fill('npx pnpm@10 keraspect plot'));
    expect(commands.map((c) => c[c.indexOf('--out') + 1])).toEqual(Object.keys(expected));
    for (const c of commands) {
      const args = c.slice(3).map((a) => (a.startsWith('examples/') ? join(root, a) : a));
      const m = memoryIo();
      expect(await run(args, m.io), m.err()).toBe(0);
      const file = c[c.indexOf('--out') + 1]!;
      const same = Buffer.from(m.written.get(file) as Uint8Array).equals(Buffer.from(expected[file]!.png()));
      expect(same, c.join(' ')).toBe(true);
    }
  });
});
