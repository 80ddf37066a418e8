import * as tf from '@tensorflow/tfjs';
import { fail } from './errors.ts';
import { installWasmOps } from './wasm-ops.ts';

/** Names of the compute backends Keraspect can run on, fastest first. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** Options of {@link initBackend}. */
export interface BackendOptions {
  /** Force this backend (falling back to `cpu` when it cannot start). Default: the fastest available. */
  backend?: BackendName;
}

let chosen: Promise<BackendName> | undefined;

/**
 * Pick and initialise the compute backend once per process (the first call decides; `loadModel`
 * calls it with no options): `@tensorflow/tfjs-node` when it is installed (it is an optional
 * dependency), otherwise `@tensorflow/tfjs-backend-wasm`, otherwise the pure-JS `cpu` backend, or
 * `options.backend` (a name is accepted too). The CLI passes its `KERASPECT_BACKEND` here; the
 * library reads no environment. On wasm it installs {@link installWasmOps}' kernels. Returns the
 * name of the backend in use.
 */
export function initBackend(options: BackendOptions | BackendName = {}): Promise<BackendName> {
  const prefer = typeof options === 'string' ? options : options.backend;
  if (prefer !== undefined && !BACKENDS.includes(prefer))
    fail('BAD_ARGUMENT', `Unknown backend ${JSON.stringify(prefer)}: use one of ${BACKENDS.join(', ')}.`);
  chosen ??= choose(prefer);
  return chosen;
}

async function choose(prefer: BackendName | undefined): Promise<BackendName> {
  // tfjs-node exists only for Node; browsers start at wasm.
  const inNode = typeof process !== 'undefined' && !!process.versions?.node;
  const order: readonly BackendName[] = prefer ? [prefer] : inNode ? BACKENDS : ['wasm', 'cpu'];
  for (const name of order) {
    try {
      if (name === 'tensorflow') {
        // Optional dependency: absent on machines where libtensorflow could not be downloaded. Loaded
        // with require: it is CommonJS, and an ES import would first run Node's export lexer over it
        // and all of TF.js it re-exports (~0.5 s of every start, also when its binary is missing).
        const { createRequire } = await nodeBuiltin<typeof import('node:module')>('module');
        const { existsSync } = await nodeBuiltin<typeof import('node:fs')>('fs');
        const require = createRequire(import.meta.url);
        // Its install downloads libtensorflow into lib/; where that failed (no network, no binary
        // for the platform) the package is there without it, and requiring it would load ~150 ms
        // of JavaScript before failing on the missing binding.
        if (!existsSync(require.resolve('@tensorflow/tfjs-node/package.json').replace(/package\.json$/, 'lib')))
          continue;
        require('@tensorflow/tfjs-node');
      } else if (name === 'wasm') {
        await import('@tensorflow/tfjs-backend-wasm');
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
        installWasmOps();
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

/** A Node built-in module, without a static import (the browser bundle never reaches this). */
async function nodeBuiltin<T>(name: string): Promise<T> {
  const p = process as NodeJS.Process & { getBuiltinModule?: (id: string) => unknown };
  return p.getBuiltinModule
    ? (p.getBuiltinModule(`node:${name}`) as T)
    : await import(/* @vite-ignore */ `node:${name}`);
}

/** The backend currently in use (after `initBackend`), e.g. `'wasm'`. */
export function backend(): string {
  return tf.getBackend();
}
