import { describe, expect, it } from 'vitest';
import { kerasOps } from '../../src/layers/ops/keras-ops.ts';
import { erf, expectValues, runOp, t } from './harness.ts';

// Every Keras 3 operation of the op table on values with closed-form results, with Keras' (NumPy's)
// semantics: constructor arguments come from the op's config, call arguments from the node.

const run = (
  name: string,
  args: unknown[],
  config: Record<string, unknown> = {},
  kwargs: Record<string, unknown> = {},
) => runOp(kerasOps, name, args, kwargs, config);
const one = (
  name: string,
  args: unknown[],
  config: Record<string, unknown> = {},
  kwargs: Record<string, unknown> = {},
) => run(name, args, config, kwargs)[0];

const X = [-1.7, -0.4, 0, 0.6, 2.3];
const P = [0.2, 0.9, 1.5, 3];
const U = [-0.8, -0.1, 0.3, 0.9];
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const hardSigmoid3 = (v: number) => Math.min(1, Math.max(0, v / 6 + 0.5));

const unary: Record<string, [number[], (v: number) => number]> = {
  Negative: [X, (v) => -v],
  Absolute: [X, Math.abs],
  Abs: [X, Math.abs],
  Sign: [X, Math.sign],
  Square: [X, (v) => v * v],
  Sqrt: [P, Math.sqrt],
  Reciprocal: [P, (v) => 1 / v],
  Exp: [X, Math.exp],
  Expm1: [X, Math.expm1],
  Log: [P, Math.log],
  Log1p: [P, Math.log1p],
  Log2: [P, Math.log2],
  Log10: [P, Math.log10],
  Exp2: [X, (v) => 2 ** v],
  Floor: [X, Math.floor],
  Ceil: [X, Math.ceil],
  Sin: [X, Math.sin],
  Cos: [X, Math.cos],
  Tan: [U, Math.tan],
  Arcsin: [U, Math.asin],
  Arccos: [U, Math.acos],
  Arctan: [X, Math.atan],
  Sinh: [X, Math.sinh],
  Cosh: [X, Math.cosh],
  Tanh: [X, Math.tanh],
  Arcsinh: [X, Math.asinh],
  Arccosh: [[1, 1.5, 3], Math.acosh],
  Arctanh: [U, Math.atanh],
  Copy: [X, (v) => v],
  Relu: [X, (v) => Math.max(0, v)],
  Relu6: [[...X, 7], (v) => Math.min(6, Math.max(0, v))],
  Sigmoid: [X, sigmoid],
  Softplus: [X, (v) => Math.log1p(Math.exp(v))],
  Softsign: [X, (v) => v / (1 + Math.abs(v))],
  Silu: [X, (v) => v * sigmoid(v)],
  LogSigmoid: [X, (v) => Math.log(sigmoid(v))],
  // Keras 3's hard_sigmoid: x/6 + 1/2 clipped (Keras 2 used 0.2·x + 0.5).
  HardSigmoid: [[-4, -1, 0, 2, 4], hardSigmoid3],
  HardSilu: [[-4, -1, 0, 2, 4], (v) => v * hardSigmoid3(v)],
  Selu: [X, (v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * Math.expm1(v))],
  Erf: [X, erf],
  Rsqrt: [P, (v) => 1 / Math.sqrt(v)],
  StopGradient: [X, (v) => v],
};

const A = [1.5, -2, 3, 0.5];
const B = [2, 3, -1.5, 0.25];
const binary: Record<string, [(a: number, b: number) => number, number[]?]> = {
  Add: [(a, b) => a + b],
  Subtract: [(a, b) => a - b],
  Multiply: [(a, b) => a * b],
  Divide: [(a, b) => a / b],
  TrueDivide: [(a, b) => a / b],
  FloorDivide: [(a, b) => Math.floor(a / b)],
  Mod: [(a, b) => a - b * Math.floor(a / b)],
  Power: [(a, b) => a ** b, [1.5, 2, 3, 0.5]],
  Maximum: [Math.max],
  Minimum: [Math.min],
  Arctan2: [(a, b) => Math.atan2(a, b)],
};

const cmp: Record<string, (a: number, b: number) => boolean> = {
  Equal: (a, b) => a === b,
  NotEqual: (a, b) => a !== b,
  Greater: (a, b) => a > b,
  GreaterEqual: (a, b) => a >= b,
  Less: (a, b) => a < b,
  LessEqual: (a, b) => a <= b,
};

const M = t([1, 2, 3, 4, 5, 6], [2, 3]);
const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
const mean = (v: number[]) => sum(v) / v.length;
const variance = (v: number[]) => mean(v.map((x) => (x - mean(v)) ** 2));

const special: Record<string, () => void> = {
  DivideNoNan: () => expectValues(one('DivideNoNan', [t([1, 2]), t([0, 4])]), [0, 0.5]),
  Round: () => {
    expectValues(one('Round', [t([0.5, 1.5, 2.5, -1.7])]), [0, 2, 2, -2]);
    expectValues(one('Round', [t([1.26, -0.34])], { decimals: 1 }), [1.3, -0.3]);
  },
  Isnan: () => expectValues(one('Isnan', [t([1, Number.NaN])]), [0, 1]),
  Isinf: () => expectValues(one('Isinf', [t([1, Number.POSITIVE_INFINITY])]), [0, 1]),
  Isfinite: () => expectValues(one('Isfinite', [t([1, Number.NaN])]), [1, 0]),
  // NumPy: axis=None flattens.
  Cumsum: () => {
    expectValues(one('Cumsum', [M]), [1, 3, 6, 10, 15, 21], [6]);
    expectValues(one('Cumsum', [M], { axis: 0 }), [1, 2, 3, 5, 7, 9], [2, 3]);
  },
  Cumprod: () => expectValues(one('Cumprod', [M], { axis: 1 }), [1, 2, 6, 4, 20, 120]),
  Clip: () => {
    expectValues(
      one('Clip', [t(X)], { x_min: -1, x_max: 1 }),
      X.map((v) => Math.min(1, Math.max(-1, v))),
    );
    expectValues(
      one('Clip', [t(X)], { x_min: null, x_max: 0.5 }),
      X.map((v) => Math.min(0.5, v)),
    );
  },
  LogicalAnd: () => expectValues(one('LogicalAnd', [t([true, true, false]), t([true, false, false])]), [1, 0, 0]),
  LogicalOr: () => expectValues(one('LogicalOr', [t([true, true, false]), t([true, false, false])]), [1, 1, 0]),
  LogicalXor: () => expectValues(one('LogicalXor', [t([true, true, false]), t([true, false, false])]), [0, 1, 0]),
  LogicalNot: () => expectValues(one('LogicalNot', [t([true, false])]), [0, 1]),
  Where: () => expectValues(one('Where', [t([true, false, true]), t([1, 2, 3]), -1]), [1, -1, 3]),
  Sum: () => {
    expectValues(one('Sum', [M], { axis: 1 }), [6, 15], [2]);
    expectValues(one('Sum', [M]), [21], []);
    // Summing a mask counts its true entries.
    expectValues(one('Sum', [t([true, true, false])]), [2]);
  },
  Mean: () => expectValues(one('Mean', [M], { axis: [0, 1], keepdims: true }), [3.5], [1, 1]),
  Max: () => expectValues(one('Max', [M], { axis: 0 }), [4, 5, 6]),
  Amax: () => expectValues(one('Amax', [M], { axis: 1 }), [3, 6]),
  Min: () => expectValues(one('Min', [M], { axis: 1 }), [1, 4]),
  Amin: () => expectValues(one('Amin', [M]), [1]),
  Prod: () => expectValues(one('Prod', [M], { axis: 1 }), [6, 120]),
  Std: () =>
    expectValues(one('Std', [M], { axis: 1 }), [Math.sqrt(variance([1, 2, 3])), Math.sqrt(variance([4, 5, 6]))]),
  Var: () => expectValues(one('Var', [M], { axis: 0 }), [2.25, 2.25, 2.25]),
  Any: () => expectValues(one('Any', [t([true, false, false, false], [2, 2])], { axis: -1 }), [1, 0]),
  All: () => expectValues(one('All', [t([true, true, true, false], [2, 2])], { axis: -1 }), [1, 0]),
  Logsumexp: () =>
    expectValues(one('Logsumexp', [M], { axis: 1 }), [
      Math.log(sum([1, 2, 3].map(Math.exp))),
      Math.log(sum([4, 5, 6].map(Math.exp))),
    ]),
  // NumPy's argmax flattens when axis is None (TensorFlow's takes axis 0).
  Argmax: () => {
    expectValues(one('Argmax', [t([1, 9, 3, 4, 5, 6], [2, 3])]), [1], []);
    expectValues(one('Argmax', [t([1, 9, 3, 4, 5, 6], [2, 3])], { axis: 1, keepdims: true }), [1, 2], [2, 1]);
  },
  Argmin: () => expectValues(one('Argmin', [t([1, 9, 3, 4, 0, 6], [2, 3])]), [4]),
  Reshape: () => expectValues(one('Reshape', [M], { newshape: [-1, 2] }), [1, 2, 3, 4, 5, 6], [3, 2]),
  ExpandDims: () => expect(one('ExpandDims', [M], { axis: [0, -1] }).shape).toEqual([1, 2, 3, 1]),
  Squeeze: () => expect(one('Squeeze', [t([1, 2, 3], [1, 3, 1])], { axis: 0 }).shape).toEqual([3, 1]),
  Transpose: () => expectValues(one('Transpose', [M]), [1, 4, 2, 5, 3, 6], [3, 2]),
  Moveaxis: () =>
    expect(one('Moveaxis', [t(new Array(24).fill(0), [2, 3, 4])], { source: 0, destination: -1 }).shape).toEqual([
      3, 4, 2,
    ]),
  Swapaxes: () => expectValues(one('Swapaxes', [M], { axis1: 0, axis2: 1 }), [1, 4, 2, 5, 3, 6], [3, 2]),
  Concatenate: () => {
    expectValues(one('Concatenate', [[M, M]], { axis: 0 }), [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6], [4, 3]);
    expectValues(one('Concatenate', [[t([1, 2]), t([3])]], { axis: null }), [1, 2, 3], [3]);
  },
  Stack: () => expectValues(one('Stack', [[t([1, 2]), t([3, 4])]], { axis: -1 }), [1, 3, 2, 4], [2, 2]),
  Unstack: () =>
    expect(run('Unstack', [M], { axis: 0 }).map((p) => p.data)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]),
  // NumPy's split takes the split points.
  Split: () => {
    expect(run('Split', [t([1, 2, 3, 4, 5, 6])], { indices_or_sections: [2, 5] }).map((p) => p.data)).toEqual([
      [1, 2],
      [3, 4, 5],
      [6],
    ]);
    expect(run('Split', [M], { indices_or_sections: 3, axis: 1 }).map((p) => p.shape)).toEqual([
      [2, 1],
      [2, 1],
      [2, 1],
    ]);
  },
  // NumPy's tile pads the repeats with leading 1s.
  Tile: () => expectValues(one('Tile', [M], { repeats: [2] }), [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6], [2, 6]),
  Repeat: () => expectValues(one('Repeat', [M], { repeats: 2 }), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], [12]),
  Pad: () => {
    expectValues(one('Pad', [t([1, 2, 3])], { pad_width: [[1, 2]] }), [0, 1, 2, 3, 0, 0]);
    expectValues(one('Pad', [t([1, 2, 3]), 7], { pad_width: [[1, 0]] }), [7, 1, 2, 3]);
    expectValues(one('Pad', [t([1, 2, 3])], { pad_width: [[1, 1]], mode: 'reflect' }), [2, 1, 2, 3, 2]);
  },
  Flip: () => expectValues(one('Flip', [M]), [6, 5, 4, 3, 2, 1]),
  BroadcastTo: () => expect(one('BroadcastTo', [t([1, 2, 3])], { shape: [2, 3] }).shape).toEqual([2, 3]),
  Take: () => {
    expectValues(one('Take', [M, t([2, -3], [2], 'int32')], { axis: 1 }), [3, 1, 6, 4], [2, 2]);
    expectValues(one('Take', [M, t([5], [1], 'int32')]), [6], [1]);
  },
  GetItem: () => {
    const x = t(
      Array.from({ length: 24 }, (_, i) => i),
      [2, 3, 4],
    );
    // Keras 3 serializes x[:, -1] as [__slice__, -1] and … as __ellipsis__.
    const full = { slice: { start: null, stop: null, step: null } };
    expectValues(one('GetItem', [x, [full, -1]]), [8, 9, 10, 11, 20, 21, 22, 23], [2, 4]);
    expectValues(
      one('GetItem', [x, [{ ellipsis: true }, { slice: { start: -2, stop: null, step: null } }]]),
      [2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23],
      [2, 3, 2],
    );
    // An index tensor along one axis.
    expectValues(one('GetItem', [x, [full, t([2, 0], [2], 'int32'), 0]]), [8, 0, 20, 12], [2, 2]);
  },
  Matmul: () => {
    expectValues(one('Matmul', [M, t([1, 0, 0, 1, 1, 1], [3, 2])]), [4, 5, 10, 11], [2, 2]);
    // NumPy's 1-D cases.
    expectValues(one('Matmul', [M, t([1, 1, 1])]), [6, 15], [2]);
    expectValues(one('Matmul', [t([1, 1]), M]), [5, 7, 9], [3]);
  },
  Einsum: () => expectValues(one('Einsum', ['ij,j->i', M, t([1, 0, 2])]), [7, 16], [2]),
  // M = [[1, 2, 3], [4, 5, 6]]: numpy.tril(M) = [[1, 0, 0], [4, 5, 0]], numpy.triu(M, 1) = [[0, 2, 3], [0, 0, 6]].
  Tril: () => {
    expectValues(one('Tril', [M]), [1, 0, 0, 4, 5, 0], [2, 3]);
    expectValues(one('Tril', [M], { k: -1 }), [0, 0, 0, 4, 0, 0], [2, 3]);
  },
  Triu: () => {
    expectValues(one('Triu', [M], { k: 1 }), [0, 2, 3, 0, 0, 6], [2, 3]);
    expectValues(one('Triu', [t([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2])]), [1, 2, 0, 4, 5, 6, 0, 8], [2, 2, 2]);
  },
  OnesLike: () => expectValues(one('OnesLike', [M]), [1, 1, 1, 1, 1, 1]),
  ZerosLike: () => expect(one('ZerosLike', [M], { dtype: 'int32' }).dtype).toBe('int32'),
  Cast: () => {
    const c = one('Cast', [t([-1.7, 2.9])], { dtype: 'int32' });
    expect(c.dtype).toBe('int32');
    expectValues(c, [-1, 2]);
    expect(one('Cast', [t([0, 1])], { dtype: 'bool' }).dtype).toBe('bool');
  },
  ConvertToTensor: () => expect(one('ConvertToTensor', [M], { dtype: 'float64' }).dtype).toBe('float32'),
  Slice: () => expectValues(one('Slice', [M, [0, 1]], { shape: [2, 2] }), [2, 3, 5, 6], [2, 2]),
  LeakyRelu: () =>
    expectValues(
      one('LeakyRelu', [t(X)], { negative_slope: 0.1 }),
      X.map((v) => (v > 0 ? v : 0.1 * v)),
    ),
  Elu: () =>
    expectValues(
      one('Elu', [t(X)], { alpha: 0.5 }),
      X.map((v) => (v > 0 ? v : 0.5 * Math.expm1(v))),
    ),
  // keras.ops.gelu defaults to the tanh approximation.
  Gelu: () => {
    const approx = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    expectValues(one('Gelu', [t(X)]), X.map(approx));
    expectValues(
      one('Gelu', [t(X)], { approximate: false }),
      X.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
    );
  },
  Softmax: () => expectValues(one('Softmax', [t([0, Math.log(3)])]), [0.25, 0.75]),
  LogSoftmax: () =>
    expectValues(one('LogSoftmax', [t([0, Math.log(3), 0, 0], [2, 2])], { axis: 0 }), [
      Math.log(0.5),
      Math.log(0.75),
      Math.log(0.5),
      Math.log(0.25),
    ]),
  Normalize: () => expectValues(one('Normalize', [t([3, 4])]), [0.6, 0.8]),
  TopK: () => {
    const [v, i] = run('TopK', [t([1, 9, 3])], { k: 2 });
    expectValues(v, [9, 3]);
    expectValues(i, [1, 2]);
  },
};

describe('Keras 3 op nodes: every operation in the table', () => {
  it('has a closed-form test here', () => {
    const covered = new Set([
      ...Object.keys(unary),
      ...Object.keys(binary),
      ...Object.keys(cmp),
      ...Object.keys(special),
    ]);
    expect(Object.keys(kerasOps).filter((k) => !covered.has(k))).toEqual([]);
  });

  it.each(Object.entries(unary))('%s', (name, [xs, f]) =>
    expectValues(one(name, [t(xs)]), xs.map(f), [xs.length], name),
  );

  it.each(Object.entries(binary))('%s', (name, [f, a = A]) => {
    expectValues(
      one(name, [t(a), t(B)]),
      a.map((v, i) => f(v, B[i])),
      [a.length],
      name,
    );
    // `x + 1.0`: the constant is a call argument.
    expectValues(
      one(name, [t(a), 2]),
      a.map((v) => f(v, 2)),
      undefined,
      `${name} constant`,
    );
  });

  it.each(Object.entries(cmp))('%s', (name, f) => {
    const res = one(name, [t([1, 2, 3]), t([1, 3, 2])]);
    expect(res.dtype).toBe('bool');
    expectValues(
      res,
      [1, 2, 3].map((v, i) => Number(f(v, [1, 3, 2][i]))),
    );
  });

  it.each(Object.entries(special))('%s', (_name, check) => check());

  it('promotes a Python float beside an int tensor to float32 (NumPy rules), and keeps int + int', () => {
    const f = one('Add', [t([1, 2], [2], 'int32'), 0.5]);
    expect(f.dtype).toBe('float32');
    expectValues(f, [1.5, 2.5]);
    expect(one('Multiply', [t([1, 2], [2], 'int32'), 3]).dtype).toBe('int32');
  });
});
