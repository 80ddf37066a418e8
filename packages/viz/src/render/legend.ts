import { textWidth } from '../font.ts';
import type { LegendSpec } from '../spec.ts';
import { theme } from '../theme.ts';

/** Box size and inner metrics of a legend with these items, CSS px. */
export function legendSize(
  items: LegendSpec['items'],
  fontSize: number,
): { width: number; height: number; rowHeight: number; pad: number; swatch: number } {
  const size = theme.tickSize(fontSize);
  const pad = 6;
  const swatch = 16;
  const rowHeight = Math.ceil(size * 1.5);
  let w = 0;
  for (const it of items) w = Math.max(w, textWidth(it.label, size));
  return {
    width: Math.ceil(pad * 2 + swatch + 6 + w),
    height: pad * 2 + rowHeight * items.length,
    rowHeight,
    pad,
    swatch,
  };
}
