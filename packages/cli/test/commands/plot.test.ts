import { join } from 'node:path';
import type { OptionSpec } from '@keraspect/array';
import { type ChartKind, chartKinds, charts } from '@keraspect/viz';
import { describe, expect, it } from 'vitest';
import { plotRequest } from '../../src/commands/plot.ts';
import { EXAMPLES_DIR } from '../../src/commands/demo.ts';
import { kebab } from '../../src/option-flags.ts';
import { run } from '../../src/run.ts';
import { memoryIo } from '../memory-io.ts';
import { flagWords, sampleFiles, samples } from '../option-samples.ts';

const model = join(EXAMPLES_DIR, 'attention-lstm.h5');
const series = join(EXAMPLES_DIR, 'series.npy');
const specs = (kind: ChartKind) => Object.entries(charts[kind].options as Record<string, OptionSpec>);
/** Chart options set by one of plot's own flags (attention's `sample` by --sample). */
const OWN = new Set(['sample']);

/** DATA (and extra flags) each kind draws from in the end-to-end run. */
const data: Record<ChartKind, string[]> = {
  features1D: [series],
  features2D: [series],
  histogram: [series],
  features0D: [series, '--sample', '0'],
  attribution: [series, '--series', series],
  attention: [series],
  rnnWeights: [model, '--layer', 'lstm'],
};

describe.each(chartKinds.map((k) => [k]))('keraspect plot %s', (kind) => {
  it('every option of the chart round-trips from its flag (and from --option) to the render options', async () => {
    const m = memoryIo(sampleFiles);
    let checked = 0;
    for (const [key, spec] of specs(kind)) {
      for (const s of samples(spec.type, spec.default)) {
        const viaFlag = OWN.has(key) ? [] : flagWords(kebab(key), s);
        const viaOption = s.text === undefined ? [] : [`--option=${key}=${s.text}`];
        for (const words of [viaFlag, viaOption]) {
          if (!words.length) continue;
          const argv = [kind, series, '--out', 'p.png', ...words];
          const req = await plotRequest(argv, m.io);
          expect(req.options, argv.join(' ')).toEqual({ [key]: s.value });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(specs(kind).length);
  });

  it('renders through the CLI with its options set from flags', async () => {
    const m = memoryIo();
    const extra = specs(kind)
      .filter(([key, s]) => s.type.kind === 'enum' && !OWN.has(key) && key !== 'colormap')
      .flatMap(([key, s]) => flagWords(kebab(key), samples(s.type, s.default)[0]));
    const argv = ['plot', kind, ...data[kind], '--out', 'p.svg', '--title', `${kind} plot`, '--width', '500', ...extra];
    expect(await run(argv, m.io), `${argv.join(' ')}: ${m.err()}`).toBe(0);
    const svg = String(m.written.get('p.svg'));
    expect(svg).toContain(`${kind} plot`);
    expect(svg).toMatch(/width="500"/);
  });

  it('--help lists every option of the chart', async () => {
    const m = memoryIo();
    expect(await run(['plot', kind, '--help'], m.io)).toBe(0);
    for (const [key] of specs(kind))
      if (OWN.has(key)) expect(m.out()).toContain(`(${key}: set by --${key}`);
      else expect(m.out()).toMatch(new RegExp(`--(\\[no-\\])?${kebab(key)}\\b`));
    expect(m.out()).toContain(charts[kind].description);
  });
});

describe('keraspect plot flags', () => {
  it('an inapplicable flag is an error naming it, where it applies, and the valid ones', async () => {
    const m = memoryIo();
    expect(await run(['plot', 'features1D', series, '--out', 'p.png', '--colormap', 'bwr'], m.io)).toBe(2);
    expect(m.err()).toMatch(
      /--colormap does not apply to chart features1D: it is an option of features2D, attribution, attention, rnnWeights\. Options of features1D: --width, --height,/,
    );
  });

  it('an unknown flag or --option key is an error naming it and listing the valid ones', async () => {
    const m = memoryIo();
    expect(await run(['plot', 'histogram', series, '--out', 'p.png', '--binz', '3'], m.io)).toBe(2);
    expect(m.err()).toMatch(/Unknown option '--binz' for keraspect plot histogram\. Options of histogram: --width/);
    const o = memoryIo();
    expect(await run(['plot', 'histogram', series, '--out', 'p.png', '--option', 'binz=3'], o.io)).toBe(2);
    expect(o.err()).toMatch(/--option binz: histogram has no option 'binz'\. Options: width, height, .*bins/);
    const v = memoryIo();
    expect(await run(['plot', 'histogram', series, '--out', 'p.png', '--option', 'bins=0'], v.io)).toBe(2);
    expect(v.err()).toMatch(/--option bins must be an integer ≥ 1 \(got '0'\)/);
  });

  it('--no-X turns off an option that is on by default', async () => {
    const m = memoryIo();
    const req = await plotRequest(['features1D', series, '--out', 'p.png', '--no-legend', '--no-equate-axes'], m.io);
    expect(req.options).toEqual({ legend: false, equateAxes: false });
  });
});
