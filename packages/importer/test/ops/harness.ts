import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { ArgTemplate, CallTemplate } from '../../src/keras-format/graph.ts';
import type { OpArgs, OpTable } from '../../src/layers/ops/op.ts';
import { KerasOpLayer } from '../../src/layers/ops/op-layer.ts';

/** A tensor argument of a test call. */
export interface TensorArg {
  tensor: { data: number[] | boolean[]; shape: number[]; dtype?: tf.DataType };
}

export const t = (data: number[] | boolean[], shape = [data.length], dtype?: tf.DataType): TensorArg => ({
  tensor: { data, shape, dtype },
});

const isTensorArg = (v: unknown): v is TensorArg =>
  !!v && typeof v === 'object' && 'tensor' in v && !Array.isArray((v as TensorArg).tensor);

/** A plain result: values and shape (bools as 0/1). */
export interface Result {
  data: number[];
  shape: number[];
  dtype: tf.DataType;
}

/**
 * Run op `name` of `table` the way an op layer does: tensors as the layer inputs (slots in call
 * order), everything else through the call template; `config` plays a Keras 3 op's constructor args.
 */
export function runOp(
  table: OpTable,
  name: string,
  args: unknown[],
  kwargs: Record<string, unknown> = {},
  config: OpArgs = {},
): Result[] {
  const tensors: tf.Tensor[] = [];
  const template = (v: unknown): ArgTemplate => {
    if (isTensorArg(v)) {
      const { data, shape, dtype } = v.tensor;
      tensors.push(tf.tensor(data as number[], shape, dtype ?? (typeof data[0] === 'boolean' ? 'bool' : 'float32')));
      return { tensor: tensors.length - 1 };
    }
    if (Array.isArray(v) && v.some((x) => isTensorArg(x) || Array.isArray(x))) return { list: v.map(template) };
    return { value: v };
  };
  const call: CallTemplate = {
    args: args.map(template),
    kwargs: Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k, template(v)])),
  };
  if (!Object.hasOwn(table, name)) throw new Error(`no op ${name}`);
  const layer = new KerasOpLayer({ name: 'op', op: name, impl: table[name], config });
  layer.bindCall(0, call);
  const before = tf.memory().numTensors;
  const out = layer.call(tensors, {});
  const list = Array.isArray(out) ? out : [out];
  const res = list.map((y) => ({ data: Array.from(y.dataSync(), Number), shape: y.shape, dtype: y.dtype }));
  tf.dispose(list);
  expect(tf.memory().numTensors, `${name} leaked tensors`).toBe(before);
  tf.dispose(tensors);
  return res;
}

/** Element-wise closeness (|Δ| ≤ 1e-5 + 1e-5·|expected|), NaN equal to NaN. */
export function expectValues(got: Result, data: number[], shape?: number[], what = ''): void {
  if (shape) expect(got.shape, `${what} shape`).toEqual(shape);
  expect(got.data.length, `${what} size`).toBe(data.length);
  got.data.forEach((v, i) => {
    const w = data[i];
    if (Number.isNaN(w)) expect(Number.isNaN(v), `${what}[${i}] NaN`).toBe(true);
    else if (!Number.isFinite(w)) expect(v, `${what}[${i}]`).toBe(w);
    else expect(Math.abs(v - w), `${what}[${i}]: got ${v}, want ${w}`).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(w));
  });
}

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
export function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const k = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * k - 1.453152027) * k + 1.421413741) * k - 0.284496736) * k + 0.254829592) * k * Math.exp(-a * a);
  return s * y;
}
