import * as tf from '@tensorflow/tfjs';
import {
  composeOverrides,
  isActivated,
  type KerasModel,
  lastCallOf,
  type LayerOverride,
  type NdArray,
  runGraph,
} from '@keraspect/importer';
import { fail } from './errors.ts';
import { ensureGradientKernels } from './kernels.ts';
import { inBatches, inputFeeds, perSample, rowsTensor } from './inputs.ts';
import { oneLayer } from './select.ts';
import { type ResolvedTarget, resolveTarget, type TargetOptions } from './target.ts';

/**
 * What an attribution method works on: values `x` (model inputs, or a layer's activations) and a
 * differentiable score of them. Methods only ever see this, which is what lets SmoothGrad wrap any
 * method and "attribute to a layer" reuse every method unchanged.
 */
export interface Problem {
  /** Names of the attributed tensors (model input names, or `layer` / `layer.i`). */
  names: string[];
  /** The attributed values, batch first. */
  x: NdArray[];
  /** `'int32'` for token-id inputs (not differentiable). */
  dtypes: ('float32' | 'int32')[];
  batch: number;
  /**
   * Per-row scores (R,) for values `xs` (each (R, …)); `rows[r]` is the sample row r derives from
   * (it picks the target unit and, for layer problems, the model inputs that bypass the layer).
   */
  score(xs: tf.Tensor[], rows: ArrayLike<number>): tf.Tensor;
  /** The explained unit per sample (`null` for function targets). */
  units: Int32Array | null;
  /** The score at `x`, per sample. */
  scoresAtX: Float32Array;
}

/** How the model is evaluated: plain, or with layer overrides (pre-activation, LRP). */
export interface ProblemOptions extends TargetOptions {
  /** Attribute to this layer's output(s) instead of the model inputs (split the model there). */
  layer?: string;
  /** Samples per forward pass when evaluating at `x`. Default 32. */
  internalBatchSize?: number;
  /** Layer overrides applied over `preActivation` (used by LRP; their `next` sees the linear output layer). */
  override?: LayerOverride;
}

/** Build the problem "explain the target of `km` at inputs `x`" (or at a layer's activations). */
export function makeProblem(km: KerasModel, inputs: NdArray[], options: ProblemOptions): Problem {
  ensureGradientKernels();
  const { output = 0, target = 'max', preActivation = false, internalBatchSize = 32 } = options;
  const outIndex = typeof output === 'number' ? output : km.outputNames.indexOf(output);
  if (!Number.isInteger(outIndex) || outIndex < 0 || outIndex >= km.model.outputs.length) {
    fail(
      'BAD_TARGET',
      `Model '${km.name}' has ${km.model.outputs.length} output(s) (${km.outputNames.map((n, i) => `${i}: ${n}`).join(', ')}); output ${JSON.stringify(output)} does not exist.`,
    );
  }
  const outSym = km.model.outputs[outIndex];
  const override = composeOverrides(options.override, preActivation ? preActivationOverride(km, outSym) : undefined);
  const tokens = tokenInputs(km);
  const dtypeOf = (i: number) => (km.model.inputs[i].dtype === 'int32' || tokens[i] ? 'int32' : 'float32');
  const batch = inputs[0].shape[0];
  if (!(internalBatchSize >= 1)) fail('BAD_OPTION', `internalBatchSize must be ≥ 1; got ${internalBatchSize}.`);
  const inputRows = (rows: ArrayLike<number>) => inputs.map((a, i) => rowsTensor(a, rows, dtypeOf(i)));

  // Split point: the layer's output tensors become the attributed values.
  const splitRef = options.layer !== undefined ? oneLayer(km, options.layer) : null;
  const split = splitRef ? splitOutputs(km, splitRef.index, splitRef.name) : null;
  const splitName = splitRef?.name ?? '';
  const forward = (xs: tf.Tensor[], rows: ArrayLike<number>, fetch: tf.SymbolicTensor[]): tf.Tensor[] => {
    if (!split) return runGraph(fetch, inputFeeds(km, xs), { override });
    const feeds = inputFeeds(km, inputRows(rows));
    split.forEach((s, i) => feeds.set(s, xs[i]));
    return runGraph(fetch, feeds, { override });
  };

  const outName = km.outputNames[outIndex];
  const names = split ? split.map((_, i) => (split.length === 1 ? splitName : `${splitName}.${i}`)) : km.inputNames;
  // The selected output at x, in batches (with the split layer's activations).
  const evaluateAtX = () =>
    inBatches(batch, internalBatchSize, (rows) =>
      runGraph([outSym, ...(split ?? [])], inputFeeds(km, inputRows(rows)), { override }).map((t) => t.clone()),
    );
  const sampleShape = outSym.shape.slice(1);
  if (split || batch === 0 || !sampleShape.every((d) => typeof d === 'number')) {
    // Evaluate once at x: the output (for the target) and, for a split, the layer's activations.
    const [outAtX, ...acts] = evaluateAtX();
    const resolved = resolveTarget(target, batch, outAtX.shape.slice(1), outName);
    resolved.pick?.(outAtX.data, allRows(batch));
    return {
      names,
      x: split ? acts : inputs,
      dtypes: split ? split.map(() => 'float32' as const) : inputs.map((_, i) => dtypeOf(i)),
      batch,
      units: resolved.units,
      // The same graph and override as `score` at x: the scores are read off the output already
      // computed instead of a second forward pass.
      scoresAtX: outputScores(resolved, outAtX, internalBatchSize),
      score: (xs, rows) => tf.tidy(() => resolved.score(forward(xs, rows, [outSym])[0], rows)),
    };
  }

  // The target needs no values at x to be checked (its units are checked against the output's
  // shape), so nothing is evaluated yet: what it needs at x (the units of 'max', the scores at x)
  // is read off the first pass at x, usually the gradient pass of a gradient method
  // (`gradRows` with the problem's own x), instead of a forward pass of its own. Reading `units`
  // or `scoresAtX` before every sample has been through such a pass evaluates the model at x then.
  const resolved = resolveTarget(target, batch, sampleShape as number[], outName);
  const scoresAtX = new Float32Array(batch);
  const seen = new Uint8Array(batch);
  let unseen = batch;
  const see = (rows: ArrayLike<number>) => {
    for (let r = 0; r < rows.length; r++) {
      if (!seen[rows[r]]) unseen--;
      seen[rows[r]] = 1;
    }
  };
  const atX = () => {
    if (!unseen) return;
    const [outAtX] = evaluateAtX();
    resolved.pick?.(outAtX.data, allRows(batch));
    scoresAtX.set(outputScores(resolved, outAtX, internalBatchSize));
    seen.fill(1);
    unseen = 0;
  };
  const problem: Problem = {
    names,
    x: inputs,
    dtypes: inputs.map((_, i) => dtypeOf(i)),
    batch,
    get units() {
      if (resolved.pick) atX();
      return resolved.units;
    },
    get scoresAtX() {
      atX();
      return scoresAtX;
    },
    score: (xs, rows) => {
      if (resolved.pick && unseen && Array.prototype.some.call(rows, (r: number) => !seen[r])) atX();
      return tf.tidy(() => resolved.score(forward(xs, rows, [outSym])[0], rows));
    },
  };
  ownPasses.set(problem, (xs, rows) =>
    tf.tidy(() => {
      const out = forward(xs, rows, [outSym])[0];
      resolved.pick?.(out.dataSync(), rows);
      const s = resolved.score(out, rows);
      const vals = s.dataSync();
      for (let r = 0; r < rows.length; r++) scoresAtX[rows[r]] = vals[r];
      see(rows);
      return s;
    }),
  );
  return problem;
}

/**
 * For the problems `makeProblem` evaluates lazily: the score of rows of the problem's own `x`
 * that also records, from that very pass, what the target needs at x (the units of `'max'`, the
 * scores at x). Problems derived from one (other `x`, stacked copies) are other objects, so they
 * never record into it.
 */
const ownPasses = new WeakMap<Problem, (xs: tf.Tensor[], rows: ArrayLike<number>) => tf.Tensor>();

const allRows = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The target's score of every row of `out` (the selected output at x), in batches. */
function outputScores(resolved: ResolvedTarget, out: NdArray, batchSize: number): Float32Array {
  const batch = out.shape[0];
  const per = out.data.length / batch;
  const scores = new Float32Array(batch);
  for (let s = 0; s < batch; s += batchSize) {
    const e = Math.min(batch, s + batchSize);
    const rows = Array.from({ length: e - s }, (_, i) => s + i);
    const t = tf.tidy(() =>
      resolved.score(tf.tensor(out.data.subarray(s * per, e * per), [e - s, ...out.shape.slice(1)]), rows),
    );
    scores.set(t.dataSync() as Float32Array, s);
    t.dispose();
  }
  return scores;
}

/** The symbolic outputs of the split layer's last call, or a clear error for a layer the graph never calls. */
function splitOutputs(km: KerasModel, index: number, name: string): tf.SymbolicTensor[] {
  const outs = lastCallOf(km.layers[index].layer)?.outputs;
  if (!outs?.length)
    fail('UNKNOWN_LAYER', `Layer '${name}' of model '${km.name}' is never called in its graph, so it has no output.`);
  return [...outs];
}

/**
 * Which model inputs are token ids: int32 inputs, and float inputs read only by Embedding layers
 * (Keras casts them to int). Their gradient is zero almost everywhere.
 */
export function tokenInputs(km: KerasModel): boolean[] {
  return km.model.inputs.map((inp, i) => {
    if (inp.dtype === 'int32') return true;
    const name = km.inputNames[i];
    const readers = km.layers.filter(
      (l) => l.className !== 'InputLayer' && l.inbound.some((call) => call.some((r) => r.layer === name)),
    );
    return readers.length > 0 && readers.every((l) => l.className === 'Embedding');
  });
}

/** Scores of `p` at values `vals` (all rows given by `rows`), in batches. */
export function scoreRows(p: Problem, vals: NdArray[], rows: number[], batchSize: number): Float32Array {
  const out = new Float32Array(rows.length);
  for (let s = 0; s < rows.length; s += batchSize) {
    const r = rows.slice(s, s + batchSize);
    const local = r.map((_, i) => s + i);
    const t = tf.tidy(() =>
      p.score(
        vals.map((v, i) => rowsTensor(v, local, p.dtypes[i])),
        r,
      ),
    );
    out.set(t.dataSync() as Float32Array, s);
    t.dispose();
  }
  return out;
}

/**
 * Gradients of Σ score w.r.t. `xs` (each (R, …)) and the per-row scores. Disposes everything it
 * makes; `xs` stay owned by the caller. `source`: the arrays `xs` hold rows `rows` of; when they
 * are the problem's own `x`, the pass also gives the problem what its target needs at x (see
 * `makeProblem`), so no forward pass at x of its own is needed.
 */
export function gradRows(
  p: Problem,
  xs: tf.Tensor[],
  rows: ArrayLike<number>,
  source?: readonly NdArray[],
): { scores: Float32Array; grads: Float32Array[] } {
  requireDifferentiable(p);
  const own =
    source && source.length === p.x.length && source.every((v, i) => v === p.x[i]) ? ownPasses.get(p) : undefined;
  const score = own ?? p.score;
  let kept: tf.Tensor | null = null;
  const grads = tf.tidy(() => {
    const f = (...ts: tf.Tensor[]) => {
      const s = score(ts, rows);
      kept = tf.keep(s.clone());
      return tf.sum(s) as tf.Scalar;
    };
    return gradsOf(f, xs);
  });
  const scores = (kept as unknown as tf.Tensor).dataSync() as Float32Array;
  (kept as unknown as tf.Tensor).dispose();
  const out = grads.map((g) => g.dataSync() as Float32Array);
  tf.dispose(grads);
  return { scores, grads: out };
}

/**
 * `tf.grads(f)(xs)`, leaving no tensors behind when it throws: TF.js keeps the tensors its tape
 * saved for the backward pass until that pass ends, so an error thrown while recording (a layer a
 * method has no rule for, a target function of the wrong shape) would leave them all allocated.
 */
function gradsOf(f: (...ts: tf.Tensor[]) => tf.Scalar, xs: tf.Tensor[]): tf.Tensor[] {
  try {
    return tf.grads(f)(xs);
  } catch (e) {
    const { state } = tf.engine() as unknown as {
      state: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null };
    };
    if (state.gradientDepth === 0 && state.activeTape) {
      for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
      state.activeTape = null;
    }
    throw e;
  }
}

/** Fail clearly when a gradient method meets token-id (int) inputs. */
export function requireDifferentiable(p: Problem): void {
  const i = p.dtypes.indexOf('int32');
  if (i >= 0) {
    fail(
      'NOT_DIFFERENTIABLE',
      `Input '${p.names[i]}' holds token ids (it feeds an Embedding), whose gradient is zero almost everywhere. Attribute to the embedding instead (option layer: the Embedding layer's name), or use 'occlusion'.`,
    );
  }
}

/** Values per sample of each attributed tensor. */
export function sizes(p: Problem): number[] {
  return p.x.map((a) => perSample(a.shape));
}

/** Evaluate the layer that makes `outSym` without its final nonlinearity. */
function preActivationOverride(km: KerasModel, outSym: tf.SymbolicTensor): LayerOverride {
  const target = outSym.sourceLayer;
  const keras = km.layers.find((l) => l.layer === target);
  return (layer, ins, kwargs) => {
    if (layer !== target) return undefined;
    const out = linearCall(layer, ins, kwargs);
    if (!out) {
      fail(
        'BAD_OPTION',
        `preActivation: the output layer '${layer.name}' (${keras?.className ?? layer.getClassName()}) has no activation to remove. It works when the output comes from Dense, Conv1D, SeparableConv1D, TimeDistributed of one of these, or an activation layer (Activation, Softmax, ReLU, LeakyReLU, ELU, ThresholdedReLU).`,
      );
    }
    return out;
  };
}

/**
 * The layer's call without its final activation (the importer's `Activated` capability), or
 * `undefined` when it has none. Exported for LRP, which needs a layer's pre-activation `z` beside
 * its output.
 */
export function linearCall(
  layer: tf.layers.Layer,
  ins: tf.Tensor[],
  kwargs: Record<string, unknown>,
): tf.Tensor[] | undefined {
  if (!isActivated(layer)) return undefined;
  const z = layer.callWithoutActivation(ins.length === 1 ? ins[0] : ins, kwargs);
  return z ? [z] : undefined;
}
