import { fits, type NdArray, type OptionType } from '@keraspect/array';
import { writeNpy } from '@keraspect/importer';

/** A value an option can take, as a test gives it on the command line and expects it back. */
export interface Sample {
  /** The flag's text (`undefined` for a boolean flag given bare or as `--no-…`). */
  text: string | undefined;
  /** For booleans: whether the flag is given as `--no-…`. */
  negated?: boolean;
  /** What the option must come back as. */
  value: unknown;
}

/** Files the samples name (`.npy` bytes by path), for `memoryIo`. */
export const sampleFiles: Record<string, Uint8Array> = {};

let fileCount = 0;
function arrayFile(a: NdArray<Float32Array>): string {
  fileCount += 1;
  const path = `sample-${fileCount}.npy`;
  sampleFiles[path] = writeNpy(a);
  return path;
}

const sampleArray = (k: number): NdArray<Float32Array> => ({
  data: Float32Array.from({ length: 8 }, (_, i) => (i + k) / 4),
  shape: [1, 4, 2],
});

/**
 * Values of an option other than its default, one per alternative of a union, made from its
 * type alone (so a new method's or chart's options get samples with no test edit). `entries`
 * names the registry entries an `entry` option may hold.
 */
export function samples(type: OptionType, dflt: unknown, entries: Record<string, unknown> = {}): Sample[] {
  switch (type.kind) {
    case 'number': {
      const lo = type.min ?? (type.max !== undefined ? type.max - 4 : 0);
      const hi = type.max ?? lo + 8;
      const candidates = type.integer
        ? [typeof dflt === 'number' ? dflt + 1 : lo + 1, lo + 2, lo, hi]
        : [typeof dflt === 'number' && dflt !== 0 ? dflt / 2 : (lo + hi) / 2, (lo + hi) / 2, lo + 0.25];
      const v = candidates.find((c) => c !== dflt && fits(type, c));
      return v === undefined ? [] : [{ text: String(v), value: v }];
    }
    case 'boolean':
      return dflt === true ? [{ text: undefined, negated: true, value: false }] : [{ text: undefined, value: true }];
    case 'string':
      return [{ text: 'abc', value: 'abc' }];
    case 'enum': {
      const v = type.values.find((x) => x !== dflt);
      return v === undefined ? [] : [{ text: v, value: v }];
    }
    case 'list': {
      if (type.of.kind === 'array') {
        const a = sampleArray(1);
        const b = sampleArray(2);
        return [{ text: `${arrayFile(a)},${arrayFile(b)}`, value: [a, b] }];
      }
      const n = type.length ?? Math.max(type.minLength ?? 0, 2);
      const item = (i: number): unknown => {
        const of = type.of;
        if (of.kind === 'number') return of.integer ? (of.min ?? 0) + i : i + 0.5;
        if (of.kind === 'string') return `s${i}`;
        if (of.kind === 'enum') return of.values[i % of.values.length];
        return samples(of, undefined, entries)[0]?.value;
      };
      const items = Array.from({ length: n }, (_, i) => item(i));
      return fits(type, items) ? [{ text: JSON.stringify(items), value: items }] : [];
    }
    case 'array': {
      const a = sampleArray(3);
      return [{ text: arrayFile(a), value: a }];
    }
    case 'object': {
      const v: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(type.fields)) {
        const one = samples(s.type, s.default, entries)[0];
        if (one) v[k] = one.value;
      }
      return [{ text: JSON.stringify(v), value: v }];
    }
    case 'entry':
      return Object.entries(entries)
        .filter(([, e]) => e !== dflt)
        .map(([name, e]) => ({ text: name, value: e }));
    case 'oneOf':
      return type.of.flatMap((o) => samples(o, dflt, entries));
    default:
      return [];
  }
}

/** The argv words of a sample for `--flag`. */
export function flagWords(flag: string, s: Sample): string[] {
  if (s.text === undefined) return [s.negated ? `--no-${flag}` : `--${flag}`];
  return [`--${flag}=${s.text}`];
}
