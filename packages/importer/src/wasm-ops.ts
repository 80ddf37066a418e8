import * as tf from '@tensorflow/tfjs';

type HeapArray = Float32Array | Int32Array | Uint8Array;

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): HeapArray;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/**
 * The whole wasm heap as integers of `a`'s element width, and `a`'s offset in it. Integer views
 * copy the bits as they are: a float32 read into JavaScript and written back may change a NaN.
 */
function heapOf(a: HeapArray): [Int32Array | Uint8Array, number] {
  const heap = a.BYTES_PER_ELEMENT === 4 ? new Int32Array(a.buffer) : new Uint8Array(a.buffer);
  return [heap, a.byteOffset / a.BYTES_PER_ELEMENT];
}

/** `n` elements of `heap` from `src` to `dst` (short runs by hand: `copyWithin` costs a call). */
function move(heap: Int32Array | Uint8Array, dst: number, src: number, n: number) {
  if (n >= 16) heap.copyWithin(dst, src, src + n);
  else for (let k = 0; k < n; k++) heap[dst + k] = heap[src + k];
}

/**
 * The box `begin … begin + size` of `x` (row-major, `shape`) copied into `out`, densely. Both are
 * views on the wasm heap: runs of consecutive elements move within the heap itself.
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
  const [heap, xBase] = heapOf(x);
  let dst = heapOf(out)[1];
  if (rank === 0) {
    heap[dst] = heap[xBase];
    return;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1] * shape[a + 1];
  // Axes after `last` are taken whole: one run covers them and the `last` axis' slice.
  let last = rank - 1;
  while (last > 0 && size[last] === shape[last]) last--;
  const run = size[last] * strides[last];
  const index = new Array<number>(last).fill(0);
  for (;;) {
    let src = xBase + begin[last] * strides[last];
    for (let a = 0; a < last; a++) src += (begin[a] + index[a]) * strides[a];
    move(heap, dst, src, run);
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
 * Give the TF.js wasm backend Slice, SplitV and Concat kernels that copy inside the wasm heap, and
 * a Reverse that is right for bool tensors (masks).
 * The backend's own Slice and SplitV copy the whole input out of the heap (`readSync`) for every
 * call, and its Concat makes a new subarray for every row of every input; gradients of `concat`
 * and `slice` run them on every pass. Results are bit-identical to the backend's own kernels,
 * which still serve dtypes off the heap (string, complex64) and mixed-dtype concats.
 *
 * {@link initBackend} calls this when it chooses wasm; call it yourself only after setting the
 * wasm backend up without `initBackend`. Idempotent; does nothing when wasm is not the backend.
 */
export function installWasmOps(): void {
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
  replace('Concat', (original) => (args) => {
    const inputs = Object.values(args.inputs) as tf.TensorInfo[];
    const dtype = inputs[0].dtype;
    if (!HEAP_DTYPES.includes(dtype) || inputs.some((t) => t.dtype !== dtype)) return original(args);
    const axis = tf.util.parseAxisParam(args.attrs?.axis as number, inputs[0].shape)[0];
    const shapes = inputs.map((t) => t.shape);
    tf.backend_util.assertParamsConsistent(shapes, axis);
    const outShape = tf.backend_util.computeOutShape(shapes, axis);
    const b = args.backend as WasmBackend;
    const out = b.makeOutput(outShape, dtype);
    const parts = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (parts.length === 0) return out;
    // Per input, the elements of one step of the axes before `axis`.
    const inner = parts.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
    const rows = tf.util.sizeFromShape(outShape.slice(0, axis));
    // Views taken after the allocation (which may grow the heap and detach older views).
    const [heap, outBase] = heapOf(b.typedArrayFromHeap(out));
    const bases = parts.map((t) => heapOf(b.typedArrayFromHeap(t))[1]);
    let dst = outBase;
    for (let r = 0; r < rows; r++)
      for (let i = 0; i < parts.length; i++) {
        move(heap, dst, bases[i] + r * inner[i], inner[i]);
        dst += inner[i];
      }
    return out;
  });
  replace('Reverse', (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    // The backend's own Reverse mishandles 1-byte bool tensors (garbage values, out-of-bounds heap
    // accesses): masks flipped for go_backwards came out wrong.
    if (x.dtype !== 'bool') return original(args);
    const b = args.backend as WasmBackend;
    const out = b.makeOutput(x.shape, x.dtype);
    const axes = tf.util.parseAxisParam(args.attrs?.dims as number | number[], x.shape);
    reverseBytes(b.typedArrayFromHeap(x) as Uint8Array, x.shape, axes, b.typedArrayFromHeap(out) as Uint8Array);
    return out;
  });
}

/** `x` (row-major, `shape`) with the order along each of `axes` reversed, into `out`. */
function reverseBytes(x: Uint8Array, shape: readonly number[], axes: readonly number[], out: Uint8Array) {
  const n = x.length;
  const rank = shape.length;
  const flip = shape.map((_, a) => axes.includes(a));
  const index = new Array<number>(rank).fill(0);
  for (let dst = 0; dst < n; dst++) {
    let src = 0;
    for (let a = 0; a < rank; a++) src = src * shape[a] + (flip[a] ? shape[a] - 1 - index[a] : index[a]);
    out[dst] = x[src];
    let a = rank - 1;
    while (a >= 0 && ++index[a] === shape[a]) index[a--] = 0;
  }
}

function replace(name: string, make: (original: (a: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]) => tf.KernelFunc) {
  const original = tf.getKernel(name, 'wasm');
  if (!original) return;
  const kernelFunc = make(original.kernelFunc as unknown as (a: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
}
