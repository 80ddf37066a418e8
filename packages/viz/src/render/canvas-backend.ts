/**
 * What the canvas painter needs from a 2D canvas implementation. Two backends implement it:
 * `canvas-napi.ts` (Node, `@napi-rs/canvas` with the bundled DejaVu Sans) and `canvas-dom.ts`
 * (browsers: `OffscreenCanvas` or a `<canvas>`). The package's `#canvas` import picks one by
 * environment (`browser` condition), so a browser bundle never contains `@napi-rs/canvas`.
 */

/** The part of a 2D context the painter uses (both `@napi-rs/canvas` and the DOM provide it). */
export interface Context2D {
  globalAlpha: number;
  fillStyle: unknown;
  strokeStyle: unknown;
  lineWidth: number;
  lineJoin: 'bevel' | 'miter' | 'round';
  lineCap: 'butt' | 'round' | 'square';
  font: string;
  textAlign: 'center' | 'end' | 'left' | 'right' | 'start';
  textBaseline: 'alphabetic' | 'bottom' | 'hanging' | 'ideographic' | 'middle' | 'top';
  fillRect(x: number, y: number, w: number, h: number): void;
  strokeRect(x: number, y: number, w: number, h: number): void;
  clearRect(x: number, y: number, w: number, h: number): void;
  setLineDash(segments: number[]): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  arc(x: number, y: number, r: number, start: number, end: number): void;
  rect(x: number, y: number, w: number, h: number): void;
  stroke(): void;
  fill(): void;
  clip(): void;
  save(): void;
  restore(): void;
  translate(x: number, y: number): void;
  rotate(angle: number): void;
  scale(x: number, y: number): void;
  setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void;
  fillText(text: string, x: number, y: number): void;
  measureText(text: string): { width: number };
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  // biome-ignore lint/suspicious/noExplicitAny: each backend has its own ImageData class
  putImageData(image: any, x: number, y: number): void;
}

/** A canvas the painter can draw on: `@napi-rs/canvas`, `OffscreenCanvas` or `HTMLCanvasElement`. */
export interface CanvasLike {
  width: number;
  height: number;
  // biome-ignore lint/suspicious/noExplicitAny: the DOM's overloaded getContext
  getContext(kind: '2d'): any;
}

/** One canvas implementation. */
export interface CanvasBackend {
  /** `'napi'` (Node) or `'dom'` (browsers). */
  readonly name: 'napi' | 'dom';
  /** A canvas of exactly this many device pixels (may be reused between renders). */
  canvas(width: number, height: number): CanvasLike;
  /** An ImageData of this backend over `data` (RGBA, `width × height`). */
  // biome-ignore lint/suspicious/noExplicitAny: each backend has its own ImageData class
  imageData(data: Uint8ClampedArray, width: number, height: number): any;
  /**
   * PNG bytes of a canvas made by {@link CanvasBackend.canvas}, with a pHYs chunk when `dpi` is
   * given. `opaque: true` promises that every pixel is opaque (an opaque background covers the
   * canvas), which spares checking.
   */
  encodePng(canvas: CanvasLike, dpi?: number, opaque?: boolean): Uint8Array;
  /** A context to measure text with (same fonts as drawing). */
  measureContext(): Context2D;
  /** Make the bundled font available to the canvas, once (Node); nothing in browsers. */
  ensureFont(): void;
  /** Register TrueType bytes as DejaVu Sans (regular or bold) for drawing and measuring. */
  registerFont(data: Uint8Array, bold: boolean): Promise<void>;
  /** Font families tried after DejaVu Sans (the DOM may not have it). */
  readonly fontFallback: string;
}
