import { ArrayError } from '@keraspect/array';
import { ExplainError } from '@keraspect/explain';
import { ImporterError } from '@keraspect/importer';
import { VizError } from '@keraspect/viz';
import { commands } from './commands/index.ts';
import { CliError } from './errors.ts';
import type { Io } from './io.ts';

const help = () =>
  `Usage: keraspect <command> [options]   (keraspect <command> --help for details)

Commands:
${Object.values(commands)
  .map((c) => `  ${c.name.padEnd(10)} ${c.summary}`)
  .join('\n')}
`;

/**
 * Run the CLI in-process: `argv` without the node/script prefix. Returns the exit code: 0 ok,
 * 1 a Keraspect error (bad file, wrong shape, …), 2 a usage error.
 */
export async function run(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    io.stderr(`Unknown command '${name}'. Commands: ${Object.keys(commands).join(', ')}.\n`);
    return 2;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof CliError) {
      io.stderr(`keraspect ${name}: ${e.message}\n`);
      return e.exitCode;
    }
    // The libraries' typed errors (bad file, unknown layer, bad option, bad data): the message says it all.
    if (e instanceof ImporterError || e instanceof ExplainError || e instanceof VizError || e instanceof ArrayError) {
      io.stderr(`keraspect ${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
