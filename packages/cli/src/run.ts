import { backend, KeraspectError } from '@keraspect/importer';
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
    if (e instanceof KeraspectError || isLibraryError(e)) {
      io.stderr(`keraspect ${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

/** ExplainError, VizError and ArrayError: the libraries' typed errors (bad option, unknown layer, bad data). */
function isLibraryError(e: unknown): e is Error {
  return e instanceof Error && (e.name === 'ExplainError' || e.name === 'VizError' || e.name === 'ArrayError');
}

export { backend };
