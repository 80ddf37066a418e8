import { fail } from '../errors.ts';
import type { KerasLayerConfig } from '../keras-format/types.ts';
import * as advanced from './advanced-activations.ts';
import * as core from './core.ts';
import { Lambda } from './lambda.ts';
import * as merge from './merge.ts';
import * as norm from './normalization.ts';
import * as pooling from './pooling.ts';
import type { LayerPort } from './port.ts';
import * as recurrent from './recurrent.ts';
import * as wrappers from './wrappers.ts';
import { cyberzhgDispatchers, cyberzhgPorts } from './cyberzhg/index.ts';
import { builtinExtraPorts } from './builtin/index.ts';

/** Every Keras class the importer knows, by Keras class name. */
const builtinPorts: Record<string, LayerPort> = {
  ...core,
  ...advanced,
  ...norm,
  ...pooling,
  ...merge,
  ...recurrent,
  ...wrappers,
  Lambda,
  ...cyberzhgPorts,
  // Ports of Keras layers TF.js lacks or gets wrong (GRU reset_after, causal/dilated Conv1D, …);
  // they replace the plain TF.js-backed ports above where both exist.
  ...builtinExtraPorts,
};

/**
 * Classes whose name Keras shares with a third-party or user class; the config tells which one a
 * file means (e.g. keras-layer-normalization's `LayerNormalization` has no `axis`).
 */
const dispatchers: { className: string; matches(config: KerasLayerConfig): boolean; port: LayerPort }[] = [
  ...cyberzhgDispatchers,
];

const userPorts = new Map<string, LayerPort>();

/**
 * Register a TF.js implementation for a Keras layer class by its class name (as written in the
 * file's config). User registrations take precedence over built-in ones, so a user class that
 * shadows a Keras name (e.g. a custom `Attention`) is found first.
 */
export function registerLayer(className: string, port: LayerPort): void {
  userPorts.set(className, port);
}

/** Remove a registration made with `registerLayer`. */
export function unregisterLayer(className: string): void {
  userPorts.delete(className);
}

/** Add ports from a family table (internal: used to plug in the CyberZHG and built-in extras). */
export function addPorts(ports: Record<string, LayerPort>): void {
  Object.assign(builtinPorts, ports);
}

/** Add a config-based dispatcher for a class name shared by several implementations. */
export function addDispatcher(
  className: string,
  matches: (config: KerasLayerConfig) => boolean,
  port: LayerPort,
): void {
  dispatchers.push({ className, matches, port });
}

/** Names of all Keras classes that can be loaded without registration. */
export function supportedLayers(): string[] {
  return Object.keys(builtinPorts).sort();
}

/** Find the port for a Keras class, or fail listing what is supported and how to register more. */
export function portFor(className: string, config: KerasLayerConfig): LayerPort {
  const user = userPorts.get(className);
  if (user) return user;
  for (const d of dispatchers) if (d.className === className && d.matches(config)) return d.port;
  // Own properties only: a class named 'constructor' or '__proto__' must not find Object.prototype's.
  const port = Object.hasOwn(builtinPorts, className) ? builtinPorts[className] : undefined;
  if (port) return port;
  return fail(
    'UNKNOWN_LAYER',
    `Unknown layer class '${className}' (layer '${config.name}'). Keraspect supports: ${supportedLayers().join(', ')}. ` +
      `If it is a custom class from your Python code, register a TF.js implementation before loading: ` +
      `registerLayer('${className}', defineLayer('${className}', { weights, call })) — or with the CLI, a --plugin module exporting \`layers = { ${className}: { weights, call } }\`.`,
  );
}
