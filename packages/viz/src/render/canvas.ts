import { canvasBackend } from '#canvas';
import { fontSpec } from '../font.ts';
import type { FigureSpec } from '../spec.ts';
import { paint } from './paint.ts';
import type { CanvasLike, Context2D } from './canvas-backend.ts';
import { baselineShift, type Painter, type TextStyle } from './painter.ts';

/** Painter over a 2D canvas context (`@napi-rs/canvas` in Node, the DOM's in browsers). */
class CanvasPainter implements Painter {
  private clipRect: [number, number, number, number] | undefined;

  constructor(
    private readonly ctx: Context2D,
    readonly scale: number,
  ) {}

  get cellResolution(): number {
    return this.scale;
  }

  fillRect(x: number, y: number, w: number, h: number, color: string, opacity = 1): void {
    const c = this.ctx;
    c.globalAlpha = opacity;
    c.fillStyle = color;
    c.fillRect(x, y, w, h);
    c.globalAlpha = 1;
  }

  strokeRect(x: number, y: number, w: number, h: number, color: string, width: number): void {
    const c = this.ctx;
    c.strokeStyle = color;
    c.lineWidth = width;
    c.setLineDash([]);
    c.strokeRect(x, y, w, h);
  }

  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, color: string, width: number, dash?: readonly number[]): void {
    const c = this.ctx;
    c.beginPath();
    c.moveTo(xs[0]!, ys[0]!);
    for (let i = 1; i < xs.length; i++) c.lineTo(xs[i]!, ys[i]!);
    c.strokeStyle = color;
    c.lineWidth = width;
    c.lineJoin = 'round';
    c.lineCap = 'butt';
    c.setLineDash(dash ? [...dash] : []);
    c.stroke();
  }

  circle(x: number, y: number, r: number, color: string): void {
    const c = this.ctx;
    c.beginPath();
    c.arc(x, y, r, 0, Math.PI * 2);
    c.fillStyle = color;
    c.fill();
  }

  text(s: string, x: number, y: number, st: TextStyle): void {
    const c = this.ctx;
    c.save();
    c.font = fontSpec(st.size, st.bold);
    c.fillStyle = st.color;
    c.textAlign = st.align;
    c.textBaseline = 'alphabetic';
    c.translate(x, y);
    if (st.rotate) c.rotate((st.rotate * Math.PI) / 180);
    c.fillText(s, 0, baselineShift(st.baseline) * st.size);
    c.restore();
  }

  cells(rgba: Uint8ClampedArray, cols: number, rows: number, x: number, y: number, w: number, h: number): void {
    // Resample to device pixels ourselves (nearest cell per pixel centre) and
    // put the pixels directly: exact cell edges, no smoothing, no blur.
    const s = this.scale;
    let dx0 = Math.round(x * s);
    let dy0 = Math.round(y * s);
    let dx1 = Math.round((x + w) * s);
    let dy1 = Math.round((y + h) * s);
    const fullW = dx1 - dx0;
    const fullH = dy1 - dy0;
    if (fullW <= 0 || fullH <= 0) return;
    const ox = dx0;
    const oy = dy0;
    if (this.clipRect) {
      const [cx, cy, cw, ch] = this.clipRect;
      dx0 = Math.max(dx0, Math.round(cx * s));
      dy0 = Math.max(dy0, Math.round(cy * s));
      dx1 = Math.min(dx1, Math.round((cx + cw) * s));
      dy1 = Math.min(dy1, Math.round((cy + ch) * s));
    }
    const dw = dx1 - dx0;
    const dh = dy1 - dy0;
    if (dw <= 0 || dh <= 0) return;
    const img = canvasBackend.imageData(new Uint8ClampedArray(dw * dh * 4), dw, dh);
    const out = img.data as Uint8ClampedArray;
    // Int32 views: pixel copies as small integers for the JIT (Uint32 values above 2³¹ are not).
    const src32 = new Int32Array(rgba.buffer, rgba.byteOffset, rgba.length / 4);
    const out32 = new Int32Array(out.buffer, out.byteOffset, out.length / 4);
    const colIdx = new Int32Array(dw);
    for (let i = 0; i < dw; i++) colIdx[i] = Math.min(cols - 1, Math.floor(((dx0 - ox + i + 0.5) / fullW) * cols));
    let prevRow = -1;
    for (let j = 0; j < dh; j++) {
      const r = Math.min(rows - 1, Math.floor(((dy0 - oy + j + 0.5) / fullH) * rows));
      const o = j * dw;
      // Device rows of one cell row are equal: copy the one above.
      if (r === prevRow) out32.copyWithin(o, o - dw, o);
      else {
        const rowBase = r * cols;
        for (let i = 0; i < dw; i++) out32[o + i] = src32[rowBase + colIdx[i]!]!;
      }
      prevRow = r;
    }
    this.ctx.putImageData(img, dx0, dy0);
  }

  clip(x: number, y: number, w: number, h: number): void {
    const c = this.ctx;
    c.save();
    c.beginPath();
    c.rect(x, y, w, h);
    c.clip();
    this.clipRect = [x, y, w, h];
  }

  unclip(): void {
    this.ctx.restore();
    this.clipRect = undefined;
  }
}

/**
 * Paint a spec onto `canvas` (resized to `width·scale × height·scale` device pixels): the same
 * painter as PNG and SVG output. In browsers pass a `<canvas>` or an `OffscreenCanvas` (set its CSS
 * size to `spec.width × spec.height` for a sharp picture on high-DPI screens).
 */
export function drawToCanvas(spec: FigureSpec, canvas: CanvasLike): void {
  canvasBackend.ensureFont();
  const w = Math.round(spec.width * spec.scale);
  const h = Math.round(spec.height * spec.scale);
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d') as Context2D;
  ctx.save();
  try {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.scale(spec.scale, spec.scale);
    paint(spec, new CanvasPainter(ctx, spec.scale));
  } finally {
    ctx.restore();
  }
}

/**
 * Render a spec to PNG bytes. Deterministic: the same spec gives the same
 * bytes on the same machine. Writes a pHYs chunk when the spec has a `dpi`.
 */
export function drawPng(spec: FigureSpec): Uint8Array {
  const w = Math.round(spec.width * spec.scale);
  const h = Math.round(spec.height * spec.scale);
  const canvas = canvasBackend.canvas(w, h);
  drawToCanvas(spec, canvas);
  // An opaque background that covers every device pixel leaves every pixel opaque.
  const covered = spec.width * spec.scale >= w && spec.height * spec.scale >= h;
  return canvasBackend.encodePng(canvas, spec.dpi, covered && opaqueColor(spec.background));
}

const opaqueColors = new Map<string, boolean>();

/** Whether a CSS color is fully opaque (an invalid one is not), asked of the canvas once per color. */
function opaqueColor(css: string): boolean {
  let known = opaqueColors.get(css);
  if (known === undefined) {
    const ctx = canvasBackend.measureContext();
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = 'rgba(0, 0, 0, 0)'; // kept if `css` does not parse
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    known = ctx.getImageData(0, 0, 1, 1).data[3] === 255;
    ctx.restore();
    if (opaqueColors.size > 64) opaqueColors.clear();
    opaqueColors.set(css, known);
  }
  return known;
}

/** Encode raw RGBA cells as a PNG of exactly `cols × rows` pixels (for SVG heatmaps). */
export function cellsPng(rgba: Uint8ClampedArray, cols: number, rows: number): Uint8Array {
  const canvas = canvasBackend.canvas(cols, rows);
  const ctx = canvas.getContext('2d') as Context2D;
  ctx.putImageData(canvasBackend.imageData(new Uint8ClampedArray(rgba), cols, rows), 0, 0);
  return canvasBackend.encodePng(canvas);
}

/** `'napi'` in Node (`@napi-rs/canvas`), `'dom'` in browsers: which canvas charts are drawn with. */
export function canvasBackendName(): 'napi' | 'dom' {
  return canvasBackend.name;
}
