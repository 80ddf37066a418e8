import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Everything a command may do to the outside world; tests pass an in-memory implementation. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): Promise<Uint8Array>;
  /** Write atomically: to a temporary name, renamed when complete. Creates parent folders. */
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /** Whether stderr is an interactive terminal (progress bars are drawn only then). */
  isTTY: boolean;
}

/** The real process IO. */
export const nodeIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readFile: async (p) => new Uint8Array(await readFile(p)),
  async writeFile(p, data) {
    await mkdir(dirname(p), { recursive: true });
    const tmp = `${p}.partial-${process.pid}`;
    await writeFile(tmp, data);
    await rename(tmp, p);
  },
  isTTY: !!process.stderr.isTTY,
};
