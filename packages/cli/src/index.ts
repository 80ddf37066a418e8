/** `@keraspect/cli`: the `keraspect` command line, runnable in-process for tests. */
export { run } from './run.ts';
export { nodeIo, type Io } from './io.ts';
export { type CommandEntry, commands } from './commands/index.ts';
export type { Command } from './command.ts';
export { CliError, type CliErrorCode } from './errors.ts';
export {
  backendFromEnv,
  configureFromEnv,
  fastPathsFromEnv,
  type KeraspectEnv,
  relaxedSimdFromEnv,
} from './env.ts';
export { enableRelaxedSimd } from './relaxed-simd.ts';
