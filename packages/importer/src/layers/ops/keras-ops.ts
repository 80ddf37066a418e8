import * as tf from '@tensorflow/tfjs';
import { fail } from '../../errors.ts';
import type { OpArgs, OpImpl, OpTable } from './op.ts';
import {
  axes,
  dtypeOf,
  gelu,
  getItem,
  intList,
  l2Normalize,
  matmul,
  moveAxis,
  oneAxis,
  operand,
  operands,
  pad,
  repeat,
  scalar,
  softmax,
  tile,
  variance,
  where,
} from './semantics.ts';

// Keras 3 operations (`keras.src.ops.numpy`, `.nn`, `.math`, `.core`) as a functional graph saves
// them: class name, constructor arguments in the config (axis, keepdims, …) and call arguments in
// the inbound node (`keras/src/models/functional.py` `serialize_node`). Semantics are Keras' own
// (NumPy's): `axis=None` flattens for argmax and cumsum, `tile` pads its repeats, Python numbers
// promote with the tensor they meet, `gelu` is approximate unless told otherwise.

const T = (v: unknown): tf.Tensor => operand(v, null, 'keras');

function unary(f: (x: tf.Tensor) => tf.Tensor, noGradient = false): OpImpl {
  return { params: ['x'], run: (a) => f(T(a.x)), noGradient };
}

function binary(f: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor, noGradient = false): OpImpl {
  return { params: ['x1', 'x2'], run: (a) => f(...operands(a.x1, a.x2, 'keras')), noGradient };
}

const toFloat = (x: tf.Tensor) => (x.dtype === 'float32' ? x : tf.cast(x, 'float32'));

function reduce(
  f: (x: tf.Tensor, axis: number[], keepdims: boolean) => tf.Tensor,
  noGradient = false,
  extra: string[] = [],
): OpImpl {
  return {
    params: ['x', 'axis', 'keepdims', ...extra],
    defaults: { axis: null, keepdims: false },
    noGradient,
    run(a: OpArgs) {
      if (a.initial !== undefined && a.initial !== null)
        fail('UNSUPPORTED_CONFIG', `A reduction with initial=${String(a.initial)} is not supported.`);
      const x = T(a.x);
      const ax = axes(a.axis, x.rank);
      return ax.length ? f(x, ax, Boolean(a.keepdims)) : tf.clone(x);
    },
  };
}

function argReduce(f: typeof tf.argMax): OpImpl {
  return {
    params: ['x', 'axis', 'keepdims'],
    defaults: { axis: null, keepdims: false },
    noGradient: true,
    run: (a) => {
      let x = T(a.x);
      if (a.axis === null || a.axis === undefined) {
        const out = f(tf.reshape(x, [-1]), 0);
        return a.keepdims
          ? tf.reshape(
              out,
              x.shape.map(() => 1),
            )
          : out;
      }
      const ax = oneAxis(a.axis, x.rank, 0);
      x = f(x, ax);
      return a.keepdims ? tf.expandDims(x, ax) : x;
    },
  };
}

function cumulative(f: typeof tf.cumsum): OpImpl {
  return {
    params: ['x', 'axis', 'dtype'],
    defaults: { axis: null, dtype: null },
    run: (a) => {
      let x = T(a.x);
      if (a.axis === null || a.axis === undefined) x = tf.reshape(x, [-1]);
      const out = f(x, a.axis === null || a.axis === undefined ? 0 : oneAxis(a.axis, x.rank, 0));
      return a.dtype ? tf.cast(out, dtypeOf(a.dtype)) : out;
    },
  };
}

const list = (v: unknown): tf.Tensor[] => {
  if (v instanceof tf.Tensor) return tf.unstack(v);
  if (!Array.isArray(v)) return fail('UNSUPPORTED_CONFIG', 'Expected a list of tensors.');
  const like = v.find((x) => x instanceof tf.Tensor) as tf.Tensor | undefined;
  return v.map((x) => operand(x, like ?? null, 'keras'));
};

const likeOp = (value: 0 | 1): OpImpl => ({
  params: ['x', 'dtype'],
  defaults: { dtype: null },
  noGradient: true,
  run: (a) => {
    const x = T(a.x);
    const dtype = a.dtype === null || a.dtype === undefined ? x.dtype : dtypeOf(a.dtype);
    return value ? tf.ones(x.shape, dtype) : tf.zeros(x.shape, dtype);
  },
});

function triangle(part: 'lower' | 'upper'): OpImpl {
  return {
    params: ['x', 'k'],
    defaults: { k: 0 },
    run: (a) => {
      const x = T(a.x);
      if (x.rank < 2) fail('UNSUPPORTED_CONFIG', `ops.${part === 'lower' ? 'tril' : 'triu'} needs at least 2 axes.`);
      const k = scalar(a.k, 'k');
      const [rows, cols] = x.shape.slice(-2);
      // j − i for each (i, j) of the last two axes, compared with k.
      const offset = tf.sub(
        tf.range(0, cols, 1, 'int32').reshape([1, cols]),
        tf.range(0, rows, 1, 'int32').reshape([rows, 1]),
      );
      const keep = part === 'lower' ? tf.lessEqual(offset, k) : tf.greaterEqual(offset, k);
      return tf.where(tf.broadcastTo(keep, x.shape), x, tf.zerosLike(x));
    },
  };
}

const activation = (
  f: (x: tf.Tensor, a: OpArgs) => tf.Tensor,
  params: string[] = [],
  defaults: OpArgs = {},
): OpImpl => ({
  params: ['x', ...params],
  defaults,
  run: (a) => f(T(a.x), a),
});

const divide = (x: tf.Tensor, y: tf.Tensor) => tf.div(toFloat(x), toFloat(y));

/**
 * Every Keras 3 operation Keraspect runs, by class name. Only nodes whose layer entry has a
 * `module` under `keras.src.ops` (or `keras.ops`) are looked up here; `Add` with module
 * `keras.layers` is the merge layer.
 */
export const kerasOps: OpTable = {
  // numpy: arithmetic.
  Add: binary(tf.add),
  Subtract: binary(tf.sub),
  Multiply: binary(tf.mul),
  Divide: binary(divide),
  TrueDivide: binary(divide),
  DivideNoNan: binary((x, y) => tf.divNoNan(toFloat(x), toFloat(y))),
  FloorDivide: binary(tf.floorDiv),
  Mod: binary(tf.mod),
  Power: binary(tf.pow),
  Maximum: binary(tf.maximum),
  Minimum: binary(tf.minimum),
  Arctan2: binary(tf.atan2),
  Negative: unary(tf.neg),
  Absolute: unary(tf.abs),
  Abs: unary(tf.abs),
  Sign: unary(tf.sign),
  Square: unary(tf.square),
  Sqrt: unary((x) => tf.sqrt(toFloat(x))),
  Reciprocal: unary((x) => tf.reciprocal(toFloat(x))),
  Exp: unary((x) => tf.exp(toFloat(x))),
  Expm1: unary((x) => tf.expm1(toFloat(x))),
  Log: unary((x) => tf.log(toFloat(x))),
  Log1p: unary((x) => tf.log1p(toFloat(x))),
  Log2: unary((x) => tf.div(tf.log(toFloat(x)), Math.LN2)),
  Log10: unary((x) => tf.div(tf.log(toFloat(x)), Math.LN10)),
  Exp2: unary((x) => tf.pow(2, toFloat(x))),
  Floor: unary(tf.floor),
  Ceil: unary(tf.ceil),
  Round: {
    params: ['x', 'decimals'],
    defaults: { decimals: 0 },
    run: (a) => {
      const x = T(a.x);
      const d = scalar(a.decimals, 'decimals');
      if (d === 0) return tf.round(x);
      const f = 10 ** d;
      return tf.div(tf.round(tf.mul(x, f)), f);
    },
  },
  Sin: unary(tf.sin),
  Cos: unary(tf.cos),
  Tan: unary(tf.tan),
  Arcsin: unary(tf.asin),
  Arccos: unary(tf.acos),
  Arctan: unary(tf.atan),
  Sinh: unary(tf.sinh),
  Cosh: unary(tf.cosh),
  Tanh: unary(tf.tanh),
  Arcsinh: unary(tf.asinh),
  Arccosh: unary(tf.acosh),
  Arctanh: unary(tf.atanh),
  Isnan: unary(tf.isNaN, true),
  Isinf: unary(tf.isInf, true),
  Isfinite: unary(tf.isFinite, true),
  Cumsum: cumulative(tf.cumsum),
  Cumprod: cumulative(tf.cumprod),
  Clip: {
    params: ['x', 'x_min', 'x_max'],
    run: (a) => {
      const x = T(a.x);
      if (typeof a.x_min === 'number' && typeof a.x_max === 'number') return tf.clipByValue(x, a.x_min, a.x_max);
      let y = x;
      if (a.x_min !== null) y = tf.maximum(y, operand(a.x_min, x, 'keras'));
      if (a.x_max !== null) y = tf.minimum(y, operand(a.x_max, x, 'keras'));
      return y;
    },
  },
  // numpy: comparisons and logic.
  Equal: binary(tf.equal, true),
  NotEqual: binary(tf.notEqual, true),
  Greater: binary(tf.greater, true),
  GreaterEqual: binary(tf.greaterEqual, true),
  Less: binary(tf.less, true),
  LessEqual: binary(tf.lessEqual, true),
  LogicalAnd: binary((x, y) => tf.logicalAnd(tf.cast(x, 'bool'), tf.cast(y, 'bool')), true),
  LogicalOr: binary((x, y) => tf.logicalOr(tf.cast(x, 'bool'), tf.cast(y, 'bool')), true),
  LogicalXor: binary((x, y) => tf.logicalXor(tf.cast(x, 'bool'), tf.cast(y, 'bool')), true),
  LogicalNot: unary((x) => tf.logicalNot(tf.cast(x, 'bool')), true),
  Where: {
    params: ['condition', 'x1', 'x2'],
    defaults: { x1: null, x2: null },
    run: (a) => {
      if (a.x1 === null || a.x2 === null)
        fail('UNSUPPORTED_CONFIG', 'ops.where with only a condition (the indices of true elements) is not supported.');
      const [x, y] = operands(a.x1, a.x2, 'keras');
      return where(T(a.condition), x, y);
    },
  },
  // numpy: reductions.
  Sum: reduce((x, ax, k) => tf.sum(x.dtype === 'bool' ? tf.cast(x, 'int32') : x, ax, k)),
  Mean: reduce((x, ax, k) => tf.mean(toFloat(x), ax, k)),
  Max: reduce((x, ax, k) => tf.max(x, ax, k), false, ['initial']),
  Amax: reduce((x, ax, k) => tf.max(x, ax, k)),
  Min: reduce((x, ax, k) => tf.min(x, ax, k), false, ['initial']),
  Amin: reduce((x, ax, k) => tf.min(x, ax, k)),
  Prod: reduce((x, ax, k) => tf.prod(x, ax, k), false, ['dtype']),
  Std: reduce((x, ax, k) => tf.sqrt(variance(toFloat(x), ax, k))),
  Var: reduce((x, ax, k) => variance(toFloat(x), ax, k)),
  Any: reduce((x, ax, k) => tf.any(tf.cast(x, 'bool'), ax, k), true),
  All: reduce((x, ax, k) => tf.all(tf.cast(x, 'bool'), ax, k), true),
  Logsumexp: reduce((x, ax, k) => tf.logSumExp(x, ax, k)),
  Argmax: argReduce(tf.argMax),
  Argmin: argReduce(tf.argMin),
  // numpy: shapes, joining, indexing.
  Reshape: { params: ['x', 'newshape'], run: (a) => tf.reshape(T(a.x), intList(a.newshape, 'newshape')) },
  ExpandDims: {
    params: ['x', 'axis'],
    run: (a) => {
      let x = T(a.x);
      const ax = intList(a.axis, 'axis');
      const rank = x.rank + ax.length;
      for (const d of ax.map((v) => (v < 0 ? v + rank : v)).sort((p, q) => p - q)) x = tf.expandDims(x, d);
      return x;
    },
  },
  Squeeze: {
    params: ['x', 'axis'],
    defaults: { axis: null },
    run: (a) => {
      const x = T(a.x);
      return a.axis === null ? tf.squeeze(x) : tf.squeeze(x, axes(a.axis, x.rank));
    },
  },
  Transpose: {
    params: ['x', 'axes'],
    defaults: { axes: null },
    run: (a) => tf.transpose(T(a.x), a.axes === null ? undefined : intList(a.axes, 'axes')),
  },
  Moveaxis: { params: ['x', 'source', 'destination'], run: (a) => moveAxis(T(a.x), a.source, a.destination) },
  Swapaxes: {
    params: ['x', 'axis1', 'axis2'],
    run: (a) => {
      const x = T(a.x);
      const perm = Array.from({ length: x.rank }, (_, i) => i);
      const [i, j] = [oneAxis(a.axis1, x.rank, 0), oneAxis(a.axis2, x.rank, 0)];
      [perm[i], perm[j]] = [perm[j], perm[i]];
      return tf.transpose(x, perm);
    },
  },
  Concatenate: {
    params: ['xs', 'axis'],
    defaults: { axis: 0 },
    run: (a) => {
      const xs = list(a.xs);
      if (a.axis === null)
        return tf.concat(
          xs.map((x) => tf.reshape(x, [-1])),
          0,
        );
      return xs.length === 1 ? tf.clone(xs[0]) : tf.concat(xs, oneAxis(a.axis, xs[0].rank, 0));
    },
  },
  Stack: {
    params: ['x', 'axis'],
    defaults: { axis: 0 },
    run: (a) => {
      const xs = list(a.x);
      return tf.stack(xs, oneAxis(a.axis, xs[0].rank, 0, 1));
    },
  },
  Unstack: {
    params: ['x', 'num', 'axis'],
    defaults: { axis: 0 },
    run: (a) => {
      const x = T(a.x);
      return tf.unstack(x, oneAxis(a.axis, x.rank, 0));
    },
  },
  Split: {
    params: ['x', 'indices_or_sections', 'axis'],
    defaults: { axis: 0 },
    run: (a) => {
      const x = T(a.x);
      const ax = oneAxis(a.axis, x.rank, 0);
      const s = a.indices_or_sections;
      if (typeof s === 'number') return tf.split(x, s, ax);
      // NumPy's split points → sizes.
      const points = intList(s, 'indices_or_sections');
      const n = x.shape[ax];
      const bounds = [0, ...points.map((p) => Math.min(Math.max(p < 0 ? p + n : p, 0), n)), n];
      return tf.split(
        x,
        bounds.slice(1).map((b, i) => Math.max(0, b - bounds[i])),
        ax,
      );
    },
  },
  Tile: { params: ['x', 'repeats'], run: (a) => tile(T(a.x), a.repeats, 'keras') },
  Repeat: {
    params: ['x', 'repeats', 'axis'],
    defaults: { axis: null },
    run: (a) => repeat(T(a.x), a.repeats, a.axis),
  },
  Pad: {
    params: ['x', 'constant_values', 'pad_width', 'mode'],
    defaults: { mode: 'constant', constant_values: null },
    run: (a) => pad(T(a.x), a.pad_width, a.mode, a.constant_values),
  },
  Flip: {
    params: ['x', 'axis'],
    defaults: { axis: null },
    run: (a) => {
      const x = T(a.x);
      return tf.reverse(x, axes(a.axis, x.rank));
    },
  },
  BroadcastTo: { params: ['x', 'shape'], run: (a) => tf.broadcastTo(T(a.x), intList(a.shape, 'shape')) },
  Take: {
    params: ['x', 'indices', 'axis'],
    defaults: { axis: null },
    run: (a) => {
      let x = T(a.x);
      if (a.axis === null) x = tf.reshape(x, [-1]);
      const ax = a.axis === null ? 0 : oneAxis(a.axis, x.rank, 0);
      const n = x.shape[ax];
      const i = tf.cast(operand(a.indices, null, 'keras'), 'int32');
      return tf.gather(x, tf.where(tf.less(i, 0), tf.add(i, tf.scalar(n, 'int32')), i), ax);
    },
  },
  GetItem: { params: ['x', 'key'], run: (a) => getItem(T(a.x), a.key) },
  Matmul: {
    params: ['x1', 'x2'],
    run: (a) => matmul(...operands(a.x1, a.x2, 'keras')),
  },
  Einsum: {
    params: ['subscripts', '*operands'],
    run: (a) => tf.einsum(String(a.subscripts), ...list(a.operands)),
  },
  // NumPy's tril/triu: keep the elements on and below (above) the k-th diagonal of the last two axes.
  Tril: triangle('lower'),
  Triu: triangle('upper'),
  OnesLike: likeOp(1),
  ZerosLike: likeOp(0),
  Copy: unary((x) => tf.clone(x)),
  // core.
  Cast: {
    params: ['x', 'dtype'],
    run: (a) => {
      const x = T(a.x);
      const dtype = dtypeOf(a.dtype);
      return dtype === x.dtype ? tf.clone(x) : tf.cast(x, dtype);
    },
  },
  ConvertToTensor: {
    params: ['x', 'dtype', 'sparse', 'ragged'],
    defaults: { dtype: null },
    run: (a) => {
      const x = T(a.x);
      return a.dtype ? tf.cast(x, dtypeOf(a.dtype)) : tf.clone(x);
    },
  },
  StopGradient: { params: ['variable'], noGradient: true, run: (a) => tf.clone(T(a.variable)) },
  Slice: {
    params: ['inputs', 'start_indices', 'shape'],
    run: (a) => tf.slice(T(a.inputs), intList(a.start_indices, 'start_indices'), intList(a.shape, 'shape')),
  },
  // nn.
  Relu: unary(tf.relu),
  Relu6: unary(tf.relu6),
  Sigmoid: unary(tf.sigmoid),
  Softplus: unary(tf.softplus),
  Softsign: unary((x) => tf.div(x, tf.add(1, tf.abs(x)))),
  Silu: unary((x) => tf.mul(x, tf.sigmoid(x))),
  LogSigmoid: unary(tf.logSigmoid),
  HardSigmoid: unary((x) => tf.clipByValue(tf.add(tf.div(x, 6), 0.5), 0, 1)),
  HardSilu: unary((x) => tf.mul(x, tf.clipByValue(tf.add(tf.div(x, 6), 0.5), 0, 1))),
  Selu: unary(tf.selu),
  LeakyRelu: activation((x, a) => tf.leakyRelu(x, scalar(a.negative_slope, 'negative_slope')), ['negative_slope'], {
    negative_slope: 0.2,
  }),
  Elu: activation(
    (x, a) => {
      const alpha = scalar(a.alpha, 'alpha');
      return alpha === 1 ? tf.elu(x) : tf.where(tf.greater(x, 0), x, tf.mul(alpha, tf.expm1(x)));
    },
    ['alpha'],
    { alpha: 1 },
  ),
  Gelu: activation((x, a) => gelu(x, Boolean(a.approximate)), ['approximate'], { approximate: true }),
  Softmax: activation((x, a) => softmax(x, oneAxis(a.axis, x.rank, x.rank - 1)), ['axis'], { axis: -1 }),
  LogSoftmax: activation((x, a) => softmax(x, oneAxis(a.axis, x.rank, x.rank - 1), true), ['axis'], { axis: -1 }),
  Normalize: activation(
    (x, a) => {
      if (scalar(a.order, 'order') !== 2) fail('UNSUPPORTED_CONFIG', 'ops.normalize with order ≠ 2 is not supported.');
      return l2Normalize(x, a.axis, a.epsilon === null ? 1e-12 : scalar(a.epsilon, 'epsilon'));
    },
    ['axis', 'order', 'epsilon'],
    { axis: -1, order: 2, epsilon: null },
  ),
  // math.
  Erf: unary(tf.erf),
  Rsqrt: unary((x) => tf.rsqrt(toFloat(x))),
  TopK: {
    params: ['x', 'k', 'sorted'],
    defaults: { sorted: true },
    run: (a) => {
      const { values, indices } = tf.topk(T(a.x), scalar(a.k, 'k'), Boolean(a.sorted));
      return [values, indices];
    },
  },
};
