import { chartKinds, type ChartKind, render } from '@keraspect/viz';
import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { readArrayFile } from '../input-data.ts';
import { chartDataFromModel } from '../layer-data.ts';
import { inputOptions, MODEL_OPTIONS_USAGE, modelOptions, openModel, parse } from '../model-args.ts';

const usage = `Usage: keraspect plot KIND DATA --out FILE.png|FILE.svg [options]
       keraspect plot KIND MODEL --input X --layer NAME --out FILE.png|FILE.svg [options]

Render an array (.npy, .json, .csv) as a chart. KIND is one of: ${chartKinds.join(', ')}.
With --input, DATA is a model: the chart draws one sample of X's output of the layer NAME (a name
or substring), as the seed answer's show_features_1D(model, 'lstm', X[0:1]) does.
  features1D   DATA (T), (T, C) or (B, T, C): one panel per channel, one curve per sample
  features2D   DATA (rows, cols) or (B, rows, cols): heatmap (attention matrix, layer outputs)
  histogram    DATA any shape: histogram of its values
  features0D   DATA (C) or (B, C): one value per channel across samples
  attribution  DATA attributions with --series X (same shape, (T, C) or (B, T, C) with --sample)
  attention    DATA (T, T), (H, T, T) or (B, H, T, T); --series X draws the input along the sides
  rnnWeights   DATA is a MODEL file; --layer NAME picks an LSTM/GRU (or Bidirectional) layer

Options:
  --out FILE         .png or .svg
  --series FILE      the input series (attribution, attention)
  --sample N         which sample of a batch (default 0)
  --layer NAME       rnnWeights: the recurrent layer; with --input: the layer whose output is drawn
  --input FILE       DATA is a model: run it on this input (.npy, .csv, .json, .npz; NAME=FILE per
                     input of a multi-input model) and draw --layer's output for sample --sample
  --output N|attention  with --input: which output of the layer (default 0; attention for the
                     attention chart), or its attention weights
  --title T, --width W, --height H, --dpi D, --colormap C
  --option K=V       any other chart option (repeatable; V parsed as JSON when it can be)
${MODEL_OPTIONS_USAGE}`;

type Arr = { data: Float32Array | Int32Array; shape: number[] };

/** Row `b` of a batch-first array. */
function sampleOf(a: Arr, b: number, what: string): Arr {
  const n = a.shape[0];
  if (!Number.isInteger(b) || b < 0 || b >= n)
    throw new CliError(`--sample ${b} is out of range: ${what} has ${n} samples.`);
  const per = a.data.length / n;
  return { data: a.data.subarray(b * per, (b + 1) * per), shape: a.shape.slice(1) };
}

export const plot: Command = {
  name: 'plot',
  summary: 'render an array as a PNG/SVG chart (every viz chart kind)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(
      argv,
      {
        ...modelOptions,
        ...inputOptions,
        output: { type: 'string' },
        out: { type: 'string' },
        series: { type: 'string' },
        sample: { type: 'string' },
        layer: { type: 'string' },
        title: { type: 'string' },
        width: { type: 'string' },
        height: { type: 'string' },
        dpi: { type: 'string' },
        colormap: { type: 'string' },
        option: { type: 'string', multiple: true },
      },
      usage,
    );
    if (values.help) {
      io.stdout(`${usage}\n`);
      return 0;
    }
    const [kind, dataPath] = positionals;
    if (!kind || !(chartKinds as readonly string[]).includes(kind))
      throw new CliError(`${kind ? `Unknown chart kind '${kind}'` : 'Missing KIND'}. Kinds: ${chartKinds.join(', ')}.`);
    if (!dataPath) throw new CliError(`Missing DATA.\n\n${usage}`);
    if (!values.out || !/\.(png|svg)$/i.test(values.out))
      throw new CliError(`--out must name a .png or .svg file (got ${values.out ? `'${values.out}'` : 'nothing'}).`);
    const options: Record<string, unknown> = {};
    for (const [flag, key] of [
      ['title', 'title'],
      ['colormap', 'colormap'],
    ] as const)
      if (values[flag] !== undefined) options[key] = values[flag];
    for (const flag of ['width', 'height', 'dpi'] as const) {
      if (values[flag] === undefined) continue;
      const n = Number(values[flag]);
      if (!(n > 0)) throw new CliError(`--${flag} must be a positive number (got '${values[flag]}').`);
      options[flag] = n;
    }
    for (const kv of values.option ?? []) {
      const eq = kv.indexOf('=');
      if (eq < 1) throw new CliError(`--option takes KEY=VALUE (got '${kv}').`);
      const raw = kv.slice(eq + 1);
      try {
        options[kv.slice(0, eq)] = JSON.parse(raw);
      } catch {
        options[kv.slice(0, eq)] = raw;
      }
    }
    const sample = values.sample === undefined ? undefined : Number(values.sample);
    let data: unknown;
    if (values.input !== undefined && kind !== 'rnnWeights') {
      if (kind === 'attribution')
        throw new CliError(
          'plot attribution takes an attributions array, not a model: run keraspect attribute MODEL --input X --out A.npy, then plot attribution A.npy --series X.',
        );
      const d = await chartDataFromModel(
        io,
        kind,
        dataPath,
        { ...values, output: values.output ?? (kind === 'attention' ? 'attention' : undefined) },
        usage,
      );
      for (const [k, v] of Object.entries(d.options)) if (!(k in options)) options[k] = v;
      data = d.data;
      io.stdout(`${kind} of ${d.what}\n`);
    } else if (values.output !== undefined) {
      throw new CliError('--output picks an output of --layer in model mode: give --input X with it.');
    } else if (kind === 'rnnWeights') {
      const km = await openModel(io, dataPath, values, usage);
      try {
        data = rnnWeightsOf(km, values.layer);
      } finally {
        km.dispose();
      }
    } else {
      let arr: Arr = await readArrayFile(io, dataPath, 'data');
      const series = values.series ? await readArrayFile(io, values.series, 'series') : undefined;
      if (kind === 'attribution') {
        if (!series) throw new CliError('attribution needs --series FILE (the input the attributions are of).');
        const pick = (a: Arr, what: string) => (a.shape.length === 3 ? sampleOf(a, sample ?? 0, what) : a);
        data = { series: pick(series, 'the series'), attributions: pick(arr, 'the attributions') };
      } else if (kind === 'attention') {
        if (sample !== undefined && arr.shape.length === 3) arr = sampleOf(arr, sample, 'the attention array');
        if (sample !== undefined && arr.shape.length === 4) options.sample = sample;
        data = series
          ? { maps: arr, series: series.shape.length === 3 ? sampleOf(series, sample ?? 0, 'the series') : series }
          : arr;
      } else {
        data = sample !== undefined ? sampleOf(arr, sample, 'the data') : arr;
      }
    }
    const r = render(kind as ChartKind, data as never, options as never);
    if (values.out.toLowerCase().endsWith('.svg')) await io.writeFile(values.out, r.svg());
    else await io.writeFile(values.out, r.png());
    io.stdout(`wrote ${values.out}\n`);
    return 0;
  },
};

/** The kernels of a recurrent layer, in Keras layout, for the rnnWeights chart. */
function rnnWeightsOf(km: Awaited<ReturnType<typeof openModel>>, layer: string | undefined) {
  const rows = km.summary();
  const recurrent = rows.filter(
    (r) =>
      /LSTM|GRU/.test(r.className) ||
      (r.className === 'Bidirectional' &&
        /LSTM|GRU/.test(JSON.stringify(km.built.layers.find((b) => b.name === r.name)?.graphLayer.config.layer ?? ''))),
  );
  if (!layer)
    throw new CliError(
      `rnnWeights needs --layer NAME. Recurrent layers: ${recurrent.map((r) => r.name).join(', ') || 'none'}.`,
    );
  const row = recurrent.find((r) => r.name === layer);
  if (!row)
    throw new CliError(
      `Layer '${layer}' is not an LSTM/GRU layer of this model. Recurrent layers: ${recurrent.map((r) => r.name).join(', ') || 'none'}.`,
    );
  const weights =
    km.kerasWeights.get(layer) ??
    km
      .layer(layer)
      .getWeights()
      .map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape }));
  const inner =
    row.className === 'Bidirectional'
      ? JSON.stringify(km.built.layers.find((b) => b.name === layer)?.graphLayer.config.layer)
      : row.className;
  return { cell: /GRU/.test(inner) ? 'GRU' : 'LSTM', weights: weights.map((w) => ({ data: w.data, shape: w.shape })) };
}
