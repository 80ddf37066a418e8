import { colorAt, getColormap, parseHex } from '../colormaps.ts';
import type { BarsLayer, ColorLineLayer, FigureSpec, HeatmapLayer, Layer, LineLayer, PanelSpec } from '../spec.ts';
import { axisFraction, xToPx, yToPx } from '../spec.ts';
import { maxTickLabelWidth, theme } from '../theme.ts';
import { textWidth } from '../font.ts';
import { legendSize } from './legend.ts';
import type { Painter } from './painter.ts';

/**
 * Draw a whole {@link FigureSpec} with a {@link Painter}. This is the one
 * place that turns spec into marks, shared by the PNG and SVG back ends.
 */
export function paint(spec: FigureSpec, p: Painter): void {
  if (spec.background !== 'transparent') p.fillRect(0, 0, spec.width, spec.height, spec.background);
  for (const panel of spec.panels) paintPanel(spec, panel, p);
  for (const cb of spec.colorbars) paintColorbar(spec, cb, p);
  for (const lg of spec.legends) paintLegend(spec, lg, p);
  for (const t of spec.texts) {
    p.text(t.text, t.x, t.y, {
      size: t.size,
      bold: t.bold ?? false,
      color: t.color ?? theme.textColor,
      align: t.align,
      baseline: t.baseline,
      rotate: t.rotate ?? 0,
    });
  }
}

/** Put a 1-device-pixel-wide line on the pixel centre so it stays crisp. */
function crisp(v: number, scale: number, width = 1): number {
  const dw = Math.max(1, Math.round(width * scale));
  const d = Math.round(v * scale);
  return (dw % 2 === 1 ? d + 0.5 : d) / scale;
}

function paintPanel(spec: FigureSpec, panel: PanelSpec, p: Painter): void {
  const fs = spec.fontSize;
  const { x, y, width: w, height: h } = panel;
  const s = p.scale;
  // Grid lines under the data.
  if (panel.yAxis.grid) {
    for (const t of panel.yAxis.ticks) {
      const yy = crisp(yToPx(panel, t.value), s);
      p.polyline([x, x + w], [yy, yy], theme.gridColor, 1 / s);
    }
  }
  if (panel.xAxis.grid) {
    for (const t of panel.xAxis.ticks) {
      const xx = crisp(xToPx(panel, t.value), s);
      p.polyline([xx, xx], [y, y + h], theme.gridColor, 1 / s);
    }
  }
  p.clip(x, y, w, h);
  for (const layer of panel.layers) paintLayer(panel, layer, p);
  p.unclip();

  const tickSize = theme.tickSize(fs);
  const tl = theme.tickLength;
  // x ticks
  const xTop = panel.xAxis.opposite === true;
  const xEdge = xTop ? y : y + h;
  for (const t of panel.xAxis.ticks) {
    const f = axisFraction(panel.xAxis, t.value);
    if (f < -1e-6 || f > 1 + 1e-6) continue;
    const xx = crisp(x + f * w, s);
    p.polyline([xx, xx], xTop ? [xEdge, xEdge - tl] : [xEdge, xEdge + tl], theme.tickColor, 1);
    if (panel.xAxis.showTickLabels) {
      p.text(t.label, xx, xTop ? xEdge - tl - theme.tickPad : xEdge + tl + theme.tickPad, {
        size: tickSize,
        color: theme.textColor,
        align: 'center',
        baseline: xTop ? 'bottom' : 'top',
      });
    }
  }
  if (panel.xAxis.label) {
    const off = tl + (panel.xAxis.showTickLabels ? theme.tickPad + tickSize * 1.15 : 0) + theme.labelPad;
    p.text(panel.xAxis.label, x + w / 2, xTop ? xEdge - off : xEdge + off, {
      size: theme.labelSize(fs),
      color: theme.textColor,
      align: 'center',
      baseline: xTop ? 'bottom' : 'top',
    });
  }
  // y ticks
  const yRight = panel.yAxis.opposite === true;
  const yEdge = yRight ? x + w : x;
  for (const t of panel.yAxis.ticks) {
    const f = axisFraction(panel.yAxis, t.value);
    if (f < -1e-6 || f > 1 + 1e-6) continue;
    const yy = crisp(yToPx(panel, t.value), s);
    p.polyline(yRight ? [yEdge, yEdge + tl] : [yEdge - tl, yEdge], [yy, yy], theme.tickColor, 1);
    if (panel.yAxis.showTickLabels) {
      p.text(t.label, yRight ? yEdge + tl + theme.tickPad : yEdge - tl - theme.tickPad, yy, {
        size: tickSize,
        color: theme.textColor,
        align: yRight ? 'left' : 'right',
        baseline: 'middle',
      });
    }
  }
  if (panel.yAxis.label) {
    const off =
      tl + (panel.yAxis.showTickLabels ? theme.tickPad + maxTickLabelWidth(panel.yAxis, fs) : 0) + theme.labelPad;
    p.text(panel.yAxis.label, yRight ? yEdge + off : yEdge - off, y + h / 2, {
      size: theme.labelSize(fs),
      color: theme.textColor,
      align: 'center',
      baseline: 'bottom',
      rotate: yRight ? 90 : -90,
    });
  }
  if (panel.frame !== false) {
    p.strokeRect(crisp(x, s), crisp(y, s), Math.round(w * s) / s, Math.round(h * s) / s, theme.frameColor, 1);
  }
  if (panel.title) {
    p.text(panel.title, x + w / 2, y - (xTop ? xAxisSpaceTop(panel, fs) : 0) - 5, {
      size: theme.panelTitleSize(fs),
      bold: true,
      color: theme.textColor,
      align: 'center',
      baseline: 'bottom',
    });
  }
  if (panel.label) {
    const size = theme.panelLabelSize(fs);
    p.fillRect(x + 1, y + 1, textWidth(panel.label, size) + 6, size * 1.25 + 3, '#ffffff', 0.8);
    p.text(panel.label, x + 4, y + 4, { size, color: '#444444', align: 'left', baseline: 'top' });
  }
}

function xAxisSpaceTop(panel: PanelSpec, fs: number): number {
  let s = theme.tickLength;
  if (panel.xAxis.showTickLabels) s += theme.tickPad + theme.tickSize(fs) * 1.15;
  if (panel.xAxis.label) s += theme.labelPad + theme.labelSize(fs) * 1.15;
  return s;
}

function paintLayer(panel: PanelSpec, layer: Layer, p: Painter): void {
  switch (layer.type) {
    case 'line':
      return paintLine(panel, layer, p);
    case 'colorLine':
      return paintColorLine(panel, layer, p);
    case 'heatmap':
      return paintHeatmap(panel, layer, p);
    case 'bars':
      return paintBars(panel, layer, p);
    case 'rule': {
      if (layer.orientation === 'h') {
        const yy = crisp(yToPx(panel, layer.value), p.scale, layer.width);
        p.polyline([panel.x, panel.x + panel.width], [yy, yy], layer.color, layer.width, layer.dash);
      } else {
        const xx = crisp(xToPx(panel, layer.value), p.scale, layer.width);
        p.polyline([xx, xx], [panel.y, panel.y + panel.height], layer.color, layer.width, layer.dash);
      }
      return;
    }
    case 'text':
      p.text(layer.text, xToPx(panel, layer.x) + (layer.dx ?? 0), yToPx(panel, layer.y) + (layer.dy ?? 0), {
        size: layer.size,
        bold: layer.bold ?? false,
        color: layer.color,
        align: layer.align,
        baseline: layer.baseline,
      });
      return;
  }
}

function paintLine(panel: PanelSpec, l: LineLayer, p: Painter): void {
  const n = l.x.length;
  const px = new Float64Array(n);
  const py = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (l.vertical) {
      px[i] = xToPx(panel, l.y[i]!);
      py[i] = yToPx(panel, l.x[i]!);
    } else {
      px[i] = xToPx(panel, l.x[i]!);
      py[i] = yToPx(panel, l.y[i]!);
    }
  }
  if (l.connect !== false) {
    let start = 0;
    for (let i = 0; i <= n; i++) {
      const gap = i === n || !Number.isFinite(l.x[i]!) || !Number.isFinite(l.y[i]!);
      if (gap) {
        if (i - start >= 2) p.polyline(px.subarray(start, i), py.subarray(start, i), l.color, l.width, l.dash);
        else if (i - start === 1 && !l.markerRadius) p.circle(px[start]!, py[start]!, l.width, l.color);
        start = i + 1;
      }
    }
  }
  if (l.markerRadius) {
    for (let i = 0; i < n; i++)
      if (Number.isFinite(py[i]!) && Number.isFinite(px[i]!)) p.circle(px[i]!, py[i]!, l.markerRadius, l.color);
  }
}

function paintColorLine(panel: PanelSpec, l: ColorLineLayer, p: Painter): void {
  const cmap = getColormap(l.colormap);
  for (let i = 0; i + 1 < l.x.length; i++) {
    const y0 = l.y[i]!;
    const y1 = l.y[i + 1]!;
    if (!Number.isFinite(y0) || !Number.isFinite(y1)) continue;
    const t = l.t[i]!;
    const rgb = Number.isFinite(t) ? colorAt(cmap, t) : parseHex(theme.nanColor);
    p.polyline(
      [xToPx(panel, l.x[i]!), xToPx(panel, l.x[i + 1]!)],
      [yToPx(panel, y0), yToPx(panel, y1)],
      `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`,
      l.width,
    );
  }
}

/** Colors of heatmap cells as RGBA bytes, alpha blended onto white. */
export function heatmapRgba(l: HeatmapLayer): Uint8ClampedArray {
  const cmap = getColormap(l.colormap);
  const n = l.rows * l.cols;
  const a = l.alpha ?? 1;
  // The 256 colormap entries and the NaN color, blended once, as whole RGBA pixels (in the
  // platform's byte order, through a byte view) so each cell is one 32-bit store.
  const colors = new Uint8ClampedArray(257 * 4);
  const blend = (k: number, r: number, g: number, b: number) => {
    colors[k * 4] = a < 1 ? r * a + 255 * (1 - a) : r;
    colors[k * 4 + 1] = a < 1 ? g * a + 255 * (1 - a) : g;
    colors[k * 4 + 2] = a < 1 ? b * a + 255 * (1 - a) : b;
    colors[k * 4 + 3] = 255;
  };
  const lut = cmap.lut;
  for (let k = 0; k < 256; k++) blend(k, lut[k * 3]!, lut[k * 3 + 1]!, lut[k * 3 + 2]!);
  const [nr, ng, nb] = parseHex(l.nanColor);
  blend(256, nr, ng, nb);
  const pixel = new Int32Array(colors.buffer);
  const out = new Uint8ClampedArray(n * 4);
  const out32 = new Int32Array(out.buffer);
  const vmin = l.vmin;
  const span = l.vmax - l.vmin || 1;
  const values = l.values;
  if (values instanceof Float64Array) {
    for (let i = 0; i < n; i++) out32[i] = pixel[colorIndex(values[i]!, vmin, span)]!;
  } else if (values instanceof Float32Array) {
    for (let i = 0; i < n; i++) out32[i] = pixel[colorIndex(values[i]!, vmin, span)]!;
  } else {
    for (let i = 0; i < n; i++) out32[i] = pixel[colorIndex(values[i]!, vmin, span)]!;
  }
  return out;
}

/** Colormap entry (0–255) of a value, or 256 for NaN. */
function colorIndex(v: number, vmin: number, span: number): number {
  if (Number.isNaN(v)) return 256;
  const t = (v - vmin) / span;
  return Math.round((t < 0 ? 0 : t > 1 ? 1 : t) * 255);
}

/** Nearest-neighbour pick of `out` indices from `n`, the same rule the painters use per pixel. */
function pickIndices(n: number, out: number): Int32Array {
  const idx = new Int32Array(out);
  for (let i = 0; i < out; i++) idx[i] = Math.min(n - 1, Math.floor(((i + 0.5) / out) * n));
  return idx;
}

function paintHeatmap(panel: PanelSpec, l: HeatmapLayer, p: Painter): void {
  const xa = xToPx(panel, l.x0);
  const xb = xToPx(panel, l.x1);
  const ya = yToPx(panel, l.y0);
  const yb = yToPx(panel, l.y1);
  // Matrices larger than the pixels that show them are subsampled first, so a
  // 2000×2000 map costs what its pixels cost; each pixel still shows one real cell.
  const wantCols = Math.max(1, Math.round(Math.abs(xb - xa) * p.cellResolution));
  const wantRows = Math.max(1, Math.round(Math.abs(yb - ya) * p.cellResolution));
  let layer = l;
  if (l.cols > wantCols || l.rows > wantRows) {
    const cols = Math.min(l.cols, wantCols);
    const rows = Math.min(l.rows, wantRows);
    const ci = pickIndices(l.cols, cols);
    // Rows are picked in drawing order (top to bottom) so that flipping below stays exact.
    const flip = ya > yb;
    const ri = pickIndices(l.rows, rows);
    const values = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      const src = flip ? l.rows - 1 - ri[rows - 1 - r]! : ri[r]!;
      const base = src * l.cols;
      for (let c = 0; c < cols; c++) values[r * cols + c] = l.values[base + ci[c]!]!;
    }
    layer = { ...l, rows, cols, values };
  }
  const rgba = heatmapRgba(layer);
  // Row 0 sits at y0; when y0 is drawn below y1 the rows must be flipped.
  if (ya > yb) {
    const flipped = new Uint8ClampedArray(rgba.length);
    const rowBytes = layer.cols * 4;
    for (let r = 0; r < layer.rows; r++)
      flipped.set(rgba.subarray(r * rowBytes, (r + 1) * rowBytes), (layer.rows - 1 - r) * rowBytes);
    p.cells(flipped, layer.cols, layer.rows, Math.min(xa, xb), yb, Math.abs(xb - xa), ya - yb);
  } else {
    p.cells(rgba, layer.cols, layer.rows, Math.min(xa, xb), ya, Math.abs(xb - xa), yb - ya);
  }
}

function paintBars(panel: PanelSpec, l: BarsLayer, p: Painter): void {
  const yBase = yToPx(panel, l.base);
  for (let i = 0; i < l.heights.length; i++) {
    const hgt = l.heights[i]!;
    if (!(hgt > 0) || (panel.yAxis.log && hgt <= 0)) continue;
    // Snap bar edges to device pixels so neighbouring bars meet without seams.
    const s = p.scale;
    const x0 = Math.round(xToPx(panel, l.edges[i]!) * s) / s;
    const x1 = Math.round(xToPx(panel, l.edges[i + 1]!) * s) / s;
    const yTop = Math.round(yToPx(panel, hgt) * s) / s;
    const yB = Math.round(yBase * s) / s;
    p.fillRect(x0, Math.min(yTop, yB), Math.max(x1 - x0, 1 / s), Math.abs(yB - yTop), l.color, l.alpha);
  }
}

function paintColorbar(spec: FigureSpec, cb: FigureSpec['colorbars'][number], p: Painter): void {
  const cmap = getColormap(cb.colormap);
  const rows = 256;
  const rgba = new Uint8ClampedArray(rows * 4);
  for (let r = 0; r < rows; r++) {
    const [cr, cg, cbb] = colorAt(cmap, 1 - r / (rows - 1));
    rgba.set([cr, cg, cbb, 255], r * 4);
  }
  p.cells(rgba, 1, rows, cb.x, cb.y, cb.width, cb.height);
  const s = p.scale;
  p.strokeRect(
    crisp(cb.x, s),
    crisp(cb.y, s),
    Math.round(cb.width * s) / s,
    Math.round(cb.height * s) / s,
    theme.frameColor,
    1,
  );
  const fs = spec.fontSize;
  let maxW = 0;
  for (const t of cb.ticks) {
    const f = (t.value - cb.vmin) / (cb.vmax - cb.vmin || 1);
    if (f < -1e-6 || f > 1 + 1e-6) continue;
    const yy = crisp(cb.y + cb.height - f * cb.height, s);
    const xr = cb.x + cb.width;
    p.polyline([xr, xr + theme.tickLength], [yy, yy], theme.tickColor, 1);
    p.text(t.label, xr + theme.tickLength + theme.tickPad, yy, {
      size: theme.tickSize(fs),
      color: theme.textColor,
      align: 'left',
      baseline: 'middle',
    });
    maxW = Math.max(maxW, t.label.length);
  }
  if (cb.label) {
    const axis = { min: cb.vmin, max: cb.vmax, ticks: cb.ticks, showTickLabels: true };
    const off = theme.tickLength + theme.tickPad + maxTickLabelWidth(axis, fs) + theme.labelPad;
    p.text(cb.label, cb.x + cb.width + off, cb.y + cb.height / 2, {
      size: theme.labelSize(fs),
      color: theme.textColor,
      align: 'center',
      baseline: 'bottom',
      rotate: 90,
    });
  }
}

function paintLegend(spec: FigureSpec, lg: FigureSpec['legends'][number], p: Painter): void {
  const fs = spec.fontSize;
  const size = theme.tickSize(fs);
  const { width, height, rowHeight, pad, swatch } = legendSize(lg.items, fs);
  p.fillRect(lg.x, lg.y, width, height, '#ffffff', 0.85);
  p.strokeRect(crisp(lg.x, p.scale), crisp(lg.y, p.scale), Math.round(width), Math.round(height), '#cccccc', 1);
  lg.items.forEach((it, i) => {
    const cy = lg.y + pad + rowHeight * i + rowHeight / 2;
    if (it.swatch === 'line') p.polyline([lg.x + pad, lg.x + pad + swatch], [cy, cy], it.color, 2);
    else p.fillRect(lg.x + pad, cy - 5, swatch, 10, it.color, 0.75);
    p.text(it.label, lg.x + pad + swatch + 6, cy, { size, color: theme.textColor, align: 'left', baseline: 'middle' });
  });
}
