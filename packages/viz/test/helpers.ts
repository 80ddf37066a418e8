import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCanvas, Image } from '@napi-rs/canvas';
import { mulberry32 } from '@keraspect/array';
import { randn } from '../src/examples.ts';

/** Repository root (three levels above this file). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Where the viz tests write their spec snapshots and PNGs. */
export const outputDir = join(repoRoot, 'test', 'output', 'viz');

/** The seeded uniform PRNG of the examples (mulberry32). */
export const prng = mulberry32;
/** `n` seeded normal samples times `scale`, as the examples draw them. */
export { randn };

/** Deep-copy a spec with typed arrays as arrays and numbers rounded to 4 significant digits, for snapshots. */
export function rounded(x: unknown): unknown {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) return String(x);
    const r = Number(x.toPrecision(4));
    return Object.is(r, -0) ? 0 : r;
  }
  if (ArrayBuffer.isView(x)) return rounded(Array.from(x as unknown as ArrayLike<number>));
  if (Array.isArray(x)) return x.map(rounded);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, rounded(v)]));
  return x;
}

/** Stable JSON of a rounded spec. */
export function specJson(spec: unknown): string {
  const oneLine = (m: string) => m.replace(/\s*\n\s*/g, ' ');
  return `${JSON.stringify(rounded(spec), null, 1)
    .replace(/\[[^[\]{}]*\]/g, oneLine)
    .replace(/\{[^[\]{}]*\}/g, oneLine)}\n`;
}

/** Save bytes under test/output/viz (so people can look at them). */
export function saveOutput(name: string, bytes: Uint8Array | string): void {
  mkdirSync(outputDir, { recursive: true });
  writeFileSync(join(outputDir, name), bytes);
}

/** Decoded RGBA pixels of a PNG. */
export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
  at(x: number, y: number): [number, number, number, number];
}

/** Decode PNG bytes into pixels (via the canvas' decoder). */
export function decodePng(png: Uint8Array): Pixels {
  const img = new Image();
  img.src = Buffer.from(png);
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const { data } = ctx.getImageData(0, 0, img.width, img.height);
  return {
    width: img.width,
    height: img.height,
    data,
    at(x, y) {
      const i = (Math.floor(y) * img.width + Math.floor(x)) * 4;
      return [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
    },
  };
}

/** The PNG file signature. */
export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Fraction of pixels that differ from the background color, and the number of distinct colors (capped). */
export function inkStats(px: Pixels, bg: [number, number, number] = [255, 255, 255]): { ink: number; colors: number } {
  let ink = 0;
  const colors = new Set<number>();
  for (let i = 0; i < px.data.length; i += 4) {
    const r = px.data[i]!;
    const g = px.data[i + 1]!;
    const b = px.data[i + 2]!;
    if (r !== bg[0] || g !== bg[1] || b !== bg[2]) ink++;
    if (colors.size < 5000) colors.add((r << 16) | (g << 8) | b);
  }
  return { ink: ink / (px.width * px.height), colors: colors.size };
}

/** Max channel difference between two RGB colors. */
export function colorDistance(a: readonly number[], b: readonly number[]): number {
  return Math.max(Math.abs(a[0]! - b[0]!), Math.abs(a[1]! - b[1]!), Math.abs(a[2]! - b[2]!));
}

/** Parse `#rrggbb`. */
export function hex(h: string): [number, number, number] {
  return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
}

import { expect } from 'vitest';
import type { Rendered } from '../src/index.ts';

/**
 * The PNG checks every chart gets: signature, pixel size from the spec,
 * non-blank, several colors, byte-identical on a second render; saves it
 * under test/output/viz/<name>.png. Returns the decoded pixels.
 */
export function expectGoodPng(r: Rendered, name: string, again?: () => Rendered): Pixels {
  const png = r.png();
  expect(Array.from(png.subarray(0, 8))).toEqual(PNG_SIGNATURE);
  const px = decodePng(png);
  expect(px.width).toBe(Math.round(r.spec.width * r.spec.scale));
  expect(px.height).toBe(Math.round(r.spec.height * r.spec.scale));
  const { ink, colors } = inkStats(px);
  expect(ink).toBeGreaterThan(0.01);
  expect(colors).toBeGreaterThan(8);
  if (again) expect(Buffer.from(again().png()).equals(Buffer.from(png))).toBe(true);
  saveOutput(`${name}.png`, png);
  saveOutput(`${name}.svg`, r.svg());
  return px;
}

/** Device-pixel position of data (x, y) in panel `p` of a rendered chart. */
export function devicePx(r: Rendered, panel: number, x: number, y: number): [number, number] {
  const p = r.spec.panels[panel]!;
  const s = r.spec.scale;
  const fx = (x - p.xAxis.min) / (p.xAxis.max - p.xAxis.min);
  const fy = (y - p.yAxis.min) / (p.yAxis.max - p.yAxis.min);
  const py = p.yAxis.reversed ? p.y + fy * p.height : p.y + p.height - fy * p.height;
  return [(p.x + fx * p.width) * s, py * s];
}
