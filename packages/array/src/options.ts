/**
 * Option descriptions: what an attribution method or a chart accepts, written as data next to its
 * options type. The library fills defaults and validates from it, the CLI makes its flags and
 * `--help` from it, and tests walk it. Nothing here knows about methods or charts.
 */

/** A finite number, optionally an integer, within `[min, max]` (ends excluded when `exclusive*`). */
export interface NumberType {
  readonly kind: 'number';
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** `min` itself is not allowed (e.g. `min: 0, exclusiveMin: true` is "positive"). */
  readonly exclusiveMin?: boolean;
  /** `max` itself is not allowed. */
  readonly exclusiveMax?: boolean;
}

/** One of a fixed set of strings. */
export interface EnumType {
  readonly kind: 'enum';
  readonly values: readonly string[];
}

/** A list whose items all have type `of`; `length` fixes its length, `minLength` bounds it. */
export interface ListType {
  readonly kind: 'list';
  readonly of: OptionType;
  readonly length?: number;
  readonly minLength?: number;
}

/** A plain object with the given fields (e.g. `{ noise: { samples, stdev } }`); `required` ones must be there. */
export interface ObjectType {
  readonly kind: 'object';
  readonly fields: Readonly<Record<string, OptionSpec>>;
  readonly required?: readonly string[];
}

/**
 * Another entry of the same registry, held as a value (a wrapper's wrapped method). Its own
 * options live in the sibling option named `optionsIn`.
 */
export interface EntryType {
  readonly kind: 'entry';
  readonly optionsIn: string;
  /** What the entry is, for messages, e.g. "a method (e.g. methods.gradient)". */
  readonly noun?: string;
}

/** The options of the entry held by the sibling option `of` (checked by that entry's description). */
export interface EntryOptionsType {
  readonly kind: 'entryOptions';
  readonly of: string;
}

/** The kinds of value an option takes. */
export type OptionType =
  | NumberType
  | EnumType
  | ListType
  | ObjectType
  | EntryType
  | EntryOptionsType
  | { readonly kind: 'boolean' }
  | { readonly kind: 'string' }
  /** `null` itself (an option whose `null` means something, e.g. "the data's range"). */
  | { readonly kind: 'null' }
  /** An {@link NdArray}-shaped `{ data, shape }`. */
  | { readonly kind: 'array' }
  /** A function (API only: no flag can hold one). */
  | { readonly kind: 'function' }
  /** Any of several types, tried in order. */
  | { readonly kind: 'oneOf'; readonly of: readonly OptionType[] };

/** One option: its type, a one-line doc, and its default. */
export interface OptionSpec<V = unknown> {
  readonly type: OptionType;
  /** One line: what the option does (units, meaning of the values). */
  readonly doc: string;
  /** The value used when the option is not given; absent when there is no fixed one. */
  readonly default?: V;
  /** Words for a default that is not a fixed value, e.g. "`window`" or "chosen per chart". */
  readonly defaultDoc?: string;
}

/**
 * The description of an options type `O`: one {@link OptionSpec} per key, no key missing and none
 * extra (the type checker holds the two together).
 */
export type OptionSpecs<O> = { readonly [K in keyof O]-?: OptionSpec<Exclude<O[K], undefined>> };

/** Shorthands for the common types. */
export const t = {
  number: (bounds: Omit<NumberType, 'kind' | 'integer'> = {}): NumberType => ({ kind: 'number', ...bounds }),
  integer: (bounds: Omit<NumberType, 'kind' | 'integer' | 'exclusiveMin' | 'exclusiveMax'> = {}): NumberType => ({
    kind: 'number',
    integer: true,
    ...bounds,
  }),
  /** A number > 0. */
  positive: (max?: number): NumberType => ({
    kind: 'number',
    min: 0,
    exclusiveMin: true,
    ...(max === undefined ? {} : { max }),
  }),
  boolean: { kind: 'boolean' } as OptionType,
  null: { kind: 'null' } as OptionType,
  string: { kind: 'string' } as OptionType,
  array: { kind: 'array' } as OptionType,
  function: { kind: 'function' } as OptionType,
  enum: (values: readonly string[]): EnumType => ({ kind: 'enum', values }),
  list: (of: OptionType, bounds: { length?: number; minLength?: number } = {}): ListType => ({
    kind: 'list',
    of,
    ...bounds,
  }),
  object: (fields: Readonly<Record<string, OptionSpec>>, required?: readonly string[]): ObjectType => ({
    kind: 'object',
    fields,
    ...(required ? { required } : {}),
  }),
  oneOf: (...of: OptionType[]): OptionType => ({ kind: 'oneOf', of }),
} as const;

const quote = (s: string): string => `'${s}'`;

function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function numberWords(n: NumberType, plural: boolean): string {
  const noun = `${n.integer ? 'integer' : 'number'}${plural ? 's' : ''}`;
  const article = plural ? '' : n.integer ? 'an ' : 'a ';
  if (n.min === 0 && n.exclusiveMin && !n.integer)
    return `${plural ? '' : 'a '}positive ${noun}${n.max === undefined ? '' : ` up to ${n.max}`}`;
  if (n.min !== undefined && n.max !== undefined)
    return `${article}${noun} in ${n.exclusiveMin ? '(' : '['}${n.min}, ${n.max}${n.exclusiveMax ? ')' : ']'}`;
  if (n.min !== undefined) return `${article}${noun} ${n.exclusiveMin ? '>' : '≥'} ${n.min}`;
  if (n.max !== undefined) return `${article}${noun} ${n.exclusiveMax ? '<' : '≤'} ${n.max}`;
  return `${article}${noun}`;
}

/** The type in words, e.g. "a positive integer", "'none', 'abs' or 'square'", "a list of 2 numbers". */
export function describeType(type: OptionType, plural = false): string {
  switch (type.kind) {
    case 'number':
      return numberWords(type, plural);
    case 'enum':
      return `${plural ? 'values among' : 'one of'} ${type.values.map(quote).join(', ')}`;
    case 'boolean':
      return plural ? 'booleans' : 'true or false';
    case 'string':
      return plural ? 'strings' : 'a string';
    case 'null':
      return 'null';
    case 'array':
      return plural ? 'arrays { data, shape }' : 'an array { data, shape }';
    case 'function':
      return plural ? 'functions' : 'a function';
    case 'entry':
      return plural ? 'registry entries' : (type.noun ?? 'a registry entry');
    case 'entryOptions':
      return plural ? `option objects` : `the options of \`${type.of}\``;
    case 'object': {
      const fields = Object.keys(type.fields).map((k) => `${k}${type.required?.includes(k) ? '' : '?'}`);
      return `${plural ? 'objects ' : ''}{ ${fields.join(', ')} }`;
    }
    case 'list': {
      const size = type.length === undefined ? '' : `${type.length} `;
      const lead = type.length === undefined && (type.minLength ?? 0) > 0 ? 'non-empty ' : '';
      const of = describeType(type.of, true);
      return `${plural ? '' : 'a '}${lead}list${plural ? 's' : ''} of ${size}${type.of.kind === 'oneOf' ? `(${of})` : of}`;
    }
    case 'oneOf':
      return orList(type.of.map((o) => describeType(o, plural)));
  }
}

/** A short rendering of a value for error messages. */
export function formatValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (isArrayLikeNd(v)) return `an array of shape [${Array.from(v.shape).join(', ')}]`;
  try {
    const s = JSON.stringify(v);
    if (s === undefined) return String(v);
    return s.length > 80 ? `${s.slice(0, 77)}…` : s;
  } catch {
    return String(v);
  }
}

function isArrayLikeNd(v: unknown): v is { data: ArrayLike<number>; shape: ArrayLike<number> } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as { data?: unknown; shape?: unknown };
  return (
    (ArrayBuffer.isView(o.data) || Array.isArray(o.data)) &&
    Array.isArray(o.shape) &&
    o.shape.every((d) => Number.isInteger(d) && d >= 0)
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** Whether `value` has type `type` (nested object fields included; `entryOptions` only needs an object). */
export function fits(type: OptionType, value: unknown): boolean {
  switch (type.kind) {
    case 'number':
      return (
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (!type.integer || Number.isInteger(value)) &&
        (type.min === undefined || (type.exclusiveMin ? value > type.min : value >= type.min)) &&
        (type.max === undefined || (type.exclusiveMax ? value < type.max : value <= type.max))
      );
    case 'enum':
      return typeof value === 'string' && type.values.includes(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'null':
      return value === null;
    case 'array':
      return isArrayLikeNd(value);
    case 'function':
      return typeof value === 'function';
    case 'entry':
      return isPlainObject(value) && isPlainObject(value.options);
    case 'entryOptions':
      return isPlainObject(value);
    case 'object':
      return (
        isPlainObject(value) &&
        Object.keys(value).every((k) => Object.hasOwn(type.fields, k)) &&
        (type.required ?? []).every((k) => value[k] !== undefined) &&
        Object.entries(type.fields).every(([k, s]) => value[k] === undefined || fits(s.type, value[k]))
      );
    case 'list': {
      // A typed array is a list of numbers too (e.g. a mask of group ids).
      const numeric = type.of.kind === 'number' && ArrayBuffer.isView(value) && !(value instanceof DataView);
      if (!Array.isArray(value) && !numeric) return false;
      const items = Array.from(value as ArrayLike<unknown>);
      return (
        (type.length === undefined || items.length === type.length) &&
        (type.minLength === undefined || items.length >= type.minLength) &&
        items.every((x) => fits(type.of, x))
      );
    }
    case 'oneOf':
      return type.of.some((o) => fits(o, value));
  }
}

/** "must be …; got …" when `value` does not fit `type`, else `undefined`. */
export function optionProblem(type: OptionType, value: unknown): string | undefined {
  return fits(type, value) ? undefined : `must be ${describeType(type)}; got ${formatValue(value)}`;
}

/** Keys of `given` that `specs` does not describe (keys set to `undefined` count as not given). */
export function unknownOptions(specs: Readonly<Record<string, OptionSpec>>, given: object): string[] {
  return Object.entries(given)
    .filter(([k, v]) => v !== undefined && !Object.hasOwn(specs, k))
    .map(([k]) => k);
}

/** Fill the defaults of an object type's fields. */
function withFieldDefaults(type: OptionType, value: unknown): unknown {
  if (type.kind === 'object' && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(type.fields)) {
      const v = value[k] === undefined ? s.default : withFieldDefaults(s.type, value[k]);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  if (type.kind === 'oneOf') {
    const match = type.of.find((o) => fits(o, value));
    return match ? withFieldDefaults(match, value) : value;
  }
  return value;
}

/**
 * Check options against their description: every key of `given` must be described (keys set to
 * `undefined` count as not given), every value must fit its type. `fail` throws the caller's error
 * class; messages read "`where`: option \`key\` must be …; got …." and "`where`: unknown option
 * 'x'. Options: a, b." `entryOptions` values are only checked to be objects: their owner checks
 * them against the entry's own description.
 */
export function checkOptions(
  specs: Readonly<Record<string, OptionSpec>>,
  given: object,
  fail: (message: string) => never,
  where: string,
): void {
  const unknown = unknownOptions(specs, given);
  if (unknown.length) {
    const names = Object.keys(specs);
    fail(
      `${where}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map(quote).join(', ')}. ${
        names.length ? `Options: ${names.join(', ')}.` : `${where} has no options of its own.`
      }`,
    );
  }
  for (const [key, spec] of Object.entries(specs)) {
    const v = (given as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const problem = optionProblem(spec.type, v);
    if (problem) fail(`${where}: option \`${key}\` ${problem}.`);
  }
}

/** {@link checkOptions}, then the defaults filled in (also those of object fields). */
export function normalizeOptions<O>(
  specs: OptionSpecs<O>,
  given: object,
  fail: (message: string) => never,
  where: string,
): O {
  const table = specs as Readonly<Record<string, OptionSpec>>;
  checkOptions(table, given, fail, where);
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const v = (given as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = withFieldDefaults(spec.type, v);
    else if (spec.default !== undefined) out[key] = spec.default;
  }
  return out as O;
}
