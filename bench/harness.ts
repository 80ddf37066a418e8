import { execSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** One measured workload; `ms` is the median of the runs. */
export interface BenchResult {
  name: string;
  ms: number;
}

export async function time(fn: () => Promise<void> | void): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function machine(): string {
  const c = cpus();
  return `${c.length}× ${c[0]?.model ?? 'cpu'}, Node ${process.version}`;
}

export function commit(): string {
  try {
    return (
      execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim() +
      (execSync('git status --porcelain', { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim()
        ? '+dirty'
        : '')
    );
  } catch {
    return 'unknown';
  }
}

interface HistoryEntry {
  commit: string;
  date: string;
  machine: string;
  backend: string;
  results: BenchResult[];
}

/**
 * The latest recorded run of an earlier commit (from `bench/history.jsonl`), so a run can print its
 * figures beside the previous commit's, and record this run.
 */
export function previousAndRecord(path: string, entry: HistoryEntry): HistoryEntry | null {
  const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
  const base = entry.commit.replace('+dirty', '');
  const prev = lines
    .map((l) => JSON.parse(l) as HistoryEntry)
    .filter(
      (h) => h.commit.replace('+dirty', '') !== base && h.machine === entry.machine && h.backend === entry.backend,
    )
    .pop();
  appendFileSync(path, `${JSON.stringify(entry)}\n`);
  return prev ?? null;
}
