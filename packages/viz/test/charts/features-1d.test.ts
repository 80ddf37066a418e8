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

  it('draws one panel per channel with one curve per sample, a shared symmetric y range and a legend', () => {
    const d = waves();
    const r = render('features1D', d, { title: 'features1D', scale: 2 });
    expectGoodPng(r, 'features1D', () => render('features1D', d, { title: 'features1D', scale: 2 }));
    const { panels, legends } = r.spec;
    expect(panels).toHaveLength(C);
    expect(panels.map((p) => p.label)).toEqual(['ch 0', 'ch 1', 'ch 2', 'ch 3']);
    for (const p of panels) {
      expect(p.yAxis.min).toBeCloseTo(-p.yAxis.max, 12);
      expect(p.yAxis.max).toBe(panels[0]!.yAxis.max);
      expect(p.layers.filter((l) => l.type === 'line')).toHaveLength(B);
    }
    expect(legends[0]!.items.map((i) => i.label)).toEqual(['sample 0', 'sample 1']);
  });

  it('draws the y = 0 line where y = 0 is', () => {
    // Channel 0 lives in [1, 2], channel 1 in [-2, -1]: nothing but the zero line sits at y = 0.
    const u = prng(3);
    const data = Array.from({ length: 50 }, () => [1 + u(), -1 - u()]);
    const r = render('features1D', data, { scale: 2, width: 600 });
    const px = decodePng(r.png());
    for (const panel of [0, 1]) {
      const p = r.spec.panels[panel]!;
      expect(p.layers[0]).toMatchObject({ type: 'rule', orientation: 'h', value: 0 });
      const [, y0] = devicePx(r, panel, 0, 0);
      const x = (p.x + 1.5) * r.spec.scale; // inside the first dash
      expect(colorDistance(px.at(x, Math.round(y0)), hex('#555555'))).toBeLessThanOrEqual(12);
      expect(colorDistance(px.at(x, Math.round(y0) + 6), [255, 255, 255])).toBe(0);
    }
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
    expect(a!.yAxis.max).toBeLessThan(4);
    expect(b!.yAxis.max).toBeGreaterThan(29);
    expect(r.spec.panels.every((p) => p.layers.every((l) => l.type !== 'rule'))).toBe(true);
  });

  it('honours channelAxis, maxTimesteps, subplotsBy and maxPanels', () => {
    const d = waves();
    const bySample = render('features1D', d, { subplotsBy: 'sample', maxTimesteps: 10 }).spec;
    expect(bySample.panels).toHaveLength(B);
    expect(bySample.panels[0]!.xAxis.max).toBe(9);
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
