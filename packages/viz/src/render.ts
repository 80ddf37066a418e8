import { checkOptions, type OptionSpec } from '@keraspect/array';
import { type ChartTypes, charts } from './charts/index.ts';
import { VizError } from './errors.ts';
import { base64 } from './render/base64.ts';
import { drawPng } from './render/canvas.ts';
import { drawSvg } from './render/svg.ts';
import type { ChartKind, FigureSpec } from './spec.ts';

/** All chart kinds, in registry order. */
export const chartKinds = Object.keys(charts) as ChartKind[];

/** A rendered chart: its spec, and lazily encoded outputs. */
export interface Rendered {
  /** The figure description the outputs are drawn from. */
  readonly spec: FigureSpec;
  /** PNG bytes (`width·scale × height·scale` pixels), byte-identical for the same input on the same machine. */
  png(): Uint8Array;
  /** SVG text with the same layout. */
  svg(): string;
  /** `data:image/png;base64,…` of {@link Rendered.png}. */
  dataUrl(): string;
}

/**
 * Check that `kind` names a chart.
 * @throws {@link VizError} for an unknown kind, listing the available ones.
 */
export function assertChartKind(kind: string): asserts kind is ChartKind {
  if (!Object.hasOwn(charts, kind)) {
    throw new VizError(`Unknown chart kind \`${kind}\`. Available kinds: ${chartKinds.join(', ')}.`, 'UNKNOWN_CHART');
  }
}

/**
 * Build the {@link FigureSpec} of a chart: data → plain description (pure). Options are first
 * checked against the chart's description (`charts[kind].options`): an unknown option or a value
 * of the wrong type fails naming it.
 * @throws {@link VizError} for an unknown kind or bad data/options.
 */
export function chartSpec<K extends ChartKind>(
  kind: K,
  data: ChartTypes[K]['data'],
  options?: ChartTypes[K]['options'],
): FigureSpec {
  assertChartKind(kind);
  const chart = charts[kind] as unknown as {
    options: Readonly<Record<string, OptionSpec>>;
    spec: (d: unknown, o?: unknown) => FigureSpec;
  };
  const given = options ?? {};
  checkOptions(
    chart.options,
    given,
    (message) => {
      throw new VizError(message);
    },
    kind,
  );
  return chart.spec(data, given);
}

/**
 * Render a chart: data → spec → PNG / SVG / data URL. Outputs are encoded on
 * first call and cached.
 *
 * @example
 * const png = render('features2D', { data: attn, shape: [64, 64] }, { colormap: 'viridis' }).png();
 */
export function render<K extends ChartKind>(
  kind: K,
  data: ChartTypes[K]['data'],
  options?: ChartTypes[K]['options'],
): Rendered {
  const spec = chartSpec(kind, data, options);
  let png: Uint8Array | undefined;
  let svg: string | undefined;
  return {
    spec,
    png: () => (png ??= drawPng(spec)),
    svg: () => (svg ??= drawSvg(spec)),
    dataUrl: () => `data:image/png;base64,${base64((png ??= drawPng(spec)))}`,
  };
}

/** Shorthand for `render(kind, data, options).png()`. */
export function renderPng<K extends ChartKind>(
  kind: K,
  data: ChartTypes[K]['data'],
  options?: ChartTypes[K]['options'],
): Uint8Array {
  return drawPng(chartSpec(kind, data, options));
}

/** Shorthand for `render(kind, data, options).svg()`. */
export function renderSvg<K extends ChartKind>(
  kind: K,
  data: ChartTypes[K]['data'],
  options?: ChartTypes[K]['options'],
): string {
  return drawSvg(chartSpec(kind, data, options));
}
