/**
 * Writes the drift explorer: `index.html` and `explorer.js` (the library and the page code in
 * one classic script) into a directory. The page works opened from the file system or from any
 * static host; everything on it is computed in the browser.
 *
 * `npm run explorer` runs this file (`--out DIR`, default `kvmclock-explorer`); the CLI can call
 * {@link buildExplorer}. Bundling needs esbuild (a development dependency of this repository).
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { explorerHtml } from './template.js';

export interface ExplorerBuildOptions {
  /** Minify the script (default true). */
  readonly minify?: boolean;
}

export interface ExplorerBuild {
  readonly dir: string;
  /** The page to open. */
  readonly index: string;
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
}

export const EXPLORER_SCRIPT = 'explorer.js';

/** The page's TypeScript entry when running from the sources, its compiled form from dist/. */
function entryPoint(): string {
  for (const name of ['page.ts', 'page.js']) {
    const path = fileURLToPath(new URL(`./${name}`, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`the explorer page's entry (page.ts or page.js) is missing beside ${fileURLToPath(import.meta.url)}`);
}

type Esbuild = typeof import('esbuild');

async function loadEsbuild(): Promise<Esbuild> {
  try {
    return await import('esbuild');
  } catch (e) {
    throw new Error('building the explorer needs esbuild, a development dependency of kvmclock: run `npm ci` in the kvmclock repository (or `npm install esbuild`)', { cause: e });
  }
}

/** Bundle the page script for browsers (one classic script, no imports, no Node built-ins). */
export async function bundleExplorerScript(options: ExplorerBuildOptions = {}): Promise<string> {
  const esbuild = await loadEsbuild();
  const result = await esbuild.build({
    entryPoints: [entryPoint()],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    minify: options.minify ?? true,
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/** The page's files, bundled now: the script first, then the page that loads it. */
export async function explorerPageFiles(options: ExplorerBuildOptions = {}): Promise<{ readonly name: string; readonly text: string }[]> {
  const script = await bundleExplorerScript(options);
  return [
    { name: EXPLORER_SCRIPT, text: script },
    { name: 'index.html', text: explorerHtml({ script: EXPLORER_SCRIPT }) },
  ];
}

/**
 * Write the explorer into `outDir` (created if needed; files written whole, then renamed into
 * place, so a reader never sees half a page). This is the build step (`npm run build`,
 * `npm run explorer`); `kvmclock explore` writes the same files through the CLI's output-file writer.
 */
export async function buildExplorer(outDir: string, options: ExplorerBuildOptions = {}): Promise<ExplorerBuild> {
  const dir = resolve(outDir);
  const pageFiles = await explorerPageFiles(options);
  await mkdir(dir, { recursive: true });
  const files: { path: string; bytes: number }[] = [];
  for (const { name, text } of pageFiles) {
    const path = join(dir, name);
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, path);
    files.push({ path, bytes: Buffer.byteLength(text) });
  }
  return { dir, index: join(dir, 'index.html'), files };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'kvmclock-explorer' }, 'no-minify': { type: 'boolean' } }, strict: true });
  const built = await buildExplorer(values.out as string, { minify: !values['no-minify'] });
  for (const f of built.files) process.stdout.write(`wrote ${f.path} (${Math.round(f.bytes / 1024)} KiB)\n`);
  process.stdout.write(`open ${pathToFileURL(built.index).href} in a browser, or serve ${built.dir} from any static host\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`kvmclock explorer: ${(e as Error).message}\n`);
    process.exitCode = 2;
  });
}
