import { describe, expect, it } from 'vitest';
import {
  checkOptions,
  describeType,
  fits,
  normalizeOptions,
  type OptionSpecs,
  optionProblem,
  t,
  unknownOptions,
} from '../src/index.ts';

const fail = (m: string): never => {
  throw new Error(m);
};

describe('option types', () => {
  it('numbers: finite, integer, inclusive and exclusive bounds', () => {
    expect(fits(t.number(), 1.5)).toBe(true);
    expect(fits(t.number(), Number.NaN)).toBe(false);
    expect(fits(t.number(), Infinity)).toBe(false);
    expect(fits(t.number(), '1')).toBe(false);
    expect(fits(t.integer({ min: 1 }), 1)).toBe(true);
    expect(fits(t.integer({ min: 1 }), 0)).toBe(false);
    expect(fits(t.integer(), 1.5)).toBe(false);
    expect(fits(t.positive(), 0)).toBe(false);
    expect(fits(t.positive(10), 10)).toBe(true);
    expect(fits(t.positive(10), 10.5)).toBe(false);
    expect(fits(t.number({ min: 0, max: 100, exclusiveMax: true }), 100)).toBe(false);
    expect(fits(t.number({ min: 0, max: 100, exclusiveMax: true }), 0)).toBe(true);
  });

  it('enums, lists with lengths, arrays, objects, functions and unions', () => {
    expect(fits(t.enum(['a', 'b']), 'b')).toBe(true);
    expect(fits(t.enum(['a', 'b']), 'c')).toBe(false);
    expect(fits(t.list(t.number(), { length: 2 }), [1, 2])).toBe(true);
    expect(fits(t.list(t.number(), { length: 2 }), [1])).toBe(false);
    expect(fits(t.list(t.list(t.integer({ min: 0 }), { minLength: 1 })), [[0, 1], [2]])).toBe(true);
    expect(fits(t.list(t.list(t.integer({ min: 0 }), { minLength: 1 })), [[0], []])).toBe(false);
    expect(fits(t.array, { data: new Float32Array(2), shape: [1, 2] })).toBe(true);
    expect(fits(t.array, { data: [1, 2], shape: [2] })).toBe(true);
    expect(fits(t.array, { data: 'ab', shape: [2] })).toBe(false);
    const noise = t.object({ samples: { type: t.integer({ min: 1 }), doc: '', default: 10 } });
    expect(fits(noise, { samples: 3 })).toBe(true);
    expect(fits(noise, {})).toBe(true);
    expect(fits(noise, { samples: 0 })).toBe(false);
    expect(fits(noise, { sample: 3 })).toBe(false);
    expect(fits(t.function, () => 1)).toBe(true);
    expect(fits(t.oneOf(t.enum(['zeros']), t.number()), 3)).toBe(true);
    expect(fits(t.oneOf(t.enum(['zeros']), t.number()), 'ones')).toBe(false);
  });

  it('are described in words that name bounds and allowed values', () => {
    expect(describeType(t.integer({ min: 1 }))).toBe('an integer ≥ 1');
    expect(describeType(t.positive(20000))).toBe('a positive number up to 20000');
    expect(describeType(t.number({ min: 0, max: 100, exclusiveMax: true }))).toBe('a number in [0, 100)');
    expect(describeType(t.enum(['none', 'abs']))).toBe("one of 'none', 'abs'");
    expect(describeType(t.list(t.number(), { length: 2 }))).toBe('a list of 2 numbers');
    expect(describeType(t.list(t.list(t.integer({ min: 0 }), { minLength: 1 })))).toBe(
      'a list of non-empty lists of integers ≥ 0',
    );
    expect(describeType(t.oneOf(t.enum(['zeros', 'mean']), t.number()))).toBe("one of 'zeros', 'mean' or a number");
    expect(optionProblem(t.integer({ min: 1 }), 0.5)).toBe('must be an integer ≥ 1; got 0.5');
    expect(optionProblem(t.integer({ min: 1 }), 2)).toBeUndefined();
  });
});

interface Demo {
  steps: number;
  rule: 'left' | 'right';
  noise?: { samples?: number };
  label?: string;
}

const demo: OptionSpecs<Demo> = {
  steps: { type: t.integer({ min: 1 }), doc: 'points', default: 50 },
  rule: { type: t.enum(['left', 'right']), doc: 'rule', default: 'left' },
  noise: { type: t.object({ samples: { type: t.integer({ min: 1 }), doc: 'draws', default: 10 } }), doc: 'noise' },
  label: { type: t.string, doc: 'label' },
};

describe('normalizeOptions', () => {
  it('fills defaults (also of object fields) and keeps given values', () => {
    expect(normalizeOptions(demo, {}, fail, 'demo')).toEqual({ steps: 50, rule: 'left' });
    expect(normalizeOptions(demo, { steps: 4, noise: {}, label: 'x' }, fail, 'demo')).toEqual({
      steps: 4,
      rule: 'left',
      noise: { samples: 10 },
      label: 'x',
    });
  });

  it('treats keys set to undefined as not given', () => {
    expect(normalizeOptions(demo, { steps: undefined, other: undefined }, fail, 'demo')).toEqual({
      steps: 50,
      rule: 'left',
    });
  });

  it('fails on an unknown option, naming it and listing the known ones', () => {
    expect(() => normalizeOptions(demo, { step: 4 }, fail, 'demo')).toThrow(
      "demo: unknown option 'step'. Options: steps, rule, noise, label.",
    );
    expect(unknownOptions(demo, { step: 4, steps: 1 })).toEqual(['step']);
    expect(() => checkOptions({}, { x: 1 }, fail, 'bare')).toThrow("bare: unknown option 'x'. bare has no options");
  });

  it('fails on a value of the wrong type, naming the option, the type and the value', () => {
    expect(() => normalizeOptions(demo, { steps: 0 }, fail, 'demo')).toThrow(
      'demo: option `steps` must be an integer ≥ 1; got 0.',
    );
    expect(() => normalizeOptions(demo, { rule: 'middle' }, fail, 'demo')).toThrow(
      "demo: option `rule` must be one of 'left', 'right'; got \"middle\".",
    );
    expect(() => normalizeOptions(demo, { noise: { samples: 0 } }, fail, 'demo')).toThrow(/option `noise` must be/);
  });
});
