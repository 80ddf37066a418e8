import { FONT_FAMILY } from '../font.ts';
import type { FigureSpec } from '../spec.ts';
import { base64 } from './base64.ts';
import { cellsPng } from './canvas.ts';
import { paint } from './paint.ts';
import { baselineShift, type Painter, type TextStyle } from './painter.ts';

/** Heatmaps with at most this many cells become `<rect>`s; bigger ones an embedded PNG. */
const MAX_RECT_CELLS = 2500;

const n2 = (v: number): string => {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Painter that appends SVG elements to a list of strings. */
class SvgPainter implements Painter {
  readonly scale = 1;
  /** Keep 2 cells per CSS px in embedded heatmap images: sharp on HiDPI screens, bounded size. */
  readonly cellResolution = 2;
  readonly parts: string[] = [];
  private clipCount = 0;
  private open = 0;

  fillRect(x: number, y: number, w: number, h: number, color: string, opacity = 1): void {
    this.parts.push(
      `<rect x="${n2(x)}" y="${n2(y)}" width="${n2(w)}" height="${n2(h)}" fill="${color}"${opacity < 1 ? ` fill-opacity="${n2(opacity)}"` : ''}/>`,
    );
  }

  strokeRect(x: number, y: number, w: number, h: number, color: string, width: number): void {
    this.parts.push(
      `<rect x="${n2(x)}" y="${n2(y)}" width="${n2(w)}" height="${n2(h)}" fill="none" stroke="${color}" stroke-width="${n2(width)}"/>`,
    );
  }

  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, color: string, width: number, dash?: readonly number[]): void {
    let pts = '';
    for (let i = 0; i < xs.length; i++) pts += `${i ? ' ' : ''}${n2(xs[i]!)},${n2(ys[i]!)}`;
    this.parts.push(
      `<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="${n2(width)}" stroke-linejoin="round"${dash && dash.length ? ` stroke-dasharray="${dash.join(' ')}"` : ''}/>`,
    );
  }

  circle(x: number, y: number, r: number, color: string): void {
    this.parts.push(`<circle cx="${n2(x)}" cy="${n2(y)}" r="${n2(r)}" fill="${color}"/>`);
  }

  text(s: string, x: number, y: number, st: TextStyle): void {
    const anchor = st.align === 'left' ? 'start' : st.align === 'right' ? 'end' : 'middle';
    const dy = baselineShift(st.baseline) * st.size;
    const rot = st.rotate ? ` transform="rotate(${n2(st.rotate)} ${n2(x)} ${n2(y)})"` : '';
    this.parts.push(
      `<text x="${n2(x)}" y="${n2(y + dy)}" font-size="${n2(st.size)}"${st.bold ? ' font-weight="bold"' : ''} fill="${st.color}" text-anchor="${anchor}"${rot}>${esc(s)}</text>`,
    );
  }

  cells(rgba: Uint8ClampedArray, cols: number, rows: number, x: number, y: number, w: number, h: number): void {
    if (cols * rows <= MAX_RECT_CELLS) {
      const cw = w / cols;
      const ch = h / rows;
      const out: string[] = ['<g shape-rendering="crispEdges">'];
      // Cell edges snapped to whole CSS px, shared by neighbours: no seams, no overlaps.
      const xe = Array.from({ length: cols + 1 }, (_, c) => Math.round(x + c * cw));
      const ye = Array.from({ length: rows + 1 }, (_, r) => Math.round(y + r * ch));
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const k = (r * cols + c) * 4;
          const hex = `#${[rgba[k]!, rgba[k + 1]!, rgba[k + 2]!].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
          out.push(
            `<rect x="${xe[c]}" y="${ye[r]}" width="${xe[c + 1]! - xe[c]!}" height="${ye[r + 1]! - ye[r]!}" fill="${hex}"/>`,
          );
        }
      }
      out.push('</g>');
      this.parts.push(out.join(''));
      return;
    }
    const png = base64(cellsPng(rgba, cols, rows));
    this.parts.push(
      `<image x="${n2(x)}" y="${n2(y)}" width="${n2(w)}" height="${n2(h)}" preserveAspectRatio="none" style="image-rendering:pixelated;image-rendering:crisp-edges" href="data:image/png;base64,${png}"/>`,
    );
  }

  clip(x: number, y: number, w: number, h: number): void {
    const id = `clip${this.clipCount++}`;
    this.parts.push(
      `<clipPath id="${id}"><rect x="${n2(x)}" y="${n2(y)}" width="${n2(w)}" height="${n2(h)}"/></clipPath><g clip-path="url(#${id})">`,
    );
    this.open++;
  }

  unclip(): void {
    if (this.open > 0) {
      this.parts.push('</g>');
      this.open--;
    }
  }
}

/**
 * Render a spec to SVG text with the same layout as the PNG. Text uses the
 * DejaVu Sans family (falling back to sans-serif where it is not installed);
 * large heatmaps are embedded as pixel-exact PNG images.
 */
export function drawSvg(spec: FigureSpec): string {
  const p = new SvgPainter();
  paint(spec, p);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${spec.width}" height="${spec.height}" viewBox="0 0 ${spec.width} ${spec.height}" font-family="'${FONT_FAMILY}', 'DejaVu Sans', Verdana, sans-serif">`,
    ...p.parts,
    '</svg>',
    '',
  ].join('\n');
}
