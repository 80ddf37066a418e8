import { textWidth } from './font.ts';
import type { AxisSpec } from './spec.ts';

/** Sizes and colors shared by the layout (charts) and the renderers, so both agree on space. */
export const theme = {
  tickLength: 4,
  tickPad: 3,
  labelPad: 5,
  frameColor: '#262626',
  tickColor: '#262626',
  textColor: '#1a1a1a',
  gridColor: '#e6e6e6',
  zeroColor: '#555555',
  nanColor: '#d0d0d0',
  outerMargin: 12,
  tickSize: (fs: number) => Math.round(fs * 0.9 * 10) / 10,
  labelSize: (fs: number) => fs,
  panelTitleSize: (fs: number) => Math.round(fs * 1.05 * 10) / 10,
  figureTitleSize: (fs: number) => Math.round(fs * 1.4 * 10) / 10,
  panelLabelSize: (fs: number) => Math.round(fs * 0.85 * 10) / 10,
} as const;

/** Widest tick label of an axis, in CSS px. */
export function maxTickLabelWidth(axis: AxisSpec, fontSize: number): number {
  if (!axis.showTickLabels) return 0;
  let w = 0;
  for (const t of axis.ticks) w = Math.max(w, textWidth(t.label, theme.tickSize(fontSize)));
  return w;
}

/** Space a y axis needs beside its panel (ticks, tick labels, title), CSS px. */
export function yAxisSpace(axis: AxisSpec, fontSize: number): number {
  let s = theme.tickLength;
  if (axis.showTickLabels) s += theme.tickPad + maxTickLabelWidth(axis, fontSize);
  if (axis.label) s += theme.labelPad + theme.labelSize(fontSize) * 1.1;
  return Math.ceil(s);
}

/** Space an x axis needs below (or above) its panel, CSS px. */
export function xAxisSpace(axis: AxisSpec, fontSize: number): number {
  let s = theme.tickLength;
  if (axis.showTickLabels) s += theme.tickPad + theme.tickSize(fontSize) * 1.15;
  if (axis.label) s += theme.labelPad + theme.labelSize(fontSize) * 1.15;
  return Math.ceil(s);
}

/** Space a panel title needs above the panel, CSS px. */
export function titleSpace(title: string | undefined, fontSize: number): number {
  return title ? Math.ceil(theme.panelTitleSize(fontSize) * 1.2 + 5) : 0;
}

/** Space the figure title needs at the top, CSS px. */
export function figureTitleSpace(title: string | undefined, fontSize: number): number {
  return title ? Math.ceil(theme.figureTitleSize(fontSize) * 1.25 + 8) : 0;
}
