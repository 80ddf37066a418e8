/**
 * Seeded mutation fuzzer for the importer: `pnpm fuzz [--count N] [--seed S] [--json]
 * [--timeout-ms 5000] [--workers W] [--only INDEX] [--verbose]`.
 *
 * Every input is a mutated fixture (scripts/fuzz/mutate.ts), loaded in a child process
 * (scripts/fuzz/worker.ts) so a hang can be killed and a dead process counted. Outcomes: loaded-ok,
 * typed error (`ImporterError`), crash (anything else thrown, or the worker died), hang (no answer
 * within the time bound). Exits 1 when there was any crash or hang.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { InputResult } from './fuzz/worker.ts';

/** Options of `runFuzz`. */
export interface FuzzOptions {
  /** Inputs to try. Default 10 000. */
  count?: number;
  /** Seed of the input stream. Default 1. */
  seed?: number;
  /** First input index (inputs are `first … first + count − 1`). Default 0. */
  first?: number;
  /**
   * Time bound per input (load + predict), in ms, for fixtures up to 1 MB; bigger fixtures (with
   * 6000-step inputs) get proportionally more (3 MB: 3×). Default 5000.
   */
  timeoutMs?: number;
  /** Child processes. Default: available CPUs, at most 4. */
  workers?: number;
  /** Called after every input. */
  onResult?: (r: InputResult) => void;
}

/** The end-of-run summary (`--json` prints it). */
export interface FuzzSummary {
  inputs: number;
  ok: number;
  typedErrors: number;
  crashes: number;
  hangs: number;
  seed: number;
  seconds: number;
  /** Crash and hang details (index, fixture, mutation, message) for reproduction. */
  failures: InputResult[];
  /** Typed-error counts by code. */
  codes: Record<string, number>;
}

const here = dirname(fileURLToPath(import.meta.url));
const workerPath = join(here, 'fuzz', 'worker.ts');
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Slot {
  child: ChildProcess;
  ready: Promise<void>;
  busy: {
    index: number;
    timer: NodeJS.Timeout;
    resolve: (r: InputResult) => void;
    fixture?: string;
    mutation?: string;
    onStart?: (bytes: number) => void;
  } | null;
}

function spawnWorker(seed: number, timeoutMs: number, onDeath: (slot: Slot, why: string) => void): Slot {
  const child = fork(workerPath, [], {
    execArgv: ['--import', tsxLoader, '--max-old-space-size=3072'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const slot: Slot = { child, ready: Promise.resolve(), busy: null };
  slot.ready = new Promise((resolve, reject) => {
    const onMsg = (m: { type: string }) => {
      if (m.type === 'ready') {
        child.off('message', onMsg);
        resolve();
      }
    };
    child.on('message', onMsg);
    child.once('exit', (code, signal) =>
      reject(new Error(`fuzz worker exited during start (code ${code}, signal ${signal}): ${stderr}`)),
    );
  });
  slot.ready.catch(() => {});
  child.on(
    'message',
    (m: {
      type: string;
      result?: InputResult;
      index?: number;
      fixture?: string;
      mutation?: string;
      bytes?: number;
    }) => {
      if (m.type === 'start' && slot.busy && slot.busy.index === m.index) {
        Object.assign(slot.busy, { fixture: m.fixture, mutation: m.mutation });
        slot.busy.onStart?.(m.bytes ?? 0);
      }
      if (m.type !== 'result' || !slot.busy || m.result!.index !== slot.busy.index) return;
      const b = slot.busy;
      slot.busy = null;
      clearTimeout(b.timer);
      b.resolve(m.result!);
    },
  );
  child.on('exit', (code, signal) =>
    onDeath(
      slot,
      `worker died (code ${code}, signal ${signal})${stderr ? `: ${stderr.trim().split('\n').slice(-5).join(' | ')}` : ''}`,
    ),
  );
  child.send({ type: 'init', seed, readMs: Math.max(200, Math.round(timeoutMs / 2)) });
  return slot;
}

/** Run the fuzzer and return the summary. */
export async function runFuzz(options: FuzzOptions = {}): Promise<FuzzSummary> {
  const { count = 10_000, seed = 1, first = 0, timeoutMs = 5000, onResult } = options;
  const workers = Math.max(1, Math.min(options.workers ?? Math.min(4, availableParallelism()), count));
  const started = performance.now();
  const summary: FuzzSummary = {
    inputs: 0,
    ok: 0,
    typedErrors: 0,
    crashes: 0,
    hangs: 0,
    seed,
    seconds: 0,
    failures: [],
    codes: {},
  };
  const record = (r: InputResult) => {
    summary.inputs += 1;
    if (r.outcome === 'ok') summary.ok += 1;
    else if (r.outcome === 'typed') {
      summary.typedErrors += 1;
      summary.codes[r.code ?? '?'] = (summary.codes[r.code ?? '?'] ?? 0) + 1;
    } else {
      if (r.outcome === 'crash') summary.crashes += 1;
      else summary.hangs += 1;
      summary.failures.push(r);
    }
    onResult?.(r);
  };

  let next = first;
  const end = first + count;
  const slots: Slot[] = [];
  let stopping = false;
  const onDeath = (slot: Slot, why: string) => {
    const b = slot.busy;
    slot.busy = null;
    if (b) {
      clearTimeout(b.timer);
      b.resolve({
        index: b.index,
        fixture: b.fixture ?? '?',
        mutation: b.mutation ?? '?',
        outcome: 'crash',
        message: why,
        ms: 0,
      });
    }
    if (!stopping) {
      const i = slots.indexOf(slot);
      if (i >= 0) slots[i] = spawnWorker(seed, timeoutMs, onDeath);
    }
  };

  const runOn = (slotIndex: number, index: number): Promise<InputResult> =>
    new Promise((resolve) => {
      const slot = slots[slotIndex];
      const t0 = performance.now();
      const onTimeout = () => {
        const b = slot.busy;
        if (b?.index !== index) return;
        slot.busy = null;
        const ms = Math.round(performance.now() - t0);
        resolve({
          index,
          fixture: b.fixture ?? '?',
          mutation: b.mutation ?? '?',
          outcome: 'hang',
          message: `no answer within ${ms} ms; worker killed`,
          ms,
        });
        // Replace the worker; the dead one's exit must not count as a crash.
        const i = slots.indexOf(slot);
        if (i >= 0 && !stopping) slots[i] = spawnWorker(seed, timeoutMs, onDeath);
        slot.child.kill('SIGKILL');
      };
      slot.busy = { index, timer: setTimeout(onTimeout, timeoutMs), resolve };
      // Once the worker says which fixture it mutated, big ones (6000-step inputs) get more time.
      slot.busy.onStart = (bytes: number) => {
        const scale = Math.max(1, bytes / 1_000_000);
        if (scale === 1 || !slot.busy) return;
        clearTimeout(slot.busy.timer);
        slot.busy.timer = setTimeout(onTimeout, Math.max(0, timeoutMs * scale - (performance.now() - t0)));
      };
      slot.child.send({ type: 'run', index });
    });

  const loop = async (slotIndex: number) => {
    while (next < end) {
      const index = next++;
      // A fresh worker (after a crash or hang) must finish loading before its time bound starts.
      await slots[slotIndex].ready;
      record(await runOn(slotIndex, index));
    }
  };

  try {
    for (let i = 0; i < workers; i++) slots.push(spawnWorker(seed, timeoutMs, onDeath));
    await Promise.all(slots.map((s) => s.ready));
    await Promise.all(slots.map((_, i) => loop(i)));
  } finally {
    stopping = true;
    for (const s of slots) s.child.kill('SIGKILL');
  }
  summary.seconds = Math.round((performance.now() - started) / 100) / 10;
  summary.failures.sort((a, b) => a.index - b.index);
  return summary;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string' },
      seed: { type: 'string' },
      'timeout-ms': { type: 'string' },
      workers: { type: 'string' },
      only: { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: pnpm fuzz [--count N] [--seed S] [--json] [--timeout-ms 5000] [--workers W] [--only INDEX] [--verbose]\n' +
        'Mutates every Keras fixture (seeded), loads and predicts each input in a child process.\n' +
        'The time bound per input (load + predict) is --timeout-ms for fixtures up to 1 MB, proportionally more for bigger ones.\n' +
        'Exit code 1 when any input crashed or hung; reproduce one with --seed S --only INDEX.\n',
    );
    return 0;
  }
  const int = (v: string | undefined, what: string, def: number) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${what} must be a non-negative integer, got '${v}'`);
    return n;
  };
  const only = values.only === undefined ? undefined : int(values.only, 'only', 0);
  const opts: FuzzOptions = {
    count: only === undefined ? int(values.count, 'count', 10_000) : 1,
    first: only ?? 0,
    seed: int(values.seed, 'seed', 1),
    timeoutMs: int(values['timeout-ms'], 'timeout-ms', 5000),
    workers: values.workers === undefined ? undefined : int(values.workers, 'workers', 1),
  };
  const json = !!values.json;
  let shown = 0;
  opts.onResult = (r) => {
    shown += 1;
    if (!json && (r.outcome === 'crash' || r.outcome === 'hang'))
      process.stderr.write(`\n${r.outcome.toUpperCase()} #${r.index} ${r.fixture} [${r.mutation}]: ${r.message}\n`);
    else if (!json && (values.verbose || only !== undefined))
      process.stderr.write(
        `#${r.index} ${r.fixture} [${r.mutation}] ${r.outcome}${r.code ? ` ${r.code}` : ''} ${Math.round(r.ms)} ms${r.message ? `: ${r.message.slice(0, 200)}` : ''}\n`,
      );
    else if (!json && process.stderr.isTTY && shown % 100 === 0) process.stderr.write(`\r${shown}/${opts.count}`);
  };
  const s = await runFuzz(opts);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ inputs: s.inputs, typedErrors: s.typedErrors, crashes: s.crashes, hangs: s.hangs, ok: s.ok, seed: s.seed, seconds: s.seconds, codes: s.codes, failures: s.failures })}\n`,
    );
  } else {
    const codes = Object.entries(s.codes)
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c} ${n}`)
      .join(', ');
    process.stdout.write(
      `\nfuzz seed ${s.seed}: ${s.inputs} inputs tried in ${s.seconds} s\n` +
        `  loaded ok:    ${s.ok}\n  typed errors: ${s.typedErrors}${codes ? ` (${codes})` : ''}\n  crashes:      ${s.crashes}\n  hangs:        ${s.hangs}\n`,
    );
    for (const f of s.failures.slice(0, 20))
      process.stdout.write(
        `  ${f.outcome} #${f.index} ${f.fixture} [${f.mutation}] → pnpm fuzz --seed ${s.seed} --only ${f.index}\n`,
      );
  }
  return s.crashes + s.hangs > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
