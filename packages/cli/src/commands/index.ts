import type { Command } from '../command.ts';
import { convert } from './convert.ts';
import { demo } from './demo.ts';
import { inspect } from './inspect.ts';
import { outputs } from './outputs.ts';
import { predict } from './predict.ts';

/** Every `keraspect` command, in the order `--help` lists them. */
export const commands: Record<string, Command> = { inspect, predict, outputs, convert, demo };
