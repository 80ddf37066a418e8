import { describe, expect, it } from 'vitest';
import { colorAt, colormaps, normalizeAttributions, render } from '../../src/index.ts';
import { colorDistance, decodePng, devicePx, expectGoodPng, randn } from '../helpers.ts';
import { specJson } from '../helpers.ts';

const T = 60;
const C = 2;

/** Series: channel c is a cosine; attributions: a bump at t = 20 + 20c, positive for c = 0, negative for c = 1. */
function sample(): {
  series: { data: Float32Array; shape: number[] };
  attributions: { data: Float32Array; shape: number[] };
} {
  const noise = randn(13, T * C, 0.02);
  const x = new Float32Array(T * C);
  const a = new Float32Array(T * C);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      x[t * C + c] = Math.cos(((t - 20 - 20 * c) / T) * 2 * Math.PI);
      a[t * C + c] = Math.exp(-((t - 20 - 20 * c) ** 2) / 20) * (c === 0 ? 1 : -1) + noise[t * C + c]!;
    }
  }
  return { series: { data: x, shape: [T, C] }, attributions: { data: a, shape: [T, C] } };
}

describe('attribution', () => {
  it('snapshots its spec', async () => {
    await expect(specJson(render('attribution', sample(), { title: 'attribution' }).spec)).toMatchFileSnapshot(
      '../../../../test/output/viz/attribution.spec.json',
    );
  });

  it('normalizes like Captum: scale by the (100 − p)th percentile of |attr|, clip to ±1', () => {
    const n = normalizeAttributions([-4, -1, 0, 1, 2, 100], 'all', 0);
    expect(Array.from(n)).toEqual([-0.04, -0.01, 0, 0.01, 0.02, 1]);
    expect(Array.from(normalizeAttributions([-2, 1], 'positive', 0))).toEqual([0, 1]);
    expect(Array.from(normalizeAttributions([-2, 1], 'negative', 0))).toEqual([1, 0]);
    expect(Array.from(normalizeAttributions([-2, 1], 'absolute', 0))).toEqual([1, 0.5]);
    const clipped = normalizeAttributions(
      Array.from({ length: 101 }, (_, i) => i),
      'all',
      10,
    );
    expect(clipped[100]).toBe(1);
    expect(clipped[45]).toBeCloseTo(0.5, 12);
  });

  it('colors the background by attribution: the peak timestep is the colormap end blended at alpha 0.7', () => {
    const r = render('attribution', sample(), { title: 'attribution', scale: 2 });
    const px = expectGoodPng(r, 'attribution', () =>
      render('attribution', sample(), { title: 'attribution', scale: 2 }),
    );
    expect(r.spec.panels).toHaveLength(2);
    const blend = (rgb: readonly number[]) => rgb.map((v) => Math.round(v * 0.7 + 255 * 0.3));
    // Channel 0 peaks (positive) at t = 20, where the series is at its maximum: the bottom of the panel is free.
    const p0 = r.spec.panels[0]!;
    const [x0, yb0] = devicePx(r, 0, 20, p0.yAxis.min);
    expect(colorDistance(px.at(x0, yb0 - 4), blend(colorAt(colormaps.bwr, 1)))).toBeLessThanOrEqual(2);
    // Channel 1 peaks (negative) at t = 40.
    const p1 = r.spec.panels[1]!;
    const [x1, yb1] = devicePx(r, 1, 40, p1.yAxis.min);
    expect(colorDistance(px.at(x1, yb1 - 4), blend(colorAt(colormaps.bwr, 0)))).toBeLessThanOrEqual(2);
  });

  it('combines channels into one panel and colors the line in coloredGraph', () => {
    const combined = render('attribution', sample(), { method: 'overlayCombined', sign: 'absolute' });
    expect(combined.spec.panels).toHaveLength(1);
    expect(combined.spec.colorbars[0]).toMatchObject({ colormap: 'blues', vmin: 0, vmax: 1 });
    expectGoodPng(combined, 'attribution-combined');
    const graph = render('attribution', sample(), { method: 'coloredGraph', sign: 'positive' });
    expect(graph.spec.panels[0]!.layers.some((l) => l.type === 'colorLine')).toBe(true);
    expectGoodPng(graph, 'attribution-colored-graph');
  });

  it('requires matching shapes', () => {
    expect(() => render('attribution', { series: [1, 2, 3], attributions: [1, 2] })).toThrow(
      /attributions have shape \[2\] but the series has shape \[3\]/,
    );
    expect(() =>
      render('attribution', { series: [1, 2], attributions: [1, 2] }, { method: 'heat' as 'coloredGraph' }),
    ).toThrow(/`method` must be one of/);
    expect(() => render('attribution', [1, 2] as never)).toThrow(/attribution data must be \{ series, attributions \}/);
  });

  it('draws NaN attributions in the NaN color instead of failing', () => {
    const r = render('attribution', { series: [1, 2, 3, 4], attributions: [0.1, NaN, 0.3, 0.2] });
    expect(decodePng(r.png()).width).toBe(900);
  });
});
