import { ArrayError } from '@keraspect/array';
import { commands } from './commands/index.ts';
import { CliError } from './errors.ts';
import type { Io } from './io.ts';

const help = () =>
  `Usage: keraspect <command> [options]   (keraspect <command> --help for details)

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
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
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!entry) {
    io.stderr(`Unknown command '${name}'. Commands: ${Object.keys(commands).join(', ')}.\n`);
    return 2;
  }
  try {
    return await (await entry.load()).run(negativeValuesJoined(rest), io);
  } catch (e) {
    if (e instanceof CliError) {
      io.stderr(`keraspect ${name}: ${e.message}\n`);
      return e.exitCode;
    }
    // The libraries' typed errors (bad file, unknown layer, bad option, bad data): the message says it all.
    if (await isLibraryError(e)) {
      io.stderr(`keraspect ${name}: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}

/**
 * `--flag -3` as `--flag=-3`: node's parseArgs reads a value that starts with '-' as another
 * option, so a negative number after a long flag (`--steps -3`, `--clip -0.5`) would fail as the
 * unknown option '-3' instead of reaching the flag, whose own check then names the bad value.
 */
export function negativeValuesJoined(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (/^--[^=]+$/.test(a) && next !== undefined && /^-(\d|\.\d|Infinity$)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/**
 * A typed error of one of the libraries. explain and viz are imported here, on the error path, so
 * that a command which never loads them (inspect, predict) does not load them to tell errors apart.
 */
async function isLibraryError(e: unknown): Promise<boolean> {
  if (e instanceof ArrayError) return true;
  const [{ ImporterError }, { ExplainError }, { VizError }] = await Promise.all([
    import('@keraspect/importer'),
    import('@keraspect/explain'),
    import('@keraspect/viz'),
  ]);
  return e instanceof ImporterError || e instanceof ExplainError || e instanceof VizError;
}
