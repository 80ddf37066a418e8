import * as tf from '@tensorflow/tfjs';

type HeapArray = Float32Array | Int32Array | Uint8Array;

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): HeapArray;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/**
 * The box `begin … begin + size` of `x` (row-major, `shape`) copied into `out`, densely. Both are
 * views on the wasm heap: runs of consecutive elements move with `copyWithin` on the heap itself.
 */
function copyBox(
  x: HeapArray,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  out: HeapArray,
) {
  const rank = shape.length;
  if (size.some((d) => d === 0)) return;
  if (rank === 0) {
    out[0] = x[0];
    return;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1] * shape[a + 1];
  // Axes after `last` are taken whole: one run covers them and the `last` axis' slice.
  let last = rank - 1;
  while (last > 0 && size[last] === shape[last]) last--;
  const run = size[last] * strides[last];
  const heap = new (x.constructor as new (b: ArrayBufferLike) => HeapArray)(x.buffer);
  const xBase = x.byteOffset / x.BYTES_PER_ELEMENT;
  let dst = out.byteOffset / out.BYTES_PER_ELEMENT;
  const index = new Array<number>(last).fill(0);
  for (;;) {
    let src = xBase + begin[last] * strides[last];
    for (let a = 0; a < last; a++) src += (begin[a] + index[a]) * strides[a];
    if (run >= 16) heap.copyWithin(dst, src, src + run);
    else for (let k = 0; k < run; k++) heap[dst + k] = heap[src + k];
    dst += run;
    let a = last - 1;
    while (a >= 0 && ++index[a] === size[a]) index[a--] = 0;
    if (a < 0) return;
  }
}

/** The dtypes the wasm backend keeps on its heap (strings live in JavaScript). */
const HEAP_DTYPES: readonly tf.DataType[] = ['float32', 'int32', 'bool'];

let installed = false;

/**
 * The wasm backend's Slice and SplitV copy the whole input out of the wasm heap (`readSync`) for
 * every slice, then copy row by row through new subarrays; gradients of `concat` (SplitV of the
 * output gradient) and of slices pay that on every pass. These run the same copies inside the heap
 * instead (bit-identical results). Idempotent; does nothing on other backends.
 */
export function fastWasmSlices(): void {
  if (installed || tf.getBackend() !== 'wasm') return;
  installed = true;
  replace('Slice', (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (!HEAP_DTYPES.includes(x.dtype)) return original(args);
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as tf.Tensor,
      args.attrs?.begin as number[],
      args.attrs?.size as number[],
    );
    const b = args.backend as WasmBackend;
    const out = b.makeOutput(size, x.dtype);
    // Views taken after the allocation (which may grow the heap and detach older views).
    copyBox(b.typedArrayFromHeap(x), x.shape, begin, size, b.typedArrayFromHeap(out));
    return out;
  });
  replace('SplitV', (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (!HEAP_DTYPES.includes(x.dtype)) return original(args);
    const axis = tf.util.parseAxisParam(args.attrs?.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(
      x as tf.Tensor,
      args.attrs?.numOrSizeSplits as number[] | number,
      axis,
    );
    const b = args.backend as WasmBackend;
    const outs = sizes.map((s) =>
      b.makeOutput(
        x.shape.map((d, a) => (a === axis ? s : d)),
        x.dtype,
      ),
    );
    const xs = b.typedArrayFromHeap(x);
    const begin = x.shape.map(() => 0);
    outs.forEach((o) => {
      copyBox(xs, x.shape, begin, o.shape, b.typedArrayFromHeap(o));
      begin[axis] += o.shape[axis];
    });
    return outs;
  });
}

function replace(name: string, make: (original: (a: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]) => tf.KernelFunc) {
  const original = tf.getKernel(name, 'wasm');
  if (!original) return;
  const kernelFunc = make(original.kernelFunc as unknown as (a: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
}
