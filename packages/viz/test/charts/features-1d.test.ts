import { describe, expect, it } from 'vitest';
import { render, VizError } from '../../src/index.ts';
import { colorDistance, decodePng, devicePx, expectGoodPng, hex, prng, randn, specJson } from '../helpers.ts';

const B = 2;
const T = 64;
const C = 4;

/** (B, T, C) waves: channel c is a sine of frequency c+1 plus seeded noise. */
function waves(seed = 7): { data: Float32Array; shape: number[] } {
  const noise = randn(seed, B * T * C, 0.1);
  const data = new Float32Array(B * T * C);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let c = 0; c < C; c++)
        data[(b * T + t) * C + c] = Math.sin(((c + 1) * t) / 10 + b) * (1 + c / 2) + noise[(b * T + t) * C + c]!;
  return { data, shape: [B, T, C] };
}

describe('features1D', () => {
  it('snapshots its spec', async () => {
    const r = render('features1D', waves(), { title: 'features1D', width: 700 });
    await expect(specJson(r.spec)).toMatchFileSnapshot('../../../../test/output/viz/features1D.spec.json');
  });

  it('draws one panel per channel with one curve per sample, 1-based bold green labels and a legend', () => {
    const d = waves();
    const r = render('features1D', d, { title: 'features1D', scale: 2 });
    expectGoodPng(r, 'features1D', () => render('features1D', d, { title: 'features1D', scale: 2 }));
    const { panels, legends, texts } = r.spec;
    expect(panels).toHaveLength(C);
    const labels = texts.filter((t) => t.color === '#008000');
    expect(labels.map((t) => [t.text, t.bold])).toEqual([
      ['1', true],
      ['2', true],
      ['3', true],
      ['4', true],
    ]);
    // Each number sits on its panel's top-left corner (the answer's annotate at axes fraction (0, 0.99)).
    labels.forEach((t, i) => {
      expect(t.x).toBe(panels[i]!.x);
      expect(t.y).toBeCloseTo(panels[i]!.y + 0.01 * panels[i]!.height, 9);
    });
    for (const p of panels) expect(p.layers.filter((l) => l.type === 'line')).toHaveLength(B);
    expect(legends[0]!.items.map((i) => i.label)).toEqual(['sample 0', 'sample 1']);
  });

  it("uses the answer's grid: rows = largest divisor ≤ maxColSubplots (default 10), columns = channels / rows", () => {
    const grid = (c: number, o = {}) => {
      const spec = render('features1D', { data: new Float32Array(8 * c), shape: [8, c] }, o).spec;
      const xs = new Set(spec.panels.map((p) => p.x));
      const ys = new Set(spec.panels.map((p) => p.y));
      return [spec.panels.length, ys.size, xs.size];
    };
    expect(grid(60)).toEqual([60, 10, 6]);
    expect(grid(16)).toEqual([16, 8, 2]);
    expect(grid(13)).toEqual([13, 1, 13]);
    expect(grid(200)).toEqual([200, 10, 20]); // every channel (no cap), as the answer draws them
    expect(grid(60, { maxColSubplots: 4 })).toEqual([60, 4, 15]);
    // Our own rule when maxColumns is given: at most that many columns.
    expect(grid(60, { maxColumns: 10 })[2]).toBeLessThanOrEqual(10);
  });

  it('equateAxes: one range for all panels, ±max|y| of the autoscaled union (data and 0, plus 5%)', () => {
    // Channel 0 in [1, 2], channel 1 in [0.5, 3]: nothing is negative, and the range is still symmetric.
    const data = Array.from({ length: 20 }, (_, t) => [1 + t / 19, 0.5 + (2.5 * t) / 19]);
    for (const showYZero of [true, false]) {
      const { panels } = render('features1D', data, { equateAxes: true, showYZero }).spec;
      const lo = showYZero ? 0 : 0.5;
      const m = 3 + 0.05 * (3 - lo);
      for (const p of panels) {
        expect(p.yAxis.min).toBeCloseTo(-m, 12);
        expect(p.yAxis.max).toBeCloseTo(m, 12);
      }
    }
  });

  it('showYZero: a solid red y = 0 line, each panel extended to include 0 so the line always shows', () => {
    // Channel 0 lives in [1, 2], channel 1 in [-2, -1]: y = 0 is outside both data ranges.
    const u = prng(3);
    const data = Array.from({ length: 50 }, () => [1 + u(), -1 - u()]);
    const r = render('features1D', data, { scale: 2, width: 600 });
    const px = decodePng(r.png());
    for (const panel of [0, 1]) {
      const p = r.spec.panels[panel]!;
      expect(p.layers[0]).toEqual({ type: 'rule', orientation: 'h', value: 0, color: '#ff0000', width: 1.25 });
      expect(p.yAxis.min).toBeLessThan(0);
      expect(p.yAxis.max).toBeGreaterThan(0);
      const [, y0] = devicePx(r, panel, 0, 0);
      for (const f of [0.05, 0.5, 0.95]) {
        const x = (p.x + f * p.width) * r.spec.scale;
        expect(colorDistance(px.at(x, Math.round(y0)), hex('#ff0000'))).toBeLessThanOrEqual(40);
      }
    }
    // Channel 0 spans [1, 2] plus 0: the range is [0, 2] widened by 5% of 2 on each side.
    const y = r.spec.panels[0]!.yAxis;
    const hi = Math.max(...data.map((d) => d[0]!));
    expect(y.min).toBeCloseTo(-0.05 * hi, 12);
    expect(y.max).toBeCloseTo(1.05 * hi, 12);
    const recolored = render('features1D', data, { zeroColor: '#555555' }).spec.panels[0]!.layers[0]!;
    expect(recolored).toMatchObject({ type: 'rule', color: '#555555' });
  });

  it("hides axes by default (the answer's axis('off')) and draws frame and ticks with axes: true", () => {
    const data = Array.from({ length: 30 }, (_, t) => [Math.sin(t / 3), Math.cos(t / 3)]);
    const off = render('features1D', data).spec;
    for (const p of off.panels) {
      expect(p.frame).toBe(false);
      expect(p.xAxis.ticks).toEqual([]);
      expect(p.yAxis.ticks).toEqual([]);
      expect([p.xAxis.min, p.xAxis.max]).toEqual([0, 30]); // the answer's ax.axis(xmin=0, xmax=len)
    }
    expect(off.texts.some((t) => t.text === 'Timesteps')).toBe(false);
    const on = render('features1D', data, { axes: true }).spec;
    for (const p of on.panels) {
      expect(p.frame).toBeUndefined();
      expect(p.yAxis.ticks.length).toBeGreaterThan(1);
      expect(p.yAxis.showTickLabels).toBe(true);
    }
    expect(on.texts.some((t) => t.text === 'Timesteps')).toBe(true);
    const none = render('features1D', data, { labelChannels: false }).spec;
    expect(none.texts.filter((t) => t.color === '#008000')).toEqual([]);
  });

  it("scaleWidth/scaleHeight scale the answer's 3 : 2 figure; dpi sets the pixel density", () => {
    const d = waves();
    const base = render('features1D', d).spec;
    expect([base.width, base.height, base.scale]).toEqual([900, 600, 1]);
    const scaled = render('features1D', d, { scaleWidth: 2, scaleHeight: 0.5, dpi: 76 }).spec;
    expect([scaled.width, scaled.height, scaled.dpi]).toEqual([1800, 300, 76]);
    expect(scaled.scale).toBeCloseTo(76 / 96, 12);
    expect(render('features1D', d, { width: 600 }).spec.height).toBe(400);
    expect(() => render('features1D', d, { scaleWidth: 0 })).toThrow(/`scaleWidth` must be a positive number/);
  });

  it('fits each panel to its own data without equateAxes, and omits the zero line when asked', () => {
    const r = render(
      'features1D',
      [
        [1, 10],
        [2, 20],
        [3, 30],
      ],
      { equateAxes: false, showYZero: false },
    );
    const [a, b] = r.spec.panels;
    expect([a!.yAxis.min, a!.yAxis.max]).toEqual([0.9, 3.1]);
    expect(b!.yAxis.min).toBeCloseTo(9, 12);
    expect(b!.yAxis.max).toBeCloseTo(31, 12);
    expect(r.spec.panels.every((p) => p.layers.every((l) => l.type !== 'rule'))).toBe(true);
  });

  it('honours channelAxis, maxTimesteps, subplotsBy and maxPanels', () => {
    const d = waves();
    const bySample = render('features1D', d, { subplotsBy: 'sample', maxTimesteps: 10 }).spec;
    expect(bySample.panels).toHaveLength(B);
    expect(bySample.panels[0]!.xAxis.max).toBe(10);
    const curve = bySample.panels[0]!.layers.find((l) => l.type === 'line');
    expect(curve?.type === 'line' && curve.x.length).toBe(10);
    const cFirst = render('features1D', { data: new Float32Array(3 * 40), shape: [3, 40] }, { channelAxis: 0 }).spec;
    expect(cFirst.panels).toHaveLength(3);
    const capped = render('features1D', { data: new Float32Array(20 * 5), shape: [5, 20] }, { maxPanels: 6 }).spec;
    expect(capped.panels).toHaveLength(6);
    expect(capped.texts.some((t) => /showing 6 of 20 channels/.test(t.text))).toBe(true);
  });

  it('breaks curves at NaN', () => {
    const r = render('features1D', [1, 2, NaN, 4, 5]);
    const line = r.spec.panels[0]!.layers.find((l) => l.type === 'line')!;
    expect(line.type === 'line' && Number.isNaN(line.y[2]!)).toBe(true);
    expect(r.png().length).toBeGreaterThan(100);
  });

  // Speed is measured by bench/viz.ts, not asserted here.
  it('renders 60 channels × 10,000 steps, min/max downsampled to ≤ 2 points per pixel column', () => {
    const data = randn(11, 10_000 * 60);
    const r = render('features1D', { data, shape: [10_000, 60] });
    expect(r.png().length).toBeGreaterThan(1000);
    const line = r.spec.panels[0]!.layers.find((l) => l.type === 'line')!;
    expect(line.type === 'line' && line.x.length).toBeLessThanOrEqual(2 * Math.round(r.spec.panels[0]!.width) + 2);
  });

  it('rejects bad input with VizError', () => {
    expect(() => render('features1D', [])).toThrow(VizError);
    expect(() => render('features1D', [])).toThrow(/features1D data is empty/);
    expect(() => render('features1D', { data: [1, 2, 3], shape: [2, 2] })).toThrow(
      /has 3 values but shape \[2, 2\] needs 4/,
    );
    expect(() => render('features1D', [[1, 2], [3]])).toThrow(/ragged/);
    expect(() => render('features1D', { data: new Float32Array(16), shape: [2, 2, 2, 2] })).toThrow(
      /must be \(T\), \(T, C\) or \(B, T, C\)/,
    );
    expect(() => render('features1D', [[1, 2]], { channelLabels: ['a'] })).toThrow(
      /channelLabels has 1 names but the data has 2 channels/,
    );
    expect(() => render('features1D', [1, 2], { subplotsBy: 'row' as 'channel' })).toThrow(
      /subplotsBy.*'channel', 'sample'/,
    );
    expect(() => render('features1D', [1, 2], { width: -5 })).toThrow(/`width` must be a positive number/);
  });
});
