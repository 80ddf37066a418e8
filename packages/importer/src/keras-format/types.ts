/**
 * Keras' on-disk formats, typed as they are written (snake_case keys, verbatim class and weight
 * names). Nothing outside `keras-format/` and `read/` sees raw Keras JSON shapes other than these.
 */

/** One `{"class_name": …, "config": …}` object of a Keras model config. */
export interface KerasLayerJson {
  class_name: string;
  config: KerasLayerConfig;
  name?: string;
  /** Keras 2: `[[[layer, node, tensor, kwargs]…]…]`; Keras 3: `[{args, kwargs}…]`. */
  inbound_nodes?: unknown[];
  module?: string | null;
  registered_name?: string | null;
  build_config?: { input_shape?: (number | null)[] | null } | null;
}

/** A layer's `config` object, snake_case as Keras writes it. */
export type KerasLayerConfig = { name: string } & Record<string, unknown>;

/** `model_config` / `config.json` root. */
export interface KerasModelJson {
  class_name: string;
  config: Record<string, unknown> | KerasLayerJson[];
  keras_version?: string;
  backend?: string;
  module?: string | null;
}

/** A shape as Keras writes it: `null` for unknown dimensions (the batch). */
export type KerasShape = (number | null)[];
