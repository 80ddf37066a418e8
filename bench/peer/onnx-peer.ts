/**
 * ONNX Runtime peer for bench/speed.ts: runs the ONNX file that the PyTorch peer exported from its
 * twin of the seed model (`torch.onnx.export`, dynamic batch axis) with `onnxruntime-node`'s CPU
 * execution provider, in this process, at a given number of intra-op threads.
 */
import { readFileSync } from 'node:fs';

type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

let ort: Ort | null | undefined;

/** `onnxruntime-node` (a dev dependency), or null when it is not installed or its binary does not load. */
export async function loadOrt(): Promise<Ort | null> {
  if (ort !== undefined) return ort;
  try {
    ort = (await import('onnxruntime-node')) as Ort;
  } catch {
    ort = null;
  }
  return ort;
}

/** The version of ONNX Runtime in use (e.g. "1.30.0"). */
export function ortVersion(): string {
  const v = (ort?.env as { versions?: Record<string, string> } | undefined)?.versions;
  return v?.node ?? v?.common ?? 'unknown';
}

/** One ONNX model in an ONNX Runtime session with a fixed thread count. */
export class OrtPeer {
  private constructor(
    private readonly ort: Ort,
    private readonly session: Session,
    readonly threads: number,
  ) {}

  /** A session for `file` with `threads` intra-op threads (sequential execution, all graph optimizations). */
  static async open(file: string, threads: number): Promise<OrtPeer> {
    const o = await loadOrt();
    if (!o) throw new Error('onnxruntime-node is not installed (pnpm install brings it as a dev dependency).');
    const session = await o.InferenceSession.create(new Uint8Array(readFileSync(file)), {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    return new OrtPeer(o, session, threads);
  }

  /** Run on float32 input `x` of `shape`; the first output's values. */
  async run(x: Float32Array, shape: number[]): Promise<Float32Array> {
    const input = new this.ort.Tensor('float32', x, shape);
    const out = await this.session.run({ [this.session.inputNames[0]]: input });
    return out[this.session.outputNames[0]].data as Float32Array;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
