import type h5wasmDefault from 'h5wasm';

/** What went wrong reading one object, as plain data. */
export interface DumpErrorInfo {
  message: string;
  name: string;
  /** The wasm instance aborted (its state can no longer be trusted). */
  aborted: boolean;
}

/** An attribute value as h5wasm returned it, or the error reading it. */
export interface DumpAttr {
  value?: unknown;
  error?: DumpErrorInfo;
}

/** A group, dataset or unreadable link of the dumped tree. */
export interface DumpNode {
  kind: 'group' | 'dataset' | 'broken';
  attrs?: Record<string, DumpAttr>;
  attrsError?: DumpErrorInfo;
  /** Groups: children in HDF5 order. */
  children?: Map<string, DumpNode>;
  /** Datasets: the shape (null for scalars without a dataspace) and the value when it was read. */
  shape?: number[] | null;
  value?: unknown;
  /** Datasets: a limit that stopped the value from being read. */
  limit?: { limit: string; value: number };
  error?: DumpErrorInfo;
}

/** The result of `dumpH5`. */
export type DumpResult =
  | { ok: true; root: DumpNode; transfer?: ArrayBuffer[] }
  | { ok: false; stage: 'open' | 'read' | 'limit'; error: DumpErrorInfo; limit?: string; value?: number };

/** Limits applied while dumping. */
export interface DumpLimits {
  maxTensorElements: number;
  maxTotalElements: number;
  maxNodes: number;
  maxDepth: number;
}

export function dumpH5(h5wasm: typeof h5wasmDefault, path: string, limits: DumpLimits): DumpResult;
