import { deflateSync, inflateSync } from 'node:zlib';
import { type Canvas, createCanvas } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { chartKinds, chartSpec, examples, renderPng } from '../../src/index.ts';
import { drawToCanvas } from '../../src/render/canvas.ts';
import { canvasBackend } from '../../src/render/canvas-napi.ts';
import {
  allOpaque,
  decodePngRgba,
  encodePngRgba,
  pngFile,
  pngScanlines,
  unpremultiply,
} from '../../src/render/png-encode.ts';

/**
 * A PNG decoder independent of the canvas (8-bit RGBA, all five filter types), so pixels are
 * compared exactly, without the premultiplying round trip of drawing an image onto a canvas.
 */
function decode(png: Uint8Array): { width: number; height: number; rgba: Uint8Array; chunks: string[] } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let p = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  const chunks: string[] = [];
  while (p < png.length) {
    const len = view.getUint32(p);
    const type = String.fromCharCode(...png.subarray(p + 4, p + 8));
    chunks.push(type);
    const data = png.subarray(p + 8, p + 8 + len);
    if (type === 'IHDR') {
      width = view.getUint32(p + 8);
      height = view.getUint32(p + 12);
      expect(Array.from(data.subarray(8, 13))).toEqual([8, 6, 0, 0, 0]);
    }
    if (type === 'IDAT') idat.push(data);
    p += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  expect(raw.length).toBe((stride + 1) * height);
  const rgba = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    if (f > 4) throw new Error(`bad filter type ${f} in row ${y}`);
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i]!;
      const a = i >= 4 ? rgba[y * stride + i - 4]! : 0;
      const b = y > 0 ? rgba[(y - 1) * stride + i]! : 0;
      const c = i >= 4 && y > 0 ? rgba[(y - 1) * stride + i - 4]! : 0;
      let pred = 0;
      if (f === 1) pred = a;
      else if (f === 2) pred = b;
      else if (f === 3) pred = (a + b) >> 1;
      else if (f === 4) {
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      rgba[y * stride + i] = (x + pred) & 0xff;
    }
  }
  return { width, height, rgba, chunks };
}

function rowFilters(png: Uint8Array): number[] {
  const { width, height } = decode(png);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const idat: Uint8Array[] = [];
  for (let p = 8; p < png.length; p += 12 + view.getUint32(p))
    if (String.fromCharCode(...png.subarray(p + 4, p + 8)) === 'IDAT')
      idat.push(png.subarray(p + 8, p + 8 + view.getUint32(p)));
  const raw = inflateSync(Buffer.concat(idat));
  return Array.from({ length: height }, (_, y) => raw[y * (width * 4 + 1)]!);
}

function drawn(kind: (typeof chartKinds)[number], options: Record<string, unknown> = {}) {
  const ex = examples()[kind];
  const spec = chartSpec(kind, ex.data as never, { ...(ex.options as object), ...options } as never);
  const canvas = createCanvas(Math.round(spec.width * spec.scale), Math.round(spec.height * spec.scale));
  drawToCanvas(spec, canvas);
  return { spec, canvas };
}

function canvasPixels(canvas: Canvas): Uint8Array {
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

describe('png encoding', () => {
  it("holds exactly the canvas' pixels, as @napi-rs/canvas' own encoder does, for every chart kind", () => {
    for (const kind of chartKinds) {
      const { spec, canvas } = drawn(kind, { scale: 1 });
      const ex = examples()[kind];
      const ours = decode(renderPng(kind, ex.data as never, { ...(ex.options as object), scale: 1 } as never));
      const theirs = decode(new Uint8Array(canvas.encodeSync('png')));
      expect([ours.width, ours.height]).toEqual([canvas.width, canvas.height]);
      expect(Buffer.from(ours.rgba).equals(Buffer.from(theirs.rgba)), kind).toBe(true);
      expect(Buffer.from(ours.rgba).equals(Buffer.from(canvasPixels(canvas))), kind).toBe(true);
      expect(spec.kind).toBe(kind);
    }
  });

  it('un-premultiplies transparent and translucent backgrounds like getImageData', () => {
    for (const background of ['transparent', 'rgba(255, 0, 0, 0.4)']) {
      const { spec, canvas } = drawn('attribution', { background, width: 300, height: 260, scale: 1 });
      const ours = decode(canvasBackend.encodePng(canvas, spec.dpi));
      const px = canvasPixels(canvas);
      expect(Buffer.from(ours.rgba).equals(Buffer.from(px)), background).toBe(true);
      expect(allOpaque(ours.rgba)).toBe(false);
    }
  });

  it('covers fractional device sizes (the last column is only partly painted)', () => {
    const png = renderPng('features0D', [1, 2, 3], { width: 301, height: 201, scale: 1.5 });
    const d = decode(png);
    expect([d.width, d.height]).toEqual([452, 302]);
    const canvas = createCanvas(452, 302);
    drawToCanvas(chartSpec('features0D', [1, 2, 3], { width: 301, height: 201, scale: 1.5 }), canvas);
    expect(Buffer.from(d.rgba).equals(Buffer.from(canvasPixels(canvas)))).toBe(true);
    expect(d.rgba[(451 + 100 * 452) * 4 + 3]).toBeLessThan(255);
  });

  it('gives the same bytes when a synchronous burst of charts has to read pixels from the canvas PNG', () => {
    // 12 × 1000×1000 px = 48 MB of pixels in one turn of the event loop: past the 16 MB read budget.
    const options = { width: 1000, height: 1000, title: 'burst', scale: 1 };
    const ex = examples().features2D;
    const pngs = Array.from({ length: 12 }, () => renderPng('features2D', ex.data, { ...ex.options, ...options }));
    for (const png of pngs.slice(1)) expect(Buffer.from(png).equals(Buffer.from(pngs[0]!))).toBe(true);
    const { spec, canvas } = drawn('features2D', options);
    expect(spec.width).toBe(1000);
    expect(Buffer.from(decode(pngs[11]!).rgba).equals(Buffer.from(canvasPixels(canvas)))).toBe(true);
  });

  it('reads back every filter type of the canvas encoder', () => {
    const { canvas } = drawn('attention', { scale: 1 });
    const png = new Uint8Array(canvas.encodeSync('png'));
    const filters = new Set(rowFilters(png));
    expect(filters.size).toBeGreaterThanOrEqual(3);
    const px = decodePngRgba(png, (z) => new Uint8Array(inflateSync(z)));
    expect(Buffer.from(px).equals(Buffer.from(canvasPixels(canvas)))).toBe(true);
  });

  it('writes the dpi as pHYs before the image data', () => {
    const d = decode(renderPng('features0D', [1, 2], { width: 100, height: 80, dpi: 144 }));
    expect(d.chunks).toEqual(['IHDR', 'pHYs', 'IDAT', 'IEND']);
  });

  it('filters rows None or Up and decodes back to the same bytes, wrapping byte differences', () => {
    const w = 37;
    const h = 9;
    const rgba = new Uint8Array(w * h * 4);
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed >> 16;
    };
    for (let x = 0; x < w * 4; x++) rgba[x] = rnd() & 0xff; // row 0: noise
    for (let y = 1; y < h; y++)
      for (let x = 0; x < w * 4; x++) {
        const above = rgba[(y - 1) * w * 4 + x]!;
        // rows 1–3 repeat, in 4–6 one pixel in five changes (with wrap-around), 7–8 are new noise
        const changed = (x >> 2) % 5 === y % 5;
        rgba[y * w * 4 + x] = y <= 3 ? above : y <= 6 ? (changed ? (above + 200 + x) & 0xff : above) : rnd() & 0xff;
      }
    const lines = pngScanlines(rgba, w, h);
    const filters = Array.from({ length: h }, (_, y) => lines[y * (w * 4 + 1)]);
    expect(filters).toEqual([0, 2, 2, 2, 2, 2, 2, 0, 0]);
    expect(Array.from(lines.subarray(w * 4 + 2, 2 * (w * 4 + 1)))).toEqual(new Array(w * 4).fill(0));
    const png = pngFile(w, h, new Uint8Array(deflateSync(lines)));
    expect(Buffer.from(decode(png).rgba).equals(Buffer.from(rgba))).toBe(true);
  });

  it('un-premultiplies with rounding and leaves opaque and empty pixels', () => {
    const px = Uint8Array.of(100, 50, 0, 128, 10, 20, 30, 255, 0, 0, 0, 0, 1, 1, 1, 1);
    unpremultiply(px);
    expect(Array.from(px)).toEqual([199, 100, 0, 128, 10, 20, 30, 255, 0, 0, 0, 0, 255, 255, 255, 1]);
    // Half-way cases round as the canvas does: 1/6 → 42.5 → 42, 3/10 → 76.5 → 77, 5/6 → 212.5 → 212.
    const ties = Uint8Array.of(1, 0, 0, 6, 3, 0, 0, 10, 5, 0, 0, 6);
    unpremultiply(ties);
    expect([ties[0], ties[4], ties[8]]).toEqual([42, 77, 212]);
  });

  it('stores uncompressed PNGs for browsers that decode to the same pixels', () => {
    const rgba = Uint8Array.from({ length: 5 * 3 * 4 }, (_, i) => (i * 37) & 0xff);
    expect(Buffer.from(decode(encodePngRgba(rgba, 5, 3)).rgba).equals(Buffer.from(rgba))).toBe(true);
  });
});
