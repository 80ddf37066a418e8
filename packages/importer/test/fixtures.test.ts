import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { predict } from '../src/index.ts';
import { type FixtureEntry, fixturesDir, loadManifest } from '../../../test/support/fixtures.ts';
import { expectCloseToKeras as expectClose } from '../../../test/support/keras-compare.ts';
import { fixtureNpy, loadFixture } from '../../../test/support/load-fixture.ts';

const dir = fixturesDir();
const manifest = dir ? loadManifest(dir) : [];

const npy = fixtureNpy;

const load = (f: FixtureEntry) => loadFixture(dir!, f);

describe.skipIf(!dir)('real Keras fixtures', () => {
  describe.each(manifest.map((f) => [f.expected, f] as const))('%s', (name, f) => {
    const big = name.startsWith('eqt_');
    const exp = () => join(f.root, f.expected);

    // Every layer output and attention map is held to Keras' in explain's fixture test (layerOutputs, attentionMaps).
    it('predicts what Keras predicts', async () => {
      const km = await load(f);
      try {
        const x = npy(join(exp(), 'input.npy'));
        const preds = predict(km, x);
        preds.forEach((p, i) => {
          const file = preds.length === 1 ? 'predict.npy' : `predict.${i}.npy`;
          expectClose(p, npy(join(exp(), file)), `${name} ${file}`, big);
        });
      } finally {
        km.dispose();
      }
    });

    it('summary matches Keras parameter counts', async () => {
      const km = await load(f);
      try {
        const rows = new Map(km.summary().map((r) => [r.name, r.params]));
        const got = Object.fromEntries(Object.keys(f.params_per_layer).map((k) => [k, rows.get(k)]));
        expect(got).toEqual(f.params_per_layer);
        expect(km.paramsTotal()).toBe(f.params_total);
      } finally {
        km.dispose();
      }
    });
  });
});
