import { Worker } from 'node:worker_threads';
import { PEAK_WASM_BASE64 } from './peak-wasm.ts';

// Each worker instantiates the module and, per message, runs `run(n)` and answers with its time.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const mod = new WebAssembly.Module(Buffer.from(workerData.b64, 'base64'));
const { exports } = new WebAssembly.Instance(mod, {});
exports.run(workerData.n >> 4);
parentPort.on('message', () => {
  const t = process.hrtime.bigint();
  exports.run(workerData.n);
  parentPort.postMessage({ s: Number(process.hrtime.bigint() - t) / 1e9, flops: exports.FLOPS_PER_ITERATION.value * workerData.n });
});
`;

/**
 * The machine's WebAssembly SIMD128 arithmetic peak in GFLOP/s on `threads` threads at once: the
 * best of `rounds` simultaneous runs of `peak.ts`' register-only multiply-add loop, one worker per
 * thread. It is what any wasm code (ours or TF.js') could reach at most, beside the native sgemm
 * peak that uses 256-bit FMA.
 */
export async function wasmSimdPeak(threads: number, rounds = 7, n = 5_000_000): Promise<number> {
  const workers = Array.from(
    { length: threads },
    () => new Worker(WORKER, { eval: true, workerData: { b64: PEAK_WASM_BASE64, n } }),
  );
  try {
    let best = 0;
    for (let r = 0; r < rounds; r++) {
      const answers = await Promise.all(
        workers.map(
          (w) =>
            new Promise<{ s: number; flops: number }>((resolve, reject) => {
              w.once('message', resolve);
              w.once('error', reject);
              w.postMessage('go');
            }),
        ),
      );
      best = Math.max(best, answers.reduce((sum, a) => sum + a.flops / a.s, 0) / 1e9);
    }
    return best;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
