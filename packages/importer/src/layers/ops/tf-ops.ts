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

// TensorFlow functions as tf.keras saves them in `TFOpLambda` / `SlicingOpLambda` layers: by the
// canonical name `get_canonical_name_for_symbol` gives (the layer config's `function`, the layer
// name without its `tf.` prefix), with TensorFlow's parameter names — tf.keras writes every argument
// after the first by name — and TensorFlow's semantics (a constant takes the dtype of the tensor it
// meets; `axis=None` means every axis; `argmax` defaults to axis 0).

const T = (v: unknown): tf.Tensor => operand(v, null, 'tf');

function unary(param: string, f: (x: tf.Tensor) => tf.Tensor, noGradient = false): OpImpl {
  return { params: [param], run: (a) => f(T(a[param])), noGradient };
}

function binary(params: [string, string], f: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor, noGradient = false): OpImpl {
  return { params, run: (a) => f(...operands(a[params[0]], a[params[1]], 'tf')), noGradient };
}

const reduceParams = ['input_tensor', 'axis', 'keepdims'] as const;
const reduceParamsV1 = ['input_tensor', 'axis', 'keepdims', 'name', 'reduction_indices', 'keep_dims'] as const;

function reduce(
  f: (x: tf.Tensor, axis: number[], keepdims: boolean) => tf.Tensor,
  v1 = false,
  noGradient = false,
): OpImpl {
  return {
    params: v1 ? reduceParamsV1 : reduceParams,
    defaults: { axis: null, keepdims: null },
    noGradient,
    run(a: OpArgs) {
      const x = T(a.input_tensor);
      const axis = a.axis ?? a.reduction_indices ?? null;
      const keep = Boolean(a.keepdims ?? a.keep_dims ?? false);
      const ax = axes(axis, x.rank);
      return ax.length ? f(x, ax, keep) : tf.clone(x);
    },
  };
}

const sum = (x: tf.Tensor, ax: number[], k: boolean) => tf.sum(x, ax, k);
const mean = (x: tf.Tensor, ax: number[], k: boolean) => tf.mean(x, ax, k);
const max = (x: tf.Tensor, ax: number[], k: boolean) => tf.max(x, ax, k);
const min = (x: tf.Tensor, ax: number[], k: boolean) => tf.min(x, ax, k);
const prod = (x: tf.Tensor, ax: number[], k: boolean) => tf.prod(x, ax, k);
const any = (x: tf.Tensor, ax: number[], k: boolean) => tf.any(tf.cast(x, 'bool'), ax, k);
const all = (x: tf.Tensor, ax: number[], k: boolean) => tf.all(tf.cast(x, 'bool'), ax, k);

function argReduce(f: typeof tf.argMax): OpImpl {
  return {
    params: ['input', 'axis', 'output_type'],
    defaults: { axis: null },
    noGradient: true,
    run: (a) => {
      const x = T(a.input);
      return f(x, oneAxis(a.axis, x.rank, 0));
    },
  };
}

const softmaxOp = (log: boolean): OpImpl => ({
  params: ['logits', 'axis'],
  defaults: { axis: null },
  run: (a) => {
    const x = T(a.logits);
    return softmax(x, oneAxis(a.axis, x.rank, -1 + x.rank), log);
  },
});

const transposeOp = (v1: boolean): OpImpl => ({
  params: v1 ? ['a', 'perm', 'name', 'conjugate'] : ['a', 'perm', 'conjugate'],
  defaults: { perm: null },
  run: (a) => {
    const x = T(a.a);
    return tf.transpose(x, a.perm === null || a.perm === undefined ? undefined : intList(a.perm, 'perm'));
  },
});

const squeezeOp = (v1: boolean): OpImpl => ({
  params: v1 ? ['input', 'axis', 'name', 'squeeze_dims'] : ['input', 'axis'],
  defaults: { axis: null },
  run: (a) => {
    const x = T(a.input);
    const axis = a.axis ?? a.squeeze_dims ?? null;
    return axis === null ? tf.squeeze(x) : tf.squeeze(x, axes(axis, x.rank));
  },
});

const expandDimsOp = (v1: boolean): OpImpl => ({
  params: v1 ? ['input', 'axis', 'name', 'dim'] : ['input', 'axis'],
  run: (a) => {
    const x = T(a.input);
    return tf.expandDims(x, oneAxis(a.axis ?? a.dim, x.rank, 0, 1));
  },
});

const tensors = (v: unknown, what: string): tf.Tensor[] => {
  if (!Array.isArray(v)) {
    if (v instanceof tf.Tensor) return tf.unstack(v);
    return fail('UNSUPPORTED_CONFIG', `${what} must be a list of tensors.`);
  }
  const like = v.find((x) => x instanceof tf.Tensor) as tf.Tensor | undefined;
  return v.map((x) => operand(x, like ?? null, 'tf'));
};

const gatherOp: OpImpl = {
  params: ['params', 'indices', 'validate_indices', 'axis', 'batch_dims'],
  defaults: { axis: null, batch_dims: 0 },
  run: (a) => {
    const x = T(a.params);
    const batchDims = scalar(a.batch_dims ?? 0, 'batch_dims');
    const idx = tf.cast(operand(a.indices, null, 'tf'), 'int32');
    return tf.gather(x, idx, oneAxis(a.axis, x.rank, batchDims), batchDims);
  },
};

const castOp: OpImpl = {
  params: ['x', 'dtype'],
  run: (a) => {
    const x = T(a.x);
    const dtype = dtypeOf(a.dtype);
    return dtype === x.dtype ? tf.clone(x) : tf.cast(x, dtype);
  },
};

const likeOp = (value: 0 | 1): OpImpl => ({
  params: ['input', 'dtype'],
  defaults: { dtype: null },
  noGradient: true,
  run: (a) => {
    const x = T(a.input);
    const dtype = a.dtype === null || a.dtype === undefined ? x.dtype : dtypeOf(a.dtype);
    return value ? tf.ones(x.shape, dtype) : tf.zeros(x.shape, dtype);
  },
});

const identity = (x: tf.Tensor) => tf.clone(x);

/**
 * Every TensorFlow function Keraspect runs for `TFOpLambda`/`SlicingOpLambda`, by the name in the
 * layer config's `function` (aliases that name the same function are listed too).
 */
export const tfOps: OpTable = {
  // Python operators on tensors and their math.* functions.
  '__operators__.add': binary(['x', 'y'], tf.add),
  'math.add': binary(['x', 'y'], tf.add),
  'math.add_n': { params: ['inputs'], run: (a) => tf.addN(tensors(a.inputs, 'inputs')) },
  'math.subtract': binary(['x', 'y'], tf.sub),
  'math.multiply': binary(['x', 'y'], tf.mul),
  'math.truediv': binary(['x', 'y'], (x, y) => tf.div(tf.cast(x, 'float32'), tf.cast(y, 'float32'))),
  'math.divide': binary(['x', 'y'], (x, y) => tf.div(tf.cast(x, 'float32'), tf.cast(y, 'float32'))),
  'math.divide_no_nan': binary(['x', 'y'], (x, y) => tf.divNoNan(x, y)),
  'math.floordiv': binary(['x', 'y'], tf.floorDiv),
  'math.floormod': binary(['x', 'y'], tf.mod),
  'math.pow': binary(['x', 'y'], tf.pow),
  'math.maximum': binary(['x', 'y'], tf.maximum),
  'math.minimum': binary(['x', 'y'], tf.minimum),
  'math.squared_difference': binary(['x', 'y'], tf.squaredDifference),
  'math.atan2': binary(['y', 'x'], tf.atan2),
  'math.negative': unary('x', tf.neg),
  'math.abs': unary('x', tf.abs),
  'math.sign': unary('x', tf.sign),
  'math.square': unary('x', tf.square),
  'math.sqrt': unary('x', tf.sqrt),
  'math.rsqrt': unary('x', tf.rsqrt),
  'math.reciprocal': unary('x', tf.reciprocal),
  'math.exp': unary('x', tf.exp),
  'math.expm1': unary('x', tf.expm1),
  'math.log': unary('x', tf.log),
  'math.log1p': unary('x', tf.log1p),
  'math.floor': unary('x', tf.floor),
  'math.ceil': unary('x', tf.ceil),
  'math.round': unary('x', tf.round),
  'math.sin': unary('x', tf.sin),
  'math.cos': unary('x', tf.cos),
  'math.tan': unary('x', tf.tan),
  'math.asin': unary('x', tf.asin),
  'math.acos': unary('x', tf.acos),
  'math.atan': unary('x', tf.atan),
  'math.sinh': unary('x', tf.sinh),
  'math.cosh': unary('x', tf.cosh),
  'math.asinh': unary('x', tf.asinh),
  'math.acosh': unary('x', tf.acosh),
  'math.atanh': unary('x', tf.atanh),
  'math.erf': unary('x', tf.erf),
  'math.is_nan': unary('x', tf.isNaN, true),
  'math.is_inf': unary('x', tf.isInf, true),
  'math.is_finite': unary('x', tf.isFinite, true),
  'math.cumsum': {
    params: ['x', 'axis', 'exclusive', 'reverse'],
    defaults: { axis: 0, exclusive: false, reverse: false },
    run: (a) => {
      const x = T(a.x);
      return tf.cumsum(x, oneAxis(a.axis, x.rank, 0), Boolean(a.exclusive), Boolean(a.reverse));
    },
  },
  'math.cumprod': {
    params: ['x', 'axis', 'exclusive', 'reverse'],
    defaults: { axis: 0, exclusive: false, reverse: false },
    run: (a) => {
      const x = T(a.x);
      return tf.cumprod(x, oneAxis(a.axis, x.rank, 0), Boolean(a.exclusive), Boolean(a.reverse));
    },
  },
  // Comparisons and logic: boolean outputs, no gradient (as in TensorFlow).
  '__operators__.eq': binary(['self', 'other'], tf.equal, true),
  '__operators__.ne': binary(['self', 'other'], tf.notEqual, true),
  'math.equal': binary(['x', 'y'], tf.equal, true),
  'math.not_equal': binary(['x', 'y'], tf.notEqual, true),
  'math.greater': binary(['x', 'y'], tf.greater, true),
  'math.greater_equal': binary(['x', 'y'], tf.greaterEqual, true),
  'math.less': binary(['x', 'y'], tf.less, true),
  'math.less_equal': binary(['x', 'y'], tf.lessEqual, true),
  'math.logical_and': binary(['x', 'y'], tf.logicalAnd, true),
  'math.logical_or': binary(['x', 'y'], tf.logicalOr, true),
  'math.logical_xor': binary(['x', 'y'], tf.logicalXor, true),
  'math.logical_not': unary('x', tf.logicalNot, true),
  // Reductions.
  'math.reduce_sum': reduce(sum),
  'math.reduce_mean': reduce(mean),
  'math.reduce_max': reduce(max),
  'math.reduce_min': reduce(min),
  'math.reduce_prod': reduce(prod),
  'math.reduce_any': reduce(any, false, true),
  'math.reduce_all': reduce(all, false, true),
  'math.reduce_variance': reduce(variance),
  'math.reduce_std': reduce((x, ax, k) => tf.sqrt(variance(x, ax, k))),
  'math.reduce_logsumexp': reduce((x, ax, k) => tf.logSumExp(x, ax, k)),
  'math.reduce_euclidean_norm': reduce((x, ax, k) => tf.sqrt(tf.sum(tf.square(x), ax, k))),
  'compat.v1.reduce_sum': reduce(sum, true),
  'compat.v1.reduce_mean': reduce(mean, true),
  'compat.v1.reduce_max': reduce(max, true),
  'compat.v1.reduce_min': reduce(min, true),
  'math.argmax': argReduce(tf.argMax),
  'math.argmin': argReduce(tf.argMin),
  norm: {
    params: ['tensor', 'ord', 'axis', 'keepdims'],
    defaults: { ord: 'euclidean', axis: null, keepdims: false },
    run: (a) => {
      const x = T(a.tensor);
      const ord = a.ord === 'euclidean' || a.ord === 'fro' ? 'euclidean' : (a.ord as number);
      const axis = a.axis === null ? undefined : (intList(a.axis, 'axis') as number[]);
      return tf.norm(x, ord as 'euclidean', axis?.length === 1 ? axis[0] : axis, Boolean(a.keepdims));
    },
  },
  'math.l2_normalize': {
    params: ['x', 'axis', 'epsilon', 'dim'],
    defaults: { axis: null, epsilon: 1e-12 },
    run: (a) => l2Normalize(T(a.x), a.axis ?? a.dim ?? null, scalar(a.epsilon, 'epsilon')),
  },
  'nn.moments': {
    params: ['x', 'axes', 'shift', 'keepdims'],
    defaults: { keepdims: false },
    run: (a) => {
      const x = T(a.x);
      const ax = axes(a.axes, x.rank);
      return [tf.mean(x, ax, Boolean(a.keepdims)), variance(x, ax, Boolean(a.keepdims))];
    },
  },
  // Activations.
  'nn.softmax': softmaxOp(false),
  'math.softmax': softmaxOp(false),
  'nn.log_softmax': softmaxOp(true),
  'math.log_softmax': softmaxOp(true),
  'math.sigmoid': unary('x', tf.sigmoid),
  'nn.sigmoid': unary('x', tf.sigmoid),
  'math.tanh': unary('x', tf.tanh),
  'nn.tanh': unary('x', tf.tanh),
  'nn.relu': unary('features', tf.relu),
  'nn.relu6': unary('features', tf.relu6),
  'nn.elu': unary('features', tf.elu),
  'nn.selu': unary('features', tf.selu),
  'math.softplus': unary('features', tf.softplus),
  'nn.softplus': unary('features', tf.softplus),
  'math.softsign': unary('features', (x) => tf.div(x, tf.add(1, tf.abs(x)))),
  'nn.softsign': unary('features', (x) => tf.div(x, tf.add(1, tf.abs(x)))),
  'math.log_sigmoid': unary('x', tf.logSigmoid),
  'nn.leaky_relu': {
    params: ['features', 'alpha'],
    defaults: { alpha: 0.2 },
    run: (a) => tf.leakyRelu(T(a.features), scalar(a.alpha, 'alpha')),
  },
  'nn.gelu': {
    params: ['features', 'approximate'],
    defaults: { approximate: false },
    run: (a) => gelu(T(a.features), Boolean(a.approximate)),
  },
  'nn.silu': {
    params: ['features', 'beta'],
    defaults: { beta: 1 },
    run: (a) => {
      const x = T(a.features);
      return tf.mul(x, tf.sigmoid(tf.mul(x, scalar(a.beta, 'beta'))));
    },
  },
  'nn.bias_add': {
    params: ['value', 'bias', 'data_format'],
    defaults: { data_format: null },
    run: (a) => {
      if (a.data_format !== null && a.data_format !== 'NHWC' && a.data_format !== 'NWC')
        fail('UNSUPPORTED_CONFIG', `bias_add with data_format '${String(a.data_format)}' is not supported.`);
      return tf.add(...operands(a.value, a.bias, 'tf'));
    },
  },
  // Shapes, slicing, joining.
  reshape: { params: ['tensor', 'shape'], run: (a) => tf.reshape(T(a.tensor), intList(a.shape, 'shape')) },
  expand_dims: expandDimsOp(false),
  'compat.v1.expand_dims': expandDimsOp(true),
  squeeze: squeezeOp(false),
  'compat.v1.squeeze': squeezeOp(true),
  transpose: transposeOp(false),
  'compat.v1.transpose': transposeOp(true),
  'linalg.matmul': {
    params: [
      'a',
      'b',
      'transpose_a',
      'transpose_b',
      'adjoint_a',
      'adjoint_b',
      'a_is_sparse',
      'b_is_sparse',
      'output_type',
    ],
    defaults: { transpose_a: false, transpose_b: false, adjoint_a: false, adjoint_b: false },
    run: (a) => {
      const [x, y] = operands(a.a, a.b, 'tf');
      return matmul(x, y, Boolean(a.transpose_a || a.adjoint_a), Boolean(a.transpose_b || a.adjoint_b));
    },
  },
  concat: {
    params: ['values', 'axis'],
    run: (a) => {
      const xs = tensors(a.values, 'values');
      return xs.length === 1 ? tf.clone(xs[0]) : tf.concat(xs, oneAxis(a.axis, xs[0].rank, 0));
    },
  },
  stack: {
    params: ['values', 'axis'],
    defaults: { axis: 0 },
    run: (a) => {
      const xs = tensors(a.values, 'values');
      return tf.stack(xs, oneAxis(a.axis, xs[0].rank, 0, 1));
    },
  },
  unstack: {
    params: ['value', 'num', 'axis'],
    defaults: { axis: 0 },
    run: (a) => {
      const x = T(a.value);
      return tf.unstack(x, oneAxis(a.axis, x.rank, 0));
    },
  },
  split: {
    params: ['value', 'num_or_size_splits', 'axis', 'num'],
    defaults: { axis: 0 },
    run: (a) => {
      const x = T(a.value);
      const n = a.num_or_size_splits;
      const splits = typeof n === 'number' ? n : intList(n, 'num_or_size_splits');
      return tf.split(x, splits, oneAxis(a.axis, x.rank, 0));
    },
  },
  tile: { params: ['input', 'multiples'], run: (a) => tile(T(a.input), a.multiples, 'tf') },
  repeat: {
    params: ['input', 'repeats', 'axis'],
    defaults: { axis: null },
    run: (a) => repeat(T(a.input), a.repeats, a.axis),
  },
  pad: {
    params: ['tensor', 'paddings', 'mode', 'constant_values'],
    defaults: { mode: 'CONSTANT', constant_values: 0 },
    run: (a) => pad(T(a.tensor), a.paddings, a.mode, a.constant_values),
  },
  reverse: {
    params: ['tensor', 'axis'],
    run: (a) => {
      const x = T(a.tensor);
      return tf.reverse(x, axes(a.axis, x.rank));
    },
  },
  broadcast_to: { params: ['input', 'shape'], run: (a) => tf.broadcastTo(T(a.input), intList(a.shape, 'shape')) },
  gather: gatherOp,
  where: {
    params: ['condition', 'x', 'y'],
    defaults: { x: null, y: null },
    run: (a) => {
      if (a.x === null || a.y === null)
        fail('UNSUPPORTED_CONFIG', 'tf.where with only a condition (the indices of true elements) is not supported.');
      const c = T(a.condition);
      const [x, y] = operands(a.x, a.y, 'tf');
      return where(c, x, y);
    },
  },
  clip_by_value: {
    params: ['t', 'clip_value_min', 'clip_value_max'],
    run: (a) => {
      const x = T(a.t);
      if (typeof a.clip_value_min === 'number' && typeof a.clip_value_max === 'number')
        return tf.clipByValue(x, a.clip_value_min, a.clip_value_max);
      return tf.minimum(tf.maximum(x, operand(a.clip_value_min, x, 'tf')), operand(a.clip_value_max, x, 'tf'));
    },
  },
  one_hot: {
    params: ['indices', 'depth', 'on_value', 'off_value', 'axis', 'dtype'],
    defaults: { on_value: 1, off_value: 0, axis: -1, dtype: 'float32' },
    noGradient: true,
    run: (a) => {
      const idx = tf.cast(T(a.indices), 'int32');
      if (scalar(a.axis, 'axis') !== -1 && scalar(a.axis, 'axis') !== idx.rank)
        fail('UNSUPPORTED_CONFIG', 'one_hot along an axis other than the last is not supported.');
      const out = tf.oneHot(
        idx,
        scalar(a.depth, 'depth'),
        scalar(a.on_value, 'on_value'),
        scalar(a.off_value, 'off_value'),
      );
      return tf.cast(out, dtypeOf(a.dtype));
    },
  },
  cast: castOp,
  identity: unary('input', identity),
  stop_gradient: unary('input', identity, true),
  ones_like: likeOp(1),
  zeros_like: likeOp(0),
  shape: {
    params: ['input', 'out_type'],
    noGradient: true,
    run: (a) => tf.tensor1d(T(a.input).shape, 'int32'),
  },
  size: {
    params: ['input', 'out_type'],
    noGradient: true,
    run: (a) => tf.scalar(T(a.input).size, 'int32'),
  },
  'math.top_k': {
    params: ['input', 'k', 'sorted', 'index_type'],
    defaults: { k: 1, sorted: true },
    run: (a) => {
      const { values, indices } = tf.topk(T(a.input), scalar(a.k, 'k'), Boolean(a.sorted));
      return [values, indices];
    },
  },
  '__operators__.getitem': { params: ['tensor', 'slice_spec', 'var'], run: (a) => getItem(T(a.tensor), a.slice_spec) },
};
