import { describe, expect, it } from 'vitest';
import { tfOps } from '../../src/layers/ops/tf-ops.ts';
import { erf, expectValues, runOp, t } from './harness.ts';

// Every TensorFlow function of the tf.keras op-layer table on values whose result is known in
// closed form, with TensorFlow's semantics (argument names, defaults, dtypes, index rules).

const run = (name: string, args: unknown[], kwargs: Record<string, unknown> = {}) => runOp(tfOps, name, args, kwargs);
const one = (name: string, args: unknown[], kwargs: Record<string, unknown> = {}) => run(name, args, kwargs)[0];

const X = [-1.7, -0.4, 0, 0.6, 2.3];
const P = [0.2, 0.9, 1.5, 3];
const U = [-0.8, -0.1, 0.3, 0.9];
const G = [1, 1.5, 3];
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const SELU = [1.6732632423543772, 1.0507009873554805];

const unary: Record<string, [number[], (v: number) => number]> = {
  'math.negative': [X, (v) => -v],
  'math.abs': [X, Math.abs],
  'math.sign': [X, Math.sign],
  'math.square': [X, (v) => v * v],
  'math.sqrt': [P, Math.sqrt],
  'math.rsqrt': [P, (v) => 1 / Math.sqrt(v)],
  'math.reciprocal': [P, (v) => 1 / v],
  'math.exp': [X, Math.exp],
  'math.expm1': [X, Math.expm1],
  'math.log': [P, Math.log],
  'math.log1p': [P, Math.log1p],
  'math.floor': [X, Math.floor],
  'math.ceil': [X, Math.ceil],
  'math.sin': [X, Math.sin],
  'math.cos': [X, Math.cos],
  'math.tan': [U, Math.tan],
  'math.asin': [U, Math.asin],
  'math.acos': [U, Math.acos],
  'math.atan': [X, Math.atan],
  'math.sinh': [X, Math.sinh],
  'math.cosh': [X, Math.cosh],
  'math.asinh': [X, Math.asinh],
  'math.acosh': [G, Math.acosh],
  'math.atanh': [U, Math.atanh],
  'math.erf': [X, erf],
  'math.sigmoid': [X, sigmoid],
  'nn.sigmoid': [X, sigmoid],
  'math.tanh': [X, Math.tanh],
  'nn.tanh': [X, Math.tanh],
  'nn.relu': [X, (v) => Math.max(0, v)],
  'nn.relu6': [[...X, 7.5], (v) => Math.min(6, Math.max(0, v))],
  'nn.elu': [X, (v) => (v > 0 ? v : Math.expm1(v))],
  'nn.selu': [X, (v) => SELU[1] * (v > 0 ? v : SELU[0] * Math.expm1(v))],
  'math.softplus': [X, (v) => Math.log1p(Math.exp(v))],
  'nn.softplus': [X, (v) => Math.log1p(Math.exp(v))],
  'math.softsign': [X, (v) => v / (1 + Math.abs(v))],
  'nn.softsign': [X, (v) => v / (1 + Math.abs(v))],
  'math.log_sigmoid': [X, (v) => Math.log(sigmoid(v))],
  identity: [X, (v) => v],
  stop_gradient: [X, (v) => v],
};

const A = [1.5, -2, 3, 0.5];
const B = [2, 3, -1.5, 0.25];
const pyFloorMod = (a: number, b: number) => a - b * Math.floor(a / b);
const binary: Record<string, [(a: number, b: number) => number, number[]?, number[]?]> = {
  '__operators__.add': [(a, b) => a + b],
  'math.add': [(a, b) => a + b],
  'math.subtract': [(a, b) => a - b],
  'math.multiply': [(a, b) => a * b],
  'math.truediv': [(a, b) => a / b],
  'math.divide': [(a, b) => a / b],
  'math.floordiv': [(a, b) => Math.floor(a / b)],
  'math.floormod': [pyFloorMod],
  'math.pow': [(a, b) => a ** b, [1.5, 2, 3, 0.5]],
  'math.maximum': [Math.max],
  'math.minimum': [Math.min],
  'math.squared_difference': [(a, b) => (a - b) ** 2],
  'math.atan2': [(y, x) => Math.atan2(y, x)],
};

const cmp: Record<string, (a: number, b: number) => boolean> = {
  'math.equal': (a, b) => a === b,
  'math.not_equal': (a, b) => a !== b,
  'math.greater': (a, b) => a > b,
  'math.greater_equal': (a, b) => a >= b,
  'math.less': (a, b) => a < b,
  'math.less_equal': (a, b) => a <= b,
  '__operators__.eq': (a, b) => a === b,
  '__operators__.ne': (a, b) => a !== b,
};

const M = t([1, 2, 3, 4, 5, 6], [2, 3]); // [[1, 2, 3], [4, 5, 6]]
const rowsOf = (f: (r: number[]) => number) => [f([1, 2, 3]), f([4, 5, 6])];
const colsOf = (f: (c: number[]) => number) => [f([1, 4]), f([2, 5]), f([3, 6])];
const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
const mean = (v: number[]) => sum(v) / v.length;
const variance = (v: number[]) => mean(v.map((x) => (x - mean(v)) ** 2));

/** Closed-form cases for the rest of the table, by op. */
const special: Record<string, () => void> = {
  'math.add_n': () => expectValues(one('math.add_n', [[t([1, 2]), t([10, 20]), t([100, 200])]]), [111, 222], [2]),
  'math.divide_no_nan': () => expectValues(one('math.divide_no_nan', [t([1, 2, 3])], { y: t([0, 4, 0]) }), [0, 0.5, 0]),
  'math.is_nan': () => expectValues(one('math.is_nan', [t([1, Number.NaN, Number.POSITIVE_INFINITY])]), [0, 1, 0]),
  'math.is_inf': () => expectValues(one('math.is_inf', [t([1, Number.NaN, Number.NEGATIVE_INFINITY])]), [0, 0, 1]),
  'math.is_finite': () =>
    expectValues(one('math.is_finite', [t([1, Number.NaN, Number.POSITIVE_INFINITY])]), [1, 0, 0]),
  'math.round': () => expectValues(one('math.round', [t([0.5, 1.5, 2.5, -0.5, -1.7, 2.2])]), [0, 2, 2, -0, -2, 2]),
  'math.cumsum': () => {
    expectValues(one('math.cumsum', [M]), [1, 2, 3, 5, 7, 9], [2, 3]);
    expectValues(one('math.cumsum', [M], { axis: 1, exclusive: true }), [0, 1, 3, 0, 4, 9]);
    expectValues(one('math.cumsum', [M], { axis: -1, reverse: true }), [6, 5, 3, 15, 11, 6]);
  },
  'math.cumprod': () => expectValues(one('math.cumprod', [M], { axis: 1 }), [1, 2, 6, 4, 20, 120]),
  'math.logical_and': () =>
    expectValues(one('math.logical_and', [t([true, true, false])], { y: t([true, false, false]) }), [1, 0, 0]),
  'math.logical_or': () =>
    expectValues(one('math.logical_or', [t([true, true, false])], { y: t([true, false, false]) }), [1, 1, 0]),
  'math.logical_xor': () =>
    expectValues(one('math.logical_xor', [t([true, true, false])], { y: t([true, false, false]) }), [0, 1, 0]),
  'math.logical_not': () => expectValues(one('math.logical_not', [t([true, false])]), [0, 1]),
  'math.reduce_sum': () => {
    expectValues(one('math.reduce_sum', [M], { axis: 1 }), rowsOf(sum), [2]);
    expectValues(one('math.reduce_sum', [M]), [21], []);
    expectValues(one('math.reduce_sum', [M], { axis: [0], keepdims: true }), colsOf(sum), [1, 3]);
  },
  'math.reduce_mean': () => expectValues(one('math.reduce_mean', [M], { axis: -1 }), rowsOf(mean)),
  'math.reduce_max': () => expectValues(one('math.reduce_max', [M], { axis: 0 }), [4, 5, 6]),
  'math.reduce_min': () => expectValues(one('math.reduce_min', [M], { axis: 1 }), [1, 4]),
  'math.reduce_prod': () => expectValues(one('math.reduce_prod', [M], { axis: 1 }), [6, 120]),
  'math.reduce_any': () =>
    expectValues(one('math.reduce_any', [t([true, false, false, false], [2, 2])], { axis: 1 }), [1, 0]),
  'math.reduce_all': () =>
    expectValues(one('math.reduce_all', [t([true, true, true, false], [2, 2])], { axis: 1 }), [1, 0]),
  'math.reduce_variance': () => expectValues(one('math.reduce_variance', [M], { axis: 1 }), rowsOf(variance)),
  'math.reduce_std': () =>
    expectValues(
      one('math.reduce_std', [M], { axis: 0 }),
      colsOf((c) => Math.sqrt(variance(c))),
    ),
  'math.reduce_logsumexp': () =>
    expectValues(
      one('math.reduce_logsumexp', [M], { axis: 1 }),
      rowsOf((r) => Math.log(sum(r.map(Math.exp)))),
    ),
  'math.reduce_euclidean_norm': () =>
    expectValues(
      one('math.reduce_euclidean_norm', [M], { axis: 1 }),
      rowsOf((r) => Math.hypot(...r)),
    ),
  'compat.v1.reduce_sum': () =>
    expectValues(one('compat.v1.reduce_sum', [M], { reduction_indices: 1, keep_dims: true }), [6, 15], [2, 1]),
  'compat.v1.reduce_mean': () => expectValues(one('compat.v1.reduce_mean', [M], { axis: 0 }), colsOf(mean)),
  'compat.v1.reduce_max': () => expectValues(one('compat.v1.reduce_max', [M]), [6]),
  'compat.v1.reduce_min': () => expectValues(one('compat.v1.reduce_min', [M], { axis: 1 }), [1, 4]),
  // TensorFlow's argmax defaults to axis 0 (NumPy's flattens).
  'math.argmax': () => {
    expectValues(one('math.argmax', [t([1, 9, 3, 4, 5, 6], [2, 3])]), [1, 0, 1]);
    expectValues(one('math.argmax', [t([1, 9, 3, 4, 5, 6], [2, 3])], { axis: 1 }), [1, 2]);
  },
  'math.argmin': () => expectValues(one('math.argmin', [t([1, 9, 3, 4, 5, 0], [2, 3])], { axis: -1 }), [0, 2]),
  norm: () => {
    expectValues(one('norm', [M]), [Math.hypot(1, 2, 3, 4, 5, 6)]);
    expectValues(one('norm', [t([1, -2, 3, -4, 5, 6], [2, 3])], { ord: 1, axis: 1 }), [6, 15]);
  },
  'math.l2_normalize': () =>
    expectValues(one('math.l2_normalize', [t([3, 4, 0, 0], [2, 2])], { axis: -1 }), [0.6, 0.8, 0, 0]),
  'nn.moments': () => {
    const [m, v] = run('nn.moments', [M], { axes: [0] });
    expectValues(m, colsOf(mean), [3]);
    expectValues(v, colsOf(variance), [3]);
  },
  'nn.softmax': () => {
    const e = (r: number[]) => r.map((v) => Math.exp(v) / sum(r.map(Math.exp)));
    expectValues(one('nn.softmax', [M]), [...e([1, 2, 3]), ...e([4, 5, 6])]);
    // Along a non-last axis (TF.js' own softmax takes the last only).
    const c = [e([1, 4]), e([2, 5]), e([3, 6])];
    expectValues(one('nn.softmax', [M], { axis: 0 }), [c[0][0], c[1][0], c[2][0], c[0][1], c[1][1], c[2][1]]);
  },
  'math.softmax': () => expectValues(one('math.softmax', [t([0, Math.log(3)])]), [0.25, 0.75]),
  'nn.log_softmax': () => expectValues(one('nn.log_softmax', [t([0, Math.log(3)])]), [Math.log(0.25), Math.log(0.75)]),
  'math.log_softmax': () =>
    expectValues(one('math.log_softmax', [t([0, Math.log(3)])], { axis: 0 }), [Math.log(0.25), Math.log(0.75)]),
  'nn.leaky_relu': () => {
    expectValues(
      one('nn.leaky_relu', [t(X)]),
      X.map((v) => (v > 0 ? v : 0.2 * v)),
    );
    expectValues(
      one('nn.leaky_relu', [t(X)], { alpha: 0.1 }),
      X.map((v) => (v > 0 ? v : 0.1 * v)),
    );
  },
  'nn.gelu': () => {
    expectValues(
      one('nn.gelu', [t(X)]),
      X.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
    );
    const approx = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    expectValues(one('nn.gelu', [t(X)], { approximate: true }), X.map(approx));
  },
  'nn.silu': () =>
    expectValues(
      one('nn.silu', [t(X)], { beta: 2 }),
      X.map((v) => v * sigmoid(2 * v)),
    ),
  'nn.bias_add': () => expectValues(one('nn.bias_add', [M], { bias: t([10, 20, 30]) }), [11, 22, 33, 14, 25, 36]),
  reshape: () => {
    expectValues(one('reshape', [M], { shape: [3, -1] }), [1, 2, 3, 4, 5, 6], [3, 2]);
    // A size computed in the graph (tf.shape(x)[0]) arrives as a scalar tensor.
    expectValues(one('reshape', [M], { shape: [t([2], [], 'int32'), 3, 1] }), [1, 2, 3, 4, 5, 6], [2, 3, 1]);
  },
  expand_dims: () => expectValues(one('expand_dims', [M], { axis: -1 }), [1, 2, 3, 4, 5, 6], [2, 3, 1]),
  'compat.v1.expand_dims': () =>
    expectValues(one('compat.v1.expand_dims', [M], { dim: 0 }), [1, 2, 3, 4, 5, 6], [1, 2, 3]),
  squeeze: () => {
    expectValues(one('squeeze', [t([1, 2, 3], [1, 3, 1])]), [1, 2, 3], [3]);
    expectValues(one('squeeze', [t([1, 2, 3], [1, 3, 1])], { axis: -1 }), [1, 2, 3], [1, 3]);
  },
  'compat.v1.squeeze': () =>
    expectValues(one('compat.v1.squeeze', [t([1, 2, 3], [1, 3, 1])], { squeeze_dims: [0] }), [1, 2, 3], [3, 1]),
  transpose: () => {
    expectValues(one('transpose', [M]), [1, 4, 2, 5, 3, 6], [3, 2]);
    expectValues(
      one('transpose', [t([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2])], { perm: [0, 2, 1] }),
      [1, 3, 2, 4, 5, 7, 6, 8],
    );
  },
  'compat.v1.transpose': () => expectValues(one('compat.v1.transpose', [M], { perm: [1, 0] }), [1, 4, 2, 5, 3, 6]),
  'linalg.matmul': () => {
    // [[1,2,3],[4,5,6]] · [[1,0],[0,1],[1,1]]
    const K = t([1, 0, 0, 1, 1, 1], [3, 2]);
    expectValues(one('linalg.matmul', [M], { b: K }), [4, 5, 10, 11], [2, 2]);
    expectValues(one('linalg.matmul', [M], { b: M, transpose_b: true }), [14, 32, 32, 77], [2, 2]);
    // Batch axes broadcast: (2, 2, 3) · (3, 2).
    expectValues(
      one('linalg.matmul', [t([1, 2, 3, 4, 5, 6, 1, 1, 1, 0, 0, 0], [2, 2, 3])], { b: K }),
      [4, 5, 10, 11, 2, 2, 0, 0],
      [2, 2, 2],
    );
  },
  concat: () => expectValues(one('concat', [[M, t([7, 8], [2, 1])]], { axis: -1 }), [1, 2, 3, 7, 4, 5, 6, 8], [2, 4]),
  stack: () => expectValues(one('stack', [[t([1, 2]), t([3, 4])]], { axis: 1 }), [1, 3, 2, 4], [2, 2]),
  unstack: () => {
    const parts = run('unstack', [M], { axis: 1 });
    expect(parts.map((p) => p.data)).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
  },
  split: () => {
    expect(run('split', [M], { num_or_size_splits: [1, 2], axis: 1 }).map((p) => p.shape)).toEqual([
      [2, 1],
      [2, 2],
    ]);
    expect(run('split', [t([1, 2, 3, 4])], { num_or_size_splits: 2 }).map((p) => p.data)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  },
  tile: () => expectValues(one('tile', [t([1, 2], [1, 2])], { multiples: [2, 2] }), [1, 2, 1, 2, 1, 2, 1, 2], [2, 4]),
  repeat: () => {
    expectValues(one('repeat', [t([1, 2, 3, 4], [2, 2])], { repeats: 2, axis: 1 }), [1, 1, 2, 2, 3, 3, 4, 4], [2, 4]);
    expectValues(one('repeat', [t([1, 2, 3, 4], [2, 2])], { repeats: [1, 0, 2, 1] }), [1, 3, 3, 4], [4]);
  },
  pad: () => {
    expectValues(one('pad', [t([1, 2, 3])], { paddings: [[2, 1]] }), [0, 0, 1, 2, 3, 0]);
    expectValues(one('pad', [t([1, 2, 3])], { paddings: [[1, 1]], constant_values: 9 }), [9, 1, 2, 3, 9]);
    expectValues(one('pad', [t([1, 2, 3])], { paddings: [[2, 1]], mode: 'REFLECT' }), [3, 2, 1, 2, 3, 2]);
    expectValues(one('pad', [t([1, 2, 3])], { paddings: [[2, 1]], mode: 'SYMMETRIC' }), [2, 1, 1, 2, 3, 3]);
  },
  reverse: () => expectValues(one('reverse', [M], { axis: [-1] }), [3, 2, 1, 6, 5, 4]),
  broadcast_to: () => expectValues(one('broadcast_to', [t([1, 2])], { shape: [2, 2] }), [1, 2, 1, 2], [2, 2]),
  gather: () => {
    expectValues(one('gather', [M], { indices: [2, 0], axis: 1 }), [3, 1, 6, 4], [2, 2]);
    expectValues(one('gather', [M], { indices: t([1, 2], [2, 1], 'int32'), axis: 1, batch_dims: 1 }), [2, 6], [2, 1]);
  },
  where: () => expectValues(one('where', [t([true, false, true])], { x: t([1, 2, 3]), y: 0 }), [1, 0, 3]),
  clip_by_value: () => {
    expectValues(
      one('clip_by_value', [t(X)], { clip_value_min: -1, clip_value_max: 1 }),
      X.map((v) => Math.min(1, Math.max(-1, v))),
    );
    expectValues(one('clip_by_value', [t([1, 5])], { clip_value_min: t([2, 0]), clip_value_max: t([3, 4]) }), [2, 4]);
  },
  one_hot: () => expectValues(one('one_hot', [t([2, 0], [2], 'int32')], { depth: 3 }), [0, 0, 1, 1, 0, 0], [2, 3]),
  cast: () => {
    const toInt = one('cast', [t([-1.7, 2.9, 0.2])], { dtype: 'int64' });
    expect(toInt.dtype).toBe('int32');
    expectValues(toInt, [-1, 2, 0]);
    expectValues(one('cast', [t([0, 2.5])], { dtype: 'bool' }), [0, 1]);
  },
  ones_like: () => expectValues(one('ones_like', [M]), [1, 1, 1, 1, 1, 1], [2, 3]),
  zeros_like: () => expect(one('zeros_like', [M], { dtype: 'int32' }).dtype).toBe('int32'),
  shape: () => expectValues(one('shape', [M]), [2, 3], [2]),
  size: () => expectValues(one('size', [M]), [6], []),
  'math.top_k': () => {
    const [v, i] = run('math.top_k', [t([1, 9, 3, 4, 5, 6], [2, 3])], { k: 2 });
    expectValues(v, [9, 3, 6, 5], [2, 2]);
    expectValues(i, [1, 2, 2, 1], [2, 2]);
  },
  '__operators__.getitem': () => {
    const x = t(
      Array.from({ length: 24 }, (_, i) => i),
      [2, 3, 4],
    );
    const full = { slice: { start: null, stop: null, step: null } };
    const sl = (start: number | null, stop: number | null, step: number | null = null) => ({
      slice: { start, stop, step },
    });
    // x[:, -1, :]
    expectValues(
      one('__operators__.getitem', [x], { slice_spec: [full, -1, full] }),
      [8, 9, 10, 11, 20, 21, 22, 23],
      [2, 4],
    );
    // x[..., ::2]  (tf.keras writes slices as {start, stop, step} and … as {"class_name": "__ellipsis__"})
    expectValues(
      one('__operators__.getitem', [x], { slice_spec: [{ ellipsis: true }, { start: null, stop: null, step: 2 }] }),
      [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22],
      [2, 3, 2],
    );
    // x[1, ::-1, None, 1:3]
    expectValues(
      one('__operators__.getitem', [x], { slice_spec: [1, sl(null, null, -1), null, sl(1, 3)] }),
      [21, 22, 17, 18, 13, 14],
      [3, 1, 2],
    );
    // x[0] and x[:, 1:-1]
    expectValues(
      one('__operators__.getitem', [x], { slice_spec: 0 }),
      Array.from({ length: 12 }, (_, i) => i),
      [3, 4],
    );
    expect(one('__operators__.getitem', [x], { slice_spec: [full, sl(1, -1)] }).shape).toEqual([2, 1, 4]);
  },
};

describe('tf.keras op layers: every TensorFlow function in the table', () => {
  it('has a closed-form test here', () => {
    const covered = new Set([
      ...Object.keys(unary),
      ...Object.keys(binary),
      ...Object.keys(cmp),
      ...Object.keys(special),
    ]);
    expect(Object.keys(tfOps).filter((k) => !covered.has(k))).toEqual([]);
  });

  it.each(Object.entries(unary))('%s', (name, [xs, f]) =>
    expectValues(one(name, [t(xs)]), xs.map(f), [xs.length], name),
  );

  it.each(Object.entries(binary))('%s', (name, [f, a = A, b = B]) => {
    const [p0, p1] = name === 'math.atan2' ? ['y', 'x'] : ['x', 'y'];
    void p0;
    expectValues(
      one(name, [t(a)], { [p1]: t(b) }),
      a.map((v, i) => f(v, b[i])),
      [a.length],
      name,
    );
    // A constant operand takes the tensor's dtype (tf.keras writes `x * 2` as multiply(x, y=2)).
    expectValues(
      one(name, [t(a)], { [p1]: 2 }),
      a.map((v) => f(v, 2)),
      undefined,
      `${name} constant`,
    );
  });

  it.each(Object.entries(cmp))('%s', (name, f) => {
    const other = name.startsWith('__operators__') ? 'other' : 'y';
    const res = one(name, [t([1, 2, 3])], { [other]: t([1, 3, 2]) });
    expect(res.dtype).toBe('bool');
    expectValues(
      res,
      [1, 2, 3].map((v, i) => Number(f(v, [1, 3, 2][i]))),
    );
  });

  it.each(Object.entries(special))('%s', (_name, check) => check());

  it('a constant as the first argument (`1 - x` → subtract(_CONSTANT_VALUE 1, y=x)) keeps the tensor dtype', () => {
    expectValues(one('math.subtract', [1], { y: t([0.25, 2]) }), [0.75, -1]);
    const ints = one('__operators__.add', [t([1, 2], [2], 'int32')], { y: 3 });
    expect(ints.dtype).toBe('int32');
    expectValues(ints, [4, 5]);
  });

  it('refuses an argument the function does not take, naming it', () => {
    expect(() => one('math.reduce_sum', [M], { axes: 1 })).toThrow(
      /Layer 'op' calls op 'math.reduce_sum' with argument 'axes', which Keraspect's 'math.reduce_sum' does not take \(it takes input_tensor, axis, keepdims\)/,
    );
  });
});
