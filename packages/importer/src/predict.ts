import { firstNonFinite, formatIndex, type NdArray } from '@keraspect/array';
import * as tf from '@tensorflow/tfjs';
import { fail, internalError, ImporterError } from './errors.ts';
import { callsOf, lastCallOf, runGraph } from './graph.ts';
import { isAttentionSource } from './layers/capabilities.ts';
import { DEFAULT_LIMITS, formatBytes, type Limits, resolveLimits } from './limits.ts';
import { builtOf, flattenLayers, type KerasModel } from './model.ts';

/** A plain n-dimensional array: row-major (C order) data with its shape (`@keraspect/array`'s type). */
export type { NdArray };

/** Options of `predict` and `toInputTensors`. */
export interface PredictOptions {
  /**
   * What to do with NaN or ±Infinity in float inputs: `'error'` fails naming the input and the
   * first bad index; `'propagate'` passes them to the model (outputs will usually be NaN).
   * Default `'error'`.
   */
  nonFinite?: 'error' | 'propagate';
  /** Limits for this call (`maxAttentionElements`); default: the ones the model was loaded with. */
  limits?: Partial<Limits>;
}

/**
 * Check inputs against the model's input shapes and make tensors of them (caller disposes).
 * Fails with `INPUT_SHAPE` naming the input, the expected shape and the shape given: wrong count,
 * rank or dimension, an empty batch, data of the wrong type or length, NaN/Inf (unless
 * `nonFinite: 'propagate'`); with `LIMIT` when an attention layer would need more than
 * `maxAttentionElements` (see `checkAttentionMemory`).
 */
export function toInputTensors(km: KerasModel, inputs: NdArray | NdArray[], options: PredictOptions = {}): tf.Tensor[] {
  const { nonFinite = 'error' } = options;
  if (nonFinite !== 'error' && nonFinite !== 'propagate')
    fail('BAD_ARGUMENT', `nonFinite must be 'error' or 'propagate', got ${JSON.stringify(nonFinite)}.`);
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (list.length !== km.inputShapes.length) {
    fail(
      'INPUT_SHAPE',
      `Model '${km.name}' takes ${km.inputShapes.length} input(s) (${km.inputNames.join(', ')}) but ${list.length} were given.`,
    );
  }
  list.forEach((x, i) => checkInput(km, x, i, nonFinite));
  checkAttentionMemory(
    km,
    list.map((x) => x.shape),
    options.limits,
  );
  return list.map((x, i) => {
    const dtype = km.model.inputs[i].dtype === 'int32' ? 'int32' : 'float32';
    return tf.tensor(x.data, x.shape, dtype);
  });
}

function checkInput(km: KerasModel, x: NdArray, i: number, nonFinite: 'error' | 'propagate'): void {
  const name = `Input '${km.inputNames[i]}' of model '${km.name}'`;
  const want = km.inputShapes[i];
  if (!x || typeof x !== 'object' || !Array.isArray(x.shape)) {
    fail('INPUT_SHAPE', `${name} must be { data, shape } with shape a list of dimensions, got ${describe(x)}.`);
  }
  if (!(x.data instanceof Float32Array || x.data instanceof Int32Array)) {
    fail(
      'INPUT_SHAPE',
      `${name} data must be a Float32Array or Int32Array, got ${describe(x.data)}. Convert it first, e.g. Float32Array.from(values).`,
    );
  }
  if (!x.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    fail('INPUT_SHAPE', `${name} has shape ${fmt(x.shape)}; dimensions must be non-negative integers.`);
  }
  if (x.shape.length !== want.length) {
    fail(
      'INPUT_SHAPE',
      `${name} must have rank ${want.length}, shape ${fmt(want)} (batch first), but the data has rank ${x.shape.length}, shape ${fmt(x.shape)}. Reshape the input to match.`,
    );
  }
  if (x.shape[0] === 0) {
    fail('INPUT_SHAPE', `${name} is an empty batch (shape ${fmt(x.shape)}): give at least one sample.`);
  }
  const ok = want.every((d, j) => d === null || d === x.shape[j]);
  const size = x.shape.reduce((a, b) => a * b, 1);
  if (!ok || size !== x.data.length) {
    fail(
      'INPUT_SHAPE',
      `${name} must have shape ${fmt(want)} (batch first), but the data has shape ${fmt(x.shape)}${size !== x.data.length ? ` and ${x.data.length} values` : ''}. Reshape the input to match.`,
    );
  }
  if (km.model.inputs[i].dtype === 'int32' && x.data instanceof Float32Array) {
    const k = x.data.findIndex((v) => !Number.isInteger(v));
    if (k >= 0)
      fail(
        'INPUT_SHAPE',
        `${name} takes integers (int32, e.g. token ids) but has ${x.data[k]} at ${formatIndex(x.shape, k)}. Give an Int32Array of ids.`,
      );
  }
  for (const table of embeddingsFedBy(km, i)) {
    // Keras casts ids to int32 (truncating) and looks them up; an id outside the table is an error
    // on the CPU there and would be one inside TF.js' gather here.
    for (let k = 0; k < x.data.length; k++) {
      const id = Math.trunc(x.data[k]);
      if (!(id >= 0 && id < table.inputDim)) {
        fail(
          'INPUT_SHAPE',
          `${name} has id ${x.data[k]} at ${formatIndex(x.shape, k)}, but it feeds ${table.className} '${table.layer}', whose table has input_dim ${table.inputDim} rows: ids must be in [0, ${table.inputDim}). Map unknown tokens to an id the model knows.`,
        );
      }
    }
  }
  const k = nonFinite === 'error' && x.data instanceof Float32Array ? firstNonFinite(x.data) : -1;
  if (k >= 0)
    fail(
      'INPUT_SHAPE',
      `${name} contains ${x.data[k]} at ${formatIndex(x.shape, k)}; Keraspect needs finite inputs. Clean or impute the data first (or, calling predict from code, pass { nonFinite: 'propagate' } to run it anyway).`,
    );
}

/** The Embedding (and EmbeddingRet) layers that model input `i` feeds directly, with their table sizes. */
function embeddingsFedBy(km: KerasModel, i: number): { layer: string; className: string; inputDim: number }[] {
  const input = km.model.inputs[i];
  const out: { layer: string; className: string; inputDim: number }[] = [];
  for (const l of km.model.layers) {
    if (l.getClassName() !== 'Embedding' && l.getClassName() !== 'EmbeddingRet') continue;
    const inputDim = (l.getConfig() as { inputDim?: unknown }).inputDim;
    if (typeof inputDim === 'number' && callsOf(l).some((c) => c.inputs.includes(input)))
      out.push({ layer: l.name, className: l.getClassName(), inputDim });
  }
  return out;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (Array.isArray(v)) return 'a plain array';
  return typeof v;
}

/** Keras config keys that give an attention layer's head count. */
const HEAD_KEYS = ['num_heads', 'head_num'];

/**
 * Check that the attention weights the model computes for inputs of these shapes fit
 * `limits.maxAttentionElements` (default: the model's limits): for every attention layer,
 * batch × heads × query length × key length — T² per head, which grows fast for long sequences.
 * Unknown sequence lengths are taken from the inputs. Call it before predict/explain runs; fails
 * with `LIMIT` saying to split the batch (explain's `internalBatchSize`).
 */
export function checkAttentionMemory(km: KerasModel, inputShapes: number[][], limits?: Partial<Limits>): void {
  let lim = km.limits ?? DEFAULT_LIMITS;
  if (limits) {
    resolveLimits(limits); // validates the values
    lim = { ...lim, ...onlyGiven(limits) };
  }
  const batch = Math.max(1, ...inputShapes.map((s) => s[0] ?? 1));
  const longest = Math.max(1, ...inputShapes.map((s) => s[1] ?? 1));
  const configs = new Map(builtOf(km).layers.map((b) => [b.name, b.graphLayer.config as Record<string, unknown>]));
  for (const info of flattenLayers(km.layers)) {
    if (!isAttentionSource(info.layer)) continue;
    const name = info.name;
    const ins = lastCallOf(info.layer)?.inputs ?? [];
    if (!ins.length) continue;
    const len = (t: tf.SymbolicTensor) => (t.shape.length >= 3 ? (t.shape[1] ?? longest) : 1);
    const tq = len(ins[0]);
    const tk = len(ins[ins.length > 1 ? 1 : 0]);
    const config = configs.get(name) ?? {};
    const heads = HEAD_KEYS.map((k) => config[k]).find((v): v is number => typeof v === 'number' && v > 0) ?? 1;
    const elements = batch * heads * tq * tk;
    if (elements > lim.maxAttentionElements) {
      fail(
        'LIMIT',
        `Attention layer '${name}' would compute ${elements.toLocaleString('en-US')} attention weights (batch ${batch} × ${heads} head(s) × ${tq} queries × ${tk} keys, about ${formatBytes(elements * 4)} as float32), over the limit limits.maxAttentionElements = ${lim.maxAttentionElements.toLocaleString('en-US')}. ` +
          `Run fewer samples at a time (explain methods: the internalBatchSize option; predict: split the batch) or shorter sequences; or raise the limit: loadModel(bytes, { limits: { maxAttentionElements: ${Math.ceil(elements * 1.1)} } }) or predict(km, x, { limits: { … } }).`,
      );
    }
  }
}

function onlyGiven(limits: Partial<Limits>): Partial<Limits> {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
}

function fmt(shape: (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'None' : d)).join(', ')}]`;
}

/**
 * Run a forward pass; an error from inside TF.js becomes an `ImporterError`: `LIMIT` when TF.js ran
 * out of memory, else `INTERNAL` (the model was built, so a failure to run it is Keraspect's).
 */
function guardRun<T>(km: KerasModel, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ImporterError) throw e;
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    if (/out of memory|memory access out of bounds|Cannot allocate|Array buffer allocation failed/i.test(msg))
      return fail(
        'LIMIT',
        `Running model '${km.name}' ran out of memory (${msg.slice(0, 200)}). Run fewer samples at a time or shorter sequences.`,
        e,
      );
    throw internalError(`running model '${km.name}'`, e);
  }
}

/** Run the model on plain arrays and return every output as a plain array (the graph evaluator `runGraph` runs it). */
export function predict(km: KerasModel, inputs: NdArray | NdArray[], options: PredictOptions = {}): NdArray[] {
  const xs = toInputTensors(km, inputs, options);
  try {
    const out = guardRun(km, () =>
      tf.tidy(() =>
        runGraph(km.model.outputs, new Map(km.model.inputs.map((s, i) => [s, xs[i]])), { release: true }).map((t) =>
          t.clone(),
        ),
      ),
    );
    const res = out.map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape }));
    tf.dispose(out);
    return res;
  } finally {
    tf.dispose(xs);
  }
}
