import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fromTfjs, loadModel, predict, toKerasH5, toTfjs } from '../src/index.ts';
import { fixturesDir, loadManifest } from '../../../test/support/fixtures.ts';
import { fixtureNpy, loadFixture } from '../../../test/support/load-fixture.ts';
import { fixtureLambdas, registerFixtureClasses } from '../../../test/support/user-layers.ts';

const dir = fixturesDir();
const manifest = dir ? loadManifest(dir) : [];

describe.skipIf(!dir)('round trips keep outputs identical', () => {
  it.each(manifest.map((f) => [f.expected, f] as const))('%s → our .h5 → reload', async (_name, f) => {
    const km = await loadFixture(dir!, f);
    const x = fixtureNpy(join(f.root, f.expected, 'input.npy'));
    const before = predict(km, x);
    const bytes = await toKerasH5(km);
    km.dispose();
    const cleanup = registerFixtureClasses(f.needs_custom_layers);
    try {
      const variant = f.needs_custom_layers.includes('eqt')
        ? 'legacy'
        : f.file.startsWith('dsrna')
          ? '0.46'
          : undefined;
      const reloaded = await loadModel(bytes, {
        lambdas: fixtureLambdas(f.needs_lambdas),
        selfAttentionVariant: variant as never,
      });
      const after = predict(reloaded, x);
      after.forEach((y, i) => expect(Array.from(y.data)).toEqual(Array.from(before[i].data)));
      expect(reloaded.paramsTotal()).toBe(f.params_total);
      reloaded.dispose();
    } finally {
      cleanup();
    }
  });

  // User classes made with defineLayer and Lambdas hold TS functions, which TF.js format cannot
  // carry; every other fixture must survive export to TF.js and tf.loadLayersModel.
  const portable = manifest.filter(
    (f) => f.needs_custom_layers.every((c) => c === 'eqt') && f.needs_lambdas.length === 0,
  );
  it.each(portable.map((f) => [f.expected, f] as const))(
    '%s → TF.js layers format → tf.loadLayersModel',
    async (_name, f) => {
      const km = await loadFixture(dir!, f);
      const x = fixtureNpy(join(f.root, f.expected, 'input.npy'));
      const before = predict(km, x);
      const art = await toTfjs(km);
      km.dispose();
      const json = JSON.parse(JSON.stringify(art.modelJson));
      const model = await fromTfjs({ modelJson: json, weights: art.weights });
      const y = tf.tidy(() => {
        const out = model.predict(tf.tensor(x.data, x.shape));
        return (Array.isArray(out) ? out : [out]).map((t) => Array.from(t.dataSync()));
      });
      // The reloaded model runs TF.js' own op-by-op recurrent layers; Keraspect's fused kernels
      // (layers/fast) agree with them to float32 rounding, not bit for bit.
      y.forEach((v, i) => {
        const ref = Array.from(before[i].data);
        expect(v.length).toBe(ref.length);
        v.forEach((a, j) => expect(Math.abs(a - ref[j])).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(ref[j])));
      });
      model.dispose();
    },
  );
});
