/**
 * The thread HDF5 files are read in, as h5-tree.ts sees it: Node's `worker_threads.Worker` and a
 * browser's module `Worker` behind one small interface. Which one a build gets is chosen by the
 * package's `#reader-thread` import (`browser` condition → thread-web.ts, otherwise thread-node.ts),
 * so a browser bundle never sees `node:worker_threads`.
 */

/** What the host hears from a reader thread. */
export interface ReaderThreadHandlers {
  /** A message the thread posted (`{ ready: true }`, `{ ready: false, error }` or a result). */
  message(message: unknown): void;
  /** The thread failed: its module did not load, or it threw outside a request. */
  error(error: Error): void;
  /** The thread is gone (Node: it exited with `code`). */
  exit(code: number): void;
}

/** A started reader thread. */
export interface ReaderThread {
  postMessage(message: unknown, transfer: Transferable[]): void;
  /** Subscribe; returns the function that unsubscribes. */
  listen(handlers: ReaderThreadHandlers): () => void;
  terminate(): void;
  /** Let the process exit while the thread is idle (Node); nothing in browsers. */
  unref(): void;
}

/** Starts a reader thread (throws when the environment has no threads at all). */
export type StartReaderThread = () => ReaderThread;
