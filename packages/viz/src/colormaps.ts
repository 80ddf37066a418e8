import { VizError } from './errors.ts';

/** Names of the built-in colormaps. */
export type ColormapName = 'bwr' | 'seismic' | 'viridis' | 'magma' | 'greys' | 'reds' | 'greens' | 'blues';

/** An RGB color, channels 0–255. */
export type Rgb = readonly [number, number, number];

/** A colormap: a name, whether it is diverging (centred on 0), and 256 RGB entries. */
export interface Colormap {
  /** The colormap's name. */
  readonly name: ColormapName;
  /** Diverging maps (bwr, seismic) get a symmetric ±max|x| range under `norm: 'auto'`. */
  readonly diverging: boolean;
  /** 256 entries × 3 channels, lowest value first. */
  readonly lut: Uint8Array;
}

/** Evenly spaced anchors, interpolated linearly in RGB to 256 entries. */
function fromAnchors(hexes: readonly string[]): Uint8Array {
  const rgb = hexes.map(parseHex);
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (rgb.length - 1);
    const k = Math.min(Math.floor(t), rgb.length - 2);
    const f = t - k;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(rgb[k]![c]! * (1 - f) + rgb[k + 1]![c]! * f);
  }
  return lut;
}

/** Parse `#rrggbb` into RGB. */
export function parseHex(hex: string): Rgb {
  const h = hex.replace('#', '');
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

/** Format RGB as `#rrggbb`. */
export function toHex(rgb: Rgb): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

// Anchors sampled from matplotlib's maps at evenly spaced positions.
const anchors: Record<ColormapName, { diverging: boolean; hexes: readonly string[] }> = {
  bwr: { diverging: true, hexes: ['#0000ff', '#ffffff', '#ff0000'] },
  seismic: { diverging: true, hexes: ['#00004c', '#0000ff', '#ffffff', '#ff0000', '#800000'] },
  viridis: {
    diverging: false,
    hexes: ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'],
  },
  magma: {
    diverging: false,
    hexes: ['#000004', '#1c1044', '#4f127b', '#812581', '#b5367a', '#e55064', '#fb8761', '#fec287', '#fcfdbf'],
  },
  greys: { diverging: false, hexes: ['#ffffff', '#d9d9d9', '#969696', '#525252', '#000000'] },
  reds: { diverging: false, hexes: ['#fff5f0', '#fcbba1', '#fb6a4a', '#cb181d', '#67000d'] },
  greens: { diverging: false, hexes: ['#f7fcf5', '#c7e9c0', '#74c476', '#238b45', '#00441b'] },
  blues: { diverging: false, hexes: ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5', '#08306b'] },
};

/** All built-in colormaps, by name. */
export const colormaps: Record<ColormapName, Colormap> = Object.fromEntries(
  (Object.keys(anchors) as ColormapName[]).map((name) => [
    name,
    { name, diverging: anchors[name].diverging, lut: fromAnchors(anchors[name].hexes) },
  ]),
) as Record<ColormapName, Colormap>;

/** Names of the built-in colormaps, in table order. */
export const colormapNames = Object.keys(colormaps) as ColormapName[];

/**
 * Look up a colormap by name.
 * @throws {@link VizError} for an unknown name, listing the available ones.
 */
export function getColormap(name: string): Colormap {
  if (!Object.hasOwn(colormaps, name)) {
    throw new VizError(
      `Unknown colormap \`${name}\`. Available colormaps: ${Object.keys(colormaps).join(', ')}.`,
      'UNKNOWN_COLORMAP',
    );
  }
  return colormaps[name as ColormapName];
}

/** The color at position `t` ∈ [0, 1] of a colormap (clamped). */
export function colorAt(cmap: Colormap, t: number): Rgb {
  const i = Math.max(0, Math.min(255, Math.round(t * 255))) * 3;
  return [cmap.lut[i]!, cmap.lut[i + 1]!, cmap.lut[i + 2]!];
}

/** Matplotlib's `tab10` qualitative palette, used for series and samples. */
export const palette: readonly string[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** Color of series `i` (cycles through {@link palette}). */
export function seriesColor(i: number): string {
  return palette[i % palette.length]!;
}
