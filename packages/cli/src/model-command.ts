import type { parseArgs, ParseArgsConfig } from 'node:util';
import type { KerasModel } from '@keraspect/importer';
import type { Command } from './command.ts';
import { CliError } from './errors.ts';
import { type InputArray, readModelInputs } from './input-data.ts';
import type { Io } from './io.ts';
import { inputOptions, modelOptions, openModel, parse } from './model-args.ts';
import { streamOptions, wantsStream } from './stream.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The flag values `parseArgs` gives for a command's own options plus the shared ones. */
export type Values<O extends Options> = ReturnType<
  typeof parseArgs<{
    args: string[];
    options: typeof modelOptions & typeof inputOptions & O;
    allowPositionals: true;
    strict: true;
  }>
>['values'];

/** What a model command's body gets: the opened model, the flags and, with `input`, the input. */
export interface ModelCommandContext<O extends Options> {
  km: KerasModel;
  values: Values<O>;
  /** Positional arguments after MODEL. */
  rest: string[];
  io: Io;
  /**
   * The `--input` data fitted to the model (commands declared with `input: true`): one array for a
   * single-input model, else one per model input in the model's input order.
   */
  x: InputArray | InputArray[];
  /** The same data as a list, one array per model input. */
  xs: InputArray[];
  /**
   * Commands declared with `stream: true`: the input is a dataset to stream (a folder, a big `.npy`,
   * or `--stream`/`--shard`/`--chunk-size` given); `x`/`xs` are then not read — see stream.ts.
   */
  streaming: boolean;
  /** MODEL as given. */
  modelPath: string;
}

/**
 * A command of the shape `keraspect NAME MODEL [--input X] [flags]`: parses flags (with the shared
 * model and input options), answers `--help`, checks required flags, opens the model, reads the
 * input, runs `body`, and always disposes the model.
 */
export function modelCommand<const O extends Options>(spec: {
  usage: string;
  options?: O;
  /** Flags that must be given (named in the error). */
  required?: string[];
  /** Whether the command reads `--input` (then `--input` is required). */
  input?: boolean;
  /** Whether the command can stream its input (adds the stream.ts flags). */
  stream?: boolean;
  body(ctx: ModelCommandContext<O>): Promise<number>;
}): Command {
  const { usage, options = {} as O, required = [], input = false, stream = false, body } = spec;
  return {
    usage,
    async run(argv, io) {
      const parsed = parse(
        argv,
        { ...modelOptions, ...(input ? inputOptions : {}), ...(stream ? streamOptions : {}), ...options },
        usage,
      );
      const values = parsed.values as Values<O>;
      const positionals = parsed.positionals;
      if ((values as Record<string, unknown>).help) {
        io.stdout(`${usage}\n`);
        return 0;
      }
      for (const flag of [...(input ? ['input'] : []), ...required]) {
        if ((values as Record<string, unknown>)[flag] === undefined)
          throw new CliError(`Missing --${flag}.\n\n${usage}`);
      }
      return withModel(io, values as Record<string, unknown>, positionals, usage, { input, stream }, (ctx) =>
        body({ ...ctx, values }),
      );
    },
  };
}

/**
 * Open MODEL (the first positional) with the shared model flags, read `--input` when `input` (unless
 * `stream` and the input is a dataset to stream), run `fn`, and always dispose the model.
 */
export async function withModel(
  io: Io,
  values: Record<string, unknown>,
  positionals: string[],
  usage: string,
  { input, stream }: { input: boolean; stream: boolean },
  fn: (ctx: Omit<ModelCommandContext<Options>, 'values'>) => Promise<number>,
): Promise<number> {
  const km = await openModel(io, positionals[0], values as never, usage);
  try {
    const streaming = stream && wantsStream(values.input as string[] | undefined, values);
    const xs =
      input && !streaming
        ? await readModelInputs(io, values.input as string[], km, {
            sampleAxis: values['sample-axis'] as boolean | undefined,
          })
        : (undefined as never);
    const x = input && !streaming ? (xs.length === 1 ? xs[0] : xs) : (undefined as never);
    return await fn({ km, rest: positionals.slice(1), io, x, xs, streaming, modelPath: positionals[0] });
  } finally {
    km.dispose();
  }
}
