import type { Command } from '../command.ts';
import { attention } from './attention.ts';
import { attribute } from './attribute.ts';
import { convert } from './convert.ts';
import { demo } from './demo.ts';
import { inspect } from './inspect.ts';
import { outputs } from './outputs.ts';
import { plot } from './plot.ts';
import { predict } from './predict.ts';
import { report } from './report.ts';
import { show } from './show.ts';

/** Every `keraspect` command, in the order `--help` lists them. */
export const commands: Record<string, Command> = {
  inspect,
  predict,
  outputs,
  attention,
  attribute,
  plot,
  show,
  report,
  convert,
  demo,
};
