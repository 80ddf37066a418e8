import * as tf from '@tensorflow/tfjs';

/** Names of the compute backends Keraspect can run on, fastest first. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

let chosen: Promise<BackendName> | undefined;

/**
 * Pick and initialise the compute backend once per process: `@tensorflow/tfjs-node` when it is
 * installed (it is an optional dependency), otherwise `@tensorflow/tfjs-backend-wasm`, otherwise the
 * pure-JS `cpu` backend. Set `KERASPECT_BACKEND=cpu|wasm|tensorflow` to force one.
 * Returns the name of the backend in use.
 */
export function initBackend(prefer?: BackendName): Promise<BackendName> {
  const env = typeof process !== 'undefined' ? process.env?.KERASPECT_BACKEND : undefined;
  chosen ??= choose(prefer ?? (env as BackendName | undefined));
  return chosen;
}

async function choose(prefer: BackendName | undefined): Promise<BackendName> {
  // tfjs-node exists only for Node; browsers start at wasm.
  const inNode = typeof process !== 'undefined' && !!process.versions?.node;
  const order: BackendName[] = prefer ? [prefer] : inNode ? ['tensorflow', 'wasm', 'cpu'] : ['wasm', 'cpu'];
  for (const name of order) {
    try {
      if (name === 'tensorflow') {
        // Optional dependency: absent on machines where libtensorflow could not be downloaded. Loaded
        // with require: it is CommonJS, and an ES import would first run Node's export lexer over it
        // and all of TF.js it re-exports (~0.5 s of every start, also when its binary is missing).
        const { createRequire } = (process as NodeJS.Process & { getBuiltinModule?: (id: string) => unknown })
          .getBuiltinModule
          ? (process.getBuiltinModule('node:module') as typeof import('node:module'))
          : await import(/* @vite-ignore */ ['node', 'module'].join(':'));
        createRequire(import.meta.url)('@tensorflow/tfjs-node');
      } else if (name === 'wasm') {
        await import('@tensorflow/tfjs-backend-wasm');
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // try the next backend
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}

/** The backend currently in use (after `initBackend`), e.g. `'wasm'`. */
export function backend(): string {
  return tf.getBackend();
}
