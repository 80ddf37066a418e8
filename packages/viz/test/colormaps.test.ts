import { describe, expect, it } from 'vitest';
import { colorAt, colormaps, getColormap } from '../src/index.ts';
import { hex } from './helpers.ts';

describe('colormaps', () => {
  it('end in the matplotlib colors', () => {
    expect(colorAt(colormaps.viridis, 0)).toEqual(hex('#440154'));
    expect(colorAt(colormaps.viridis, 1)).toEqual(hex('#fde725'));
    expect(colorAt(colormaps.magma, 1)).toEqual(hex('#fcfdbf'));
    expect(colorAt(colormaps.bwr, 0)).toEqual([0, 0, 255]);
    // 256 entries have no exact middle: the entry just above it is a hair off white, as in matplotlib.
    expect(Math.min(...colorAt(colormaps.bwr, 0.5))).toBeGreaterThanOrEqual(253);
    expect(colorAt(colormaps.bwr, 1)).toEqual([255, 0, 0]);
    expect(colorAt(colormaps.greys, 1)).toEqual([0, 0, 0]);
  });

  it('mark diverging maps', () => {
    expect(
      Object.values(colormaps)
        .filter((c) => c.diverging)
        .map((c) => c.name),
    ).toEqual(['bwr', 'seismic']);
    expect(() => getColormap('jet')).toThrow(/Unknown colormap `jet`/);
  });
});
