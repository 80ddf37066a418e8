import { parseArgs } from 'node:util';
import type { OptionSpec } from '@keraspect/array';
import {
  type AnyMethod,
  commonOptionSpecs,
  createExplainer,
  type ExplainerOptions,
  type MethodName,
  methodNameOf,
  methodNames,
  methods,
} from '@keraspect/explain';
import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { readArrayFile, writeArrayFile } from '../input-data.ts';
import type { Io } from '../io.ts';
import { INPUT_USAGE, inputOptions, MODEL_OPTIONS_USAGE, modelOptions, parse } from '../model-args.ts';
import { withModel } from '../model-command.ts';
import {
  type FlagContext,
  flagsOf,
  helpLines,
  kebab,
  type OptionFlag,
  optionsFromFlags,
  parseConfig,
  spellings,
} from '../option-flags.ts';
import { progressBar } from '../progress.ts';
import { STREAM_USAGE, streamAttribution, streamOptions } from '../stream.ts';

/** The command's own flags (every other flag comes from the option descriptions). */
const ownOptions = {
  ...modelOptions,
  ...inputOptions,
  ...streamOptions,
  method: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

/** Flag names users had before flags came from the descriptions, by option. */
const OLD_FLAGS: Readonly<Record<string, string>> = { noiseLevel: 'noise' };
/** Enum values users had: `--baseline zero`. */
const ENUM_ALIASES = { zero: 'zeros' } as const;

const methodByName = (name: string): AnyMethod | undefined =>
  Object.hasOwn(methods, name) ? (methods[name as MethodName] as AnyMethod) : undefined;

const nameOf = (v: unknown): string | undefined => methodNameOf(v as AnyMethod);

const specsOf = (m: AnyMethod) => m.options as Readonly<Record<string, OptionSpec>>;

/** The flags of every method option, at every path. */
const commonFlags = (): OptionFlag[] =>
  flagsOf(commonOptionSpecs as Readonly<Record<string, OptionSpec>>, 'every method');

/**
 * The flags of method `name` beyond the common ones: its own options and, for a wrapper, those of
 * the method it wraps (chosen by its entry flag, e.g. `--wrap`, else the default), whose values go
 * into the wrapper's inner options. A clash with a flag already taken gets the entry flag in front
 * (`--wrap-samples`).
 */
function methodFlags(
  name: MethodName,
  chosen: (flag: string) => string | undefined,
  path: string[] = [],
  owner: string = name,
  taken: Set<string> = new Set([...Object.keys(ownOptions), ...commonFlags().flatMap(spellings)]),
  prefix: string = name,
  seen: Set<MethodName> = new Set(),
): OptionFlag[] {
  seen.add(name);
  const method = methods[name] as AnyMethod;
  const own = flagsOf(specsOf(method), owner, path, taken, prefix);
  for (const f of own) {
    const old = OLD_FLAGS[f.option];
    if (old && !taken.has(old) && path.length === 0) f.aliases.push(old);
  }
  for (const f of own) for (const s of spellings(f)) taken.add(s);
  const out = [...own];
  for (const f of own) {
    const type = f.spec.type;
    if (type.kind !== 'entry') continue;
    const inner = (chosen(f.flag) ?? nameOf(f.spec.default)) as MethodName | undefined;
    if (!inner || !methodByName(inner) || seen.has(inner)) continue;
    out.push(
      ...methodFlags(
        inner,
        chosen,
        [...path, type.optionsIn],
        `${owner} --${f.flag} ${inner}`,
        taken,
        f.flag,
        new Set(seen),
      ),
    );
  }
  return out;
}

/** Where each flag of some method lives, for "does not apply" errors: flag → owners. */
function flagOwners(): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  const note = (flags: OptionFlag[]) => {
    for (const f of flags)
      for (const s of spellings(f)) {
        const list = owners.get(s) ?? [];
        if (!list.includes(f.owner)) owners.set(s, [...list, f.owner]);
      }
  };
  for (const name of methodNames) {
    note(methodFlags(name, () => undefined));
    for (const [k, spec] of Object.entries(specsOf(methods[name] as AnyMethod)))
      if (spec.type.kind === 'entry')
        for (const inner of methodNames) note(methodFlags(name, (flag) => (flag === kebab(k) ? inner : undefined)));
  }
  return owners;
}

const BASE_USAGE = `Usage: keraspect attribute MODEL --input X --method NAME --out FILE.npy [options]

Attributions of a model output to its input (or to a layer's output with --layer), with the input's
shape, as float32 .npy (FILE.<i>.npy for several attributed tensors). Every option of every method
is a flag: the API option name in kebab-case (--noise-level; --noiseLevel works too).

Methods: ${methodNames.join(', ')}

Options:
${INPUT_USAGE}
  --method NAME      attribution method (see above)
  --out FILE         output path (.npy, or .json for nested arrays)
  --json             print the options used, scores, units and IG's convergence delta as JSON
  --quiet            no progress bar
${STREAM_USAGE}`;

function methodHelp(name: MethodName, chosen: (flag: string) => string | undefined): string {
  const m = methods[name] as AnyMethod;
  const flags = methodFlags(name, chosen);
  const groups = new Map<string, OptionFlag[]>();
  for (const f of flags) groups.set(f.owner, [...(groups.get(f.owner) ?? []), f]);
  const out = [`\n${name}: ${m.title} (${m.paper})`];
  if (!flags.length) out.push('  (no options of its own)');
  for (const [owner, fs] of groups) {
    if (owner !== name) out.push(`  options of the wrapped method (${owner}):`);
    out.push(...helpLines(fs, nameOf));
  }
  if (Object.values(specsOf(m)).some((s) => s.type.kind === 'entry'))
    out.push('  (the wrapped method can be any other method; its options are flags too)');
  return out.join('\n');
}

/** The usage text: every method's options, or only those of `--method` (and what it wraps). */
export function attributeUsage(
  only?: MethodName,
  chosen: (flag: string) => string | undefined = () => undefined,
): string {
  return [
    BASE_USAGE,
    '\nOptions of every method:',
    ...helpLines(commonFlags(), nameOf),
    ...(only ? [methodHelp(only, chosen)] : methodNames.map((n) => methodHelp(n, () => undefined))),
    '',
    MODEL_OPTIONS_USAGE,
  ].join('\n');
}

/** What `keraspect attribute` will run: the method, its options under their API names, the rest. */
export interface AttributeRequest {
  /** The method (absent only for `--help` without `--method`). */
  method?: MethodName;
  /** Exactly what goes to `createExplainer` (before `onProgress`). */
  options: ExplainerOptions;
  /** The command's own flags and the model flags. */
  values: Record<string, unknown>;
  positionals: string[];
  help: boolean;
  usage: string;
}

/**
 * Read `keraspect attribute` arguments into a request (files named by flags are read with `io`):
 * flags come from the method table's option descriptions, so an unknown flag, or one of another
 * method, fails naming it and listing the valid ones.
 */
export async function attributeRequest(argv: string[], io: Io): Promise<AttributeRequest> {
  const entryFlags = new Set<string>();
  for (const name of methodNames)
    for (const [k, s] of Object.entries(specsOf(methods[name] as AnyMethod)))
      if (s.type.kind === 'entry') entryFlags.add(kebab(k));
  const pre = parseArgs({
    args: argv,
    options: {
      ...ownOptions,
      ...Object.fromEntries([...entryFlags].map((f) => [f, { type: 'string' as const }])),
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const given = pre.values as Record<string, unknown>;
  const help = given.help === true;
  const methodName = typeof given.method === 'string' ? given.method : undefined;
  if (methodName !== undefined && !methodByName(methodName))
    throw new CliError(`Unknown method '${methodName}'. Methods: ${methodNames.join(', ')}.`);
  const method = methodName as MethodName | undefined;
  const chosen = (flag: string) => (typeof given[flag] === 'string' ? (given[flag] as string) : undefined);
  if (!method) {
    if (help) return { options: {}, values: given, positionals: [], help, usage: attributeUsage() };
    throw new CliError(`Missing --method. Methods: ${methodNames.join(', ')}.\n\n${attributeUsage()}`);
  }
  for (const f of entryFlags) {
    const v = chosen(f);
    if (v !== undefined && !methodByName(v))
      throw new CliError(`Unknown method '${v}' for --${f}. Methods: ${methodNames.join(', ')}.`);
  }
  const usage = attributeUsage(method, chosen);
  const flags = [...commonFlags(), ...methodFlags(method, chosen)];
  const allowed = new Set([...Object.keys(ownOptions), 'q', 'h', ...flags.flatMap(spellings)]);
  for (const tok of pre.tokens ?? []) {
    if (tok.kind !== 'option' || allowed.has(tok.name)) continue;
    const mine = methodFlags(method, chosen)
      .map((f) => `--${f.flag}`)
      .join(', ');
    const wraps = [...entryFlags].filter((f) => chosen(f)).map((f) => ` --${f} ${chosen(f)}`);
    const list = `Options of ${method}${wraps.join('')}: ${mine || 'none of its own'}. Options of every method: ${commonFlags()
      .map((f) => `--${f.flag}`)
      .join(', ')}.`;
    const owners = flagOwners().get(tok.name);
    throw new CliError(
      owners
        ? `${tok.rawName} does not apply to method ${method}: it is an option of ${[...owners].sort((a, b) => a.length - b.length).join('; ')}. ${list}`
        : `Unknown option '${tok.rawName}' for keraspect attribute --method ${method}. ${list} See keraspect attribute --method ${method} --help.`,
    );
  }
  const parsed = parse(argv, { ...ownOptions, ...parseConfig(flags) }, usage);
  const values = parsed.values as Record<string, unknown>;
  const ctx: FlagContext = {
    readArray: (path, what) => readArrayFile(io, path, what),
    entry: methodByName,
    entryNames: methodNames,
    enumAliases: ENUM_ALIASES,
  };
  const options = (await optionsFromFlags(flags, values, ctx)) as ExplainerOptions;
  return { method, options, values, positionals: parsed.positionals, help, usage };
}

/** Options as JSON: methods by name, arrays by shape. */
function jsonOptions(o: unknown): unknown {
  if (typeof o !== 'object' || o === null) return o;
  const name = methodNameOf(o as AnyMethod);
  if (name) return name;
  if ('data' in o && 'shape' in o) return { shape: (o as { shape: number[] }).shape };
  if (Array.isArray(o)) return o.map(jsonOptions);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, jsonOptions(v)]));
}

export const attribute: Command = {
  get usage() {
    return attributeUsage();
  },
  async run(argv, io) {
    const req = await attributeRequest(argv, io);
    const method = req.method;
    if (req.help || !method) {
      io.stdout(`${req.usage}\n`);
      return 0;
    }
    for (const flag of ['input', 'out'])
      if (req.values[flag] === undefined) throw new CliError(`Missing --${flag}.\n\n${req.usage}`);
    return withModel(io, req.values, req.positionals, req.usage, { input: true, stream: true }, async (ctx) => {
      const { km, x, streaming, modelPath } = ctx;
      if (streaming)
        return streamAttribution({ io, km, values: req.values, modelPath, method, options: { ...req.options } });
      const bar = progressBar(io, req.values.quiet as boolean | undefined);
      try {
        const explainer = createExplainer(method, km, {
          ...req.options,
          onProgress: (p) => bar.update(p.method, p.done, p.total),
        });
        const res = await explainer.attribute(x);
        bar.done();
        const out = req.values.out as string;
        const json = req.values.json === true;
        for (const [i, a] of res.attributions.entries()) {
          const path =
            res.attributions.length === 1 ? out : out.replace(/(\.npy|\.json)?$/, (ext) => `.${i}${ext || '.npy'}`);
          await writeArrayFile(io, path, a);
          if (!json) io.stdout(`wrote ${path} ${JSON.stringify(a.shape)} (${res.names[i]})\n`);
        }
        const summary = {
          method,
          options: jsonOptions(explainer.options),
          names: res.names,
          units: res.units ? Array.from(res.units) : null,
          scores: Array.from(res.scores),
          delta: res.delta ? Array.from(res.delta) : null,
        };
        if (json) io.stdout(`${JSON.stringify(summary)}\n`);
        else if (res.delta)
          io.stdout(
            `convergence delta Σattr − (f(x) − f(baseline)) per sample: ${Array.from(res.delta, (d) => d.toExponential(2)).join(', ')}\n`,
          );
        return 0;
      } finally {
        bar.done();
      }
    });
  },
};
