/**
 * A model pool worker (see pool.ts): loads the model once, then answers tasks. `predict` is built
 * in; handler modules add more (explain adds its methods' row evaluations).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, type BackendName } from '../backend.ts';
import * as tf from '@tensorflow/tfjs';
import { type FastPaths, setFastPaths } from '../layers/fast/switch.ts';
import { type KerasModel, loadModel, modelFromConfig } from '../model.ts';
import { type NdArray, predict } from '../predict.ts';
import { type ModelSource, serializeError, type WorkerMessage } from './pool.ts';

/** A task a worker can run: gets the worker's model and the task's payload. */
export type PoolHandler = (km: KerasModel, payload: never) => unknown | Promise<unknown>;

interface Init {
  source: ModelSource;
  handlers: string[];
  backend: string;
  fast: FastPaths;
}

async function load(source: ModelSource): Promise<KerasModel> {
  if ('bytes' in source) return loadModel(source.bytes, source.options);
  const km = await modelFromConfig(source.config, source.options);
  for (const [name, values] of Object.entries(source.weights)) {
    const tensors = values.map((v) => tf.tensor(v.data, v.shape));
    km.model.getLayer(name).setWeights(tensors);
    tf.dispose(tensors);
  }
  return km;
}

const port = parentPort!;
const send = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

/** The ArrayBuffers of every typed array in `v` (arrays and plain objects walked), to transfer. */
function buffersOf(v: unknown, out: ArrayBuffer[] = []): ArrayBuffer[] {
  if (ArrayBuffer.isView(v)) {
    if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength)
      if (!out.includes(v.buffer)) out.push(v.buffer);
  } else if (Array.isArray(v)) for (const x of v) buffersOf(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) buffersOf(x, out);
  return out;
}

async function main(): Promise<void> {
  const init = workerData as Init;
  let km: KerasModel;
  const table: Record<string, PoolHandler> = {
    predict: (model, inputs: NdArray[]) => predict(model, inputs),
  };
  try {
    setFastPaths(init.fast);
    await initBackend(init.backend as BackendName);
    km = await load(init.source);
    for (const h of init.handlers) {
      const mod = (await import(h)) as { handlers?: Record<string, PoolHandler> };
      Object.assign(table, mod.handlers ?? {});
    }
  } catch (e) {
    send({ type: 'init-error', error: serializeError(e) });
    return;
  }
  port.on('message', async (m: { type: 'task'; id: number; name: string; payload: unknown }) => {
    try {
      const handler = table[m.name];
      if (!handler) throw new Error(`No pool handler named '${m.name}'; known: ${Object.keys(table).join(', ')}.`);
      const result = await handler(km, m.payload as never);
      send({ type: 'result', id: m.id, result }, buffersOf(result));
    } catch (e) {
      send({ type: 'error', id: m.id, error: serializeError(e) });
    }
  });
  send({ type: 'ready' });
}

void main();
