import { createRequire } from 'node:module';
import { createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';
import { VizError } from './errors.ts';

/** Family name under which the bundled DejaVu Sans is registered, and used in SVG output. */
export const FONT_FAMILY = 'DejaVu Sans';

let registered = false;
let measureCtx: SKRSContext2D | undefined;

/**
 * Register the bundled DejaVu Sans (regular and bold, from the
 * `dejavu-fonts-ttf` npm package) with the canvas, once. Text then looks the
 * same on every machine, whatever fonts the system has.
 */
export function ensureFont(): void {
  if (registered) return;
  const require = createRequire(import.meta.url);
  for (const file of ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf']) {
    let path: string;
    try {
      path = require.resolve(`dejavu-fonts-ttf/ttf/${file}`);
    } catch {
      throw new VizError(
        `The bundled font ${file} was not found. Reinstall @keraspect/viz's dependencies (pnpm install) so dejavu-fonts-ttf is present.`,
      );
    }
    GlobalFonts.registerFromPath(path, FONT_FAMILY);
  }
  registered = true;
}

/** CSS font shorthand for the bundled family. */
export function fontSpec(size: number, bold = false): string {
  return `${bold ? 'bold ' : ''}${size}px "${FONT_FAMILY}"`;
}

const widthCache = new Map<string, number>();

/** Width in CSS pixels of `text` set in the bundled font at `size` px. */
export function textWidth(text: string, size: number, bold = false): number {
  const key = `${size}|${bold ? 1 : 0}|${text}`;
  const hit = widthCache.get(key);
  if (hit !== undefined) return hit;
  ensureFont();
  measureCtx ??= createCanvas(4, 4).getContext('2d');
  measureCtx.font = fontSpec(size, bold);
  const w = measureCtx.measureText(text).width;
  widthCache.set(key, w);
  return w;
}
