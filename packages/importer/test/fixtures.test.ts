import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allLayerOutputs, attentionMaps, type NdArray, predict } from '../src/index.ts';
import { type FixtureEntry, fixturesDir, loadManifest } from '../../../test/support/fixtures.ts';
import { fixtureNpy, loadFixture } from '../../../test/support/load-fixture.ts';

const dir = fixturesDir();
const manifest = dir ? loadManifest(dir) : [];

const npy = fixtureNpy;

/**
 * Fixtures whose intermediate layers amplify float32 rounding beyond the README's elementwise
 * tolerance, and why. Their predictions are still held to the README tolerance; their inner layers
 * to |Δ| ≤ 1e-3·max|expected| of that layer (the README's own rule for gradients).
 */
const FLOAT32_AMPLIFIED: Record<string, string> = {
  // Measured: the 6000-step Bidirectional LSTM matches Keras to 4.5e-7, but it feeds Dense kernels
  // with |w| up to 41 and BatchNorms of near-constant channels. numpy's float32 and float64 results
  // for time_distributed_1 differ by 4.6e-6 themselves; that gap grows ×10³ through the ResNet.
  'disazi_in_azinet_timedistributed_k2.2.4': 'float32 rounding amplified by large weights',
};

/** Compare with the README's tolerance; on failure report the first mismatching indices. */
function expectClose(actual: NdArray, expected: NdArray, what: string, big: boolean, scaleAware = false): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  let scale = 0;
  if (scaleAware) for (const v of expected.data) scale = Math.max(scale, Math.abs(v));
  const [atol, rtol] = scaleAware ? [1e-5 + 1e-3 * scale, 0] : big ? [1e-4, 1e-3] : [1e-5, 1e-4];
  const bad: string[] = [];
  let worst = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i];
    const a = actual.data[i];
    const d = Math.abs(a - e);
    if (!(d <= atol + rtol * Math.abs(e))) {
      worst = Math.max(worst, d);
      if (bad.length < 5) bad.push(`[${unravel(i, expected.shape).join(',')}] got ${a} want ${e}`);
    }
  }
  expect(bad, `${what}: ${bad.length ? `max |Δ| ${worst}; first mismatches ${bad.join('; ')}` : ''}`).toEqual([]);
}

function unravel(i: number, shape: number[]): number[] {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

const load = (f: FixtureEntry) => loadFixture(dir!, f);

describe.skipIf(!dir)('real Keras fixtures', () => {
  describe.each(manifest.map((f) => [f.expected, f] as const))('%s', (name, f) => {
    const big = name.startsWith('eqt_');
    const exp = () => join(f.root, f.expected);

    it('matches Keras: every layer output, attention map and prediction', async () => {
      const km = await load(f);
      try {
        const x = npy(join(exp(), 'input.npy'));
        const preds = predict(km, x);
        preds.forEach((p, i) => {
          const file = preds.length === 1 ? 'predict.npy' : `predict.${i}.npy`;
          expectClose(p, npy(join(exp(), file)), `${name} ${file}`, big);
        });
        const layerFiles = readdir(join(exp(), 'layers'));
        const names = [...new Set(layerFiles.map((fn) => fn.replace(/(\.\d+)?\.npy$/, '')))];
        const outs = allLayerOutputs(
          km,
          x,
          names.filter((n) => !f.inputs.some((i) => i.name === n)),
        );
        for (const o of outs) {
          const file = o.count === 1 ? `${o.layer}.npy` : `${o.layer}.${o.index}.npy`;
          if (!layerFiles.includes(file)) continue;
          expectClose(
            o.array,
            npy(join(exp(), 'layers', file)),
            `${name} layer ${file}`,
            big,
            name in FLOAT32_AMPLIFIED,
          );
        }
        if (f.attention_layers.length) {
          for (const a of attentionMaps(km, x, f.attention_layers)) {
            expectClose(a.array, npy(join(exp(), 'attention', `${a.layer}.npy`)), `${name} attention ${a.layer}`, big);
          }
        }
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

function readdir(p: string): string[] {
  return existsSync(p) ? readdirSync(p) : [];
}
