import { fail } from '../../errors.ts';
import type { WeightArray } from '../port.ts';

// Keras 2's CuDNNLSTM/CuDNNGRU keep each gate's kernels as cuDNN reads them: the flat buffer of a
// gate's input kernel (F, U) is cuDNN's (U, F) matrix in row-major order, and its recurrent kernel
// is the transpose. Keras' own loader converts them when the weights go to a standard LSTM/GRU
// (`_convert_rnn_weights`, keras/engine/saving.py in Keras 2.2, tf.keras saving/hdf5_format.py):
// per gate, input kernels `k.T.reshape(k.shape, order='F')`, recurrent kernels `k.T`; the biases
// are summed (LSTM) or reshaped to (2, 3U) (GRU).

/** `k.T.reshape(k.shape, order='F')` of each gate block of a (rows, gates·units) kernel. */
export function fromCudnnInputKernel(w: WeightArray, gates: number, what: string): WeightArray {
  const [rows, cols] = matrix(w, gates, what);
  const units = cols / gates;
  const out = new Float32Array(w.data.length);
  for (let g = 0; g < gates; g++) {
    // The gate's block, flattened in C order: flat[n] = w[n / units][g·units + n % units].
    const flat = (n: number) => w.data[Math.floor(n / units) * cols + g * units + (n % units)];
    for (let a = 0; a < rows; a++) for (let b = 0; b < units; b++) out[a * cols + g * units + b] = flat(b * rows + a);
  }
  return { ...w, data: out };
}

/** `k.T` of each (units, units) gate block of a recurrent kernel (units, gates·units). */
export function fromCudnnRecurrentKernel(w: WeightArray, gates: number, what: string): WeightArray {
  const [rows, cols] = matrix(w, gates, what);
  const units = cols / gates;
  if (rows !== units)
    fail(
      'WEIGHT_MISMATCH',
      `${what}: recurrent kernel '${w.name}' should be (units, ${gates}·units), found ${JSON.stringify(w.shape)}.`,
    );
  const out = new Float32Array(w.data.length);
  for (let g = 0; g < gates; g++)
    for (let a = 0; a < units; a++)
      for (let b = 0; b < units; b++) out[a * cols + g * units + b] = w.data[b * cols + g * units + a];
  return { ...w, data: out };
}

function matrix(w: WeightArray, gates: number, what: string): [number, number] {
  if (w.shape.length !== 2 || w.shape[1] % gates !== 0)
    fail(
      'WEIGHT_MISMATCH',
      `${what}: kernel '${w.name}' should be two-dimensional with ${gates}·units columns, found ${JSON.stringify(w.shape)}.`,
    );
  return [w.shape[0], w.shape[1]];
}
