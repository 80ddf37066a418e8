import { parseArgs } from 'node:util';
import { type NdArray, type OptionSpec, row } from '@keraspect/array';
import { type ChartKind, chartKinds, charts, render } from '@keraspect/viz';
import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { readArrayFile } from '../input-data.ts';
import type { Io } from '../io.ts';
import { chartDataFromModel, type ModelPlotFlags } from '../layer-data.ts';
import { inputOptions, MODEL_OPTIONS_USAGE, modelOptions, openModel, parse } from '../model-args.ts';
import {
  type FlagContext,
  flagsOf,
  flagValue,
  helpLines,
  type OptionFlag,
  optionsFromFlags,
  parseConfig,
  spellings,
} from '../option-flags.ts';

/** The command's own flags (every chart option is a flag made from the chart's description). */
const ownOptions = {
  ...modelOptions,
  ...inputOptions,
  output: { type: 'string' },
  out: { type: 'string' },
  series: { type: 'string' },
  sample: { type: 'string' },
  layer: { type: 'string' },
  option: { type: 'string', multiple: true },
} as const;

/** Chart options set by one of the command's own flags rather than a flag of their own. */
const SET_BY_OWN_FLAG: Readonly<Record<string, string>> = {
  sample: '--sample (the sample of a (B, H, T, T) array)',
};

/** What DATA is on the command line, where it differs from the chart's own data (one array file). */
const CLI_DATA: Partial<Record<ChartKind, string>> = {
  histogram: 'any shape: a histogram of its values',
  attribution: 'the attributions, with --series FILE the input: (T), (T, C), or (B, T, C) with --sample',
  attention: '(T, T), (H, T, T) or (B, H, T, T); --series FILE draws the input along the sides',
  rnnWeights: 'a MODEL file; --layer NAME picks an LSTM/GRU (or Bidirectional) layer',
};

const specsOf = (kind: ChartKind) => charts[kind].options as Readonly<Record<string, OptionSpec>>;

/** Options every chart has with the same description (the figure options). */
function sharedOptions(): string[] {
  const first = specsOf(chartKinds[0]);
  return Object.keys(first).filter((k) => chartKinds.every((kind) => specsOf(kind)[k] === first[k]));
}

/** The flags of a chart's options (all of them, or only those it does not share with every chart). */
function chartFlags(kind: ChartKind, own = false): OptionFlag[] {
  const shared = new Set(sharedOptions());
  const specs = Object.fromEntries(
    Object.entries(specsOf(kind)).filter(([k]) => !Object.hasOwn(SET_BY_OWN_FLAG, k) && !(own && shared.has(k))),
  );
  return flagsOf(specs, kind, [], new Set(Object.keys(ownOptions)), kind);
}

const BASE_USAGE = `Usage: keraspect plot KIND DATA --out FILE.png|FILE.svg [options]
       keraspect plot KIND MODEL --input X --layer NAME --out FILE.png|FILE.svg [options]

Render an array (.npy, .json, .csv) as a chart. KIND is one of: ${chartKinds.join(', ')}.
With --input, DATA is a model: the chart draws one sample of X's output of the layer NAME (a name
or substring), as the seed answer's show_features_1D(model, 'lstm', X[0:1]) does.
Every chart option is a flag: the API option name in kebab-case (--x-label; --xLabel works too).

Options:
  --out FILE         .png or .svg
  --series FILE      the input series (attribution, attention)
  --sample N         which sample of a batch (default 0)
  --layer NAME       rnnWeights: the recurrent layer; with --input: the layer whose output is drawn
  --input FILE       DATA is a model: run it on this input (.npy, .csv, .json, .npz; NAME=FILE per
                     input of a multi-input model) and draw --layer's output for sample --sample
  --output N|attention  with --input: which output of the layer (default 0; attention for the
                     attention chart), or its attention weights
  --option K=V       a chart option by its API name (repeatable), e.g. --option colorbarLabel=weight`;

function kindHelp(kind: ChartKind): string {
  const c = charts[kind];
  const flags = chartFlags(kind, true);
  const set = Object.keys(specsOf(kind)).filter((k) => Object.hasOwn(SET_BY_OWN_FLAG, k));
  return [
    `\n${kind}: ${c.description}`,
    `  DATA ${CLI_DATA[kind] ?? c.data}`,
    ...helpLines(flags),
    ...set.map((k) => `  (${k}: set by ${SET_BY_OWN_FLAG[k]})`),
  ].join('\n');
}

/** The usage text: every chart's options, or only those of `only`. */
export function plotUsage(only?: ChartKind): string {
  const shared = new Set(sharedOptions());
  const figure = chartFlags(chartKinds[0]).filter((f) => shared.has(f.option));
  return [
    BASE_USAGE,
    '\nOptions of every chart:',
    ...helpLines(figure),
    ...(only ? [only] : chartKinds).map(kindHelp),
    '',
    MODEL_OPTIONS_USAGE,
  ].join('\n');
}

/** What `keraspect plot` will draw: the kind, its options under their API names, the rest. */
export interface PlotRequest {
  /** The kind (absent only for `--help` without KIND). */
  kind?: ChartKind;
  /** Exactly what goes to `render` as options (before `--sample` sets attention's). */
  options: Record<string, unknown>;
  values: Record<string, unknown>;
  positionals: string[];
  help: boolean;
  usage: string;
}

/**
 * Read `keraspect plot` arguments into a request: flags come from the chart table's option
 * descriptions, so an unknown flag, or one of another chart, fails naming it and listing the valid
 * ones; `--option K=V` is parsed by option K's description.
 */
export async function plotRequest(argv: string[], io: Io): Promise<PlotRequest> {
  const every = chartKinds.flatMap((k) => chartFlags(k));
  const pre = parseArgs({
    args: argv,
    options: { ...ownOptions, ...parseConfig(every) },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const help = pre.values.help === true;
  const [kindName] = pre.positionals;
  if (kindName === undefined && help)
    return { options: {}, values: pre.values, positionals: [], help, usage: plotUsage() };
  if (!kindName || !(chartKinds as readonly string[]).includes(kindName))
    throw new CliError(
      `${kindName ? `Unknown chart kind '${kindName}'` : 'Missing KIND'}. Kinds: ${chartKinds.join(', ')}.`,
    );
  const kind = kindName as ChartKind;
  const usage = plotUsage(kind);
  const flags = chartFlags(kind);
  const allowed = new Set([...Object.keys(ownOptions), 'h', ...flags.flatMap(spellings)]);
  for (const tok of pre.tokens ?? []) {
    if (tok.kind !== 'option' || allowed.has(tok.name)) continue;
    const owners = chartKinds.filter((k) => chartFlags(k).some((f) => spellings(f).includes(tok.name)));
    const list = `Options of ${kind}: ${flags.map((f) => `--${f.flag}`).join(', ')}.`;
    throw new CliError(
      owners.length
        ? `${tok.rawName} does not apply to chart ${kind}: it is an option of ${owners.join(', ')}. ${list}`
        : `Unknown option '${tok.rawName}' for keraspect plot ${kind}. ${list} See keraspect plot ${kind} --help.`,
    );
  }
  const { values, positionals } = parse(argv, { ...ownOptions, ...parseConfig(flags) }, usage);
  const ctx: FlagContext = { readArray: (path, what) => readArrayFile(io, path, what) };
  const options = await optionsFromFlags(flags, values as Record<string, unknown>, ctx);
  const specs = specsOf(kind);
  for (const kv of (values.option as string[] | undefined) ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 1) throw new CliError(`--option takes KEY=VALUE (got '${kv}').`);
    const key = kv.slice(0, eq);
    if (!Object.hasOwn(specs, key))
      throw new CliError(`--option ${key}: ${kind} has no option '${key}'. Options: ${Object.keys(specs).join(', ')}.`);
    if (options[key] !== undefined) throw new CliError(`--option ${key} is given twice.`);
    const f: OptionFlag = { flag: key, aliases: [], option: key, spec: specs[key], path: [], owner: kind };
    options[key] = await flagValue(f, kv.slice(eq + 1), ctx, `option ${key}`);
  }
  return { kind, options, values: values as Record<string, unknown>, positionals, help, usage };
}

/** Row `b` of a batch-first array, after checking `--sample` against it. */
function sampleOf(a: NdArray, b: number, what: string): NdArray {
  const n = a.shape[0];
  if (!Number.isInteger(b) || b < 0 || b >= n)
    throw new CliError(`--sample ${b} is out of range: ${what} has ${n} samples.`);
  return row(a, b);
}

export const plot: Command = {
  get usage() {
    return plotUsage();
  },
  async run(argv, io) {
    const req = await plotRequest(argv, io);
    const { kind, options, values, positionals, usage } = req;
    if (req.help || !kind) {
      io.stdout(`${usage}\n`);
      return 0;
    }
    const [, dataPath] = positionals;
    if (!dataPath) throw new CliError(`Missing DATA.\n\n${usage}`);
    const out = values.out as string | undefined;
    if (!out || !/\.(png|svg)$/i.test(out))
      throw new CliError(`--out must name a .png or .svg file (got ${out ? `'${out}'` : 'nothing'}).`);
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
        {
          ...values,
          output: (values.output as string | undefined) ?? (kind === 'attention' ? 'attention' : undefined),
        } as ModelPlotFlags,
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
        data = rnnWeightsOf(km, values.layer as string | undefined);
      } finally {
        km.dispose();
      }
    } else {
      let arr: NdArray = await readArrayFile(io, dataPath, 'data');
      const series = values.series ? await readArrayFile(io, values.series as string, 'series') : undefined;
      if (kind === 'attribution') {
        if (!series) throw new CliError('attribution needs --series FILE (the input the attributions are of).');
        const pick = (a: NdArray, what: string) => (a.shape.length === 3 ? sampleOf(a, sample ?? 0, what) : a);
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
    if (out.toLowerCase().endsWith('.svg')) await io.writeFile(out, r.svg());
    else await io.writeFile(out, r.png());
    io.stdout(`wrote ${out}\n`);
    return 0;
  },
};

/** The kernels of a recurrent layer, in Keras layout, for the rnnWeights chart. */
function rnnWeightsOf(km: Awaited<ReturnType<typeof openModel>>, layer: string | undefined) {
  const isRnn = (cls: string | undefined) => /LSTM|GRU/.test(cls ?? '');
  const recurrent = km.layers.filter(
    (l) => isRnn(l.className) || (l.className === 'Bidirectional' && isRnn(l.innerClassName)),
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
  const inner = row.className === 'Bidirectional' ? row.innerClassName : row.className;
  return {
    cell: /GRU/.test(inner ?? '') ? 'GRU' : 'LSTM',
    weights: weights.map((w) => ({ data: w.data, shape: w.shape })),
  };
}
