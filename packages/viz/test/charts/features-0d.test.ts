import { describe, expect, it } from 'vitest';
import { render } from '../../src/index.ts';
import { colorDistance, decodePng, devicePx, expectGoodPng, hex, randn, specJson } from '../helpers.ts';

const data = () => ({ data: randn(9, 4 * 16), shape: [4, 16] });

describe('features0D', () => {
  it('snapshots its spec', async () => {
    await expect(specJson(render('features0D', data(), { title: 'features0D' }).spec)).toMatchFileSnapshot(
      '../../../../test/output/viz/features0D.spec.json',
    );
  });

  it('draws one marked line per sample over channels, with legend and zero line', () => {
    const r = render('features0D', data(), { title: 'features0D', scale: 2 });
    const px = expectGoodPng(r, 'features0D', () => render('features0D', data(), { title: 'features0D', scale: 2 }));
    const p = r.spec.panels[0]!;
    expect(p.layers.filter((l) => l.type === 'line')).toHaveLength(4);
    expect(r.spec.legends[0]!.items).toHaveLength(4);
    // The zero line: a pixel just inside the left edge, at y = 0.
    const [, y0] = devicePx(r, 0, 0, 0);
    expect(colorDistance(px.at((p.x + 1.5) * 2, Math.round(y0)), hex('#555555'))).toBeLessThanOrEqual(12);
  });

  it('takes a single sample (C) and scatter mode', () => {
    const r = render('features0D', [1, -2, 3], { mode: 'scatter' });
    const line = r.spec.panels[0]!.layers.find((l) => l.type === 'line')!;
    expect(line).toMatchObject({ connect: false, y: [1, -2, 3] });
    expect(decodePng(r.png()).width).toBe(720);
  });

  it('rejects 3-D input', () => {
    expect(() => render('features0D', [[[1]]])).toThrow(
      /features0D data must be \(C\) or \(B, C\); got shape \[1, 1, 1\]/,
    );
  });
});
