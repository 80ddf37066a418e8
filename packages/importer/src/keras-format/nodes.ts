import { fail } from '../errors.ts';
import type { ArgTemplate, NodeCall, TensorRef } from './graph.ts';

/**
 * Inbound nodes, as every producer writes them, parsed into `NodeCall`s:
 * - Keras 1/2 and tf.keras: a list of `[layer, node, tensor, kwargs]` entries, one per tensor of the
 *   first call argument (a list of them for merge layers); the other arguments are in `kwargs`, by
 *   name, tensors as `[layer, node, tensor]`. Op layers (`TFOpLambda`, `SlicingOpLambda`) keep the
 *   structure of the first argument: a bare entry for one tensor, nested lists for lists, and
 *   constants as `['_CONSTANT_VALUE', -1, value, kwargs]` (tf.keras `engine/node.py` `serialize`).
 * - Keras 3: `{args, kwargs}` with tensors as `{"class_name": "__keras_tensor__", …}` anywhere in
 *   them and constants serialized by `serialization_lib` (`__numpy__`, `__tensor__`, `__slice__`, …).
 */
export function parseNode(node: unknown, layer: string): NodeCall {
  const call: NodeCall = {
    inputs: [],
    tensorKwargNames: [],
    kwargs: {},
    listInput: false,
    template: { args: [], kwargs: {} },
  };
  const malformed = (what: unknown): never =>
    fail(
      'CORRUPT_FILE',
      `Layer '${layer}' has a malformed inbound node ${JSON.stringify(what)?.slice(0, 120)}: expected [layer, node, tensor, kwargs] entries or {args, kwargs}.`,
    );
  if (Array.isArray(node)) {
    if (isEntry(node)) {
      // A bare entry: an op layer called on one tensor (or constant).
      const { template, kwargs } = keras2Entry(node, call, layer);
      call.template.args = [template];
      addKeras2Kwargs(call, kwargs, layer);
      return call;
    }
    let lastKwargs: unknown;
    const walk = (v: unknown): ArgTemplate => {
      if (isEntry(v)) {
        const { template, kwargs } = keras2Entry(v, call, layer);
        if (kwargs !== undefined) lastKwargs = kwargs;
        return template;
      }
      if (Array.isArray(v)) return { list: v.map(walk) };
      return malformed(v);
    };
    const first = node.map(walk);
    // Keras 2 writes `[[a…]]` for a call on one tensor and `[[a…], [b…]]` for a call on a list.
    call.listInput = node.length > 1;
    call.template.args = [node.length === 1 && !Array.isArray((node[0] as unknown[])[0]) ? first[0] : { list: first }];
    addKeras2Kwargs(call, lastKwargs, layer);
    return call;
  }
  if (node && typeof node === 'object' && 'args' in node) {
    const { args, kwargs } = node as { args: unknown; kwargs?: unknown };
    const list = Array.isArray(args) ? args : args === undefined || args === null ? [] : malformed(node);
    call.template.args = list.map((a, i) => {
      // The first positional argument carries the layer's input tensor(s); a list of tensors is a
      // list input (merge layers).
      if (i === 0 && Array.isArray(a) && a.some(isKerasTensor)) call.listInput = true;
      return keras3Value(a, call, layer, null);
    });
    if (kwargs && typeof kwargs === 'object' && !Array.isArray(kwargs)) {
      for (const [k, v] of Object.entries(kwargs)) {
        if (k === 'mask') {
          setMasks(call, keras3Masks(v, layer), layer);
          continue;
        }
        const t = keras3Value(v, call, layer, k);
        call.template.kwargs[k] = t;
        if (v !== null && !containsTensor(t) && k !== 'training') call.kwargs[k] = decodeConstant(v);
      }
    }
    return call;
  }
  return malformed(node);
}

/** `[name, node, tensor]` or `[name, node, tensor, kwargs]` (also the `_CONSTANT_VALUE` form). */
function isEntry(v: unknown): v is unknown[] {
  return (
    Array.isArray(v) &&
    (v.length === 3 || v.length === 4) &&
    typeof v[0] === 'string' &&
    typeof v[1] === 'number' &&
    (v[0] === CONSTANT || typeof v[2] === 'number') &&
    (v.length === 3 || v[3] === null || (typeof v[3] === 'object' && !Array.isArray(v[3])))
  );
}

const CONSTANT = '_CONSTANT_VALUE';

function keras2Entry(entry: unknown[], call: NodeCall, layer: string): { template: ArgTemplate; kwargs: unknown } {
  if (entry[0] === CONSTANT) return { template: { value: decodeConstant(entry[2]) }, kwargs: entry[3] };
  const ref = toRef(entry, layer);
  call.inputs.push(ref);
  return { template: { tensor: call.inputs.length - 1 }, kwargs: entry[3] };
}

/** tf.keras kwargs: other call arguments by name; tensors as `[layer, node, tensor]` lists. */
function addKeras2Kwargs(call: NodeCall, kwargs: unknown, layer: string): void {
  if (!kwargs || typeof kwargs !== 'object') return;
  for (const [k, v] of Object.entries(kwargs as Record<string, unknown>)) {
    if (k === 'mask') {
      if (v !== null) setMasks(call, keras2Masks(v, layer), layer);
      continue;
    }
    const t = keras2Value(v, call, layer);
    call.template.kwargs[k] = t;
    if (isTensorSlot(t)) call.tensorKwargNames.push(k);
    else if (v !== null && !containsTensor(t) && k !== 'training') call.kwargs[k] = decodeConstant(v);
  }
}

/** A tf.keras kwarg value: tensors anywhere in it become slots (`convert_inner_node_data`). */
function keras2Value(v: unknown, call: NodeCall, layer: string): ArgTemplate {
  if (isTensorTriple(v)) {
    call.inputs.push(toRef(v, layer));
    return { tensor: call.inputs.length - 1 };
  }
  if (Array.isArray(v) && v.some((x) => isTensorTriple(x) || Array.isArray(x))) {
    const items = v.map((x) => keras2Value(x, call, layer));
    if (items.some(containsTensor)) return { list: items };
  }
  return { value: decodeConstant(v) };
}

/** `[layer, node, tensor]` (tf.keras' form of a tensor inside kwargs). */
function isTensorTriple(v: unknown): v is [string, number, number] {
  return (
    Array.isArray(v) &&
    v.length === 3 &&
    typeof v[0] === 'string' &&
    v[0] !== CONSTANT &&
    typeof v[1] === 'number' &&
    typeof v[2] === 'number'
  );
}

function keras2Masks(v: unknown, layer: string): (TensorRef | null)[] {
  if (isTensorTriple(v)) return [toRef(v, layer)];
  if (Array.isArray(v))
    return v.map((m) => (m === null ? null : isTensorTriple(m) ? toRef(m, layer) : badMask(m, layer)));
  return badMask(v, layer);
}

function keras3Masks(v: unknown, layer: string): (TensorRef | null)[] {
  if (v === null || v === undefined) return [];
  if (isKerasTensor(v)) return [toRef(v.config.keras_history, layer)];
  if (Array.isArray(v))
    return v.map((m) =>
      m === null ? null : isKerasTensor(m) ? toRef(m.config.keras_history, layer) : badMask(m, layer),
    );
  return badMask(v, layer);
}

function badMask(v: unknown, layer: string): never {
  return fail(
    'UNSUPPORTED_CONFIG',
    `Layer '${layer}' is called with mask=${JSON.stringify(v)?.slice(0, 80)}, which is not a tensor or a list of tensors; Keraspect supports masks computed in the model.`,
  );
}

function setMasks(call: NodeCall, masks: (TensorRef | null)[], layer: string): void {
  if (!masks.some((m) => m)) return;
  if (call.masks) fail('CORRUPT_FILE', `Layer '${layer}' has two mask arguments in one inbound node.`);
  call.masks = masks;
}

function isKerasTensor(v: unknown): v is { config: { keras_history: unknown[] } } {
  return !!v && typeof v === 'object' && (v as { class_name?: unknown }).class_name === '__keras_tensor__';
}

/**
 * A Keras 3 argument: tensors become slots (the first argument's tensors, then the others', in the
 * order written; `kwargName` names a tensor kwarg), constants are decoded.
 */
function keras3Value(v: unknown, call: NodeCall, layer: string, kwargName: string | null): ArgTemplate {
  if (isKerasTensor(v)) {
    call.inputs.push(toRef(v.config.keras_history, layer));
    if (kwargName !== null) call.tensorKwargNames.push(kwargName);
    return { tensor: call.inputs.length - 1 };
  }
  if (Array.isArray(v) && v.some((x) => containsKerasTensor(x))) {
    return { list: v.map((x) => keras3Value(x, call, layer, kwargName)) };
  }
  if (v && typeof v === 'object' && !Array.isArray(v) && !('class_name' in v) && containsKerasTensor(v)) {
    return {
      dict: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, keras3Value(x, call, layer, kwargName)])),
    };
  }
  return { value: decodeConstant(v) };
}

function containsKerasTensor(v: unknown): boolean {
  if (isKerasTensor(v)) return true;
  if (Array.isArray(v)) return v.some(containsKerasTensor);
  if (v && typeof v === 'object') return Object.values(v).some(containsKerasTensor);
  return false;
}

function isTensorSlot(t: ArgTemplate): t is { tensor: number } {
  return 'tensor' in t;
}

/** Whether a template holds a tensor slot anywhere. */
export function containsTensor(t: ArgTemplate): boolean {
  if ('tensor' in t) return true;
  if ('list' in t) return t.list.some(containsTensor);
  if ('dict' in t) return Object.values(t.dict).some(containsTensor);
  return false;
}

/** The value a constant stands for: Keras 3's `__numpy__`/`__tensor__` arrays, slices, tuples, … */
export function decodeConstant(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodeConstant);
  if (!v || typeof v !== 'object') return v;
  const o = v as { class_name?: unknown; config?: Record<string, unknown> };
  switch (o.class_name) {
    case '__numpy__':
    case '__tensor__':
      return { ndarray: o.config?.value, dtype: o.config?.dtype };
    case '__slice__':
      return {
        slice: {
          start: decodeConstant(o.config?.start ?? null),
          stop: decodeConstant(o.config?.stop ?? null),
          step: decodeConstant(o.config?.step ?? null),
        },
      };
    case '__ellipsis__':
      return { ellipsis: true };
    case '__tuple__':
      return decodeConstant(o.config?.value);
    case '__bytes__':
      return o.config?.value;
    default:
      break;
  }
  // tf.keras SlicingOpLambda writes slices as plain {start, stop, step} dicts.
  const keys = Object.keys(v);
  if (keys.length === 3 && ['start', 'stop', 'step'].every((k) => k in v)) {
    const s = v as { start: unknown; stop: unknown; step: unknown };
    return { slice: { start: s.start, stop: s.stop, step: s.step } };
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeConstant(x)]));
}

export function toRef(v: unknown, layer: string): TensorRef {
  if (Array.isArray(v) && typeof v[0] === 'string' && v[0] !== CONSTANT)
    return { layer: v[0], node: Number(v[1] ?? 0), tensor: Number(v[2] ?? 0) };
  return fail(
    'CORRUPT_FILE',
    `Layer '${layer}' refers to a tensor as ${JSON.stringify(v)?.slice(0, 80)}; expected [layer, node, tensor].`,
  );
}
