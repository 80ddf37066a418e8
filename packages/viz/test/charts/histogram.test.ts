import { describe, expect, it } from 'vitest';
import { binValues, palette, render, VizError } from '../../src/index.ts';
import { colorDistance, devicePx, expectGoodPng, hex, randn, specJson } from '../helpers.ts';

const a = () => [...randn(5, 2000), ...new Array<number>(600).fill(0)];
const b = () => Array.from(randn(6, 2000, 0.5), (v) => v + 1);

describe('histogram', () => {
  it('snapshots its spec', async () => {
    const r = render(
      'histogram',
      [
        { label: 'layer 1', values: a() },
        { label: 'layer 2', values: b() },
      ],
      { bins: 30, clipPeaks: 1, title: 'histogram' },
    );
    await expect(specJson(r.spec)).toMatchFileSnapshot('../../../../test/output/viz/histogram.spec.json');
  });

  it("draws the answer's plt.hist(weights, bins=500): bins over [min, max], 5% view margins, opaque C0 bars", () => {
    const v = Array.from(randn(9, 2400), (x) => Math.exp(x) / 40);
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    const r = render('histogram', v, { bins: 500 });
    const p = r.spec.panels[0]!;
    const bars = p.layers[0]!;
    if (bars.type !== 'bars') throw new Error('expected bars');
    expect(bars.heights).toHaveLength(500);
    expect(bars.edges[0]).toBe(lo);
    expect(bars.edges[500]).toBeCloseTo(hi, 12);
    expect(bars.heights.reduce((a, c) => a + c, 0)).toBe(2400);
    expect([bars.color, bars.alpha]).toEqual(['#1f77b4', 1]);
    expect(p.xAxis.min).toBeCloseTo(lo - 0.05 * (hi - lo), 12);
    expect(p.xAxis.max).toBeCloseTo(hi + 0.05 * (hi - lo), 12);
    expect([p.yAxis.min, p.yAxis.max]).toEqual([0, Math.max(...bars.heights) * 1.05]);
    expectGoodPng(r, 'histogram-500-bins');
  });

  it('bins values, counting each finite in-range value once', () => {
    const { counts, dropped } = binValues([0, 0.5, 1, 1, 2, NaN, Infinity, 5], 4, 0, 2);
    expect(counts).toEqual([1, 1, 2, 1]);
    expect(dropped).toBe(3);
  });

  it('overlays series with a legend, clips and annotates the peak', () => {
    const opts = { bins: 30, clipPeaks: 1, title: 'histogram', scale: 2 } as const;
    const r = render(
      'histogram',
      [
        { label: 'layer 1', values: a() },
        { label: 'layer 2', values: b() },
      ],
      opts,
    );
    const px = expectGoodPng(r, 'histogram', () =>
      render(
        'histogram',
        [
          { label: 'layer 1', values: a() },
          { label: 'layer 2', values: b() },
        ],
        opts,
      ),
    );
    const p = r.spec.panels[0]!;
    const notes = p.layers.filter((l) => l.type === 'text');
    expect(notes).toHaveLength(1);
    const bars = p.layers.filter((l) => l.type === 'bars');
    const zeroBin = bars[0]!.type === 'bars' ? bars[0]!.heights : [];
    const true0 = binValues(
      a(),
      30,
      bars[0]!.type === 'bars' ? bars[0]!.edges[0]! : 0,
      bars[0]!.type === 'bars' ? bars[0]!.edges[30]! : 0,
    ).counts;
    expect(notes[0]!.type === 'text' && Number(notes[0]!.text)).toBe(Math.max(...true0));
    expect(Math.max(...zeroBin)).toBeLessThan(Math.max(...true0));
    expect(r.spec.legends[0]!.items.map((i) => i.label)).toEqual(['layer 1', 'layer 2']);
    // A bar of series 1 where series 2 is empty shows series 1's color at 55% over white.
    const edges = bars[0]!.type === 'bars' ? bars[0]!.edges : [];
    const h0 = bars[0]!.type === 'bars' ? bars[0]!.heights : [];
    const h1 = bars[1]!.type === 'bars' ? bars[1]!.heights : [];
    const k = h0.findIndex((h, i) => h >= 20 && h1[i] === 0);
    const [x, y] = devicePx(r, 0, (edges[k]! + edges[k + 1]!) / 2, 2);
    const c = hex(palette[0]!).map((v) => Math.round(v * 0.55 + 255 * 0.45));
    expect(colorDistance(px.at(x, y - 2), c)).toBeLessThanOrEqual(2);
  });

  it('draws a grid with log counts', () => {
    const r = render(
      'histogram',
      [
        { label: 'a', values: a() },
        { label: 'b', values: b() },
        { label: 'c', values: b().map((v) => v * v) },
      ],
      { layout: 'grid', logY: true },
    );
    expect(r.spec.panels).toHaveLength(3);
    expect(r.spec.panels.every((p) => p.yAxis.log)).toBe(true);
    expect(r.spec.panels.map((p) => p.title)).toEqual(['a', 'b', 'c']);
    expectGoodPng(r, 'histogram-grid');
  });

  it('accepts any-shape arrays, drops NaN and says so', () => {
    const r = render(
      'histogram',
      [
        [1, 2, NaN],
        [2, 3, 3],
      ],
      { bins: 3 },
    );
    const bars = r.spec.panels[0]!.layers[0]!;
    expect(bars.type === 'bars' && bars.heights).toEqual([1, 2, 2]);
    expect(r.spec.panels[0]!.label).toMatch(/1 not counted/);
  });

  it('rejects bad input', () => {
    expect(() => render('histogram', [NaN, NaN])).toThrow(/no finite values/);
    expect(() => render('histogram', [1, 2], { range: [2, 1] })).toThrow(VizError);
    expect(() => render('histogram', [1, 2], { bins: 0 })).toThrow(/`bins` must be an integer ≥ 1/);
  });
});
