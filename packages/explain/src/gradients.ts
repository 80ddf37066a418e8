import * as tf from '@tensorflow/tfjs';
import type { KerasModel, NdArray } from '@keraspect/importer';
import { fail } from './errors.ts';
import { checkInputs, type ModelInput, rowsTensor } from './inputs.ts';
import { range, batchGradients } from './methods/chunks.ts';
import { makeProblem, requireDifferentiable } from './problem.ts';
import { type LayerSelector, selectLayers } from './select.ts';
import type { TargetOptions } from './target.ts';

/** Options of the gradient functions. */
export interface GradientsOptions extends TargetOptions {
  /** Samples per forward/backward pass. Default 32. */
  internalBatchSize?: number;
}

/** Gradients of the target, one array per differentiated tensor, with what was explained. */
export interface Gradients {
  /** Model input names, or `layer` / `layer.i` for each output of a layer. */
  names: string[];
  gradients: NdArray[];
  /** The explained unit per sample (`null` for a function target). */
  units: Int32Array | null;
  /** The explained score per sample. */
  scores: Float32Array;
}

const ctxFor = (internalBatchSize: number) => ({
  internalBatchSize,
  seed: 0,
  progress: () => {},
  method: () => fail('BAD_OPTION', 'no method'),
});

/**
 * ∂score/∂x per sample for every model input (the target's score of each sample depends only on
 * that sample). Token-id inputs (feeding an Embedding) have gradient 0; mixed token/float inputs
 * fail — take `layerGradients` at the Embedding instead. The fixtures' `grad_input_f64.npy` is `inputGradients(km, x, { target: 0 })`.
 */
export function inputGradients(km: KerasModel, x: ModelInput, options: GradientsOptions = {}): Gradients {
  const { internalBatchSize = 32 } = options;
  const p = makeProblem(km, checkInputs(km, x), { ...options, internalBatchSize });
  if (p.dtypes.every((d) => d === 'int32')) {
    // Only token ids: the output is piecewise constant in them, so the gradient is 0 (as Keras' finite differences say).
    return {
      names: p.names,
      gradients: p.x.map((a) => ({ data: new Float32Array(a.data.length), shape: [...a.shape] })),
      units: p.units,
      scores: p.scoresAtX,
    };
  }
  requireDifferentiable(p);
  const { grads, scores } = batchGradients(p, ctxFor(internalBatchSize));
  return {
    names: p.names,
    gradients: grads.map((data, i) => ({ data, shape: [...p.x[i].shape] })),
    units: p.units,
    scores,
  };
}

/**
 * ∂score/∂(output of `layer`) per sample, for every output of the layer: the model is split at
 * the layer, inputs that bypass it are held fixed.
 */
export function layerGradients(
  km: KerasModel,
  x: ModelInput,
  layer: string,
  options: GradientsOptions = {},
): Gradients {
  const { internalBatchSize = 32 } = options;
  const p = makeProblem(km, checkInputs(km, x), { ...options, layer, internalBatchSize });
  const { grads, scores } = batchGradients(p, ctxFor(internalBatchSize));
  return {
    names: p.names,
    gradients: grads.map((data, i) => ({ data, shape: [...p.x[i].shape] })),
    units: p.units,
    scores,
  };
}

/** The gradient of Σ_batch score w.r.t. one weight. */
export interface WeightGradient {
  layer: string;
  /** TF.js weight name, e.g. `lstm_1/kernel`. */
  weight: string;
  array: NdArray;
}

/**
 * ∂(Σ_batch score)/∂w for every weight of the selected layers (default: all), summed over the
 * batch (no labels or loss involved). Non-trainable weights (e.g. BatchNormalization statistics)
 * are included.
 */
export function weightGradients(
  km: KerasModel,
  x: ModelInput,
  select: LayerSelector = 'all',
  options: GradientsOptions = {},
): WeightGradient[] {
  const { internalBatchSize = 32 } = options;
  const inputs = checkInputs(km, x);
  const p = makeProblem(km, inputs, { ...options, internalBatchSize });
  const chosen = selectLayers(km, select).flatMap((ref) =>
    km.layers[ref.index].layer.weights.map((w) => ({ layer: ref.name, w })),
  );
  if (!chosen.length)
    fail(
      'UNKNOWN_LAYER',
      `The selected layers (${selectLayers(km, select)
        .map((l) => l.name)
        .join(', ')}) have no weights.`,
    );
  const vars = chosen.map((c) => (c.w as unknown as { read(): tf.Variable }).read());
  const wasTrainable = vars.map((v) => v.trainable);
  const sums = vars.map((v) => new Float32Array(v.size));
  try {
    vars.forEach((v) => (v.trainable = true));
    for (let s = 0; s < p.batch; s += internalBatchSize) {
      const rows = range(s, Math.min(p.batch, s + internalBatchSize));
      const local = rows.map((_, i) => i);
      const g = tf.tidy(() => {
        const xs = p.x.map((v, i) => rowsTensor(v, rows, p.dtypes[i]));
        const { grads } = tf.variableGrads(
          () =>
            tf.sum(
              p.score(
                xs,
                local.map((i) => rows[i]),
              ),
            ) as tf.Scalar,
          vars,
        );
        return vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
      });
      g.forEach((t, i) => {
        const d = t.dataSync();
        for (let k = 0; k < d.length; k++) sums[i][k] += d[k];
      });
      tf.dispose(g);
    }
  } finally {
    vars.forEach((v, i) => (v.trainable = wasTrainable[i]));
  }
  return chosen.map((c, i) => ({
    layer: c.layer,
    weight: c.w.name,
    array: { data: sums[i], shape: [...vars[i].shape] },
  }));
}
