import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, predict, readNpy, toFloat32 } from '@keraspect/importer';
import { fixturesDir, loadManifest } from '../test/support/fixtures.ts';
import { loadFixture } from '../test/support/load-fixture.ts';
import type { BenchResult } from './harness.ts';
import { median, time } from './harness.ts';

/** Importer figures: load time of the largest fixture and forward time of each fixture model. */
export async function benchImporter(runs: number): Promise<BenchResult[]> {
  const dir = fixturesDir();
  if (!dir) return [];
  const manifest = loadManifest(dir);
  const out: BenchResult[] = [];
  const eqt = manifest.find((f) => f.file === 'eqt_blockly_usgs_d_p_s_k2.3.1.h5')!;
  const bytes = new Uint8Array(readFileSync(join(dir, 'models', eqt.file)));
  const loads: number[] = [];
  for (let i = 0; i < runs; i++) {
    loads.push(await time(async () => (await loadModel(bytes, { selfAttentionVariant: 'legacy' })).dispose()));
  }
  out.push({ name: 'load eqt_blockly_usgs_d_p_s (151 layers)', ms: median(loads) });
  for (const f of manifest) {
    const km = await loadFixture(dir, f);
    const nd = readNpy(new Uint8Array(readFileSync(join(f.root, f.expected, 'input.npy'))));
    const x = { data: toFloat32(nd), shape: nd.shape };
    predict(km, x); // warm-up: kernels compile on first use
    const ts: number[] = [];
    for (let i = 0; i < runs; i++) ts.push(await time(async () => void predict(km, x)));
    out.push({ name: `forward ${f.expected} ${JSON.stringify(nd.shape)}`, ms: median(ts) });
    km.dispose();
  }
  return out;
}
