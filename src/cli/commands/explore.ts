/**
 * `kvmclock explore`: writes the drift explorer — a static page that computes A/B/C/D/H, the
 * exact rates, the divergence and the migration table in the browser with the library itself —
 * into a directory. The page is prebuilt into dist/explorer-page by `npm run build`; without it
 * (a checkout that has not been built) it is bundled now, which needs esbuild.
 */
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EnvironmentError } from '../../errors.js';
import { type CliCommand, UsageError } from '../command.js';
import { parseOptions } from '../options.js';

const HELP = `usage: kvmclock explore [--out DIR]

Writes the drift explorer (index.html and explorer.js) into DIR (default kvmclock-explorer;
its parent directory must exist). Open index.html from the file system or serve DIR from any
static host: every number on the page is computed in the browser by kvmclock itself.`;

/** Where `npm run build` puts the prebuilt page (beside the compiled CLI). */
const PREBUILT = fileURLToPath(new URL('../../explorer-page/', import.meta.url));

export const exploreCommand: CliCommand = {
  name: 'explore',
  async run(argv) {
    const { values } = parseOptions(argv, { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const out = resolve(values.out ?? 'kvmclock-explorer');
    const parent = await stat(join(out, '..')).catch(() => undefined);
    if (!parent?.isDirectory()) throw new UsageError(`--out ${out}: the directory it would go in does not exist`);
    const existing = await stat(out).catch(() => undefined);
    if (existing !== undefined && !existing.isDirectory()) throw new UsageError(`--out ${out} exists and is not a directory`);
    const prebuilt = await readdir(PREBUILT).catch(() => null);
    let files: string[];
    if (prebuilt !== null && prebuilt.includes('index.html')) {
      await mkdir(out, { recursive: true });
      files = [];
      for (const name of prebuilt) {
        await copyFile(join(PREBUILT, name), join(out, name));
        files.push(join(out, name));
      }
    } else {
      let build: typeof import('../../explorer/build.js');
      try {
        build = await import('../../explorer/build.js');
        files = (await build.buildExplorer(out)).files.map((f) => f.path);
      } catch (e) {
        throw new EnvironmentError('missing', `kvmclock explore: the prebuilt page is missing (run npm run build) and bundling it now failed: ${(e as Error).message}`, { cause: e });
      }
    }
    process.stdout.write(`${files.map((f) => `wrote ${f}`).join('\n')}\nopen ${pathToFileURL(join(out, 'index.html')).href} in a browser, or serve ${out} from any static host\n`);
    return 0;
  },
};
