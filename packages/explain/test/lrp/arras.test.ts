import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { type KerasModel, readNpy, toFloat32 } from '@keraspect/importer';
import { describe, expect, it } from 'vitest';
import { explain } from '../../src/index.ts';
import { noLeak, sequential, toy } from '../helpers.ts';

/**
 * LRP-ε against the relevances of Arras et al.'s own code (ArrasL/LRP_for_LSTM, `LSTM_bidi.lrp`,
 * float64), computed once by scripts/parity/arras-reference.py and stored under ./arras with the
 * weights and inputs they were computed on.
 */
const here = join(dirname(fileURLToPath(import.meta.url)), 'arras');

interface Meta {
  bidirectional: boolean;
  steps: number;
  features: number;
  units: number;
  classes: number;
  batch: number;
  settings: Record<string, { eps: number; bias_factor: number; float32_sensitivity: number }>;
}

const load = (model: string, name: string) => readNpy(readFileSync(join(here, model, `${name}.npy`)));
const meta = (model: string): Meta => JSON.parse(readFileSync(join(here, model, 'meta.json'), 'utf8'));

/**
 * Keraspect computes in float32, the reference in float64. The script also measures how far the
 * reference itself moves when its weights and inputs are rounded to float32 (`float32_sensitivity`
 * in meta.json: ≤ 1.6e-6 with bias_factor 0, 4.9e-5 with bias_factor 1, whose redistributed ε
 * shares cancel against large relevances). Keraspect must agree to 5e-6 of each sample's largest
 * relevance, or to twice that sensitivity where it is larger. Measured: ≤ 5.1e-7 (bias_factor 0),
 * 1.6e-5 (bias_factor 1).
 */
const tolerance = (sensitivity: number) => Math.max(5e-6, 2 * sensitivity);

async function build(model: string): Promise<KerasModel> {
  const m = meta(model);
  const lstm = { name: 'lstm', units: m.units, activation: 'tanh', recurrent_activation: 'sigmoid' };
  const recurrent = m.bidirectional
    ? {
        class_name: 'Bidirectional',
        config: { name: 'bi', layer: { class_name: 'LSTM', config: lstm }, merge_mode: 'concat' },
      }
    : { class_name: 'LSTM', config: lstm };
  const km = await toy(
    sequential(
      [m.steps, m.features],
      [recurrent, { class_name: 'Dense', config: { name: 'out', units: m.classes, use_bias: false } }],
    ),
  );
  const w = (name: string) => {
    const a = load(model, name);
    return tf.tensor(toFloat32(a), a.shape);
  };
  const cell = (prefix: string) => [w(`${prefix}_kernel`), w(`${prefix}_recurrent_kernel`), w(`${prefix}_bias`)];
  const rnn = km.layer(m.bidirectional ? 'bi' : 'lstm');
  rnn.setWeights(m.bidirectional ? [...cell('lstm'), ...cell('backward')] : cell('lstm'));
  km.layer('out').setWeights([w('out_kernel')]);
  return km;
}

/** max over samples of max|R − R_ref| / max|R_ref|. */
function relativeDifference(got: ArrayLike<number>, want: ArrayLike<number>, batch: number): number {
  const n = want.length / batch;
  let worst = 0;
  for (let b = 0; b < batch; b++) {
    let scale = 0;
    let diff = 0;
    for (let i = b * n; i < (b + 1) * n; i++) {
      scale = Math.max(scale, Math.abs(want[i]));
      diff = Math.max(diff, Math.abs(got[i] - want[i]));
    }
    worst = Math.max(worst, diff / scale);
  }
  return worst;
}

describe.each(['lstm', 'bilstm'])('lrpEpsilon equals Arras et al.’s LSTM_bidi.lrp on a saved %s', (model) => {
  const m = meta(model);
  it.each(Object.keys(m.settings))('with %s', async (key) => {
    const { eps, bias_factor: biasFactor, float32_sensitivity: sensitivity } = m.settings[key];
    const km = await build(model);
    const x = load(model, 'x');
    const targets = Array.from(toFloat32(load(model, 'targets')));
    const scores = toFloat32(load(model, 'scores'));
    const want = toFloat32(load(model, `relevance_${key}`));
    const r = await noLeak(() =>
      explain('lrpEpsilon', km, { data: toFloat32(x), shape: x.shape }, { epsilon: eps, biasFactor, target: targets }),
    );
    // the same model: Keraspect's scores are Arras' forward pass
    for (let b = 0; b < m.batch; b++) expect(r.scores[b]).toBeCloseTo(scores[b * m.classes + targets[b]], 5);
    const d = relativeDifference(r.attributions[0].data, want, m.batch);
    expect(d, `${model} ${key}: max relative difference`).toBeLessThanOrEqual(tolerance(sensitivity));
    if (biasFactor === 1) {
      // Exact conservation: Σ R over the input plus what reached the zero initial states (Arras'
      // third return value, which Keraspect does not report) is the explained score.
      const init = toFloat32(load(model, `initial_state_relevance_${key}`));
      const n = want.length / m.batch;
      for (let b = 0; b < m.batch; b++) {
        const row = Array.from(r.attributions[0].data).slice(b * n, (b + 1) * n);
        const total = row.reduce((a, v) => a + v, 0) + init[b];
        const scale = row.reduce((a, v) => a + Math.abs(v), 0);
        expect(Math.abs(total - r.scores[b]) / scale).toBeLessThanOrEqual(tolerance(sensitivity));
      }
    }
    km.dispose();
  });
});
