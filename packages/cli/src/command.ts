import type { Io } from './io.ts';

/** One `keraspect` sub-command (one file each under `commands/`, listed in `commands/index.ts`). */
export interface Command {
  /** Full usage text for `keraspect <name> --help`. */
  usage: string;
  /** Run with the arguments after the command name; returns the exit code. */
  run(argv: string[], io: Io): Promise<number>;
}
