import type * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import type { ArgTemplate, CallTemplate } from '../../keras-format/graph.ts';

/** Bound arguments of one op call, by parameter name (tensors as `tf.Tensor`, constants decoded). */
export type OpArgs = Record<string, unknown>;

/**
 * One operation a functional graph can call directly: a TensorFlow function saved as a tf.keras
 * `TFOpLambda` / `SlicingOpLambda` layer, or a Keras 3 `keras.src.ops` operation.
 */
export interface OpImpl {
  /**
   * Parameter names in signature order; positional arguments bind to them first, then keyword
   * arguments by name (`'*name'` collects the remaining positional arguments, as Python's `*args`).
   * For Keras 3 operations the constructor's parameters (stored in the layer config) count too.
   */
  params: readonly string[];
  /** Defaults of parameters that may be left out (Python's defaults). */
  defaults?: OpArgs;
  /** Compute the op, inside a `tf.tidy` the caller opens. */
  run(a: OpArgs): tf.Tensor | tf.Tensor[];
  /**
   * The op's output carries no gradient (comparisons, logical ops, casts to integers, argmax,
   * stop_gradient): TensorFlow registers none, and TF.js, which lacks some of them (`Any`,
   * `NotEqual`, …), must not try to differentiate through them.
   */
  noGradient?: boolean;
}

/** A table of ops by the name the file writes (`math.multiply`, `Add`, …). */
export type OpTable = Readonly<Record<string, OpImpl>>;

/** Resolve a call template against the call's tensors. */
export function resolveTemplate(t: ArgTemplate, tensors: tf.Tensor[]): unknown {
  if ('tensor' in t) {
    const x = tensors[t.tensor];
    if (!x)
      fail('UNSUPPORTED_CONFIG', `An op call refers to input ${t.tensor}, but it got ${tensors.length} tensor(s).`);
    return x;
  }
  if ('value' in t) return t.value;
  if ('list' in t) return t.list.map((x) => resolveTemplate(x, tensors));
  return Object.fromEntries(Object.entries(t.dict).map(([k, v]) => [k, resolveTemplate(v, tensors)]));
}

/** Keyword arguments every op accepts and ignores. */
const IGNORED = new Set(['name']);

/**
 * Bind a call (positional then keyword arguments) to an op's parameters, with `config` (a Keras 3
 * operation's constructor arguments) and the op's defaults filling the rest. Fails naming an
 * argument the op does not take.
 */
export function bindArgs(
  impl: OpImpl,
  op: string,
  layer: string,
  template: CallTemplate,
  tensors: tf.Tensor[],
  config: OpArgs = {},
): OpArgs {
  const out: OpArgs = { ...impl.defaults, ...config };
  const params = impl.params;
  const variadic = params.findIndex((p) => p.startsWith('*'));
  template.args.forEach((t, i) => {
    const v = resolveTemplate(t, tensors);
    if (variadic >= 0 && i >= variadic) {
      const key = params[variadic].slice(1);
      out[key] = [...((out[key] as unknown[] | undefined) ?? []), v];
    } else if (i < params.length) out[params[i]] = v;
    else
      fail(
        'UNSUPPORTED_CONFIG',
        `Layer '${layer}' calls op '${op}' with ${template.args.length} positional arguments; it takes ${params.length} (${params.join(', ')}).`,
      );
  });
  for (const [k, t] of Object.entries(template.kwargs)) {
    if (IGNORED.has(k)) continue;
    if (!params.includes(k))
      fail(
        'UNSUPPORTED_CONFIG',
        `Layer '${layer}' calls op '${op}' with argument '${k}', which Keraspect's '${op}' does not take (it takes ${params.join(', ')}).`,
      );
    out[k] = resolveTemplate(t, tensors);
  }
  return out;
}
