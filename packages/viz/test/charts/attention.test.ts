import { describe, expect, it } from 'vitest';
import { colorAt, colormaps, render, VizError } from '../../src/index.ts';
import { decodePng, devicePx, expectGoodPng, prng, specJson } from '../helpers.ts';

const T = 16;

/** Row-stochastic causal map peaked `lag` steps back, with seeded jitter. */
function causal(lag: number, seed: number): number[][] {
  const u = prng(seed);
  return Array.from({ length: T }, (_, i) => {
    const row = Array.from({ length: T }, (_, j) => (j <= i ? Math.exp(-Math.abs(i - lag - j)) + 0.05 * u() : 0));
    const s = row.reduce((a, b) => a + b, 0);
    return row.map((v) => v / s);
  });
}

const input = () => ({
  maps: [
    { label: 'layer 1', values: causal(0, 1) },
    { label: 'layer 2', values: causal(2, 2) },
    { label: 'rollout', values: causal(1, 3) },
  ],
  series: Array.from({ length: T }, (_, i) => Math.sin(i / 2)),
});

describe('attention', () => {
  it('snapshots its spec', async () => {
    await expect(specJson(render('attention', input(), { title: 'attention' }).spec)).toMatchFileSnapshot(
      '../../../../test/output/viz/attention.spec.json',
    );
  });

  it('draws maps side by side with series strips; the max weight is the colormap top color', () => {
    const r = render('attention', input(), { title: 'attention', scale: 2 });
    const px = expectGoodPng(r, 'attention', () => render('attention', input(), { title: 'attention', scale: 2 }));
    // 3 maps × (heatmap + top strip + side strip)
    expect(r.spec.panels).toHaveLength(9);
    expect(r.spec.panels.filter((p) => p.title).map((p) => p.title)).toEqual(['layer 1', 'layer 2', 'rollout']);
    // The largest weight of all maps is row 0, column 0 of some map (a causal row 0 is [1, 0, …]).
    const [x, y] = devicePx(r, 0, 0.5, 0.5);
    expect(px.at(x, y).slice(0, 3)).toEqual([...colorAt(colormaps.viridis, 1)]);
    const [xz, yz] = devicePx(r, 0, T - 0.5, 0.5);
    expect(px.at(xz, yz).slice(0, 3)).toEqual([...colorAt(colormaps.viridis, 0)]);
  });

  it("gives each map its own colour scale and colorbar under norm 'none' (a raw map of 0.04 beside a rollout of 0.5)", () => {
    const faint = causal(0, 4).map((row) => row.map((v) => v * 0.08));
    const strong = causal(1, 5);
    const maps = [
      { label: 'raw', values: faint },
      { label: 'rollout', values: strong },
    ];
    const r = render('attention', { maps, series: input().series }, { norm: 'none', scale: 2 });
    const heat = r.spec.panels.filter((p) => p.layers[0]?.type === 'heatmap');
    const ext = (m: number[][]) => [Math.min(...m.flat()), Math.max(...m.flat())];
    expect(heat.map((p) => [(p.layers[0] as { vmin: number }).vmin, (p.layers[0] as { vmax: number }).vmax])).toEqual([
      ext(faint),
      ext(strong),
    ]);
    expect(r.spec.colorbars.map((c) => [c.vmin, c.vmax])).toEqual([ext(faint), ext(strong)]);
    // Each colorbar stands right of its own map (and its side strip), before the next map starts.
    expect(r.spec.colorbars[0]!.x).toBeGreaterThan(heat[0]!.x + heat[0]!.width);
    expect(r.spec.colorbars[0]!.x + r.spec.colorbars[0]!.width).toBeLessThan(heat[1]!.x);
    expect(r.spec.colorbars[1]!.label).toBe('Attention weight');
    // The faint map's top weight gets the colormap's top color, as the strong one's does.
    const px = expectGoodPng(r, 'attention-own-scales');
    const k = faint.flat().indexOf(ext(faint)[1]!);
    const [x, y] = devicePx(r, 0, (k % T) + 0.5, Math.floor(k / T) + 0.5);
    expect(px.at(x, y).slice(0, 3)).toEqual([...colorAt(colormaps.viridis, 1)]);
    const shared = render('attention', { maps }).spec;
    expect(shared.colorbars).toHaveLength(1);
  });

  it('takes heads (H, T, T) and a batch (B, H, T, T)', () => {
    const heads = { data: new Float32Array(2 * 3 * 8 * 8).map((_, i) => (i % 7) / 7), shape: [2, 3, 8, 8] };
    const r = render('attention', heads, { sample: 1 });
    expect(r.spec.panels.map((p) => p.title)).toEqual(['head 0', 'head 1', 'head 2']);
    expect(decodePng(r.png()).height).toBe(Math.round(r.spec.height));
    expect(() => render('attention', heads, { sample: 2 })).toThrow(
      /sample 2 is out of range: the batch has 2 samples/,
    );
  });

  it('rejects series of the wrong length and bad shapes', () => {
    expect(() => render('attention', { maps: causal(0, 1), series: [1, 2, 3] })).toThrow(
      /series has 3 timesteps but map "" is 16×16/,
    );
    expect(() => render('attention', [1, 2, 3])).toThrow(VizError);
  });
});
