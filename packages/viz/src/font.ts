import { canvasBackend } from '#canvas';

/** Family name under which the bundled DejaVu Sans is registered, and used in SVG output. */
export const FONT_FAMILY = 'DejaVu Sans';

/**
 * Register the bundled DejaVu Sans with the canvas, once (Node; browsers use the page's fonts, see
 * {@link registerFont}). Text then looks the same on every machine, whatever fonts the system has.
 */
export function ensureFont(): void {
  canvasBackend.ensureFont();
}

/**
 * Use these TrueType bytes as DejaVu Sans (regular, or bold) for charts drawn from now on. In
 * browsers this gives charts the same font as Node's PNGs (e.g. the bytes of
 * `dejavu-fonts-ttf/ttf/DejaVuSans.ttf`, fetched by the page); Node has the bundled font already.
 */
export async function registerFont(data: Uint8Array, options: { bold?: boolean } = {}): Promise<void> {
  await canvasBackend.registerFont(data, options.bold ?? false);
  widthCache.clear();
}

/** CSS font shorthand for the bundled family. */
export function fontSpec(size: number, bold = false): string {
  return `${bold ? 'bold ' : ''}${size}px "${FONT_FAMILY}"${canvasBackend.fontFallback}`;
}

const widthCache = new Map<string, number>();

/** Width in CSS pixels of `text` set in the bundled font at `size` px. */
export function textWidth(text: string, size: number, bold = false): number {
  const key = `${size}|${bold ? 1 : 0}|${text}`;
  const hit = widthCache.get(key);
  if (hit !== undefined) return hit;
  ensureFont();
  const measureCtx = canvasBackend.measureContext();
  measureCtx.font = fontSpec(size, bold);
  const w = measureCtx.measureText(text).width;
  widthCache.set(key, w);
  return w;
}
