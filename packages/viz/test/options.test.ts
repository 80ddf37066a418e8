import { fits, type OptionSpec } from '@keraspect/array';
import { describe, expect, it } from 'vitest';
import { type ChartKind, chartKinds, chartSpec, charts, examples, VizError } from '../src/index.ts';

const specsOf = (kind: ChartKind) => Object.entries(charts[kind].options as Record<string, OptionSpec>);
const spec = (kind: ChartKind, options: object) => chartSpec(kind, examples()[kind].data as never, options as never);

describe('every chart describes its options', () => {
  it.each(chartKinds.map((k) => [k]))('%s: every option has a doc and each default fits its type', (kind) => {
    expect(charts[kind].data.length).toBeGreaterThan(0);
    for (const [key, s] of specsOf(kind)) {
      expect(s.doc.length, `${kind}.${key}`).toBeGreaterThan(0);
      if (s.default !== undefined) expect(fits(s.type, s.default), `${kind}.${key} default`).toBe(true);
      else expect(s.defaultDoc === undefined || s.defaultDoc.length > 0).toBe(true);
    }
  });

  it.each(chartKinds.map((k) => [k]))('%s: each described default is what the chart does without it', (kind) => {
    const plain = spec(kind, {});
    for (const [key, s] of specsOf(kind)) {
      if (s.default === undefined) continue;
      expect(spec(kind, { [key]: s.default }), `${kind}.${key} = ${JSON.stringify(s.default)}`).toEqual(plain);
    }
  });

  it.each(chartKinds.map((k) => [k]))('%s: an unknown option or a value of the wrong type fails naming it', (kind) => {
    expect(() => spec(kind, { colourmap: 'bwr' })).toThrow(VizError);
    expect(() => spec(kind, { colourmap: 'bwr' })).toThrow(
      new RegExp(`^${kind}: unknown option 'colourmap'\\. Options: width, height, `),
    );
    for (const [key] of specsOf(kind))
      expect(() => spec(kind, { [key]: Symbol('bad') }), key).toThrow(
        new RegExp(`^${kind}: option \`${key}\` must be .*; got Symbol\\(bad\\)\\.$`),
      );
  });
});
