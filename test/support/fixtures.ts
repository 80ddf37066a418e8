import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the fixture folder is looked for, in order. */
export function fixtureCandidates(): string[] {
  const env = process.env.KERASPECT_FIXTURES;
  return [...(env ? [resolve(env)] : []), resolve(repoRoot, '../shared/fixtures')];
}

/**
 * The real-Keras fixture folder (`KERASPECT_FIXTURES` or `../shared/fixtures`), or null when missing.
 * In CI (`CI=true`) a missing folder is an error, so a broken checkout cannot pass silently.
 */
export function fixturesDir(): string | null {
  const found = fixtureCandidates().find((p) => existsSync(join(p, 'manifest.json')));
  if (found) return found;
  const msg = `Keras fixtures not found; looked in: ${fixtureCandidates().join(', ')}. Set KERASPECT_FIXTURES to the fixtures folder.`;
  if (process.env.CI === 'true') throw new Error(msg);
  console.warn(`[skip] ${msg}`);
  return null;
}

/** One entry of the fixtures' manifest.json (or of `wild/manifest.json`). */
export interface FixtureEntry {
  /** The folder holding this entry's `models/` and `<expected>/` (the fixtures folder, or its `wild/`). */
  root: string;
  file: string;
  expected: string;
  /** `wild/` entries: which family of files the entry belongs to. */
  family?: string;
  keras_version: string | null;
  save_kind: string;
  model_class: string;
  architecture_from: string | null;
  needs_custom_layers: string[];
  needs_lambdas: string[];
  inputs: { name: string; shape: number[]; dtype: string }[];
  layer_classes: Record<string, string>;
  layer_output_shapes: Record<string, number[]>;
  attention_layers: string[];
  predict_shapes: number[][];
  params_total: number;
  params_per_layer: Record<string, number>;
  input_gradient_f64: boolean;
  oracle_fixups: string[];
  /** `wild/` entries: indices of `grad_input_f64.npy` whose finite difference is unstable (left out of comparisons). */
  fd_unstable?: number[][];
}

/** The entries of `dir/manifest.json` and, when present, of `dir/wild/manifest.json`. */
export function loadManifest(dir: string): FixtureEntry[] {
  const read = (root: string) =>
    (
      JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as { fixtures: Omit<FixtureEntry, 'root'>[] }
    ).fixtures.map((f) => ({ ...f, root }));
  const wild = join(dir, 'wild');
  return [...read(dir), ...(existsSync(join(wild, 'manifest.json')) ? read(wild) : [])];
}

export { repoRoot };
