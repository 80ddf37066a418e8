import { parseArgs, type ParseArgsConfig } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  DEFAULT_LIMITS,
  defineLayer,
  type ImportOptions,
  type KerasModel,
  type Limits,
  type LambdaFn,
  type LayerDefinition,
  type LayerPort,
  loadModel,
  registerLayer,
} from '@keraspect/importer';
import { CliError } from './errors.ts';
import {
  fitToModel,
  type InputArray,
  type InputReadOptions,
  readArrayFile,
  readInputFile,
  readModelInputs,
} from './input-data.ts';
import type { Io } from './io.ts';

/** Options shared by every command that opens a model. */
export const modelOptions = {
  weights: { type: 'string' },
  plugin: { type: 'string', multiple: true },
  'self-attention-variant': { type: 'string' },
  'gelu-variant': { type: 'string' },
  limit: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const MODEL_OPTIONS_USAGE = `  --weights FILE     weights-only file (.h5 / .weights.h5); MODEL then gives the architecture: a
                     full model file, or the .json text of model.to_json()
  --plugin FILE.mjs  module exporting \`lambdas\` ({ layerName: (inputs, args, tf) => tensor })
                     and/or \`layers\` ({ ClassName: { weights, call } | LayerPort })
  --self-attention-variant legacy|0.46|current   keras-self-attention formula (default current)
  --gelu-variant tanh|erf   FeedForward's 'gelu': keras-transformer's tanh approximation (default)
                     or Keras' own erf gelu
  --limit NAME=N     raise a safety limit, e.g. --limit maxFileBytes=4e9 (Infinity turns it off;
                     see SECURITY.md for the names and defaults)`;

/** The flags that change how a model file is read. */
export interface ModelFlagValues {
  'self-attention-variant'?: string;
  'gelu-variant'?: string;
  limit?: string[];
}

/** `ImportOptions` from the model flags, each checked against the values it takes. */
export function importOptionsOf(
  values: ModelFlagValues,
): Pick<ImportOptions, 'selfAttentionVariant' | 'geluVariant' | 'limits'> {
  const variant = values['self-attention-variant'];
  if (variant !== undefined && !['legacy', '0.46', 'current'].includes(variant)) {
    throw new CliError(`--self-attention-variant must be legacy, 0.46 or current (got '${variant}').`);
  }
  const gelu = values['gelu-variant'];
  if (gelu !== undefined && gelu !== 'tanh' && gelu !== 'erf') {
    throw new CliError(`--gelu-variant must be tanh or erf (got '${gelu}').`);
  }
  return {
    selfAttentionVariant: variant as ImportOptions['selfAttentionVariant'],
    geluVariant: gelu,
    limits: parseLimits(values.limit),
  };
}

/** Parse argv with the given options; unknown flags are a usage error naming the flag. */
export function parse<O extends ParseArgsConfig['options']>(
  argv: string[],
  options: O,
  usage: string,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n\n${usage}`);
  }
}

/** Load the plugin modules named by --plugin and return their lambdas (layers get registered). */
async function loadPlugins(paths: string[] | undefined): Promise<Record<string, LambdaFn>> {
  const lambdas: Record<string, LambdaFn> = {};
  for (const p of paths ?? []) {
    let mod: { lambdas?: Record<string, LambdaFn>; layers?: Record<string, LayerDefinition | LayerPort> };
    try {
      mod = await import(pathToFileURL(resolve(p)).href);
    } catch (e) {
      throw new CliError(`Plugin '${p}' could not be loaded: ${(e as Error).message}`);
    }
    Object.assign(lambdas, mod.lambdas ?? {});
    for (const [cls, impl] of Object.entries(mod.layers ?? {})) {
      if (impl && typeof (impl as LayerPort).build === 'function') registerLayer(cls, impl as LayerPort);
      else if (impl && typeof (impl as LayerDefinition).call === 'function')
        registerLayer(cls, defineLayer(cls, impl as LayerDefinition));
      else throw new CliError(`Plugin '${p}': layers.${cls} must be { weights?, call } or a LayerPort with build().`);
    }
  }
  return lambdas;
}

/** `--limit name=value` flags → a partial `Limits` object, checking names and values. */
export function parseLimits(flags: string[] | undefined): Partial<Limits> | undefined {
  if (!flags?.length) return undefined;
  const out: Partial<Record<keyof Limits, number>> = {};
  for (const f of flags) {
    const [name, raw] = f.split('=');
    if (!(name in DEFAULT_LIMITS))
      throw new CliError(`Unknown limit '${name}' in --limit ${f}. Limits: ${Object.keys(DEFAULT_LIMITS).join(', ')}.`);
    const v = Number(raw);
    if (!(v > 0)) throw new CliError(`--limit ${f}: the value must be a positive number or Infinity.`);
    out[name as keyof Limits] = v;
  }
  return out as Partial<Limits>;
}

/**
 * Open MODEL (and --weights) with the shared options. MODEL is a model file (`.h5`, `.keras`), or
 * an architecture as written by `model.to_json()` (a `.json` file, or any file whose text starts
 * with `{`) whose weights come from `--weights`.
 */
export async function openModel(
  io: Io,
  model: string | undefined,
  values: ModelFlagValues & { weights?: string; plugin?: string[] },
  usage: string,
): Promise<KerasModel> {
  if (!model) throw new CliError(`Missing MODEL.\n\n${usage}`);
  const semantics = importOptionsOf(values);
  const lambdas = await loadPlugins(values.plugin);
  const bytes = await readInputFile(io, model, 'model');
  const weights = values.weights ? await readInputFile(io, values.weights, 'weights') : undefined;
  const options = { lambdas, ...semantics };
  if (weights && isJsonText(weights))
    throw new CliError(
      `--weights '${values.weights}' is JSON text, not a weights file. Give the architecture (model.to_json()) as MODEL and the weights file (save_weights .h5 or .weights.h5) with --weights.`,
    );
  if (isJsonText(bytes)) {
    if (isTfjsModelJson(bytes))
      throw new CliError(
        `'${model}' is a TF.js layers model (model.json with its .bin weight shards, from tensorflowjs_converter or keraspect convert), which Keraspect does not read back: pass the Keras file it was converted from (.h5 or .keras). To run it as it is, use tf.loadLayersModel after importing @keraspect/importer, which registers Keraspect's layers with TF.js.`,
      );
    if (!weights)
      throw new CliError(
        `'${model}' is a model architecture (JSON, as model.to_json() writes it) without weights: give the weights file with --weights FILE (save_weights .h5 or .weights.h5).`,
      );
    return loadModel(weights, { ...options, architecture: new TextDecoder().decode(bytes) });
  }
  return loadModel(bytes, { ...options, weights });
}

/** Whether JSON text is a TF.js `model.json` (layers format: a topology and a weights manifest). */
function isTfjsModelJson(bytes: Uint8Array): boolean {
  try {
    const j = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown> | null;
    return !!j && typeof j === 'object' && 'modelTopology' in j && 'weightsManifest' in j;
  } catch {
    return false;
  }
}

/** Whether a file's bytes are JSON text (an object), i.e. an architecture rather than a model file. */
function isJsonText(bytes: Uint8Array): boolean {
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3; // UTF-8 byte order mark
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes[i] === 0x7b; // '{'
}

/** Read an input for the model (`.npy`, `.csv`, `.json`) and fit it to the model's input shape. */
export async function readInputArray(
  io: Io,
  path: string,
  km?: KerasModel,
  options: InputReadOptions = {},
): Promise<InputArray> {
  const a = await readArrayFile(io, path, 'input', options);
  return km ? fitToModel(km, a, path) : a;
}

export { tf, readInputFile, readModelInputs };

/** Options shared by commands that read an input array. */
export const inputOptions = {
  input: { type: 'string', multiple: true },
  'sample-axis': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

export const INPUT_USAGE = `  --input FILE       input: .npy (float32/float64/int, C order), .csv (one sample: rows = time
                     steps, columns = features), .json (nested arrays) or .npz; batch axis optional
  --input NAME=FILE  the input named NAME of a multi-input model (repeat for each input); or one
                     .npz whose arrays are named like the inputs
  --sample-axis      .csv only: one sample per row (flattened, C order)`;
