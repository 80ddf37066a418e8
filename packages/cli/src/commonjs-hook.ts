/**
 * Module hook of preload.ts (runs on Node's loader thread): ES-module wrappers, with the export
 * names found by `require`, for the CommonJS files preload.ts names.
 */
let files: Record<string, string[]> = {};

export function initialize(data: { files: Record<string, string[]> }): void {
  files = data.files;
}

type Next = (url: string, context: unknown) => Promise<unknown>;

export async function load(url: string, context: unknown, next: Next): Promise<unknown> {
  const names = files[url];
  if (!names) return next(url, context);
  const path = JSON.stringify(new URL(url).pathname);
  const source = [
    "import { createRequire } from 'node:module';",
    `const m = createRequire(import.meta.url)(${path});`,
    'export default m;',
    ...names.map((n) => `export const ${n} = m.${n};`),
  ].join('\n');
  return { format: 'module', source, shortCircuit: true };
}
