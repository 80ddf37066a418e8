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
