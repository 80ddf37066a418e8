import { type OptionSpecs, t } from '@keraspect/array';
import * as tf from '@tensorflow/tfjs';
import { fail } from './errors.ts';

/**
 * A function of the selected model output that gives one score per row: `(R, …) → (R,)`, e.g.
 * the sum over a forecast horizon `(y) => y.sum([1, 2])`. It must be built of TF.js ops so that
 * gradients flow through it.
 */
export type TargetFn = (output: tf.Tensor) => tf.Tensor;

/**
 * What to explain in the selected output, per sample:
 * - `'max'` (default, iNNvestigate's "max activation"): the unit with the largest value for that
 *   sample, picked once at the input and held fixed (also along IG paths and under noise);
 * - a number: that unit (flat index into one sample's output, e.g. the class, or `t·F + f` for a
 *   sequence output);
 * - an array: one unit per sample;
 * - a {@link TargetFn}.
 */
export type Target = 'max' | number | number[] | TargetFn;

/** Which scalar of the model is explained. Shared by every method and gradient function. */
export interface TargetOptions {
  /** Which model output, by index or by output layer name (multi-output models). Default 0. */
  output?: number | string;
  /** Which unit(s) of that output. Default `'max'`. */
  target?: Target;
  /**
   * Explain the logit instead of the final sigmoid/softmax: the layer that makes the selected
   * output is evaluated with a linear activation (a trailing `Activation`/`Softmax` layer is
   * skipped). Default `false`.
   */
  preActivation?: boolean;
}

/** The description of {@link TargetOptions} (its keys are the target options every method accepts). */
export const targetOptionSpecs: OptionSpecs<TargetOptions> = {
  output: {
    type: t.oneOf(t.integer({ min: 0 }), t.string),
    doc: 'which model output, by index or output layer name (multi-output models)',
    default: 0,
  },
  target: {
    type: t.oneOf(t.enum(['max']), t.integer({ min: 0 }), t.list(t.integer({ min: 0 })), t.function),
    doc: "unit of the output to explain: 'max' (each sample's argmax), an index, one index per sample, or (API only) a function of the output",
    default: 'max',
  },
  preActivation: {
    type: t.boolean,
    doc: 'explain the logit: the output layer runs without its final sigmoid/softmax',
    defaultDoc: 'false (true for methods that explain the logit, e.g. lrpEpsilon)',
  },
};

/**
 * A resolved target: a per-row scorer and, for unit targets, the unit of every sample. A `'max'`
 * target's units are picked from output values by `pick` (row by row, so a pass at x that computes
 * the output anyway can pick them); the other targets need no output values.
 */
export interface ResolvedTarget {
  score(output: tf.Tensor, rows: ArrayLike<number>): tf.Tensor;
  /** The explained unit per sample (`null` for a function target). */
  units: Int32Array | null;
  /**
   * `'max'` only: set the units of samples `rows` to the argmax of their output values `out`
   * (row r's values at `out[r·k …]`, the selected output at x).
   */
  pick?(out: ArrayLike<number>, rows: ArrayLike<number>): void;
}

/**
 * Resolve `target` for `batch` samples of the selected output, whose per-sample shape is
 * `sampleShape`. Unit targets are checked against that shape here; `'max'` leaves its units to
 * `pick`.
 */
export function resolveTarget(
  target: Target,
  batch: number,
  sampleShape: readonly number[],
  outputName: string,
): ResolvedTarget {
  const k = sampleShape.reduce((a, b) => a * b, 1);
  if (typeof target === 'function') {
    return {
      units: null,
      score(output, rows) {
        const s = target(output);
        if (s.shape.length !== 1 || s.shape[0] !== rows.length) {
          fail(
            'BAD_TARGET',
            `The target function must return one score per row, shape [${rows.length}], for an output of shape [${output.shape}]; it returned shape [${s.shape}]. Reduce every axis but the first, e.g. (y) => y.sum(${output.rank > 2 ? `[${Array.from({ length: output.rank - 1 }, (_, i) => i + 1)}]` : '1'}).`,
          );
        }
        return s;
      },
    };
  }
  const units = new Int32Array(batch);
  const check = (u: number, where: string): number => {
    if (!Number.isInteger(u) || u < 0 || u >= k)
      fail(
        'BAD_TARGET',
        `Target unit ${u}${where} is out of range: output '${outputName}' has ${k} value(s) per sample (shape [${sampleShape}]); use 0…${k - 1} or 'max'.`,
      );
    return u;
  };
  let pick: ResolvedTarget['pick'];
  if (target === 'max') {
    pick = (out, rows) => {
      for (let r = 0; r < rows.length; r++) {
        let best = 0;
        for (let j = 1; j < k; j++) if (out[r * k + j] > out[r * k + best]) best = j;
        units[rows[r]] = best;
      }
    };
  } else if (typeof target === 'number') units.fill(check(target, ''));
  else if (Array.isArray(target)) {
    if (target.length !== batch)
      fail(
        'BAD_TARGET',
        `Per-sample targets need one unit per sample: ${batch} sample(s) but ${target.length} target(s) were given.`,
      );
    target.forEach((u, b) => (units[b] = check(u, ` (sample ${b})`)));
  } else
    fail(
      'BAD_TARGET',
      `Unknown target ${JSON.stringify(target)}: use 'max', a unit index, one index per sample, or a function of the output.`,
    );
  return {
    units,
    ...(pick ? { pick } : {}),
    score(output, rows) {
      return tf.tidy(() => {
        const mask = new Float32Array(rows.length * k);
        for (let r = 0; r < rows.length; r++) mask[r * k + units[rows[r]]] = 1;
        return tf.sum(tf.mul(tf.reshape(output, [rows.length, k]), tf.tensor2d(mask, [rows.length, k])), 1);
      });
    },
  };
}
