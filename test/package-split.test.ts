/**
 * The embeddable library carries nothing it does not use: the package has no runtime
 * dependency; the CLI's packages (worker pool, progress bar, charts) are optional peers,
 * installed in a clone as devDependencies; and neither the library entry nor the CLI's
 * entry reaches one of them through a static import (the commands are loaded on demand and
 * load the packages themselves, with a typed error naming a missing one).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI_PACKAGES, importOptional, missingPackage } from '../src/optional-package.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

/** The modules reachable from `entry` through static imports (not `import()`), with the bare packages they name. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'/gm)) {
      const spec = m[1];
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('the package split', () => {
  it('has no runtime dependency; the CLI packages are optional peers and devDependencies', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual([...CLI_PACKAGES].sort());
    for (const name of CLI_PACKAGES) {
      expect(pkg.peerDependenciesMeta[name]?.optional, name).toBe(true);
      expect(pkg.devDependencies[name], name).toBe(pkg.peerDependencies[name]);
    }
  });

  it('the library entry and the CLI entry import no package statically', () => {
    for (const entry of ['src/index.ts', 'src/model/index.ts', 'src/stream/index.ts', 'src/cli/main.ts']) {
      const g = staticGraph(join(ROOT, entry));
      expect(g.files.size, entry).toBeGreaterThan(1);
      expect([...g.packages], entry).toEqual([]);
    }
  });

  it('a missing optional package is an EnvironmentError naming it and the install command', async () => {
    const e = missingPackage('piscina', "kvmclock's worker pool");
    expect(e).toMatchObject({ code: 'environment', reason: 'package' });
    expect(e.message).toContain('needs the package piscina');
    expect(e.message).toContain('npm install piscina cli-progress vega vega-lite');
    // Installed here (a clone): the import succeeds.
    expect(typeof (await importOptional<{ Piscina: unknown }>('piscina', 'the test')).Piscina).toBe('function');
  });
});
