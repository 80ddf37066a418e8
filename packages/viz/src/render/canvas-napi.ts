/** The Node canvas backend: `@napi-rs/canvas`, with the bundled DejaVu Sans registered. */
import { createRequire } from 'node:module';
import type { Canvas, SKRSContext2D } from '@napi-rs/canvas';
import { VizError } from '../errors.ts';
import type { CanvasBackend, CanvasLike, Context2D } from './canvas-backend.ts';
import { allOpaque, decodePngRgba, pngFile, pngScanlines, unpremultiply } from './png-encode.ts';

const FAMILY = 'DejaVu Sans';

type Napi = typeof import('@napi-rs/canvas');
type Zlib = typeof import('node:zlib');
let napi: Napi | undefined;
/**
 * @napi-rs/canvas, loaded at the first chart (with require: it is CommonJS around a native library),
 * so that commands which draw nothing (`keraspect inspect`, `predict`) never pay for loading it.
 */
function lib(): Napi {
  napi ??= createRequire(import.meta.url)('@napi-rs/canvas') as Napi;
  return napi;
}
let zlib: Zlib | undefined;
let registered = false;
let measureCtx: SKRSContext2D | undefined;

/**
 * Canvases by size, reused. @napi-rs/canvas never frees the surface of a canvas that has been
 * encoded (measured: ~0.35 MB per render, not reclaimed by GC), so a fresh canvas per chart would
 * grow a long-running process without bound. A few sizes are kept, least recently used first out.
 */
const pool = new Map<string, Canvas>();
/**
 * zlib level of PNG output. Measured on the bench figures: level 3 takes ~20 % longer than 1 for
 * files 2.5 % smaller (most on noisy heatmaps), levels 4+ about twice as long for ~10 % smaller.
 */
const PNG_DEFLATE_LEVEL = 1;
const POOL_SIZE = 8;

function zlibLib(): Zlib {
  zlib ??= createRequire(import.meta.url)('node:zlib') as Zlib;
  return zlib;
}

/**
 * Bytes of pixels read with `canvas.data()` per turn of the event loop. @napi-rs/canvas frees those
 * copies only from a callback that runs when the event loop turns (measured: 100 synchronous reads
 * of a 1600×1000 canvas held 650 MB until then), so a program rendering many charts in one
 * synchronous burst would grow without bound. Past this budget, until the loop turns, the pixels
 * come from the canvas' own PNG (a small buffer, decoded here), which is slower but bounded.
 */
const PIXEL_BUDGET = 16 * 2 ** 20;
let pixelBytesThisTurn = 0;

function readPixels(c: Canvas, z: Zlib): { rgba: Uint8Array; premultiplied: boolean } {
  const bytes = c.width * c.height * 4;
  if (pixelBytesThisTurn === 0 || pixelBytesThisTurn + bytes <= PIXEL_BUDGET) {
    if (pixelBytesThisTurn === 0)
      setImmediate(() => {
        pixelBytesThisTurn = 0;
      }).unref();
    pixelBytesThisTurn += bytes;
    const buf = c.data();
    return { rgba: new Uint8Array(buf.buffer, buf.byteOffset, bytes), premultiplied: true };
  }
  const png = c.encodeSync('png');
  const inflate = (data: Uint8Array) => {
    const r = z.inflateSync(data);
    return new Uint8Array(r.buffer, r.byteOffset, r.byteLength);
  };
  return {
    rgba: decodePngRgba(new Uint8Array(png.buffer, png.byteOffset, png.byteLength), inflate),
    premultiplied: false,
  };
}

export const canvasBackend: CanvasBackend = {
  name: 'napi',
  fontFallback: '',
  canvas(width, height) {
    const key = `${width}x${height}`;
    let canvas = pool.get(key);
    if (canvas) pool.delete(key);
    else canvas = lib().createCanvas(width, height);
    pool.set(key, canvas);
    if (pool.size > POOL_SIZE) pool.delete(pool.keys().next().value!);
    return canvas;
  },
  // A JS-owned buffer: ImageData made by ctx.createImageData is never freed by @napi-rs/canvas.
  imageData: (data, width, height) => new (lib().ImageData)(data, width, height),
  /**
   * The canvas' pixels filtered and deflated here (png-encode.ts), not by `canvas.encodeSync('png')`
   * (libpng, zlib level 6, every filter tried on every row): the same pixels in a third to a half of
   * the time per chart, files ~6 % larger in total over the seed-sized bench figures (−36 % to +42 %
   * per figure). The same pixels give the same bytes whichever way they were read.
   */
  encodePng(canvas: CanvasLike, dpi?: number, opaque = false) {
    const c = canvas as Canvas;
    const { width, height } = c;
    const z = zlibLib();
    const px = readPixels(c, z);
    if (px.premultiplied && !opaque && !allOpaque(px.rgba)) unpremultiply(px.rgba);
    const idat = z.deflateSync(pngScanlines(px.rgba, width, height), { level: PNG_DEFLATE_LEVEL });
    const crc = z.crc32; // Node ≥ 20.15; pngFile has its own otherwise
    return pngFile(
      width,
      height,
      new Uint8Array(idat.buffer, idat.byteOffset, idat.byteLength),
      dpi,
      crc ? (bytes) => crc(bytes) : undefined,
    );
  },
  measureContext() {
    measureCtx ??= lib().createCanvas(4, 4).getContext('2d');
    return measureCtx as unknown as Context2D;
  },
  /**
   * Register the bundled DejaVu Sans (regular and bold, from the `dejavu-fonts-ttf` npm package)
   * with the canvas, once. Text then looks the same on every machine, whatever fonts it has.
   */
  ensureFont() {
    if (registered) return;
    const require = createRequire(import.meta.url);
    for (const file of ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf']) {
      let path: string;
      try {
        path = require.resolve(`dejavu-fonts-ttf/ttf/${file}`);
      } catch {
        throw new VizError(
          `The bundled font ${file} was not found. Reinstall @keraspect/viz's dependencies (pnpm install) so dejavu-fonts-ttf is present.`,
          'NO_CANVAS',
        );
      }
      lib().GlobalFonts.registerFromPath(path, FAMILY);
    }
    registered = true;
  },
  async registerFont(data) {
    lib().GlobalFonts.register(Buffer.from(data.buffer, data.byteOffset, data.byteLength), FAMILY);
  },
};
