/**
 * Fused TF.js kernels for whole recurrent sequences and additive attention scores, registered for
 * the `cpu` and `wasm` backends, each with an analytic gradient (BPTT for the recurrences). The math
 * runs in this package's own WebAssembly SIMD module (`assembly/kernels.ts`): one kernel call per
 * layer instead of ~15 TF.js ops per time step.
 */
import * as tf from '@tensorflow/tfjs';
import {
  emptyOutput,
  kernels,
  layout,
  pad4,
  padColumns,
  readInput,
  transposePadded,
  unpadColumns,
  writeOutput,
} from './wasm.ts';

/** Kernel names, as registered with TF.js. */
export const KERNEL = {
  lstm: 'KeraspectLSTMSequence',
  /** The LSTM without the gates and cells only a gradient needs (run when no tape records). */
  lstmInference: 'KeraspectLSTMSequenceInference',
  lstmGrad: 'KeraspectLSTMSequenceGrad',
  gru: 'KeraspectGRUSequence',
  /** The GRU without the saved gates (run when no tape records). */
  gruInference: 'KeraspectGRUSequenceInference',
  gruGrad: 'KeraspectGRUSequenceGrad',
  rnn: 'KeraspectSimpleRNNSequence',
  rnnGrad: 'KeraspectSimpleRNNSequenceGrad',
  additive: 'KeraspectAdditiveScores',
  additiveGrad: 'KeraspectAdditiveScoresGrad',
  batchMatMul: 'KeraspectBatchMatMul',
  /** An uninitialised float32 tensor of `attrs.shape`, which a saving kernel fills (see {@link savedStateInputs}). */
  scratch: 'KeraspectScratch',
} as const;

/** The backends the kernels are registered for. */
export const FAST_BACKENDS = ['cpu', 'wasm'] as const;

/** TF.js activation identifiers the kernels implement, with their codes in `assembly/kernels.ts`. */
export const ACTIVATION_CODES: Record<string, number> = {
  linear: 0,
  relu: 1,
  tanh: 2,
  sigmoid: 3,
  hardSigmoid: 4,
  keras3HardSigmoid: 5,
};

type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };
type Info = tf.TensorInfo;
const num = (a: tf.NamedAttrMap | undefined, k: string) => Number(a?.[k]);

/**
 * The LSTM and GRU kernels take `x` (B, T, F) with `kernel` (F, G·U) and an optional `bias` (G·U)
 * and project the input step by step inside the recurrence (x·W + b never becomes a tensor, nor a
 * copy in the module's memory). Copies x, W and b into the module and returns the kernel's
 * (x, w, bias, F) arguments (bias 0: none).
 */
function inputProjection(
  backend: tf.KernelBackend,
  inputs: Record<string, Info>,
  ptr: Record<'x' | 'w' | 'bias', number>,
  view: Record<'x' | 'w' | 'bias', Float32Array>,
  F: number,
  G: number,
  U: number,
  up: number,
): [number, number, number, number] {
  view.x.set(readInput(backend, inputs.x));
  padColumns(readInput(backend, inputs.kernel), view.w, F, G, U, up);
  if (inputs.bias) padColumns(readInput(backend, inputs.bias), view.bias, 1, G, U, up);
  return [ptr.x, ptr.w, inputs.bias ? ptr.bias : 0, F];
}

/**
 * What the saving LSTM and GRU kernels keep for their backward pass (gates and cells, all steps)
 * are inputs they fill, not outputs: TF.js' tape gives every output of a recorded kernel that no
 * gradient reaches a gradient of zeros, made in JavaScript and copied into the backend (29 MB a
 * 100-row pass of the seed LSTM, several old-space collections per integrated-gradients call), while
 * an input off the differentiated path is never visited. Each is a fresh {@link KERNEL.scratch}
 * tensor that nothing else holds, so filling it does not break the immutability of tensors that
 * anyone can see. Returns the named inputs to add to the saving kernel's call.
 */
export function savedStateInputs(kind: 'lstm' | 'gru', B: number, T: number, U: number): tf.NamedTensorMap {
  const up = pad4(U);
  const scratch = (shape: number[]) => run(KERNEL.scratch, {}, { shape }) as tf.Tensor;
  return kind === 'lstm'
    ? { gates: scratch([T, B, 4 * up]), cs: scratch([T, B, up]) }
    : { saved: scratch([T, B, 4 * up]) };
}

/** Copy a kernel's saved state into its {@link KERNEL.scratch} input. */
function fillSaved(backend: tf.KernelBackend, into: Info | undefined, values: Float32Array): void {
  if (!into || into.shape.reduce((a, c) => a * c, 1) !== values.length)
    throw new Error('Keraspect fused RNN kernel: the saving kernel needs its saved-state inputs (savedStateInputs).');
  readInput(backend, into).set(values);
}

function lstmForward(args: KernelArgs, save = true): Info[] {
  const { inputs, backend, attrs } = args;
  const { recurrentKernel, h0, c0 } = inputs;
  const U = recurrentKernel.shape[0];
  const up = pad4(U);
  const [B, T, F] = inputs.x.shape;
  const k = kernels()!;
  const copied = U === up ? (['r', 'h0', 'c0', 'w', 'bias'] as const) : [];
  // without saving, gates and cs are one step's scratch (the kernel updates the cell state in place)
  const steps = save ? T : 1;
  const { ptr, view } = layout(
    k,
    {
      x: B * T * F,
      w: F * 4 * up,
      bias: 4 * up,
      r: U * 4 * up,
      h0: B * up,
      c0: B * up,
      hs: T * B * up,
      cs: steps * B * up,
      gates: steps * B * 4 * up,
    },
    [...copied, 'x', 'hs', 'cs', 'gates'],
  );
  const projection = inputProjection(backend, inputs, ptr, view, F, 4, U, up);
  padColumns(readInput(backend, recurrentKernel), view.r, U, 4, U, up);
  padColumns(readInput(backend, h0), view.h0, B, 1, U, up);
  padColumns(readInput(backend, c0), view.c0, B, 1, U, up);
  k.lstmForward(
    ...projection,
    ptr.r,
    ptr.h0,
    ptr.c0,
    ptr.hs,
    ptr.cs,
    ptr.gates,
    T,
    B,
    U,
    up,
    num(attrs, 'recurrentActivation'),
    num(attrs, 'activation'),
    save ? 1 : 0,
  );
  if (save) {
    fillSaved(backend, inputs.gates, view.gates);
    fillSaved(backend, inputs.cs, view.cs);
  }
  return [
    writeOutput(backend, [B, T, U], (d) => unpadColumns(view.hs, d, B * T, 1, U, up)),
    writeOutput(backend, [B, U], (d) => unpadColumns(view.cs.subarray((steps - 1) * B * up), d, B, 1, U, up)),
  ];
}

function lstmBackward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const { dhs, dcT, gates, cs, c0, recurrentKernel } = inputs;
  const [B, T, U] = dhs.shape;
  const up = pad4(U);
  const k = kernels()!;
  const copied = U === up ? (['dhs', 'dcT', 'c0', 'rt'] as const) : [];
  const { ptr, view } = layout(
    k,
    {
      dhs: T * B * up,
      dcT: B * up,
      gates: T * B * 4 * up,
      cs: T * B * up,
      c0: B * up,
      rt: 4 * up * up,
      dz: T * B * 4 * up,
      dh0: B * up,
      dc0: B * up,
      dhn: B * up,
    },
    [...copied, 'gates', 'cs', 'dz', 'dh0', 'dc0', 'dhn'],
  );
  padColumns(readInput(backend, dhs), view.dhs, B * T, 1, U, up);
  padColumns(readInput(backend, dcT), view.dcT, B, 1, U, up);
  view.gates.set(readInput(backend, gates));
  view.cs.set(readInput(backend, cs));
  padColumns(readInput(backend, c0), view.c0, B, 1, U, up);
  transposePadded(readInput(backend, recurrentKernel), view.rt, 4, U, up);
  k.lstmBackward(
    ptr.dhs,
    ptr.dcT,
    ptr.gates,
    ptr.cs,
    ptr.c0,
    ptr.rt,
    ptr.dz,
    ptr.dh0,
    ptr.dc0,
    ptr.dhn,
    T,
    B,
    U,
    up,
    num(attrs, 'recurrentActivation'),
    num(attrs, 'activation'),
  );
  return [
    writeOutput(backend, [B, T, 4 * U], (d) => unpadColumns(view.dz, d, B * T, 4, U, up)),
    writeOutput(backend, [B, U], (d) => unpadColumns(view.dh0, d, B, 1, U, up)),
    writeOutput(backend, [B, U], (d) => unpadColumns(view.dc0, d, B, 1, U, up)),
  ];
}

function gruForward(args: KernelArgs, save = true): Info[] {
  const { inputs, backend, attrs } = args;
  const { recurrentKernel, recurrentBias, h0 } = inputs;
  const U = recurrentKernel.shape[0];
  const up = pad4(U);
  const [B, T, F] = inputs.x.shape;
  const k = kernels()!;
  const copied = U === up ? (['r', 'rb', 'h0', 'w', 'bias'] as const) : [];
  // without reset_after the kernel leaves the saved ih block unwritten: keep it zeroed (the
  // inference scratch is never read back)
  const saved = num(attrs, 'resetAfter') || !save ? (['saved'] as const) : [];
  const { ptr, view } = layout(
    k,
    {
      x: B * T * F,
      w: F * 3 * up,
      bias: 3 * up,
      // one step's projection
      xs: B * 3 * up,
      r: U * 3 * up,
      rb: 3 * up,
      h0: B * up,
      hs: T * B * up,
      saved: (save ? T : 1) * B * 4 * up,
      inner: B * 3 * up,
      rh: B * up,
    },
    [...copied, ...saved, 'x', 'xs', 'hs', 'inner', 'rh'],
  );
  const projection = inputProjection(backend, inputs, ptr, view, F, 3, U, up);
  padColumns(readInput(backend, recurrentKernel), view.r, U, 3, U, up);
  padColumns(readInput(backend, recurrentBias), view.rb, 1, 3, U, up);
  padColumns(readInput(backend, h0), view.h0, B, 1, U, up);
  k.gruForward(
    ptr.xs,
    ...projection,
    ptr.r,
    ptr.rb,
    ptr.h0,
    ptr.hs,
    ptr.saved,
    ptr.inner,
    ptr.rh,
    T,
    B,
    U,
    up,
    num(attrs, 'recurrentActivation'),
    num(attrs, 'activation'),
    num(attrs, 'resetAfter'),
    save ? 1 : 0,
  );
  if (save) fillSaved(backend, inputs.saved, view.saved);
  return [writeOutput(backend, [B, T, U], (d) => unpadColumns(view.hs, d, B * T, 1, U, up))];
}

function gruBackward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const { dhs, saved, hs, h0, recurrentKernel } = inputs;
  const [B, T, U] = dhs.shape;
  const up = pad4(U);
  const k = kernels()!;
  const copied = U === up ? (['dhs', 'hs', 'h0', 'rt'] as const) : [];
  const { ptr, view } = layout(
    k,
    {
      dhs: T * B * up,
      saved: T * B * 4 * up,
      hs: T * B * up,
      h0: B * up,
      rt: 3 * up * up,
      dx: T * B * 3 * up,
      dinner: T * B * 3 * up,
      dh0: B * up,
      dhn: B * up,
      drh: B * up,
    },
    [...copied, 'saved', 'dx', 'dinner', 'dh0', 'dhn', 'drh'],
  );
  padColumns(readInput(backend, dhs), view.dhs, B * T, 1, U, up);
  view.saved.set(readInput(backend, saved));
  padColumns(readInput(backend, hs), view.hs, B * T, 1, U, up);
  padColumns(readInput(backend, h0), view.h0, B, 1, U, up);
  transposePadded(readInput(backend, recurrentKernel), view.rt, 3, U, up);
  k.gruBackward(
    ptr.dhs,
    ptr.saved,
    ptr.hs,
    ptr.h0,
    ptr.rt,
    ptr.dx,
    ptr.dinner,
    ptr.dh0,
    ptr.dhn,
    ptr.drh,
    T,
    B,
    U,
    up,
    num(attrs, 'recurrentActivation'),
    num(attrs, 'activation'),
    num(attrs, 'resetAfter'),
  );
  return [
    writeOutput(backend, [B, T, 3 * U], (d) => unpadColumns(view.dx, d, B * T, 3, U, up)),
    writeOutput(backend, [B, T, 3 * U], (d) => unpadColumns(view.dinner, d, B * T, 3, U, up)),
    writeOutput(backend, [B, U], (d) => unpadColumns(view.dh0, d, B, 1, U, up)),
  ];
}

function rnnForward({ inputs, backend, attrs }: KernelArgs): Info {
  const { zx, recurrentKernel, h0 } = inputs;
  const [B, T, U] = zx.shape;
  const up = pad4(U);
  const k = kernels()!;
  const copied = U === up ? (['zx', 'r', 'h0'] as const) : [];
  const { ptr, view } = layout(k, { zx: T * B * up, r: U * up, h0: B * up, hs: T * B * up }, [...copied, 'hs']);
  padColumns(readInput(backend, zx), view.zx, B * T, 1, U, up);
  padColumns(readInput(backend, recurrentKernel), view.r, U, 1, U, up);
  padColumns(readInput(backend, h0), view.h0, B, 1, U, up);
  k.rnnForward(ptr.zx, ptr.r, ptr.h0, ptr.hs, T, B, U, up, num(attrs, 'activation'));
  return writeOutput(backend, [B, T, U], (d) => unpadColumns(view.hs, d, B * T, 1, U, up));
}

function rnnBackward({ inputs, backend, attrs }: KernelArgs): Info[] {
  const { dhs, hs, recurrentKernel } = inputs;
  const [B, T, U] = dhs.shape;
  const up = pad4(U);
  const k = kernels()!;
  const copied = U === up ? (['dhs', 'hs', 'rt'] as const) : [];
  const { ptr, view } = layout(
    k,
    { dhs: T * B * up, hs: T * B * up, rt: up * up, dz: T * B * up, dh0: B * up, dhn: B * up },
    [...copied, 'dz', 'dh0', 'dhn'],
  );
  padColumns(readInput(backend, dhs), view.dhs, B * T, 1, U, up);
  padColumns(readInput(backend, hs), view.hs, B * T, 1, U, up);
  transposePadded(readInput(backend, recurrentKernel), view.rt, 1, U, up);
  k.rnnBackward(ptr.dhs, ptr.hs, ptr.rt, ptr.dz, ptr.dh0, ptr.dhn, T, B, U, up, num(attrs, 'activation'));
  return [
    writeOutput(backend, [B, T, U], (d) => unpadColumns(view.dz, d, B * T, 1, U, up)),
    writeOutput(backend, [B, U], (d) => unpadColumns(view.dh0, d, B, 1, U, up)),
  ];
}

function additiveForward({ inputs, backend }: KernelArgs): Info {
  const { q, k: kk, wa, ba } = inputs;
  const [B, T, U] = q.shape;
  const up = pad4(U);
  const k = kernels()!;
  const copied = U === up ? (['q', 'k', 'wa'] as const) : [];
  const { ptr, view } = layout(k, { q: B * T * up, k: B * T * up, wa: up, e: B * T * T, scratch: 6 * T * up + up }, [
    ...copied,
    'e',
    'scratch',
  ]);
  padColumns(readInput(backend, q), view.q, B * T, 1, U, up);
  padColumns(readInput(backend, kk), view.k, B * T, 1, U, up);
  view.wa.set(readInput(backend, wa));
  k.additiveScores(ptr.q, ptr.k, ptr.wa, readInput(backend, ba)[0], ptr.e, B, T, up, ptr.scratch);
  return writeOutput(backend, [B, T, T], (d) => d.set(view.e));
}

function additiveBackward({ inputs, backend }: KernelArgs): Info[] {
  const { q, k: kk, wa, de } = inputs;
  const [B, T, U] = q.shape;
  const up = pad4(U);
  const k = kernels()!;
  const copied = U === up ? (['q', 'k', 'wa'] as const) : [];
  const { ptr, view } = layout(
    k,
    {
      q: B * T * up,
      k: B * T * up,
      wa: up,
      de: B * T * T,
      dq: B * T * up,
      dk: B * T * up,
      dwa: up,
      scratch: 2 * T * up + 2 * up,
    },
    [...copied, 'de', 'dq', 'dk', 'dwa', 'scratch'],
  );
  padColumns(readInput(backend, q), view.q, B * T, 1, U, up);
  padColumns(readInput(backend, kk), view.k, B * T, 1, U, up);
  view.wa.set(readInput(backend, wa));
  view.de.set(readInput(backend, de));
  k.additiveScoresBackward(ptr.q, ptr.k, ptr.wa, ptr.de, ptr.dq, ptr.dk, ptr.dwa, B, T, up, ptr.scratch);
  return [
    writeOutput(backend, [B, T, U], (d) => unpadColumns(view.dq, d, B * T, 1, U, up)),
    writeOutput(backend, [B, T, U], (d) => unpadColumns(view.dk, d, B * T, 1, U, up)),
    writeOutput(backend, [U], (d) => d.set(view.dwa.subarray(0, U))),
  ];
}

/**
 * C = op(A)·op(B) (+ bias) per batch, op a transpose when `transposeA`/`transposeB` is set; the
 * optional `bias` (N) is added to every row inside the product.
 */
function batchMatMul({ inputs, backend, attrs }: KernelArgs): Info {
  const { a, b, bias } = inputs;
  const ta = Boolean(attrs?.transposeA);
  const tb = Boolean(attrs?.transposeB);
  const [batch, a1, a2] = a.shape;
  const [, b1, b2] = b.shape;
  const [M, K] = ta ? [a2, a1] : [a1, a2];
  const N = tb ? b1 : b2;
  const np = pad4(N);
  const k = kernels()!;
  // One product at a time through buffers of one batch element: its operands are copied in right
  // before the product reads them and its result copied out right after, all within L2 (copying
  // every element's operands first left them in memory by the time the product reached them).
  // Transposed operands are transposed by the module (a strided read of A in the product would
  // touch a new cache line per term).
  const { ptr, view } = layout<'a' | 'at' | 'b' | 'bt' | 'c' | 'bias'>(
    k,
    { a: M * K, at: ta ? M * K : 0, b: K * np, bt: tb ? N * K : 0, c: M * np, bias: bias ? np : 0 },
    np === N ? ['a', 'at', 'b', 'bt', 'c'] : ['a', 'at', 'bt', 'c'],
  );
  if (bias) view.bias.set(readInput(backend, bias));
  return writeOutput(backend, [batch, M, N], (d) => {
    // read after the output is allocated: that allocation may grow (and so detach) the backend's heap
    const av = readInput(backend, a);
    const bv = readInput(backend, b);
    for (let n = 0; n < batch; n++) {
      const aSlice = av.subarray(n * M * K, (n + 1) * M * K);
      if (!ta) view.a.set(aSlice);
      else {
        view.at.set(aSlice);
        k.transpose(ptr.at, K, M, ptr.a, K);
      }
      const bSlice = bv.subarray(n * K * N, (n + 1) * K * N);
      // padding columns of b stay zero from the layout: padColumns and transpose leave them alone
      if (!tb) padColumns(bSlice, view.b, K, 1, N, np);
      else {
        view.bt.set(bSlice);
        k.transpose(ptr.bt, N, K, ptr.b, np);
      }
      k.matmul(ptr.a, K, 1, ptr.b, ptr.c, ptr.bias, bias ? 1 : 0, M, K, np, 0);
      unpadColumns(view.c, d.subarray(n * M * N, (n + 1) * M * N), M, 1, N, np);
    }
  });
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs?: tf.NamedAttrMap) =>
  tf.engine().runKernel(name, inputs, attrs) as tf.Tensor | tf.Tensor[];

/** (B, U) h0 followed by h_1 … h_{T−1}, flattened to (B·T, U): the state each step started from. */
function previousStates(h0: tf.Tensor, hs: tf.Tensor): tf.Tensor2D {
  const [B, T, U] = hs.shape;
  return tf.reshape(tf.concat([tf.expandDims(h0, 1), tf.slice(hs, [0, 0, 0], [B, T - 1, U])], 1), [B * T, U]);
}

/**
 * The gradients of the projection x·W + b (x (B, T, F), W (F, G·U)) that the LSTM and GRU kernels do
 * inside, from dz (B, T, G·U), the gradient w.r.t. its result.
 */
function projectionGradients(x: tf.Tensor, w: tf.Tensor, dz: tf.Tensor): Record<string, () => tf.Tensor> {
  const [B, T, F] = x.shape;
  const width = w.shape[1] as number;
  const flatDz = () => tf.reshape(dz, [1, B * T, width]);
  const product = (a: tf.Tensor, b: tf.Tensor, attrs: tf.NamedAttrMap) =>
    run(KERNEL.batchMatMul, { a, b }, attrs) as tf.Tensor;
  return {
    x: () => tf.reshape(product(flatDz(), tf.reshape(w, [1, F, width]), { transposeB: true }), [B, T, F]),
    kernel: () => tf.reshape(product(tf.reshape(x, [1, B * T, F]), flatDz(), { transposeA: true }), [F, width]),
    bias: () => tf.sum(tf.reshape(dz, [B * T, width]), 0),
  };
}

const gradients: tf.GradConfig[] = [
  {
    kernelName: KERNEL.lstm,
    inputsToSave: ['x', 'kernel', 'recurrentKernel', 'h0', 'c0', 'gates', 'cs'],
    outputsToSave: [true, false],
    gradFunc: (dy, saved, attrs) => {
      const [dhs, dcT] = dy as (tf.Tensor | null)[];
      const [x, w, rk, h0, c0, gates, cs, hs] = saved;
      const [B, T] = x.shape;
      const U = rk.shape[0];
      const [dz, dh0, dc0] = run(
        KERNEL.lstmGrad,
        { dhs: dhs ?? tf.zeros([B, T, U]), dcT: dcT ?? tf.zeros([B, U]), gates, cs, c0, recurrentKernel: rk },
        attrs,
      ) as tf.Tensor[];
      return {
        ...projectionGradients(x, w, dz),
        h0: () => dh0.clone(),
        c0: () => dc0.clone(),
        recurrentKernel: () => tf.matMul(previousStates(h0, hs), tf.reshape(dz, [B * T, 4 * U]), true, false),
      };
    },
  },
  {
    kernelName: KERNEL.gru,
    inputsToSave: ['x', 'kernel', 'recurrentKernel', 'recurrentBias', 'h0', 'saved'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      // one output: dy is its gradient, not a list
      const dhs = dy as tf.Tensor;
      const [x, w, rk, , h0, state, hs] = saved;
      const [B, T] = x.shape;
      const U = rk.shape[0];
      const [dx, dinner, dh0] = run(
        KERNEL.gruGrad,
        { dhs, saved: state, hs, h0, recurrentKernel: rk },
        attrs,
      ) as tf.Tensor[];
      const flatInner = () => tf.reshape(dinner, [B * T, 3 * U]);
      return {
        ...projectionGradients(x, w, dx),
        h0: () => dh0.clone(),
        recurrentBias: () => tf.sum(flatInner(), 0),
        recurrentKernel: () => {
          const hPrev = previousStates(h0, hs);
          if (Number(attrs?.resetAfter)) return tf.matMul(hPrev, flatInner(), true, false);
          // reset-before: the candidate's recurrent matmul sees r ⊙ h_{t−1}
          const up = (state.shape[2] as number) / 4;
          const r = tf.reshape(tf.transpose(tf.slice(state, [0, 0, up], [T, B, U]), [1, 0, 2]), [B * T, U]);
          const [dzr, dh] = tf.split(flatInner(), [2 * U, U], 1);
          return tf.concat([tf.matMul(hPrev, dzr, true, false), tf.matMul(tf.mul(r, hPrev), dh, true, false)], 1);
        },
      };
    },
  },
  {
    kernelName: KERNEL.rnn,
    inputsToSave: ['zx', 'recurrentKernel', 'h0'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [zx, rk, h0, hs] = saved;
      const [B, T, U] = zx.shape;
      const [dz, dh0] = run(KERNEL.rnnGrad, { dhs: dy as tf.Tensor, hs, recurrentKernel: rk }, attrs) as tf.Tensor[];
      return {
        zx: () => dz.clone(),
        h0: () => dh0.clone(),
        recurrentKernel: () => tf.matMul(previousStates(h0, hs), tf.reshape(dz, [B * T, U]), true, false),
      };
    },
  },
  {
    kernelName: KERNEL.batchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      if (attrs?.transposeA || attrs?.transposeB)
        throw new Error(`${KERNEL.batchMatMul}: only the untransposed product has a gradient.`);
      const [a, b] = saved;
      const dc = dy as tf.Tensor;
      return {
        a: () => run(KERNEL.batchMatMul, { a: dc, b }, { transposeB: true }) as tf.Tensor,
        b: () => run(KERNEL.batchMatMul, { a, b: dc }, { transposeA: true }) as tf.Tensor,
        bias: () => tf.sum(dc, [0, 1]),
      };
    },
  },
  {
    kernelName: KERNEL.additive,
    inputsToSave: ['q', 'k', 'wa'],
    gradFunc: (dy, saved) => {
      const [q, k, wa] = saved;
      const de = dy as tf.Tensor;
      const [dq, dk, dwa] = run(KERNEL.additiveGrad, { q, k, wa, de }) as tf.Tensor[];
      return { q: () => dq.clone(), k: () => dk.clone(), wa: () => dwa.clone(), ba: () => tf.reshape(tf.sum(de), [1]) };
    },
  },
];

let registered: boolean | undefined;

/**
 * Register the kernels and their gradients (once per process). Returns false when WebAssembly SIMD
 * is unavailable, in which case nothing is registered and the layers keep their op-by-op path.
 */
export function registerFastKernels(): boolean {
  if (registered !== undefined) return registered;
  registered = kernels() !== null;
  if (!registered) return false;
  const funcs: [string, (a: KernelArgs) => Info | Info[]][] = [
    [KERNEL.lstm, (a) => lstmForward(a)],
    [KERNEL.lstmInference, (a) => lstmForward(a, false)],
    [KERNEL.lstmGrad, lstmBackward],
    [KERNEL.gru, (a) => gruForward(a)],
    [KERNEL.gruInference, (a) => gruForward(a, false)],
    [KERNEL.gruGrad, gruBackward],
    [KERNEL.rnn, rnnForward],
    [KERNEL.rnnGrad, rnnBackward],
    [KERNEL.additive, additiveForward],
    [KERNEL.additiveGrad, additiveBackward],
    [KERNEL.batchMatMul, batchMatMul],
    [KERNEL.scratch, ({ backend, attrs }) => emptyOutput(backend, attrs!.shape as number[])],
  ];
  for (const backendName of FAST_BACKENDS) {
    for (const [kernelName, kernelFunc] of funcs) {
      if (!tf.getKernel(kernelName, backendName))
        tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFunc as tf.KernelFunc });
    }
  }
  for (const g of gradients) if (!tf.getGradient(g.kernelName)) tf.registerGradient(g);
  shareIdentityOnWasm();
  return true;
}

/**
 * TF.js clones every tensor a gradient saves (`saved = tensors.map((t) => keep(clone(t)))`), and the
 * wasm backend's Identity copies the buffer: a batch-32 gradient of the seed model copied ~60
 * tensors, tens of MB. Tensors are immutable, so the clone may share the buffer, reference-counted,
 * as that backend's own Reshape and the cpu backend's Identity do.
 */
function shareIdentityOnWasm(): void {
  const original = tf.getKernel('Identity', 'wasm');
  if (!original || (original.kernelFunc as { keraspectShared?: boolean }).keraspectShared) return;
  const copy = original.kernelFunc;
  const kernelFunc = ((args: KernelArgs) => {
    const { x } = args.inputs;
    const b = args.backend as tf.KernelBackend & { incRef?(dataId: object): void };
    if (x.dtype === 'string' || !b.incRef) return copy(args as never);
    b.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  }) as tf.KernelFunc & { keraspectShared?: boolean };
  kernelFunc.keraspectShared = true;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
}
