#!/usr/bin/env node
import { startHdf5Reader } from '@keraspect/importer/hdf5-reader';

// A model file to read: the HDF5 reader thread compiles h5wasm while TF.js loads below (the rest
// of the CLI is imported dynamically so that this runs first).
if (process.argv.slice(2).some((a) => /\.(h5|hdf5|keras)$/i.test(a))) startHdf5Reader();
const { configureFromEnv } = await import('./env.ts');
const { CliError } = await import('./errors.ts');
const { nodeIo } = await import('./io.ts');
const { run } = await import('./run.ts');

// TF.js prints a hint about tfjs-node on first use; Keraspect says which backend it uses itself.
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && /tfjs-node|Orthogonal initializer/.test(args[0])) return;
  warn(...args);
};
const log = console.log;
console.log = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && /tfjs-node|^=+$|^\s*$/.test(args[0])) return;
  log(...args);
};

// `keraspect inspect m.h5 | head`: the reader went away; stop quietly like other Unix tools.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

try {
  // The environment is read here, at the edge, and passed to the libraries as options.
  await configureFromEnv(process.env);
  process.exitCode = await run(process.argv.slice(2), nodeIo);
} catch (e) {
  if (e instanceof CliError) {
    process.stderr.write(`keraspect: ${e.message}\n`);
    process.exitCode = e.exitCode;
  } else {
    // Not a typed error of the CLI or a library (run() reports those): a bug. Say so plainly (the
    // wasm backend would otherwise print its whole minified source with the stack).
    process.stderr.write(
      `keraspect: internal error: ${(e as Error)?.message ?? String(e)}\n${process.env.KERASPECT_DEBUG ? `${(e as Error)?.stack}\n` : 'Set KERASPECT_DEBUG=1 for the stack trace, and please report it.\n'}`,
    );
    process.exitCode = 70;
  }
}
