import { fail } from '../errors.ts';
import type { KerasLayerConfig } from '../keras-format/types.ts';

/** Keras' `data_format` values for 1-D layers. */
export type DataFormat = 'channels_last' | 'channels_first';

/**
 * Typed reads of a Keras layer config with the defaults Keras uses, failing with a message that names
 * the layer and key when a value has the wrong type.
 */
export class ConfigReader {
  constructor(
    readonly config: KerasLayerConfig,
    readonly className: string,
  ) {}

  get name(): string {
    return this.config.name;
  }

  private where(key: string): string {
    return `Layer '${this.config.name}' (${this.className}) config '${key}'`;
  }

  has(key: string): boolean {
    return this.config[key] !== undefined && this.config[key] !== null;
  }

  num(key: string, def?: number): number {
    const v = this.config[key] ?? def;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      fail('UNSUPPORTED_CONFIG', `${this.where(key)} must be a finite number, found ${JSON.stringify(v)}.`);
    }
    return v;
  }

  int(key: string, def?: number): number {
    const v = this.num(key, def);
    if (!Number.isInteger(v)) fail('UNSUPPORTED_CONFIG', `${this.where(key)} must be an integer, found ${v}.`);
    checkInt32(this.where(key), v);
    return v;
  }

  optInt(key: string): number | null {
    return this.has(key) ? this.int(key) : null;
  }

  bool(key: string, def?: boolean): boolean {
    const v = this.config[key] ?? def;
    if (typeof v !== 'boolean')
      fail('UNSUPPORTED_CONFIG', `${this.where(key)} must be true or false, found ${JSON.stringify(v)}.`);
    return v;
  }

  str<T extends string>(key: string, def?: T, allowed?: readonly T[]): T {
    const v = this.config[key] ?? def;
    if (typeof v !== 'string')
      fail('UNSUPPORTED_CONFIG', `${this.where(key)} must be a string, found ${JSON.stringify(v)}.`);
    if (allowed && !allowed.includes(v as T)) {
      fail('UNSUPPORTED_CONFIG', `${this.where(key)} is '${v}'; supported values: ${allowed.join(', ')}.`);
    }
    return v as T;
  }

  /** Keras' `data_format` of a 1-D layer: `channels_last` (the default in every version) or `channels_first`. */
  dataFormat(): DataFormat {
    return this.str<DataFormat>('data_format', 'channels_last', ['channels_last', 'channels_first']);
  }

  /** An int or a 1-element list of ints (Keras writes `kernel_size: [3]` for Conv1D). */
  int1(key: string, def?: number): number {
    const v = this.config[key] ?? def;
    if (Array.isArray(v) && v.length === 1 && Number.isInteger(v[0]))
      return checkInt32(this.where(key), v[0] as number);
    if (typeof v === 'number' && Number.isInteger(v)) return checkInt32(this.where(key), v);
    return fail(
      'UNSUPPORTED_CONFIG',
      `${this.where(key)} must be an integer or a one-element list, found ${JSON.stringify(v)}.`,
    );
  }

  /** A pair of ints, or one int meaning both (`cropping: 1` → `[1, 1]`). */
  pair(key: string, def?: [number, number]): [number, number] {
    const v = this.config[key] ?? def;
    if (typeof v === 'number' && Number.isInteger(v)) return [checkInt32(this.where(key), v), v];
    if (Array.isArray(v) && v.length === 2 && v.every(Number.isInteger))
      return [checkInt32(this.where(key), v[0]), checkInt32(this.where(key), v[1])];
    return fail(
      'UNSUPPORTED_CONFIG',
      `${this.where(key)} must be an integer or a pair of integers, found ${JSON.stringify(v)}.`,
    );
  }

  ints(key: string, def?: number[]): number[] {
    const v = this.config[key] ?? def;
    if (typeof v === 'number' && Number.isInteger(v)) return [checkInt32(this.where(key), v)];
    if (Array.isArray(v) && v.every((x) => Number.isInteger(x)))
      return (v as number[]).map((x) => checkInt32(this.where(key), x));
    return fail('UNSUPPORTED_CONFIG', `${this.where(key)} must be a list of integers, found ${JSON.stringify(v)}.`);
  }

  raw(key: string): unknown {
    return this.config[key];
  }

  /** Reject a config value the port cannot honour, naming it and what is supported. */
  unsupported(key: string, why: string): never {
    return fail(
      'UNSUPPORTED_CONFIG',
      `${this.where(key)} = ${JSON.stringify(this.config[key])} is not supported: ${why}`,
    );
  }
}

/** Keras stores sizes, axes and counts as int32; larger values only come from corrupt or hostile files. */
function checkInt32(where: string, v: number): number {
  if (v > 2 ** 31 - 1 || v < -(2 ** 31))
    fail(
      'UNSUPPORTED_CONFIG',
      `${where} is ${v}, outside the 32-bit integer range Keras uses for sizes and counts; the config is corrupt.`,
    );
  return v;
}

/** Read a Keras layer config. */
export function read(config: KerasLayerConfig, className: string): ConfigReader {
  return new ConfigReader(config, className);
}
