import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ImporterError, readKerasFile } from '../src/index.ts';
import { HDF5_SIGNATURE } from '../src/read/h5wasm.ts';
import { setReaderThreadStarter, startHdf5Reader } from '../src/read/h5-tree.ts';
import type { ReaderThread } from '../src/read/reader-thread.ts';
import { startReaderThread } from '../src/read/thread-node.ts';

/** A Node reader thread running `source` instead of the real worker module. */
function threadRunning(source: string): () => ReaderThread {
  return () => {
    const w = new Worker(source, { eval: true });
    w.on('error', () => {});
    return {
      postMessage: (m, t) => w.postMessage(m, t as never),
      listen(h) {
        w.on('message', h.message);
        w.on('error', h.error);
        w.on('exit', h.exit);
        return () => {
          w.off('message', h.message);
          w.off('error', h.error);
          w.off('exit', h.exit);
        };
      },
      terminate: () => void w.terminate(),
      unref: () => w.unref(),
    };
  };
}

/** Bytes with an HDF5 signature, so the read reaches the thread. */
const hdf5ish = () => {
  const b = new Uint8Array(64);
  b.set(HDF5_SIGNATURE);
  return b;
};

async function failure(p: Promise<unknown>): Promise<ImporterError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ImporterError);
    return e as ImporterError;
  }
  throw new Error('expected an ImporterError');
}

describe('a reader thread that cannot start is a loud, typed failure (never an unbounded in-thread read)', () => {
  afterEach(() => setReaderThreadStarter());

  it('its module fails to load: READER_UNAVAILABLE, quickly, naming the cause and not blaming the file', async () => {
    setReaderThreadStarter(threadRunning("throw new Error('Cannot find module h5wasm')"));
    const t0 = Date.now();
    const e = await failure(readKerasFile(hdf5ish(), 'The file', { maxReadMs: 60_000 }));
    expect(e.code).toBe('READER_UNAVAILABLE');
    expect(e.message).toMatch(/reader thread could not start \(Cannot find module h5wasm\)/);
    expect(e.message).toMatch(/not of the file/);
    expect(Date.now() - t0).toBeLessThan(30_000); // far below maxReadMs: it did not wait for the bound
  });

  it('it exits before it is ready: READER_UNAVAILABLE, not "corrupt file"', async () => {
    setReaderThreadStarter(threadRunning('process.exit(3)'));
    const e = await failure(readKerasFile(hdf5ish()));
    expect(e.code).toBe('READER_UNAVAILABLE');
    expect(e.message).toMatch(/exited with code 3 before it was ready/);
  });

  it('h5wasm cannot load in it: READER_UNAVAILABLE with its reason', async () => {
    setReaderThreadStarter(
      threadRunning(
        "require('node:worker_threads').parentPort.postMessage({ ready: false, error: 'WebAssembly is disabled' })",
      ),
    );
    const e = await failure(readKerasFile(hdf5ish()));
    expect(e.code).toBe('READER_UNAVAILABLE');
    expect(e.message).toMatch(/h5wasm did not load: WebAssembly is disabled/);
  });

  it('a thread that never loads h5wasm hits the start bound: READER_UNAVAILABLE, never a hang', async () => {
    setReaderThreadStarter(threadRunning('setInterval(() => {}, 1000)'), 500);
    const e = await failure(readKerasFile(hdf5ish(), 'The file', { maxReadMs: 60_000 }));
    expect(e.code).toBe('READER_UNAVAILABLE');
    expect(e.message).toMatch(/did not load h5wasm within 0\.5 s/);
  });

  it('a ready thread that never answers hits maxReadMs (LIMIT)', async () => {
    setReaderThreadStarter(
      threadRunning(
        "require('node:worker_threads').parentPort.postMessage({ ready: true }); setInterval(() => {}, 1000)",
      ),
    );
    const e = await failure(readKerasFile(hdf5ish(), 'The file', { maxReadMs: 500 }));
    expect(e.code).toBe('LIMIT');
    expect(e.message).toMatch(/maxReadMs = 0\.5 s/);
  });

  it('maxReadMs bounds the read, not the thread loading h5wasm before it', async () => {
    // Ready after 1.5 s, then answers at once (a read error, so the answer is CORRUPT_FILE): a bound of
    // 0.5 s counted from the request would have said LIMIT.
    setReaderThreadStarter(
      threadRunning(`
        const { parentPort } = require('node:worker_threads');
        let ready = false;
        const pending = [];
        const answer = ({ id }) => parentPort.postMessage({
          id, ok: false, stage: 'read', error: { message: 'not a Keras file', name: 'Error', aborted: false },
        });
        parentPort.on('message', (m) => (ready ? answer(m) : pending.push(m)));
        setTimeout(() => { ready = true; parentPort.postMessage({ ready: true }); pending.forEach(answer); }, 1500);
      `),
    );
    const e = await failure(readKerasFile(hdf5ish(), 'The file', { maxReadMs: 500 }));
    expect(e.code).toBe('CORRUPT_FILE');
  });

  it('the real Node thread starts and reads (the default starter is restored)', async () => {
    setReaderThreadStarter(startReaderThread);
    const e = await failure(readKerasFile(hdf5ish()));
    expect(e.code).toBe('CORRUPT_FILE');
  });

  it('startHdf5Reader starts the thread ahead of the read, and never throws for one that cannot start', async () => {
    let started = 0;
    setReaderThreadStarter(() => {
      started++;
      return startReaderThread();
    });
    startHdf5Reader();
    expect(started).toBe(1);
    const e = await failure(readKerasFile(hdf5ish()));
    expect(e.code).toBe('CORRUPT_FILE'); // the real thread read the bytes
    expect(started).toBe(1); // the read used the thread started ahead
    setReaderThreadStarter(() => {
      throw new Error('no threads here');
    });
    expect(() => startHdf5Reader()).not.toThrow();
    expect((await failure(readKerasFile(hdf5ish()))).code).toBe('READER_UNAVAILABLE');
  });
});
