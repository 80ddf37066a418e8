/**
 * Every workspace package is publishable the same way (the packaging test installs them for real;
 * this checks the manifests in milliseconds, so a new package under packages/ learns at once what
 * it needs): a build config in the tsc project graph, sources for the tests and dist/ for the
 * published manifest, and the fields npm shows.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/fixtures.ts';

const packagesDir = join(repoRoot, 'packages');
const packages = readdirSync(packagesDir).filter((d) => existsSync(join(packagesDir, d, 'package.json')));
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe.each(packages)('packages/%s', (dir) => {
  const pkg = read(join(packagesDir, dir, 'package.json'));
  const deps = Object.keys(pkg.dependencies ?? {}).filter((d) => d === 'keraspect' || d.startsWith('@keraspect/'));

  it('has the fields a published package needs, and no `private`', () => {
    expect(pkg.private).toBeUndefined();
    for (const k of ['name', 'version', 'description', 'license', 'repository', 'engines', 'type', 'files'])
      expect(pkg[k], k).toBeTruthy();
    expect(pkg.type).toBe('module');
    expect(pkg.files).toContain('dist');
    for (const d of deps) expect(pkg.dependencies[d], d).toBe('workspace:*');
  });

  it('builds with tsc (tsconfig.build.json referencing its workspace dependencies)', () => {
    const config = join(packagesDir, dir, 'tsconfig.build.json');
    expect(existsSync(config), `${dir} needs a tsconfig.build.json extending ../../tsconfig.build.base.json`).toBe(
      true,
    );
    const c = read(config);
    expect(c.extends).toBe('../../tsconfig.build.base.json');
    const referenced = (c.references ?? []).map((r: { path: string }) => r.path.split('/')[1]).sort();
    const wanted = deps.map((d) => (d === 'keraspect' ? 'keraspect' : d.slice('@keraspect/'.length))).sort();
    expect(referenced).toEqual(wanted);
  });

  it('exports sources in the workspace and dist/ (types + default) when packed', () => {
    const pub = pkg.publishConfig?.exports;
    expect(pub, 'publishConfig.exports').toBeTruthy();
    for (const [path, target] of Object.entries(pkg.exports as Record<string, unknown>)) {
      if (path === './package.json') continue;
      const dev = typeof target === 'string' ? target : (target as Record<string, string>).default;
      expect(dev, path).toMatch(/^\.\/src\/.+\.ts$/);
      expect(existsSync(join(packagesDir, dir, dev)), dev).toBe(true);
      const js = dev.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '.js');
      expect(pub[path], path).toEqual({ types: js.replace(/\.js$/, '.d.ts'), default: js });
    }
    for (const [name, target] of Object.entries((pkg.imports ?? {}) as Record<string, Record<string, string>>)) {
      const packed = pkg.publishConfig.imports?.[name];
      expect(packed, `publishConfig.imports['${name}']`).toBeTruthy();
      for (const cond of Object.keys(target).filter((c) => c !== 'keraspect-dist'))
        expect(packed[cond], `${name} ${cond}`).toMatch(/^\.\/dist\/.+\.js$/);
    }
  });
});
