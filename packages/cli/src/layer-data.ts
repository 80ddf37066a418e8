import { row } from '@keraspect/array';
import { attentionMaps, layerOutputs } from '@keraspect/explain';
import type { KerasModel, NdArray } from '@keraspect/importer';
import { CliError } from './errors.ts';
import { readModelInputs } from './input-data.ts';
import type { Io } from './io.ts';
import { openModel } from './model-args.ts';

/** Which output of the layer: its index (multi-output layers), or `'attention'` for its attention weights. */
export type LayerOutputChoice = number | 'attention';

/** What `plot KIND MODEL --input X --layer L` draws, and the chart options that follow from it. */
export interface LayerChartData {
  /** The layer the selector picked (exact name, else the first name containing it). */
  layer: string;
  className: string;
  /** One sample's array, without the batch axis. */
  data: NdArray;
  /** Chart options implied by the data (set only when the user did not give them). */
  options: Record<string, unknown>;
  /** A one-line description for stdout. */
  what: string;
}

/**
 * One sample's output of one layer, as the seed answer's functions take it (`show_features_1D(model,
 * 'lstm', X[0:1])`): the layer by name or substring; `output` picks an output of a multi-output
 * layer or the layer's attention weights (also of layers saved without `return_attention`). For
 * `features2D`, a `(timesteps, channels)` output is drawn with time on x (channels as rows), an
 * attention map as it is (queries as rows).
 */
export function layerChartData(
  km: KerasModel,
  x: NdArray | NdArray[],
  o: { kind: string; layer: string; output?: LayerOutputChoice; sample?: number },
): LayerChartData {
  const { sample = 0, output = 0 } = o;
  const inputs = Array.isArray(x) ? x : [x];
  const batch = inputs[0]!.shape[0]!;
  if (!(Number.isInteger(sample) && sample >= 0 && sample < batch))
    throw new CliError(`--sample must be an integer in 0…${batch - 1} (got ${sample}).`);
  const x1 = inputs.map((a) => ({ data: row(a, sample).data, shape: [1, ...a.shape.slice(1)] }));
  const outs = layerOutputs(km, x1, o.layer);
  const name = outs[0]!.layer;
  const mine = outs.filter((l) => l.layer === name);
  const className = mine[0]!.className;
  if (output === 'attention') {
    if (!km.attentionLayers.includes(name))
      throw new CliError(
        `--output attention: layer '${name}' (${className}) computes no attention weights. Attention layers: ${km.attentionLayers.join(', ') || 'none'}.`,
      );
    const [m] = attentionMaps(km, x1, { layers: [name] });
    const data = row(m!.array, 0);
    return {
      layer: name,
      className,
      data,
      options: {},
      what: `${name} (${className}) attention weights ${JSON.stringify(data.shape)} (${m!.axes.slice(1).join(' × ')}), sample ${sample}`,
    };
  }
  const picked = mine[output];
  if (!Number.isInteger(output) || !picked)
    throw new CliError(
      `--output ${output}: layer '${name}' (${className}) has ${mine.length} output${mine.length === 1 ? '' : 's'} (0…${mine.length - 1})${km.attentionLayers.includes(name) ? ", or 'attention' for its attention weights" : ''}.`,
    );
  const data = row(picked.array, 0);
  const options: Record<string, unknown> = {};
  const square = data.shape.length === 2 && data.shape[0] === data.shape[1] && /Attention/.test(className);
  if (o.kind === 'features2D' && data.shape.length === 2 && !square) {
    options.transpose = true;
    options.yLabel = 'Channels';
  }
  return {
    layer: name,
    className,
    data,
    options,
    what: `${name} (${className}) output ${output} ${JSON.stringify(data.shape)}, sample ${sample}`,
  };
}

/** The flags of `plot KIND MODEL --input X --layer L [--output N|attention] [--sample N]`. */
export interface ModelPlotFlags {
  input?: string[];
  layer?: string;
  output?: string;
  sample?: string;
  'sample-axis'?: boolean;
  weights?: string;
  plugin?: string[];
  'self-attention-variant'?: string;
  'gelu-variant'?: string;
  limit?: string[];
}

/**
 * `plot`'s model mode, as the seed answer's functions take a model and a layer: open MODEL, read
 * `--input`, and return one sample of `--layer`'s output (or `--output attention`) for `kind`.
 * Always disposes the model.
 */
export async function chartDataFromModel(
  io: Io,
  kind: string,
  model: string,
  flags: ModelPlotFlags,
  usage: string,
): Promise<LayerChartData> {
  if (!flags.layer) throw new CliError(`plot ${kind} MODEL --input X needs --layer NAME (a name or substring).`);
  const output =
    flags.output === undefined || flags.output === 'attention'
      ? (flags.output as 'attention' | undefined)
      : Number(flags.output);
  if (typeof output === 'number' && !(Number.isInteger(output) && output >= 0))
    throw new CliError(`--output must be an output index (0, 1, …) or 'attention' (got '${flags.output}').`);
  const sample = flags.sample === undefined ? 0 : Number(flags.sample);
  const km = await openModel(io, model, flags, usage);
  try {
    const xs = await readModelInputs(io, flags.input ?? [], km, { sampleAxis: flags['sample-axis'] });
    return layerChartData(km, xs.length === 1 ? xs[0]! : xs, {
      kind,
      layer: flags.layer,
      sample,
      ...(output === undefined ? {} : { output }),
    });
  } finally {
    km.dispose();
  }
}
