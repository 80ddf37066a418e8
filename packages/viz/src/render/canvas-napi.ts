/** The Node canvas backend: `@napi-rs/canvas`, with the bundled DejaVu Sans registered. */
import { createRequire } from 'node:module';
import type { Canvas, SKRSContext2D } from '@napi-rs/canvas';
import { VizError } from '../errors.ts';
import type { CanvasBackend, CanvasLike, Context2D } from './canvas-backend.ts';

const FAMILY = 'DejaVu Sans';

type Napi = typeof import('@napi-rs/canvas');
let napi: Napi | undefined;
/**
 * @napi-rs/canvas, loaded at the first chart (with require: it is CommonJS around a native library),
 * so that commands which draw nothing (`keraspect inspect`, `predict`) never pay for loading it.
 */
function lib(): Napi {
  napi ??= createRequire(import.meta.url)('@napi-rs/canvas') as Napi;
  return napi;
}
let registered = false;
let measureCtx: SKRSContext2D | undefined;

/**
 * Canvases by size, reused. @napi-rs/canvas never frees the surface of a canvas that has been
 * encoded (measured: ~0.35 MB per render, not reclaimed by GC), so a fresh canvas per chart would
 * grow a long-running process without bound. A few sizes are kept, least recently used first out.
 */
const pool = new Map<string, Canvas>();
const POOL_SIZE = 8;

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
  encodePng(canvas: CanvasLike, dpi?: number) {
    const c = canvas as Canvas;
    const buf = dpi ? c.encodeSync('png', { resolution: dpi }) : c.encodeSync('png');
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
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
