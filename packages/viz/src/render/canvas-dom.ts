/**
 * The browser canvas backend: `OffscreenCanvas` where there is one (also in workers), else a
 * `<canvas>` element. Text uses DejaVu Sans when the page has it (see `registerFont`), else the
 * browser's sans-serif; measuring and drawing use the same context fonts, so layouts stay consistent.
 */
import { VizError } from '../errors.ts';
import type { CanvasBackend, CanvasLike, Context2D } from './canvas-backend.ts';
import { encodePngRgba } from './png-encode.ts';

let measureCtx: Context2D | undefined;

function newCanvas(width: number, height: number): CanvasLike {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height);
  if (typeof document !== 'undefined') {
    const c = document.createElement('canvas');
    c.width = width;
    c.height = height;
    return c;
  }
  throw new VizError(
    'Drawing a chart needs a canvas: this environment has neither OffscreenCanvas nor a document.',
    'NO_CANVAS',
  );
}

export const canvasBackend: CanvasBackend = {
  name: 'dom',
  fontFallback: ', sans-serif',
  canvas: newCanvas,
  imageData: (data, width, height) => new ImageData(data as Uint8ClampedArray<ArrayBuffer>, width, height),
  encodePng(canvas, dpi) {
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    return encodePngRgba(data, canvas.width, canvas.height, dpi);
  },
  measureContext() {
    measureCtx ??= newCanvas(4, 4).getContext('2d') as Context2D;
    return measureCtx;
  },
  ensureFont() {},
  async registerFont(data, bold) {
    const face = new FontFace('DejaVu Sans', data.slice().buffer, { weight: bold ? 'bold' : 'normal' });
    await face.load();
    const fonts =
      (globalThis as { document?: Document }).document?.fonts ??
      (globalThis as unknown as { fonts?: FontFaceSet }).fonts;
    if (!fonts)
      throw new VizError(
        'Registering a font needs document.fonts (or self.fonts in a worker); this environment has neither.',
        'NO_CANVAS',
      );
    fonts.add(face);
  },
};
