import { unlinkSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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
    tempCounter += 1;
    const tmp = `${p}.partial-${process.pid}-${tempCounter}`;
    beginWrite(tmp);
    try {
      await writeFile(tmp, data);
      await rename(tmp, p);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    } finally {
      endWrite(tmp);
    }
  },
  isTTY: !!process.stderr.isTTY,
};

let tempCounter = 0;

/** Temporary files being written right now (`<path>.partial-<pid>-<n>`). */
const inFlight = new Set<string>();

const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Ctrl-C (or SIGTERM) while a file is being written: remove the temporary file so that nothing
 * half-written is left, then exit with 128 + signal. Installed only while a write is in flight, so
 * an interrupt during computation keeps Node's default (immediate exit; no output exists yet).
 */
function onSignal(signal: keyof typeof SIGNALS): void {
  const removed = removePartialFiles();
  process.stderr.write(
    `\nkeraspect: interrupted (${signal})${removed.length ? `; removed ${removed.length} unfinished file(s)` : ''}.\n`,
  );
  process.exit(SIGNALS[signal]);
}

function beginWrite(tmp: string): void {
  if (inFlight.size === 0) for (const s of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) process.on(s, onSignal);
  inFlight.add(tmp);
}

function endWrite(tmp: string): void {
  inFlight.delete(tmp);
  if (inFlight.size === 0) for (const s of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) process.off(s, onSignal);
}

/** Delete the temporary files of writes in progress (synchronously: for signal handlers). */
export function removePartialFiles(): string[] {
  const removed: string[] = [];
  for (const tmp of inFlight) {
    try {
      unlinkSync(tmp);
      removed.push(tmp);
    } catch {
      // not created yet, or already renamed
    }
  }
  inFlight.clear();
  return removed;
}
