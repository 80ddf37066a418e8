// An independent loop-by-loop reference of keras-tcn's TCN forward pass (philipperemy/keras-tcn
// tcn.py, per release), for the closed-form tests: plain numbers, no TF.js.

export type Seq = number[][]; // (T, C)

export interface RefConv {
  kernel: number[][][]; // (k, Cin, Cout)
  bias: number[];
  /** Weight normalization: kernel := kernel / ‖kernel‖ (over k and Cin) · g. */
  g?: number[];
}

export interface RefBlock {
  convs: [RefConv, RefConv];
  /** BatchNormalization (gamma, beta, mean, variance) or LayerNormalization (gamma, beta), per conv. */
  norms?: [number[][], number[][]];
  matching?: RefConv;
}

export interface RefTcn {
  blocks: RefBlock[];
  dilations: number[];
  kernelSize: number;
  padding: 'causal' | 'same';
  activation: (v: number) => number;
  innerRelu: boolean;
  branchActivation: boolean;
  useSkip: boolean;
  returnSequences: boolean;
  sameSliceMiddle: boolean;
  goBackwards: boolean;
  inputConv?: RefConv;
}

export const relu = (v: number) => Math.max(0, v);
export const elu = (v: number) => (v > 0 ? v : Math.exp(v) - 1);
export const tanh = Math.tanh;

function normalizedKernel(c: RefConv): number[][][] {
  if (!c.g) return c.kernel;
  const cout = c.bias.length;
  const norms = Array.from({ length: cout }, (_, o) => {
    let s = 0;
    for (const tap of c.kernel) for (const row of tap) s += row[o] ** 2;
    return Math.sqrt(Math.max(s, 1e-12));
  });
  return c.kernel.map((tap) => tap.map((row) => row.map((w, o) => (w / norms[o]) * (c.g as number[])[o])));
}

/** Keras Conv1D: causal (left pad (k−1)·d) or same (TF's split: ⌊total/2⌋ left), stride 1. */
export function conv(x: Seq, c: RefConv, dilation: number, padding: 'causal' | 'same'): Seq {
  const kernel = normalizedKernel(c);
  const k = kernel.length;
  const total = (k - 1) * dilation;
  const left = padding === 'causal' ? total : Math.floor(total / 2);
  const T = x.length;
  return Array.from({ length: T }, (_, t) =>
    c.bias.map((b, o) => {
      let s = b;
      for (let j = 0; j < k; j++) {
        const src = t - left + j * dilation;
        if (src < 0 || src >= T) continue;
        x[src].forEach((v, i) => {
          s += v * kernel[j][i][o];
        });
      }
      return s;
    }),
  );
}

function norm(x: Seq, p: number[][]): Seq {
  if (p.length === 4) {
    const [gamma, beta, mean, variance] = p;
    return x.map((row) => row.map((v, c) => ((v - mean[c]) / Math.sqrt(variance[c] + 1e-3)) * gamma[c] + beta[c]));
  }
  const [gamma, beta] = p;
  return x.map((row) => {
    const m = row.reduce((a, b) => a + b, 0) / row.length;
    const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / row.length;
    return row.map((u, c) => ((u - m) / Math.sqrt(v + 1e-3)) * gamma[c] + beta[c]);
  });
}

const map = (x: Seq, f: (v: number) => number): Seq => x.map((r) => r.map(f));
const add = (a: Seq, b: Seq): Seq => a.map((r, t) => r.map((v, c) => v + b[t][c]));

/** The TCN's output for one sample: (T, C) with return_sequences, else (C). */
export function referenceTcn(x0: Seq, m: RefTcn): Seq | number[] {
  let x = m.goBackwards ? [...x0].reverse() : x0;
  if (m.inputConv) x = conv(x, m.inputConv, 1, 'causal');
  const skips: Seq[] = [];
  m.blocks.forEach((b, i) => {
    let h = x;
    for (let k = 0; k < 2; k++) {
      h = conv(h, b.convs[k], m.dilations[i], m.padding);
      if (b.norms) h = norm(h, b.norms[k]);
      h = map(h, m.innerRelu ? relu : m.activation);
    }
    if (m.branchActivation) h = map(h, m.activation);
    const res = b.matching ? conv(x, b.matching, 1, 'same') : x;
    x = map(add(res, h), m.activation);
    skips.push(h);
  });
  const out = m.useSkip ? skips.reduce(add) : x;
  if (m.returnSequences) return out;
  const at = m.padding === 'same' && m.sameSliceMiddle ? Math.floor(out.length / 2) : out.length - 1;
  return out[at];
}
