import { describe, expect, it } from 'vitest';
import { chartKinds, charts, chartSpec, render, renderPng, renderSvg, VizError } from '../src/index.ts';
import { decodePng, PNG_SIGNATURE } from './helpers.ts';

describe('render', () => {
  it('lists every chart kind in one registry', () => {
    expect(chartKinds).toEqual([
      'features1D',
      'features2D',
      'histogram',
      'features0D',
      'attribution',
      'attention',
      'rnnWeights',
    ]);
    for (const k of chartKinds) expect(charts[k].description.length).toBeGreaterThan(10);
  });

  it('returns PNG bytes, SVG text and a data URL from one spec', () => {
    const r = render('features1D', [1, 3, 2, 5, 4], { title: 'tiny', width: 400, height: 200 });
    expect(Array.from(r.png().subarray(0, 8))).toEqual(PNG_SIGNATURE);
    expect(r.png()).toBe(r.png());
    expect(r.dataUrl()).toBe(`data:image/png;base64,${Buffer.from(r.png()).toString('base64')}`);
    expect(r.svg()).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="400" height="200"/);
    expect(
      Buffer.from(renderPng('features1D', [1, 3, 2, 5, 4], { title: 'tiny', width: 400, height: 200 })).equals(
        Buffer.from(r.png()),
      ),
    ).toBe(true);
    expect(renderSvg('features1D', [1, 3, 2, 5, 4], { title: 'tiny', width: 400, height: 200 })).toBe(r.svg());
    expect(chartSpec('features1D', [1, 3, 2, 5, 4], { title: 'tiny', width: 400, height: 200 })).toEqual(r.spec);
  });

  it('scales pixels with scale and dpi, and writes the dpi into the PNG', () => {
    const s2 = decodePng(renderPng('features0D', [1, 2], { width: 300, height: 200, scale: 2 }));
    expect([s2.width, s2.height]).toEqual([600, 400]);
    const png = renderPng('features0D', [1, 2], { width: 300, height: 200, dpi: 192 });
    const d = decodePng(png);
    expect([d.width, d.height]).toEqual([600, 400]);
    const i = Buffer.from(png).indexOf('pHYs');
    expect(i).toBeGreaterThan(0);
    expect(Buffer.from(png).readUInt32BE(i + 4)).toBe(Math.round(192 * 39.3701));
  });

  it('leaves the background transparent when asked', () => {
    const px = decodePng(
      renderPng(
        'features2D',
        [
          [1, 2],
          [3, 4],
        ],
        { background: 'transparent', width: 300, height: 200 },
      ),
    );
    expect(px.at(1, 1)[3]).toBe(0);
    expect(px.at(150, 100)[3]).toBe(255);
  });

  it('fails on an unknown chart kind, naming the available ones', () => {
    expect(() => render('lines' as 'features1D', [1])).toThrow(VizError);
    expect(() => render('lines' as 'features1D', [1])).toThrow(
      /Unknown chart kind `lines`\. Available kinds: features1D, features2D, histogram/,
    );
  });

  it('fails on an unknown colormap, naming the available ones', () => {
    expect(() => render('features2D', [[1, 2]], { colormap: 'jet' as 'bwr' })).toThrow(
      /features2D: option `colormap` must be one of 'bwr', 'seismic', 'viridis', 'magma', 'greys'.*; got "jet"/,
    );
  });

  it('gives VizError its name', () => {
    try {
      render('features1D', []);
    } catch (e) {
      expect(e).toBeInstanceOf(VizError);
      expect((e as Error).name).toBe('VizError');
    }
  });
});
