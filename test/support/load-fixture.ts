import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type KerasModel, loadModel, type NdArray, readNpy, toFloat32 } from '@keraspect/importer';
import type { FixtureEntry } from './fixtures.ts';
import { fixtureLambdas, registerFixtureClasses } from './user-layers.ts';

// The fixtures README: the weights-only EQTransformer file's architecture is that of
// eqt_blockly_usgs_d_p_s_k2.3.1.h5 (identical layer names); its own 'final model' is not shipped.
const ARCHITECTURE_SUBSTITUTES: Record<string, string> = {
  'eqt_blockly_final_model_k2.3.1.h5': 'eqt_blockly_usgs_d_p_s_k2.3.1.h5',
};

/** Load a fixture the way a user would: user classes and Lambdas registered, variant chosen. */
export async function loadFixture(_dir: string, f: FixtureEntry): Promise<KerasModel> {
  const dir = f.root;
  const cleanup = registerFixtureClasses(f.needs_custom_layers);
  try {
    const lambdas = fixtureLambdas(f.needs_lambdas);
    // EQTransformer ships its own pre-0.46 copy of SeqSelfAttention; dsRNA pins keras-self-attention 0.46.0.
    const variant = f.needs_custom_layers.includes('eqt')
      ? ('legacy' as const)
      : f.file.startsWith('dsrna')
        ? ('0.46' as const)
        : undefined;
    const opts = { lambdas, selfAttentionVariant: variant };
    const read = (file: string) => new Uint8Array(readFileSync(join(dir, 'models', file)));
    if (f.architecture_from?.endsWith('.json')) {
      // A weights-only file whose architecture is the text of model.to_json().
      return await loadModel(read(f.file), {
        ...opts,
        architecture: new TextDecoder().decode(read(f.architecture_from)),
      });
    }
    if (f.architecture_from) {
      const arch = existsSync(join(dir, 'models', f.architecture_from))
        ? f.architecture_from
        : ARCHITECTURE_SUBSTITUTES[f.architecture_from];
      return await loadModel(read(arch), { ...opts, weights: read(f.file) });
    }
    return await loadModel(read(f.file), opts);
  } finally {
    cleanup();
  }
}

/** Read a fixture `.npy` as float32. */
export function fixtureNpy(path: string): NdArray {
  const nd = readNpy(new Uint8Array(readFileSync(path)));
  return { data: toFloat32(nd), shape: nd.shape };
}
