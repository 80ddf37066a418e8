import type { ParseArgsConfig } from 'node:util';
import { describeType, fits, formatValue, type NdArray, type OptionSpec, type OptionType } from '@keraspect/array';
import { CliError } from './errors.ts';

/**
 * Command-line flags made from option descriptions (`OptionSpec`s of the methods and charts): the
 * flag of option `noiseLevel` is `--noise-level` (`--noiseLevel` works too), its value is parsed by
 * the option's type, and the help line comes from its doc and default. Nothing here knows a method
 * or a chart by name.
 */

type ParseOptions = NonNullable<ParseArgsConfig['options']>;

/** `noiseLevel` → `noise-level`. */
export const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** One flag made from one described option. */
export interface OptionFlag {
  /** The flag without `--`, kebab-case. */
  flag: string;
  /** Other spellings accepted (the camelCase API name, old flag names). */
  aliases: string[];
  /** The option's API name. */
  option: string;
  spec: OptionSpec;
  /** Where the value goes in the options object: `[]` at the top, `['wrapOptions']` inside. */
  path: string[];
  /** What the option belongs to, for help and errors ("integratedGradients", "every method"). */
  owner: string;
}

/** How to turn a flag's text into the values it names. */
export interface FlagContext {
  /** Read an array file named by a flag (`.npy`, `.csv`, `.json`). */
  readArray(path: string, what: string): Promise<NdArray>;
  /** A registry entry by name (a wrapper's wrapped method), or `undefined` for an unknown name. */
  entry?(name: string): unknown;
  /** Names `entry` knows, for messages. */
  entryNames?: readonly string[];
  /** Old spellings of enum values, e.g. `{ zero: 'zeros' }`. */
  enumAliases?: Readonly<Record<string, string>>;
}

/** Whether an option of this type can be given on the command line (functions cannot). */
export function flaggable(type: OptionType): boolean {
  if (type.kind === 'function' || type.kind === 'entryOptions') return false;
  if (type.kind === 'oneOf') return type.of.some(flaggable);
  return true;
}

/** The flags of `specs`; `taken` holds names already used (a clash gets `prefix-` in front). */
export function flagsOf(
  specs: Readonly<Record<string, OptionSpec>>,
  owner: string,
  path: string[] = [],
  taken: ReadonlySet<string> = new Set(),
  prefix = '',
): OptionFlag[] {
  const out: OptionFlag[] = [];
  for (const [option, spec] of Object.entries(specs)) {
    if (!flaggable(spec.type)) continue;
    const plain = kebab(option);
    const flag = taken.has(plain) && prefix ? `${prefix}-${plain}` : plain;
    const camel = taken.has(plain) && prefix ? `${prefix}-${option}` : option;
    out.push({ flag, aliases: camel === flag ? [] : [camel], option, spec, path, owner });
  }
  return out;
}

/** Every spelling of a flag (its name, its aliases, and `no-…` for booleans). */
export function spellings(f: OptionFlag): string[] {
  const names = [f.flag, ...f.aliases];
  return f.spec.type.kind === 'boolean' ? [...names, ...names.map((n) => `no-${n}`)] : names;
}

/** `parseArgs` options for these flags. */
export function parseConfig(flags: readonly OptionFlag[]): ParseOptions {
  const out: ParseOptions = {};
  for (const f of flags)
    for (const name of spellings(f)) out[name] = { type: f.spec.type.kind === 'boolean' ? 'boolean' : 'string' };
  return out;
}

const isBoolean = (t: OptionType) => t.kind === 'boolean';

/** The placeholder of a flag's value in help text, e.g. `N`, `none|abs|square`, `zeros|mean|FILE|JSON`. */
export function placeholder(type: OptionType): string {
  switch (type.kind) {
    case 'number':
      return type.integer ? 'N' : 'X';
    case 'enum':
      return type.values.join('|');
    case 'boolean':
      return '';
    case 'string':
      return 'TEXT';
    case 'array':
      return 'FILE';
    case 'list':
      return type.of.kind === 'array'
        ? 'FILE,FILE'
        : type.of.kind === 'list' || type.of.kind === 'object'
          ? 'JSON'
          : type.length === 2
            ? 'A,B'
            : 'A,B,…';
    case 'object':
      return 'JSON';
    case 'entry':
      return 'NAME';
    case 'oneOf':
      return [...new Set(type.of.filter(flaggable).map(placeholder))].join('|');
    default:
      return '';
  }
}

/** The type in words for the command line: files for arrays, names for entries. */
function cliWords(type: OptionType, ctx: FlagContext): string {
  switch (type.kind) {
    case 'array':
      return 'an array file (.npy, .csv or .json)';
    case 'entry':
      return `a name (${(ctx.entryNames ?? []).join(', ')})`;
    case 'list':
      return type.of.kind === 'array'
        ? 'array files separated by commas'
        : `${describeType(type)} (${type.of.kind === 'list' || type.of.kind === 'object' ? 'JSON' : 'comma-separated or JSON'})`;
    case 'object':
      return `JSON ${describeType(type)}`;
    case 'oneOf': {
      const words = type.of.filter(flaggable).map((o) => cliWords(o, ctx));
      return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
    }
    default:
      return describeType(type);
  }
}

const NO_MATCH = Symbol('no match');

/** Parse without files: the value, or NO_MATCH. */
function parseText(type: OptionType, raw: string, ctx: FlagContext): unknown {
  switch (type.kind) {
    case 'number': {
      const n = raw.trim() === '' ? Number.NaN : Number(raw);
      return fits(type, n) ? n : NO_MATCH;
    }
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : NO_MATCH;
    case 'string':
      return raw;
    case 'enum': {
      const v = ctx.enumAliases?.[raw] ?? raw;
      return type.values.includes(v) ? v : NO_MATCH;
    }
    case 'list': {
      if (type.of.kind === 'array') return NO_MATCH;
      let items: unknown;
      if (raw.trim().startsWith('[')) {
        try {
          items = JSON.parse(raw);
        } catch {
          return NO_MATCH;
        }
        return fits(type, items) ? items : NO_MATCH;
      }
      const parts = raw === '' ? [] : raw.split(',').map((p) => parseText(type.of, p.trim(), ctx));
      return parts.includes(NO_MATCH) || !fits(type, parts) ? NO_MATCH : parts;
    }
    case 'object': {
      if (!raw.trim().startsWith('{')) return NO_MATCH;
      try {
        const v = JSON.parse(raw);
        return fits(type, v) ? v : NO_MATCH;
      } catch {
        return NO_MATCH;
      }
    }
    case 'entry': {
      const v = ctx.entry?.(raw);
      return v === undefined ? NO_MATCH : v;
    }
    case 'oneOf':
      for (const o of type.of) {
        if (!flaggable(o)) continue;
        const v = parseText(o, raw, ctx);
        if (v !== NO_MATCH) return v;
      }
      return NO_MATCH;
    default:
      return NO_MATCH;
  }
}

/** Parse with files: an `array` (or list of arrays) alternative reads the file(s) the text names. */
async function parseWithFiles(type: OptionType, raw: string, ctx: FlagContext, what: string): Promise<unknown> {
  const v = parseText(type, raw, ctx);
  if (v !== NO_MATCH) return v;
  const alternatives = type.kind === 'oneOf' ? type.of : [type];
  const list = alternatives.find((o) => o.kind === 'list' && o.of.kind === 'array');
  const single = alternatives.find((o) => o.kind === 'array');
  if (list && (raw.includes(',') || !single))
    return Promise.all(raw.split(',').map((p) => ctx.readArray(p.trim(), what)));
  if (single) return ctx.readArray(raw, what);
  return NO_MATCH;
}

/**
 * The value of a flag as its option's type: numbers, enum values (with `enumAliases`), lists
 * (`a,b` or JSON), JSON objects, array files, entry names. Fails with a `CliError` naming the
 * flag, what it takes and the text given.
 */
export async function flagValue(f: OptionFlag, raw: string, ctx: FlagContext, used = f.flag): Promise<unknown> {
  const v = await parseWithFiles(f.spec.type, raw, ctx, f.option);
  if (v === NO_MATCH || !fits(f.spec.type, v))
    throw new CliError(`--${used} must be ${cliWords(f.spec.type, ctx)} (got '${raw}').`);
  return v;
}

/**
 * The options object the parsed flags name: for every flag given (under any spelling), its value
 * at the flag's path. `values` is what `parseArgs` returned.
 */
export async function optionsFromFlags(
  flags: readonly OptionFlag[],
  values: Record<string, unknown>,
  ctx: FlagContext,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const f of flags) {
    let value: unknown;
    for (const name of spellings(f)) {
      const raw = values[name];
      if (raw === undefined) continue;
      if (value !== undefined) throw new CliError(`--${f.flag} is given twice (also as --${name}).`);
      if (isBoolean(f.spec.type)) value = name.startsWith('no-') && !f.flag.startsWith('no-') ? !raw : raw;
      else value = await flagValue(f, raw as string, ctx, name);
    }
    if (value === undefined) continue;
    let target = out;
    for (const key of f.path) target = (target[key] ??= {}) as Record<string, unknown>;
    target[f.option] = value;
  }
  return out;
}

function defaultWords(spec: OptionSpec, nameOf: (v: unknown) => string | undefined): string | undefined {
  if (spec.defaultDoc !== undefined) return spec.defaultDoc;
  const d = spec.default;
  if (d === undefined) return undefined;
  if (typeof d === 'string') return d;
  if (typeof d === 'object' && d !== null && !Array.isArray(d)) return nameOf(d);
  return formatValue(d);
}

/** Help lines for flags: `  --steps N        points on the path (per baseline) (default 50)`. */
export function helpLines(
  flags: readonly OptionFlag[],
  nameOf: (v: unknown) => string | undefined = () => undefined,
  width = 100,
): string[] {
  const lines: string[] = [];
  const col = 28;
  for (const f of flags) {
    const ph = placeholder(f.spec.type);
    const negated = f.spec.type.kind === 'boolean' && f.spec.default === true;
    const left = `  --${negated ? '[no-]' : ''}${f.flag}${ph ? ` ${ph}` : ''}`;
    const d = defaultWords(f.spec, nameOf);
    const also = f.aliases.filter((a) => a !== f.option && !a.endsWith(`-${f.option}`)).map((a) => `--${a}`);
    const text = `${f.spec.doc}${d === undefined ? '' : ` (default ${d})`}${also.length ? ` (also ${also.join(', ')})` : ''}`;
    const words = text.split(' ');
    let line = left.length >= col ? `${left}\n${' '.repeat(col)}` : left.padEnd(col);
    let lineLength = line.length - line.lastIndexOf('\n') - 1;
    let first = true;
    for (const w of words) {
      if (!first && lineLength + 1 + w.length > width) {
        line += `\n${' '.repeat(col)}${w}`;
        lineLength = col + w.length;
      } else {
        line += `${first ? '' : ' '}${w}`;
        lineLength += (first ? 0 : 1) + w.length;
      }
      first = false;
    }
    lines.push(line);
  }
  return lines;
}
