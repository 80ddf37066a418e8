import { spawnSync } from 'node:child_process';

/**
 * A Python interpreter that imports every one of `modules`, or null. Tried in order: `KERASPECT_PYTHON`,
 * `python3` on PATH, Debian's `/usr/bin/python3` (where `.ci/install-extras` installs python3-numpy and
 * python3-h5py; a `python3` earlier on PATH, e.g. pyenv's, often lacks them).
 */
export function pythonWith(modules: string[], env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = [process.env.KERASPECT_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  const code = modules.length ? `import ${modules.join(', ')}` : 'pass';
  return candidates.find((p) => spawnSync(p, ['-c', code], { encoding: 'utf8', env }).status === 0) ?? null;
}

/**
 * Like {@link pythonWith}, for a cross-check `.ci/install-extras` provides: in CI (`CI=true`) a missing
 * interpreter is an error, so the cross-check cannot silently stop running; elsewhere it warns and
 * returns null (the caller skips).
 */
export function requiredPython(modules: string[], what: string): string | null {
  const found = pythonWith(modules);
  if (found) return found;
  const msg = `${what}: no python3 imports ${modules.join(', ')} (tried KERASPECT_PYTHON, python3, /usr/bin/python3; apt-get install ${modules.map((m) => `python3-${m}`).join(' ')})`;
  if (process.env.CI === 'true') throw new Error(`${msg}. .ci/install-extras installs them.`);
  console.warn(`[skip] ${msg}`);
  return null;
}
