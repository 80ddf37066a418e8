#!/usr/bin/env node
import { nodeIo } from './io.ts';
import { run } from './run.ts';

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

process.exitCode = await run(process.argv.slice(2), nodeIo);
