import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelFromConfig, toKerasH5 } from '@keraspect/importer';
import { EXAMPLES_DIR } from '../src/commands/demo.ts';
import { run } from '../src/run.ts';
import { memoryIo } from './memory-io.ts';

/** A SeqSelfAttention model with `attention_width` set: keras-self-attention 0.46.0 computed it differently. */
async function windowed(width: number | null): Promise<Uint8Array> {
  const km = await modelFromConfig({
    class_name: 'Sequential',
    config: {
      name: 'windowed',
      layers: [
        { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 8, 2] } },
        { class_name: 'SeqSelfAttention', config: { name: 'att', units: 4, attention_width: width } },
        { class_name: 'Flatten', config: { name: 'flat' } },
        { class_name: 'Dense', config: { name: 'out', units: 1 } },
      ],
    },
  } as never);
  const bytes = await toKerasH5(km);
  km.dispose();
  return bytes;
}

describe('inspect warns when the keras-self-attention variants differ', () => {
  it('says which variant was used and which to pass, in text and JSON', async () => {
    const files = { 'w.h5': await windowed(5) };
    const m = memoryIo(files);
    expect(await run(['inspect', 'w.h5'], m.io)).toBe(0);
    expect(m.out()).toMatch(
      /Warning: SeqSelfAttention 'att'.*attention_width=5.*read as 'current' \(the default, 0\.47 and later\).*--self-attention-variant/,
    );
    const j = memoryIo(files);
    expect(await run(['inspect', 'w.h5', '--json', '--self-attention-variant', '0.46'], j.io)).toBe(0);
    expect(JSON.parse(j.out()).warnings).toEqual([expect.stringMatching(/read as '0\.46'\. Pass/)]);
  });

  it('is silent for a config where the variants agree (and for the bundled example)', async () => {
    const m = memoryIo({ 'p.h5': await windowed(null) });
    expect(await run(['inspect', 'p.h5'], m.io)).toBe(0);
    expect(m.out()).not.toMatch(/Warning/);
    const e = memoryIo();
    expect(await run(['inspect', join(EXAMPLES_DIR, 'attention-lstm.h5'), '--json'], e.io)).toBe(0);
    expect(JSON.parse(e.out()).warnings).toEqual([]);
  });
});

describe("inspect warns when a FeedForward's 'gelu' may be either GELU", () => {
  it('names --gelu-variant; either value silences it; a wrong value is a usage error', async () => {
    const km = await modelFromConfig(
      {
        class_name: 'Sequential',
        config: {
          name: 'ff',
          layers: [
            { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 4, 2] } },
            { class_name: 'FeedForward', config: { name: 'ff', units: 3, activation: 'gelu' } },
          ],
        },
      } as never,
      { kerasVersion: '2.9.0' },
    );
    const files = { 'g.h5': await toKerasH5(km) };
    km.dispose();
    const m = memoryIo(files);
    expect(await run(['inspect', 'g.h5'], m.io)).toBe(0);
    expect(m.out()).toMatch(/Warning: FeedForward 'ff'.*tanh approximation.*--gelu-variant/);
    const e = memoryIo(files);
    expect(await run(['inspect', 'g.h5', '--gelu-variant', 'erf'], e.io)).toBe(0);
    expect(e.out()).not.toMatch(/Warning/);
    const bad = memoryIo(files);
    expect(await run(['inspect', 'g.h5', '--gelu-variant', 'exact'], bad.io)).toBe(2);
    expect(bad.err()).toMatch(/--gelu-variant must be tanh or erf \(got 'exact'\)/);
  });
});
