import { Worker } from 'node:worker_threads';
import type { KernelInstructionSet } from '@keraspect/importer';
import { PEAK_RELAXED_WASM_BASE64, PEAK_WASM_BASE64 } from './peak-wasm.ts';

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
 * The machine's WebAssembly SIMD arithmetic peak in GFLOP/s on `threads` threads at once, for the
 * instruction set `set` (SIMD128 multiply then add, or relaxed SIMD's fused multiply-add): the
 * best of `rounds` simultaneous runs of `peak.ts`' register-only multiply-add loop, one worker per
 * thread. It is what any wasm code of that instruction set (ours or TF.js') could reach at most,
 * beside the native sgemm peak that uses 256-bit FMA.
 */
export async function wasmSimdPeak(
  threads: number,
  set: KernelInstructionSet = 'simd128',
  rounds = 7,
  n = 5_000_000,
): Promise<number> {
  const b64 = set === 'relaxed-simd' ? PEAK_RELAXED_WASM_BASE64 : PEAK_WASM_BASE64;
  const workers = Array.from({ length: threads }, () => new Worker(WORKER, { eval: true, workerData: { b64, n } }));
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
