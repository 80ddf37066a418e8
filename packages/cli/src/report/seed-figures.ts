import { row } from '@keraspect/array';
import { attentionMaps, layerOutputs } from '@keraspect/explain';
import type { KerasModel, NdArray } from '@keraspect/importer';
import { type FigureSpec, render } from '@keraspect/viz';
import { CliError } from '../errors.ts';

/**
 * One figure of the seed answer (the Stack Overflow answer on visualizing keras-self-attention LSTMs),
 * drawn by Keraspect with the answer's arguments.
 */
export interface SeedFigure {
  /** File name, e.g. `features1D-lstm.png`. */
  file: string;
  /** What it shows, one line. */
  caption: string;
  /** The answer's code for this figure. */
  answer: string;
  /** The one Keraspect call that draws it. */
  keraspect: string;
  spec: FigureSpec;
  png: Uint8Array;
}

/** Options of {@link seedFigures}. */
export interface SeedFigureOptions {
  /** Which sample of the input (the answer's `X[0:1]`). Default 0. */
  sample?: number;
  /** The layer whose channels the two `features1D` figures show (the answer's `'lstm'`). Default: the first recurrent layer with a sequence output, else the first layer with one. */
  layer?: string;
  /** The answer's `max_timesteps`. Default 100, as in both of the answer's calls. */
  maxTimesteps?: number;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_');

/** The layer the answer's `show_features_1D(model, 'lstm', …)` would name: a recurrent layer with a (T, C) output. */
export function sequenceLayer(km: KerasModel): string | null {
  const rows = km.summary().filter((r) => r.className !== 'InputLayer' && r.outputShapes[0]?.length === 3);
  const recurrent = rows.find((r) => /LSTM|GRU|RNN|Bidirectional/.test(r.className));
  return (recurrent ?? rows[0])?.name ?? null;
}

/**
 * The seed answer's figures for any model, with the answer's arguments:
 * - `show_features_1D(model, 'lstm', X[0:1], max_timesteps=100, equate_axes=False, show_y_zero=False)`
 *   and the same with `equate_axes=True, show_y_zero=True`, on the first recurrent layer (or `layer`);
 * - `show_features_2D(outs_2[0])` on the first attention layer's attention weights;
 * - `plt.hist(outs_1, bins=500)` and `plt.hist(outs_2, bins=500)` for every `SeqWeightedAttention`
 *   layer: its output and its attention weights.
 * Pure: returns the figures; the caller writes them. Figures a model cannot have (no sequence layer,
 * no attention layer) are left out and said in `notes`.
 */
export function seedFigures(
  km: KerasModel,
  x: NdArray | NdArray[],
  options: SeedFigureOptions = {},
): { figures: SeedFigure[]; notes: string[] } {
  const { sample = 0, maxTimesteps = 100 } = options;
  const inputs = Array.isArray(x) ? x : [x];
  const batch = inputs[0]!.shape[0]!;
  if (!(Number.isInteger(sample) && sample >= 0 && sample < batch))
    throw new CliError(`--sample must be an integer in 0…${batch - 1} (got ${sample}).`);
  const x1 = inputs.map((a) => ({ data: row(a, sample).data, shape: [1, ...a.shape.slice(1)] }));
  const figures: SeedFigure[] = [];
  const notes: string[] = [];
  const layer = options.layer ?? sequenceLayer(km);
  if (layer === null) notes.push('No layer has a (timesteps, channels) output: features1D figures left out.');
  else {
    // Like the answer's layer_name, a substring (or any explain layer selector) will do.
    const outs = layerOutputs(km, x1, layer);
    const out = outs.find((o) => o.array.shape.length === 3);
    if (!out) {
      const have = outs.map((o) => `${o.layer} ${JSON.stringify(o.array.shape)}`).join(', ');
      throw new CliError(
        `Layer '${layer}' has no (batch, timesteps, channels) output (${have}). Name a sequence layer with --layer.`,
      );
    }
    const a = row(out.array, 0);
    const name = out.layer;
    for (const [equate, suffix] of [
      [false, ''],
      [true, '-equated'],
    ] as const) {
      const opts = { maxTimesteps, equateAxes: equate, showYZero: equate };
      const r = render('features1D', a, opts);
      const py = equate ? 'True' : 'False';
      figures.push({
        file: `features1D-${slug(name)}${suffix}.png`,
        caption: `${name} (${out.className}) per channel, sample ${sample}${equate ? ', equated axes and y = 0' : ''}`,
        answer: `show_features_1D(model, '${name}', X[${sample}:${sample + 1}], max_timesteps=${maxTimesteps}, equate_axes=${py}, show_y_zero=${py})`,
        keraspect: `render('features1D', lstm, { maxTimesteps: ${maxTimesteps}, equateAxes: ${equate}, showYZero: ${equate} })`,
        spec: r.spec,
        png: r.png(),
      });
    }
  }
  const maps = km.attentionLayers.length ? attentionMaps(km, x1) : [];
  const square = maps.find((m) => m.array.shape.length >= 3);
  if (square) {
    const m = row(square.array, 0);
    const r = render('features2D', m);
    figures.push({
      file: `features2D-${slug(square.layer)}.png`,
      caption: `${square.layer} (${square.className}) attention weights${m.shape.length === 3 ? ' per head' : ''}, sample ${sample}`,
      answer: 'show_features_2D(outs_2[0])',
      keraspect: "render('features2D', attention)",
      spec: r.spec,
      png: r.png(),
    });
  } else notes.push('No attention layer with (query, key) weights: the features2D figure is left out.');
  for (const w of maps.filter((m) => m.className === 'SeqWeightedAttention')) {
    const out = layerOutputs(km, x1, w.layer).find((o) => o.layer === w.layer && o.index === 0)!;
    for (const [what, values, name] of [
      ['output', row(out.array, 0), 'outs_1'],
      ['attention weights', row(w.array, 0), 'outs_2'],
    ] as const) {
      const r = render('histogram', values, { bins: 500, title: `${w.layer} ${what}` });
      figures.push({
        file: `histogram-${slug(w.layer)}-${what === 'output' ? 'output' : 'attention'}.png`,
        caption: `${w.layer} (SeqWeightedAttention) ${what}, sample ${sample}: ${values.data.length} values`,
        answer: `plt.hist(${name}, bins=500)`,
        keraspect: `render('histogram', ${name}, { bins: 500 })`,
        spec: r.spec,
        png: r.png(),
      });
    }
  }
  return { figures, notes };
}
