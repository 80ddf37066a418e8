import { describe, expect, it } from 'vitest';
import { render } from '../../src/index.ts';
import { randn } from '../helpers.ts';

describe('svg', () => {
  it('draws the same marks as the PNG: panels, lines, text, colorbar', () => {
    const svg = render(
      'features1D',
      { data: randn(1, 2 * 30 * 3), shape: [2, 30, 3] },
      { title: 'A & B <test>' },
    ).svg();
    expect(svg).toContain('A &amp; B &lt;test&gt;');
    expect(svg.match(/<polyline /g)!.length).toBeGreaterThan(6);
    expect(svg).toContain("font-family=\"'DejaVu Sans'");
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    const opened = (svg.match(/<g[ >]/g) ?? []).length;
    expect((svg.match(/<\/g>/g) ?? []).length).toBe(opened);
  });

  it('draws small heatmaps as rects and large ones as one pixelated PNG image', () => {
    const small = render('features2D', [
      [1, 2],
      [3, 4],
    ]).svg();
    expect(small).toContain('shape-rendering="crispEdges"');
    expect(small).not.toContain('<image');
    const big = render('features2D', { data: randn(2, 100 * 100), shape: [100, 100] }).svg();
    expect(big).toMatch(/<image [^>]*image-rendering:pixelated[^>]*href="data:image\/png;base64,/);
  });

  it('is deterministic', () => {
    const a = render('attention', { data: randn(3, 2 * 9 * 9), shape: [2, 9, 9] }).svg();
    const b = render('attention', { data: randn(3, 2 * 9 * 9), shape: [2, 9, 9] }).svg();
    expect(a).toBe(b);
  });
});
