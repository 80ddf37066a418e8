import { readFile } from 'node:fs/promises';
import type { Io } from '../src/io.ts';

/** An in-memory Io: reads real files (or ones put in `files`), keeps writes in `written`. */
export function memoryIo(files: Record<string, Uint8Array> = {}) {
  const written = new Map<string, Uint8Array | string>();
  let out = '';
  let err = '';
  const io: Io = {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    readFile: async (p) => files[p] ?? new Uint8Array(await readFile(p)),
    writeFile: async (p, d) => {
      written.set(p, d);
    },
    isTTY: false,
  };
  return { io, written, out: () => out, err: () => err };
}
