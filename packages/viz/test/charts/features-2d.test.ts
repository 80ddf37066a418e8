import { describe, expect, it } from 'vitest';
import { colorAt, colormaps, render } from '../../src/index.ts';
import { colorDistance, decodePng, devicePx, expectGoodPng, hex, randn, specJson } from '../helpers.ts';

const R = 12;
const C = 30;
const data = () => ({ data: randn(21, R * C), shape: [R, C] });

function argmax(xs: ArrayLike<number>): number {
  let k = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[k]!) k = i;
  return k;
}

describe('features2D', () => {
  it('snapshots its spec', async () => {
    const r = render('features2D', data(), { title: 'features2D', colormap: 'viridis' });
    await expect(specJson(r.spec)).toMatchFileSnapshot('../../../../test/output/viz/features2D.spec.json');
  });

  it('draws the max cell in the colormap top color, the min cell in the bottom color', () => {
    const d = data();
    const r = render('features2D', d, { title: 'features2D', colormap: 'viridis', scale: 2 });
    const px = expectGoodPng(r, 'features2D', () =>
      render('features2D', d, { title: 'features2D', colormap: 'viridis', scale: 2 }),
    );
    const top = colorAt(colormaps.viridis, 1);
    const bottom = colorAt(colormaps.viridis, 0);
    const kMax = argmax(d.data);
    const kMin = argmax(d.data.map((v) => -v));
    const [x1, y1] = devicePx(r, 0, (kMax % C) + 0.5, Math.floor(kMax / C) + 0.5);
    const [x0, y0] = devicePx(r, 0, (kMin % C) + 0.5, Math.floor(kMin / C) + 0.5);
    expect(px.at(x1, y1).slice(0, 3)).toEqual([...top]);
    expect(px.at(x0, y0).slice(0, 3)).toEqual([...bottom]);
    expect(top).toEqual(hex('#fde725'));
  });

  it("scales to the data's min..max by default (the answer's norm=None), even with a diverging map", () => {
    // An all-positive attention map: the old ±max|x| default used only the white-to-red half of bwr.
    const positive = { data: Float32Array.from(randn(5, R * C), (v) => Math.abs(v) + 0.01), shape: [R, C] };
    const lo = Math.min(...positive.data);
    const hi = Math.max(...positive.data);
    const heat = (o = {}) =>
      render('features2D', positive, o).spec.panels[0]!.layers[0] as { vmin: number; vmax: number };
    for (const o of [{}, { norm: null }, { norm: 'data' as const }, { cmap: 'bwr' as const }])
      expect([heat(o).vmin, heat(o).vmax]).toEqual([lo, hi]);
    const spec = render('features2D', positive).spec;
    expect([spec.colorbars[0]!.vmin, spec.colorbars[0]!.vmax]).toEqual([lo, hi]);
    expect(spec.panels[0]!.xAxis.label).toBe('Timesteps');
    expect(spec.panels[0]!.yAxis.label).toBe('Attention features');
  });

  it("honours [vmin, vmax] (either may be null), 'symmetric', 'auto' and the cmap alias", () => {
    const d = data();
    const m = Math.max(...Array.from(d.data, Math.abs));
    const heat = (o: object) =>
      render('features2D', d, o).spec.panels[0]!.layers[0] as { vmin: number; vmax: number; colormap: string };
    expect([heat({ norm: [-5, 2] }).vmin, heat({ norm: [-5, 2] }).vmax]).toEqual([-5, 2]);
    expect(heat({ norm: [null, 9] }).vmin).toBe(Math.min(...d.data));
    expect(heat({ norm: [-9, null] }).vmax).toBe(Math.max(...d.data));
    for (const norm of ['symmetric', 'auto']) expect([heat({ norm }).vmin, heat({ norm }).vmax]).toEqual([-m, m]);
    expect(heat({ norm: 'auto', colormap: 'viridis' }).vmin).toBe(Math.min(...d.data));
    expect(heat({ cmap: 'seismic' }).colormap).toBe('seismic');
    expect(heat({ cmap: 'seismic', colormap: 'viridis' }).colormap).toBe('viridis');
    expect(() => heat({ norm: [3, 1] })).toThrow(/`norm` needs vmin < vmax; got \[3,1\]/);
    expect(() => heat({ norm: 'wide' })).toThrow(
      /option `norm` must be one of 'data', 'symmetric', 'auto', 'none', null or a list of 2 \(numbers or null\); got "wide"/,
    );
  });

  it('lays out a batch as a grid with one shared colorbar', () => {
    const r = render('features2D', { data: randn(3, 4 * R * C), shape: [4, R, C] }, { colormap: 'magma' });
    expect(r.spec.panels).toHaveLength(4);
    expect(r.spec.colorbars).toHaveLength(1);
    expect(r.spec.panels.map((p) => p.title)).toEqual(['sample 0', 'sample 1', 'sample 2', 'sample 3']);
    expectGoodPng(r, 'features2D-batch');
  });

  it('keeps cells crisp: every pixel of a 3×3 matrix blown up is exactly a cell color', () => {
    const r = render(
      'features2D',
      [
        [0, 1, 2],
        [3, 4, 5],
        [6, 7, 8],
      ],
      { colormap: 'greys', width: 300, height: 300 },
    );
    const px = decodePng(r.png());
    const p = r.spec.panels[0]!;
    const allowed = new Set<string>();
    for (let v = 0; v <= 8; v++) allowed.add(colorAt(colormaps.greys, v / 8).join(','));
    for (let y = p.y + 2; y < p.y + p.height - 2; y++) {
      for (let x = p.x + 2; x < p.x + p.width - 2; x++)
        expect(allowed.has(px.at(x, y).slice(0, 3).join(','))).toBe(true);
    }
  });

  it('draws NaN cells in nanColor', () => {
    const r = render(
      'features2D',
      [
        [1, NaN],
        [3, 4],
      ],
      { nanColor: '#00ff00', width: 300, height: 300 },
    );
    const [x, y] = devicePx(r, 0, 1.5, 0.5);
    expect(colorDistance(decodePng(r.png()).at(x, y), hex('#00ff00'))).toBe(0);
  });

  // Speed is measured by bench/viz.ts, not asserted here.
  it('renders 2000×2000 cells', () => {
    const n = 2000;
    const big = new Float32Array(n * n);
    for (let i = 0; i < big.length; i++) big[i] = Math.sin(i / 7919) + (i % n) / n;
    const png = render('features2D', { data: big, shape: [n, n] }, { colormap: 'viridis' }).png();
    expect(png.length).toBeGreaterThan(1000);
  });
});
