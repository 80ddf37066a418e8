/**
 * Makes the bundled example: a small attention-LSTM written as a Keras 2.3.1 config, built by the
 * importer, trained for a few seconds in TF.js on a synthetic series, and saved with our own Keras
 * `.h5` writer. Usage: `pnpm tsx scripts/make-example.ts [outDir]` (default `examples/`).
 *
 * The task: each series has 3 channels over 64 steps — noise, a slow sine, and one spike at a random
 * step. The target is channel 0 at the spike's step plus the spike's height, so the model has to
 * find the spike: the attention should look there, and attributions should light it up.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { modelFromConfig, toKerasH5, writeNpy } from '@keraspect/importer';
import { attentionLstmConfig, mulberry32 } from './lib/attention-lstm.ts';

const T = 48;
const F = 3;
const outDir = process.argv[2] ?? 'examples';

function series(n: number, seed: number) {
  const r = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const x = new Float32Array(n * T * F);
  const y = new Float32Array(n);
  for (let b = 0; b < n; b++) {
    const spike = 8 + Math.floor(r() * (T - 16));
    const height = 1 + 2 * r();
    const phase = r() * 2 * Math.PI;
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * F;
      x[o] = 0.5 * gauss();
      x[o + 1] = Math.sin(phase + t / 6);
      x[o + 2] = t === spike ? height : 0.05 * gauss();
    }
    y[b] = x[(b * T + spike) * F] + height;
  }
  return { x, y };
}

const modelConfig = attentionLstmConfig({
  name: 'attention_lstm_example',
  steps: T,
  features: F,
  rnn: {
    className: 'LSTM',
    name: 'lstm',
    config: { units: 16, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true },
  },
  attentionUnits: 16,
  outputName: 'forecast',
});

const km = await modelFromConfig(modelConfig, { kerasVersion: '2.3.1' });
// Layers are built for inference; switch training on and start from small random weights.
const r = mulberry32(7);
for (const v of km.model.weights) {
  const shape = v.shape as number[];
  const fanIn = shape.length > 1 ? shape[0] : 1;
  const vals = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () =>
    shape.length > 1 ? (r() * 2 - 1) * Math.sqrt(3 / fanIn) : 0,
  );
  v.write(tf.tensor(vals, shape));
}
for (const l of km.model.layers) l.trainable = true;
km.model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
const train = series(384, 1);
const xs = tf.tensor3d(train.x, [384, T, F]);
const ys = tf.tensor2d(train.y, [384, 1]);
const started = Date.now();
let epoch = 0;
let loss = Number.NaN;
while (Date.now() - started < Number(process.env.EXAMPLE_TRAIN_MS ?? 90000) && epoch < 200) {
  const h = await km.model.fit(xs, ys, { epochs: 1, batchSize: 64, verbose: 0, shuffle: true });
  loss = h.history.loss[0] as number;
  epoch++;
}
console.log(
  `trained ${epoch} epochs in ${((Date.now() - started) / 1000).toFixed(1)} s, loss ${loss.toFixed(4)} (target variance ${variance(train.y).toFixed(3)})`,
);

const demo = series(4, 99);
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}/attention-lstm.h5`, await toKerasH5(km));
writeFileSync(`${outDir}/series.npy`, writeNpy({ data: demo.x, shape: [4, T, F] }));
writeFileSync(`${outDir}/series-target.npy`, writeNpy({ data: demo.y, shape: [4, 1] }));
console.log(`wrote ${outDir}/attention-lstm.h5, ${outDir}/series.npy, ${outDir}/series-target.npy`);

function variance(a: Float32Array): number {
  const m = a.reduce((s, v) => s + v, 0) / a.length;
  return a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length;
}
