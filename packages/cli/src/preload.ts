/**
 * Faster start of the compiled `keraspect` command. TF.js ships as CommonJS (7 MB across its
 * packages); when ES modules import it, Node first runs its CommonJS export lexer over every one of
 * those files to find their named exports — about half a second of the command's start. Here the
 * same modules are `require`d once (their exports are then known exactly), and a module hook serves
 * ES-module wrappers that re-export those objects, so the lexer never runs. The wrappers export the
 * very objects `require` returned: one TF.js instance, as before. Under tsx (the sources) nothing
 * happens: tsx's own loader handles modules there.
 */
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const RESERVED = new Set(['default', 'delete', 'function', 'import', 'export', 'class', 'new', 'in', 'do', 'if']);

/** `ids`: CommonJS packages the libraries import, resolved from `@keraspect/importer`'s location. */
export function preloadCommonJs(ids: string[]): void {
  if (!import.meta.url.endsWith('.js') || typeof register !== 'function') return;
  let from: NodeJS.Require;
  try {
    from = createRequire(createRequire(import.meta.url).resolve('@keraspect/importer'));
  } catch {
    return;
  }
  const files: Record<string, string[]> = {};
  for (const id of ids) {
    try {
      const path = from.resolve(id);
      files[pathToFileURL(path).href] = Object.keys(from(id)).filter((n) => IDENTIFIER.test(n) && !RESERVED.has(n));
    } catch {
      // Not installed (an optional backend): it loads the ordinary way if at all.
    }
  }
  register(new URL('./commonjs-hook.js', import.meta.url), { data: { files } });
}
