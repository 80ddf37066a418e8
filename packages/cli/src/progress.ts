import type { Io } from './io.ts';

/**
 * A progress callback drawing a bar on stderr — only when stderr is a terminal and not `--quiet`,
 * so pipes and logs stay clean. Call `done()` to finish the line.
 */
export function progressBar(io: Io, quiet: boolean | undefined) {
  const on = io.isTTY && !quiet;
  let last = -1;
  return {
    update(label: string, done: number, total: number) {
      if (!on || total <= 0) return;
      const pct = Math.floor((100 * done) / total);
      if (pct === last) return;
      last = pct;
      const width = 30;
      const filled = Math.round((width * done) / total);
      io.stderr(
        `\r${label.padEnd(22).slice(0, 22)} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(pct).padStart(3)}%`,
      );
    },
    done() {
      if (on && last >= 0) io.stderr('\n');
      last = -1;
    },
  };
}
