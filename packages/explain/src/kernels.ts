import { installWasmOps } from '@keraspect/importer';
import * as tf from '@tensorflow/tfjs';

/**
 * Kernels the TF.js 4.22 wasm backend lacks but gradients need, with what needs them:
 * - `Conv2DBackpropFilter`: weight gradients of Conv1D (TF.js runs conv1d as conv2d).
 * - `DepthwiseConv2dNativeBackpropFilter` / `…BackpropInput`: gradients through SeparableConv1D and
 *   depthwise convolutions built on `tf.depthwiseConv2d`.
 * - `UnsortedSegmentSum`: the gradient of `tf.gather`, i.e. Embedding weight gradients.
 * - `Einsum`: forward einsum (used by some user layers).
 * Input gradients through Dense, Conv1D, LSTM, GRU, SimpleRNN, pooling and attention need none of
 * them; they run on wasm as is.
 */
export const wasmBorrowedKernels = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
  'Einsum',
] as const;

interface DataBackend {
  readSync(dataId: object): tf.backend_util.BackendValues;
  write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): object;
  disposeData(dataId: object, force?: boolean): boolean;
}

let registered = false;

/**
 * Give the wasm backend the kernels of {@link wasmBorrowedKernels} it lacks by running the cpu
 * backend's kernel on copies of the data (copied in, computed, copied out). Idempotent; does
 * nothing on other backends or when a kernel is already registered (e.g. by a newer wasm build).
 * Every explain entry point calls it, so users never need to. It also makes sure the importer's
 * faster Slice, SplitV and Concat are installed (`installWasmOps`; same results), for a wasm
 * backend set up without `initBackend`.
 */
export function ensureGradientKernels(): void {
  if (registered || tf.getBackend() !== 'wasm') return;
  registered = true;
  installWasmOps();
  for (const name of wasmBorrowedKernels) {
    const cpu = tf.getKernel(name, 'cpu');
    if (!cpu || tf.getKernel(name, 'wasm')) continue;
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: borrow(cpu.kernelFunc) });
  }
}

function borrow(kernelFunc: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const cpu = tf.engine().findBackend('cpu') as unknown as DataBackend & { firstUse?: boolean };
    // The cpu backend greets Node users on first use; this is not a user-visible use of it.
    cpu.firstUse = false;
    const wasm = backend as unknown as DataBackend;
    const temps: object[] = [];
    const cpuInputs: Record<string, tf.TensorInfo> = {};
    for (const [key, info] of Object.entries(inputs)) {
      if (!info) continue;
      const dataId = cpu.write(wasm.readSync(info.dataId), info.shape, info.dtype);
      temps.push(dataId);
      cpuInputs[key] = { dataId, shape: info.shape, dtype: info.dtype };
    }
    try {
      const out = kernelFunc({
        inputs: cpuInputs as tf.NamedTensorInfoMap,
        backend: cpu as unknown as tf.KernelBackend,
        attrs,
      });
      const outs = Array.isArray(out) ? out : [out];
      const copied = outs.map((o) => {
        temps.push(o.dataId);
        return {
          dataId: wasm.write(cpu.readSync(o.dataId), o.shape, o.dtype),
          shape: o.shape,
          dtype: o.dtype,
        } as tf.TensorInfo;
      });
      return Array.isArray(out) ? copied : copied[0];
    } finally {
      for (const id of temps) cpu.disposeData(id, true);
    }
  };
}
